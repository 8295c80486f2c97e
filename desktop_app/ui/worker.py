"""The worker thread: source -> pose -> smoothing -> drawing, one immutable result per frame.

One QThread owns the pose model, the smoother and any recording; the GUI thread only paints.
Frames come from a `LiveFeed`, which keeps only the newest, and results go out through a
one-slot mailbox: the worker puts the newest result in it and signals only when the GUI has
emptied it, so a slow paint collapses a burst into one picture instead of queueing stale ones.
It stops on a flag (`stop()`, then `wait()`), never by `terminate()`.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QImage

from desktop_app.core.angles import image_angles
from desktop_app.core.metrics import MeanMeter, RateMeter
from desktop_app.core.model import PoseModel, load_default_model
from desktop_app.core.pipeline import FrameResult, Pipeline
from desktop_app.core.pose import PoseEstimator, PoseSettings
from desktop_app.core.render import Style, draw_angles
from desktop_app.core.reps import EXERCISES, RepTracker
from desktop_app.core.smoothing import make_smoother
from desktop_app.errors import PoseCamError
from desktop_app.media.keypoints import keypoints_header
from desktop_app.media.live_feed import FeedInfo, LiveFeed
from desktop_app.media.recorder import Recorder, RecordingPaths, RecordingStatus
from desktop_app.media.sources import FrameSource
from desktop_app.settings import Settings
from desktop_app.ui.qimage import rgb_to_qimage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Processing:
    """The settings that need a new pose model instance or smoother when they change."""

    smoothing: str
    smoothing_strength: float
    min_confidence: float
    num_poses: int

    @classmethod
    def of(cls, settings: Settings) -> Processing:
        return cls(
            settings.smoothing,
            settings.smoothing_strength,
            settings.min_confidence,
            settings.num_poses,
        )


@dataclass(frozen=True, eq=False)
class LiveFrame:
    """One processed frame, as handed to the GUI. Never changed after it is made."""

    result: FrameResult
    #: A QImage over `result.annotated` (which it shares memory with).
    image: QImage
    #: When the frame left the source and when its processing ended (time.monotonic(), s).
    captured_s: float
    processed_s: float
    #: Frames processed per second, averaged over the last second.
    processing_fps: float
    #: Mean time in the pose model per frame, in milliseconds.
    inference_ms: float
    #: Source frames dropped so far because processing was busy (live sources only).
    dropped_frames: int
    #: How the recording is going, if one is.
    recording: RecordingStatus | None = None
    #: With an exercise chosen: per person id, (repetitions, stage, angle in degrees).
    reps: dict[int, tuple[int, str, float]] | None = None


class PoseWorker(QThread):
    """Runs the pipeline on frames from `open_source()` until stopped or the source ends."""

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
        self._style: Style = settings.style
        self._processing = Processing.of(settings)
        self._loop = settings.loop_video
        self._exercise = settings.exercise
        self._show_angles = settings.show_angles
        self._reset_reps = False
        self._stopping = threading.Event()
        self._mailbox_lock = threading.Lock()
        self._mailbox: LiveFrame | None = None
        self._feed: LiveFeed | None = None
        self._paused = False
        self._record_request: tuple[str, RecordingPaths | None] | None = None
        self._recording_path: Path | None = None
        self.info: FeedInfo | None = None

    # -- called from the GUI thread --------------------------------------------------------

    def set_style(self, style: Style) -> None:
        """Draw the next frame in `style` (a reference swap: safe across threads)."""
        self._style = style

    def set_processing(self, settings: Settings) -> None:
        """Use these smoothing, model and exercise settings from the next frame on."""
        self._processing = Processing.of(settings)
        self._exercise = settings.exercise
        self._show_angles = settings.show_angles

    def reset_reps(self) -> None:
        """Start counting repetitions from zero at the next frame."""
        self._reset_reps = True

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        if self._feed is not None:
            self._feed.set_paused(paused)

    def start_recording(self, paths: RecordingPaths) -> None:
        self._record_request = ("start", paths)

    def stop_recording(self) -> None:
        self._record_request = ("stop", None)

    @property
    def paused(self) -> bool:
        return self._paused

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
        self._stopping.set()
        if self._feed is not None:
            self._feed.stop(timeout_s=0.0)

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
        model = self._model or load_default_model()
        # The pose model is ready before the first frame arrives, so none is skipped for it.
        estimator, pipeline, processing = self._build(model, None)
        # Everything long-lived is loaded now (Qt, MediaPipe, NumPy, SciPy: hundreds of
        # thousands of objects). A full garbage collection walks them all and holds the GIL
        # for 50-150 ms, which froze the window now and then; frozen objects are skipped.
        gc.freeze()
        feed = LiveFeed(self._open_source, loop=self._loop)
        self._feed = feed
        feed.set_paused(self._paused)
        feed.start()
        recorder: Recorder | None = None
        reps: RepTracker | None = None
        fps = RateMeter()
        inference = MeanMeter()
        try:
            while not self._stopping.is_set():
                fed = feed.next_frame(timeout_s=0.1)
                if self.info is None and feed.info is not None:
                    self.info = feed.info
                    self.source_opened.emit(feed.info)
                if fed is None:
                    if feed.ended:
                        break
                    continue
                # Recording starts and stops between frames, once the source's rate is known.
                request, self._record_request = self._record_request, None
                if request is not None:
                    recorder = self._end_recording(recorder, reps)
                    if request[0] == "start" and request[1] is not None:
                        recorder = self._begin_recording(request[1], feed.info, model)
                if self._processing != processing:
                    estimator, pipeline, processing = self._build(model, estimator)
                pipeline.style = self._style
                result = pipeline.process(fed.frame)
                reps = self._count_reps(reps, result)
                if self._show_angles:
                    for person in (p for p in result.people if not p.coasting):
                        draw_angles(
                            result.annotated,
                            person.landmarks_px,
                            image_angles(person.landmarks_px),
                            self._style,
                        )
                now = time.monotonic()
                fps.tick(now)
                inference.add(result.inference_ms)
                if recorder is not None:
                    recorder.submit(
                        result.index, result.time_ms, result.annotated, fed.frame.rgb, result.people
                    )
                    if recorder.problem is not None:
                        # A full disk or a removed drive: the recording stops, the view goes on.
                        self.problem_recording.emit(recorder.problem)
                        recorder = self._end_recording(recorder, reps)
                live = LiveFrame(
                    result=result,
                    image=rgb_to_qimage(result.annotated),
                    captured_s=fed.captured_s,
                    processed_s=now,
                    processing_fps=fps.rate(),
                    inference_ms=inference.value,
                    dropped_frames=feed.dropped,
                    recording=recorder.status() if recorder is not None else None,
                    reps=(
                        {
                            pid: (c.count, c.stage.value, c.angle_deg)
                            for pid, c in sorted(reps.counters.items())
                        }
                        if reps is not None
                        else None
                    ),
                )
                with self._mailbox_lock:
                    was_empty = self._mailbox is None
                    self._mailbox = live
                if was_empty:
                    self.frame_ready.emit()
        finally:
            feed.stop()
            # Every way out (stop, source ended, an error) finalises the recording.
            self._end_recording(recorder, reps)
            estimator.close()
        if feed.problem:
            self.problem.emit(feed.problem)
        elif feed.ended and not self._stopping.is_set():
            self.source_ended.emit()

    def _count_reps(self, reps: RepTracker | None, result: FrameResult) -> RepTracker | None:
        wanted = EXERCISES.get(self._exercise)
        if wanted is None:
            return None
        if reps is None or reps.exercise != wanted or self._reset_reps:
            self._reset_reps = False
            reps = RepTracker(wanted)
        reps.update(list(result.people), result.time_ms)
        return reps

    def _build(
        self, model: PoseModel, old: PoseEstimator | None
    ) -> tuple[PoseEstimator, Pipeline, Processing]:
        """A new pose model instance and smoother for the wanted settings (the old one closed)."""
        wanted = self._processing
        if old is not None:
            old.close()
        estimator = PoseEstimator(
            model, PoseSettings.with_confidence(wanted.num_poses, wanted.min_confidence)
        )
        smoother = make_smoother(
            wanted.smoothing, wanted.smoothing_strength, max_people=wanted.num_poses
        )
        return estimator, Pipeline(estimator, smoother, self._style), wanted

    def _begin_recording(
        self, paths: RecordingPaths, info: FeedInfo | None, model: PoseModel
    ) -> Recorder | None:
        p = self._processing
        header = keypoints_header(
            info.name if info else "",
            info.size if info else None,
            info.fps if info else None,
            model.name,
            model.sha256,
            p.smoothing,
            p.smoothing_strength,
        )
        try:
            recorder = Recorder(paths, (info.fps if info else None) or 30.0, header)
        except PoseCamError as exc:
            # The live view goes on; only the recording could not start.
            self.problem_recording.emit(str(exc))
            return None
        self._recording_path = paths.video
        self.recording_changed.emit(paths.video)
        return recorder

    def _end_recording(self, recorder: Recorder | None, reps: RepTracker | None) -> None:
        if recorder is not None:
            # The count goes into the recording's keypoints, as annotate's does.
            summary = (
                {"exercise": reps.exercise.name, "reps": reps.counts()}
                if reps is not None
                else None
            )
            recorder.close(summary)
            self._recording_path = None
            self.recording_changed.emit(None)
        return None


__all__ = ["LiveFrame", "PoseWorker", "Processing"]
