"""The worker thread: a QThread around the Qt-free live loop (desktop_app/live.py).

The loop owns the pose pipeline, the source and any recording; this class only turns its
reports into Qt signals and hands results to the GUI through a one-slot mailbox: the worker
puts the newest result in it and signals only when the GUI has emptied it, so a slow paint
collapses a burst into one picture instead of queueing stale ones. Commands from the GUI go
on the loop's queue and apply between frames. It stops on a flag (`stop()`, then `wait()`),
never by `terminate()`.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QImage

from desktop_app.core.model import PoseModel, load_default_model
from desktop_app.core.pipeline import PipelineSettings
from desktop_app.errors import PoseCamError
from desktop_app.live import LiveControl, LiveLoop, LiveResult
from desktop_app.media.live_feed import FeedInfo
from desktop_app.media.recorder import RecordingPaths
from desktop_app.media.sources import FrameSource
from desktop_app.settings import Settings
from desktop_app.ui.qimage import rgb_to_qimage

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class LiveFrame(LiveResult):
    """One processed frame, as handed to the GUI: the live loop's result and a QImage of it.
    Never changed after it is made."""

    #: A QImage over `result.on_screen` (which it shares memory with).
    image: QImage | None = None

    @classmethod
    def of(cls, live: LiveResult) -> LiveFrame:
        # The image is made here, on the worker thread; the GUI thread only paints it.
        image = rgb_to_qimage(live.result.on_screen)
        return cls(**{f.name: getattr(live, f.name) for f in fields(LiveResult)}, image=image)


class PoseWorker(QThread):
    """Runs the live loop on frames from `open_source()` until stopped or the source ends."""

    #: The newest result is waiting in `take_newest()`.
    frame_ready = Signal()
    #: The source is open: a FeedInfo.
    source_opened = Signal(object)
    #: Something went wrong with the source or the processing: a one-line message.
    problem = Signal(str)
    #: A video file or image came to its end (and does not loop).
    source_ended = Signal()
    #: A recording started (its Path) or stopped (None).
    recording_changed = Signal(object)
    #: A recording could not start or go on: a one-line message (the live view goes on).
    problem_recording = Signal(str)
    #: What the thread is doing before the first frame, in words ("Loading the pose model…").
    preparing = Signal(str)

    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        settings: Settings,
        model: PoseModel | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("posecam-worker")
        self._open_source = open_source
        self._model = model
        self._settings: PipelineSettings = settings.pipeline()
        self._loop_video = settings.loop_video
        self._control = LiveControl()
        self._mailbox_lock = threading.Lock()
        self._mailbox: LiveFrame | None = None
        self._recording_path: Path | None = None
        self.info: FeedInfo | None = None

    # -- called from the GUI thread --------------------------------------------------------

    def set_processing(self, settings: Settings) -> None:
        """Use these smoothing, model, exercise and drawing settings from the next frame on."""
        self._settings = settings.pipeline()
        self._control.configure(self._settings)

    def reset_reps(self) -> None:
        """Start counting repetitions from zero at the next frame."""
        self._control.reset_reps()

    def set_paused(self, paused: bool) -> None:
        self._control.set_paused(paused)

    def start_recording(self, paths: RecordingPaths) -> None:
        self._control.start_recording(paths)

    def stop_recording(self) -> None:
        self._control.stop_recording()

    @property
    def recording_path(self) -> Path | None:
        return self._recording_path

    def take_newest(self) -> LiveFrame | None:
        """The newest result, once; None if there is none since the last call."""
        with self._mailbox_lock:
            frame, self._mailbox = self._mailbox, None
        return frame

    def stop(self) -> None:
        """Ask the thread to finish; follow with wait()."""
        self._control.stop()

    # -- the thread ------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._run()
        except PoseCamError as exc:
            self.problem.emit(str(exc))
        except Exception as exc:  # never let the thread die silently or take the window down
            log.exception("processing failed")
            self.problem.emit(f"processing failed: {type(exc).__name__}: {exc}")

    def _run(self) -> None:
        model = self._model
        if model is None:
            # Seconds on a slow disk or a first start: the window says so meanwhile.
            self.preparing.emit("Loading the pose model…")
            model = load_default_model()
        loop = LiveLoop(
            self._open_source,
            self._settings,
            model,
            listener=self,
            control=self._control,
            loop_video=self._loop_video,
        )
        # Everything long-lived is loaded now (Qt, MediaPipe, NumPy, SciPy: hundreds of
        # thousands of objects). A full garbage collection walks them all and holds the GIL
        # for 50-150 ms, which froze the window now and then; frozen objects are skipped.
        gc.freeze()
        end = loop.run()
        if end.problem:
            self.problem.emit(end.problem)
        elif end.ended and not end.stopped:
            self.source_ended.emit()

    # -- the live loop's reports (on this thread) --------------------------------------------

    def on_source_opened(self, info: FeedInfo) -> None:
        self.info = info
        self.source_opened.emit(info)

    def on_result(self, live: LiveResult) -> None:
        frame = LiveFrame.of(live)
        with self._mailbox_lock:
            was_empty = self._mailbox is None
            self._mailbox = frame
        if was_empty:
            self.frame_ready.emit()

    def on_recording_changed(self, path: Path | None) -> None:
        self._recording_path = path
        self.recording_changed.emit(path)

    def on_recording_problem(self, message: str) -> None:
        self.problem_recording.emit(message)


__all__ = ["LiveFrame", "PoseWorker"]
