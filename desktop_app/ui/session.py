"""The window's state in one place: settings, source, running or paused, and the recording.

Before this model the same facts lived in the window, the settings panel and the worker, and
they drifted (a panel could hold settings the window had replaced, "paused" was kept three
times). Now only the `Session` changes them: window, panel and view call its methods and redraw
when its signals say something changed. It owns the one worker thread and the settings file
they are saved back to.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_app.core.model import PoseModel
from desktop_app.folders import recordings_folder, unused_path
from desktop_app.media.live_feed import FeedInfo
from desktop_app.media.recorder import RecordingPaths
from desktop_app.media.sources import CameraSource, FrameSource, open_source
from desktop_app.settings import LoadedSettings, Settings
from desktop_app.ui.worker import LiveFrame, PoseWorker

# How long stopping may wait for the worker, in milliseconds (it stops within a frame or two)
# before the window says it is slow; it then waits on, as a thread cut off mid-write would
# leave a broken file.
_STOP_WAIT_MS = 3000


@dataclass(frozen=True)
class Playback:
    """Whether frames flow, as the Start/Pause button shows it."""

    #: What the user opened: a camera number, a file or a stream address ("" for nothing yet).
    source: str = ""
    #: A worker is running on `source` (paused or not).
    running: bool = False
    #: A file held at its current frame (only files pause; a camera stops).
    paused: bool = False
    #: What the source said about itself once open; None while opening or stopped.
    info: FeedInfo | None = None

    @property
    def can_pause(self) -> bool:
        """A file pauses where it is; a camera or stream stops (and lets go of the device),
        and a still image has nothing to pause."""
        info = self.info
        return self.running and info is not None and not info.is_live and not info.is_still

    @property
    def button_text(self) -> str:
        if not self.running:
            return "&Start"
        if self.can_pause:
            return "&Resume" if self.paused else "&Pause"
        return "&Stop"


class Session(QObject):
    """Owns what the user set and what is running; everyone else listens."""

    #: The settings changed: the new `Settings`.
    settings_changed = Signal(object)
    #: Started, stopped, paused, resumed or the source opened: the new `Playback`.
    playback_changed = Signal(object)
    #: A processed frame to show: a `LiveFrame`.
    frame_ready = Signal(object)
    #: The source or the processing failed: a one-line message (the worker has stopped).
    problem = Signal(str)
    #: A file or image came to its end and does not loop.
    source_ended = Signal()
    #: A recording started (its video Path) or stopped (None).
    recording_changed = Signal(object)
    #: A one-line message about the recording: why it could not start or stopped by itself,
    #: or where it was saved.
    recording_message = Signal(str)
    #: The repetition count starts from zero again.
    reps_reset = Signal()
    #: What is happening before the first frame, in words ("Loading the pose model…").
    preparing = Signal(str)

    def __init__(
        self,
        loaded: LoadedSettings,
        model: PoseModel | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        # Kept to save back through: it holds the keys this version does not know, and
        # whether the file may be replaced at all.
        self._loaded = loaded
        self._settings = loaded.settings
        self._model = model
        self._playback = Playback()
        self._worker: PoseWorker | None = None
        self._recording: Path | None = None

    # -- what is -------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def playback(self) -> Playback:
        return self._playback

    @property
    def recording(self) -> Path | None:
        """The video being recorded, or None."""
        return self._recording

    @property
    def worker(self) -> PoseWorker | None:
        """The running worker thread, for tests and signals that reach past the session."""
        return self._worker

    def output_folder(self) -> Path:
        folder = self._settings.output_folder
        return Path(folder) if folder else recordings_folder()

    def new_output_path(self, suffix: str) -> Path:
        """A new time-stamped file name in the output folder, which is made if missing; never
        an existing file. Raises OSError if the folder cannot be made."""
        folder = self.output_folder()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S")
        return unused_path(folder, f"PoseCam_{stamp}", suffix)

    # -- settings ------------------------------------------------------------------------

    def update_settings(self, settings: Settings) -> None:
        """Use `settings` from the next frame on and tell everyone."""
        if settings == self._settings:
            return
        old, self._settings = self._settings, settings
        if self._worker is not None and settings.pipeline() != old.pipeline():
            self._worker.set_processing(settings)
        self.settings_changed.emit(settings)

    def change(self, **fields) -> None:
        """Change some settings, e.g. `change(mirror=True)`."""
        self.update_settings(replace(self._settings, **fields))

    def use_exercise(self, name: str) -> None:
        """Count `name`, read anew: it may have just been taught or changed under the name
        already chosen, which as a setting would not change."""
        if self._settings.exercise == name:
            self.change(exercise="")
        self.change(exercise=name)

    def save(self) -> str | None:
        """Write the settings back to their file; a one-line warning if that failed."""
        return self._loaded.save(self._settings)

    @property
    def load_warning(self) -> str | None:
        """Why the settings file could not be read in full (and what was done), or None."""
        return self._loaded.warning

    # -- the source ----------------------------------------------------------------------

    def open(self, text: str) -> None:
        """Start showing `text`: a camera number, a file path or a stream address."""
        self.change(last_source=text)
        self._playback = Playback(source=text)
        self.start()

    def start(self) -> None:
        """(Re)start the worker on the current source."""
        self._stop_worker()
        text = self._playback.source
        worker = PoseWorker(self._opener(text), self._settings, self._model)
        worker.frame_ready.connect(self._frame_ready)
        worker.source_opened.connect(self._source_opened)
        worker.problem.connect(self._problem)
        worker.source_ended.connect(self.source_ended)
        worker.preparing.connect(self.preparing)
        worker.recording_changed.connect(self._recording_changed)
        worker.problem_recording.connect(
            lambda text: self.recording_message.emit(f"Recording stopped: {text}")
        )
        worker.finished.connect(self._worker_finished)
        self._worker = worker
        self._set_playback(running=True, paused=False, info=None)
        # A new worker counts from zero: the repetitions listed and plotted go with the old.
        self.reps_reset.emit()
        worker.start()

    def stop(self) -> bool:
        """Stop the worker and wait for it (it finalises any recording on its way out). False
        when it took longer than a moment (the caller may say so)."""
        prompt = self._stop_worker()
        self._set_playback(running=False, paused=False, info=None)
        return prompt

    def toggle_running(self) -> None:
        """Start, or pause/resume a file, or stop a camera or stream (letting go of it)."""
        playback = self._playback
        if not playback.running:
            self._playback = Playback(source=playback.source or self._settings.last_source)
            self.start()
        elif playback.can_pause:
            self.set_paused(not playback.paused)
        else:
            self.stop()

    def set_paused(self, paused: bool) -> None:
        if self._worker is None or paused == self._playback.paused:
            return
        self._worker.set_paused(paused)
        self._set_playback(paused=paused)

    def _opener(self, text: str):
        settings = self._settings

        def opener() -> FrameSource:
            if text.isdigit():
                return CameraSource(
                    int(text),
                    settings.camera_width_px or None,
                    settings.camera_height_px or None,
                    settings.camera_fps or None,
                )
            return open_source(text)

        return opener

    def _stop_worker(self) -> bool:
        worker, self._worker = self._worker, None
        if worker is None:
            return True
        worker.stop()
        prompt = worker.wait(_STOP_WAIT_MS)
        if not prompt:
            worker.wait()
        # Its last reports are still queued for this thread: they are about a worker that is
        # gone, and are dropped (the recording it finalised is reported below).
        for signal in (
            worker.frame_ready,
            worker.source_opened,
            worker.problem,
            worker.recording_changed,
            worker.finished,
        ):
            signal.disconnect()
        if self._recording is not None:
            self._recording_changed(None)
        return prompt

    def _set_playback(self, **changes) -> None:
        self._playback = replace(self._playback, **changes)
        self.playback_changed.emit(self._playback)

    # -- recording and counting ----------------------------------------------------------

    def start_recording(self, path: Path | None = None) -> bool:
        """Record to `path`, or to a new time-stamped file in the output folder; the raw video
        and keypoints go beside it as the settings say. False (and a message) when nothing is
        running or the folder cannot be made."""
        if self._worker is None:
            self.recording_message.emit("Open a camera or file before recording")
            self.recording_changed.emit(None)
            return False
        if path is None:
            try:
                path = self.new_output_path(".mp4")
            except OSError as exc:
                folder = self.output_folder()
                self.recording_message.emit(f"Cannot record to {folder}: {exc.strerror}")
                self.recording_changed.emit(None)
                return False
        s = self._settings
        self._worker.start_recording(
            RecordingPaths.beside(path, s.record_raw_video, s.record_keypoints)
        )
        return True

    def stop_recording(self) -> None:
        if self._worker is not None:
            self._worker.stop_recording()

    def reset_reps(self) -> None:
        if self._worker is not None:
            self._worker.reset_reps()
        self.reps_reset.emit()

    # -- the worker's reports ------------------------------------------------------------

    def _frame_ready(self) -> None:
        frame: LiveFrame | None = self._worker.take_newest() if self._worker else None
        if frame is not None:
            self.frame_ready.emit(frame)

    def _source_opened(self, info: FeedInfo) -> None:
        self._set_playback(info=info)

    def _problem(self, text: str) -> None:
        self.problem.emit(text)

    def _worker_finished(self) -> None:
        if self._worker is not None and self.sender() is self._worker:
            self._set_playback(running=False, paused=False)

    def _recording_changed(self, path: Path | None) -> None:
        previous, self._recording = self._recording, path
        if path == previous:
            return
        self.recording_changed.emit(path)
        if path is None and previous is not None:
            self.recording_message.emit(f"Saved {previous}")


__all__ = ["Playback", "Session"]
