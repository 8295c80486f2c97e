"""The live loop: newest frame from the source -> PosePipeline -> recording and the screen.

Qt-free, so it is tested without a window and can serve a web page as well as the window.
Whoever runs it (the window's worker thread) talks to it only through `LiveControl`:
commands go on a queue from any thread and are applied between frames, in the order given,
so a start or stop of a recording is never lost or half-applied. What the loop has to say
goes to a `LiveListener`, called on the loop's own thread.
"""

from __future__ import annotations

import logging
import math
import queue
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from desktop_app.core.metrics import MeanMeter, RateMeter
from desktop_app.core.model import PoseModel
from desktop_app.core.pipeline import FrameResult, PipelineSettings, PosePipeline, RepState
from desktop_app.core.smoothing import LIVE_LONGEST_HOLD_S, LIVE_LONGEST_WAIT_S, live_frames_wait
from desktop_app.errors import PoseCamError
from desktop_app.media.finding_ahead import FindingAhead
from desktop_app.media.keypoints import keypoints_header
from desktop_app.media.live_feed import FeedFrame, FeedInfo, LiveFeed
from desktop_app.media.recorder import Recorder, RecordingPaths, RecordingStatus
from desktop_app.media.reps_table import reps_table_path, write_reps_table
from desktop_app.media.sources import FrameSource

_log = logging.getLogger(__name__)

#: How long the loop waits for a frame before it looks at its commands again, in seconds.
_POLL_S = 0.1


@dataclass(frozen=True, eq=False)
class LiveResult:
    """One processed frame and how the live session is going. Never changed after it is made."""

    result: FrameResult
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

    @property
    def reps(self) -> Mapping[int, RepState] | None:
        """With an exercise chosen: per person id, (repetitions, stage, angle in degrees)."""
        return self.result.reps


class LiveListener(Protocol):
    """What the loop tells whoever runs it. Called on the loop's thread."""

    def on_source_opened(self, info: FeedInfo) -> None: ...

    def on_result(self, live: LiveResult) -> None: ...

    def on_recording_changed(self, path: Path | None) -> None: ...

    def on_recording_problem(self, message: str) -> None: ...


class LiveControl:
    """Commands for a running `LiveLoop`, safe to give from any thread."""

    def __init__(self) -> None:
        self._commands: queue.SimpleQueue[Callable[[LiveLoop], None]] = queue.SimpleQueue()
        self.stopping = False

    def configure(self, settings: PipelineSettings) -> None:
        """Process and draw with `settings` from the next frame on."""
        self._commands.put(lambda loop: loop.configure(settings))

    def reset_reps(self) -> None:
        self._commands.put(lambda loop: loop.pipeline.reset_reps())

    def set_paused(self, paused: bool) -> None:
        self._commands.put(lambda loop: loop.feed.set_paused(paused))

    def start_recording(self, paths: RecordingPaths) -> None:
        self._commands.put(lambda loop: loop.start_recording(paths))

    def stop_recording(self) -> None:
        self._commands.put(lambda loop: loop.stop_recording())

    def stop(self) -> None:
        """Ask the loop to end after the frame in hand."""
        self.stopping = True
        self._commands.put(lambda loop: loop.feed.stop(timeout_s=0.0))

    def apply(self, loop: LiveLoop) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            command(loop)


@dataclass(frozen=True)
class LiveEnd:
    """How the loop ended: asked to stop, the source came to its end, or a problem."""

    stopped: bool
    ended: bool
    problem: str | None


class LiveLoop:
    """Runs the pipeline on the newest frames of `open_source()` until stopped or the source
    ends. Owns the feed, the pipeline and any recording; `run()` releases them all.

    With the settings' `look_ahead_frames`, each frame is shown (and recorded) once the next
    is in, its people revised with what followed, or LIVE_LONGEST_WAIT_S after it was
    captured without one (a paused video, a camera that stalls; a next that came by then is
    waited for while its people are found, until LIVE_LONGEST_HOLD_S); a still picture and a source
    slower than one frame per LIVE_LONGEST_WAIT_S show each frame at once (waiting would
    only delay it); at the source's end every frame is shown. A stop ends with the frame last
    shown."""

    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        settings: PipelineSettings,
        model: PoseModel,
        listener: LiveListener,
        control: LiveControl,
        loop_video: bool = True,
        paused: bool = False,
    ) -> None:
        self.listener = listener
        self.control = control
        self.model = model
        # The people in each frame are found on threads of their own (media.finding_ahead),
        # so the pipeline needs no pose model of its own.
        self.pipeline = PosePipeline(model, settings, load_now=False)
        self.feed = LiveFeed(open_source, loop=loop_video)
        self.feed.set_paused(paused)
        # The pose model is ready before the first frame arrives, so none is skipped for it.
        self.finding = FindingAhead(self.feed, model, settings)
        self.recorder: Recorder | None = None
        self._fps, self._inference = RateMeter(), MeanMeter()
        #: The frames taken and not yet shown, oldest first: each result is the oldest's.
        self._taken: deque[FeedFrame] = deque()

    def configure(self, settings: PipelineSettings) -> None:
        """Process and draw with `settings` from the next frame on; people are found with
        them in the frames taken from now on."""
        self.pipeline.configure(settings)
        self.finding.configure(settings)

    def run(self) -> LiveEnd:
        feed, pipeline, finding = self.feed, self.pipeline, self.finding
        opened = False
        try:
            feed.start()
            finding.start()
            while not self.control.stopping:
                self.control.apply(self)
                got = finding.next(timeout_s=self._wait_s())
                if not opened and feed.info is not None:
                    opened = True
                    self.listener.on_source_opened(feed.info)
                if got is None:
                    if self.control.stopping:
                        break
                    # No newer frame yet (paused, a slow camera) or ever (the end): show the
                    # frames held rather than keep them waiting.
                    self._show(pipeline.flush())
                    if finding.exhausted:
                        break
                    continue
                fed, found = got
                # Commands given while the frame was awaited apply to it (its people were
                # found with the settings of when it was taken).
                self.control.apply(self)
                self._taken.append(fed)
                self._show(pipeline.process_held(fed.frame, found=found))
                if not self._waits() and not self.control.stopping:
                    self._show(pipeline.flush())
        finally:
            feed.stop()
            finding.close()
            # Every way out (stop, source ended, an error) finalises the recording.
            self.stop_recording()
            pipeline.close()
        return LiveEnd(self.control.stopping, feed.ended, feed.problem)

    def _waits(self) -> bool:
        """Whether a frame may wait for the next: not for a still picture, nor a source whose
        next frame is due later than LIVE_LONGEST_WAIT_S."""
        info = self.feed.info
        return info is not None and not info.is_still and live_frames_wait(info.fps)

    def _wait_s(self) -> float:
        """How long to wait for a frame: a frame held waits for the next until
        LIVE_LONGEST_WAIT_S after it was captured, and, if the next came by then, for its
        people to be found until LIVE_LONGEST_HOLD_S after."""
        if not self._taken:
            return _POLL_S
        held_s = self._taken[0].captured_s
        coming_s = self.finding.next_captured_s
        came = coming_s is not None and coming_s <= held_s + LIVE_LONGEST_WAIT_S
        longest_s = LIVE_LONGEST_HOLD_S if came else LIVE_LONGEST_WAIT_S
        return max(0.0, held_s + longest_s - time.monotonic())

    @property
    def frames_held(self) -> int:
        """Frames whose people are found, held for the look-ahead and not yet shown."""
        return len(self._taken)

    @property
    def frames_waiting(self) -> int:
        """Frames taken from the source and not yet shown: being found, or held for the
        look-ahead."""
        return self.frames_held + self.finding.waiting

    def _show(self, results: list[FrameResult]) -> None:
        """Record and hand on the results now due, oldest first."""
        for result in results:
            fed = self._taken.popleft()
            now = time.monotonic()
            self._fps.tick(now)
            self._inference.add(result.inference_ms)
            recorder = self.recorder
            if recorder is not None:
                recorder.submit(
                    result.index, result.time_ms, result.annotated, fed.frame.rgb, result.people
                )
                if recorder.problem is not None:
                    # A full disk, a removed drive, a deleted folder: the recording stops
                    # (its files already cut back or saved again), the view goes on.
                    self.stop_recording()
            self.listener.on_result(
                LiveResult(
                    result=result,
                    captured_s=fed.captured_s,
                    processed_s=now,
                    processing_fps=self._fps.rate(),
                    inference_ms=self._inference.value,
                    dropped_frames=self.feed.dropped,
                    recording=self.recorder.status() if self.recorder is not None else None,
                )
            )
            if self.control.stopping:
                return  # asked to stop on this result: it is the last one shown

    def start_recording(self, paths: RecordingPaths) -> None:
        """Record from the next frame on (a recording already going is finished first)."""
        self.stop_recording()
        info = self.feed.info
        s = self.pipeline.settings
        header = keypoints_header(
            info.name if info else "",
            info.size if info else None,
            info.fps if info else None,
            self.model.name,
            self.model.sha256,
            s.smoothing,
            s.smoothing_strength,
            rotated_deg=info.rotation if info else None,
            mirrored=info.mirrored if info else None,
            look_ahead_frames=s.look_ahead_frames if self._waits() else 0,
            found_afresh=s.finds_afresh,
        )
        try:
            self.recorder = Recorder(paths, (info.fps if info else None) or 30.0, header)
        except PoseCamError as exc:
            # The live view goes on; only the recording could not start.
            self._recording_problem(str(exc))
            return
        self.listener.on_recording_changed(paths.video)

    def _recording_problem(self, message: str) -> None:
        """Tell the window, and the terminal too: a recording that stopped must not go
        unnoticed when the window is hidden, or be forgotten when the status line clears."""
        _log.warning("recording stopped: %s", message)
        self.listener.on_recording_problem(message)

    def _write_reps_table(self, recorder: Recorder, started_s: float) -> None:
        reps = self.pipeline.reps
        if reps is None or recorder.frames_kept == 0:
            return
        paths = recorder.paths
        try:
            write_reps_table(
                reps_table_path(paths.keypoints or paths.video), reps.reps_since(started_s)
            )
        except PoseCamError as exc:
            self._recording_problem(str(exc))

    def stop_recording(self) -> None:
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            # The count goes into the recording's keypoints, as annotate's does, and each
            # repetition into a table beside them: those done while it ran (the count on
            # screen may have begun long before), on the recording's own timeline.
            started_s = recorder.started_s
            started_s = math.inf if started_s is None else started_s
            recorder.close(self.pipeline.rep_summary(since_s=started_s))
            self._write_reps_table(recorder, started_s)
            self.listener.on_recording_changed(None)
            if recorder.problem is not None:
                # Said after the change, so it is the last word on this recording.
                self._recording_problem(recorder.problem)


__all__ = ["LiveControl", "LiveEnd", "LiveListener", "LiveLoop", "LiveResult"]
