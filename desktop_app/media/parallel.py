"""Finding people in several parts of a video file at once, ahead of the one pipeline that
tracks, smooths, counts and draws them in order (`posecam annotate --jobs`).

The pose model is most of a frame's cost, and one model uses one core. So the file is cut
into segments by time, and each segment is searched by a pose model of its own on a thread of
its own (MediaPipe and FFmpeg release the GIL while they work), reading its part of the file
from the keyframe before it. What they find waits, a few kilobytes a frame, until the
pipeline reaches those frames. Everything that carries from frame to frame apart from the
pose model (tracking, ids, smoothing, repetitions, cues, the output files) runs once, in
order, exactly as in a serial run.

What differs from a serial run is the pose model's own history at each segment's start. A
segment's model starts `WARM_UP_MS` early, on frames whose results are dropped, so that it
is following the person by the segment's first frame. With one person found afresh in every
frame (annotate's default: core.pipeline.PipelineSettings.finds_afresh) the model keeps no
history, and the results equal a serial run's. Where MediaPipe follows people from frame to
frame (`--mediapipe-tracking`, `--smoothing none`, two or more wanted once it has found them
all) each frame depends on the frames before, and more so with one person, whose landmarks
its own filter smooths: after a seam they wander within MediaPipe's own frame-to-frame noise
of a serial run's (docs/performance.md measures how far) instead of equalling it.

A frame a segment did not give (a damaged file whose times a whole pass corrects, frames
FFmpeg drops after a seek, a segment that failed) makes the caller fall back to its own
model from that frame on: never a wrong result, at worst a serial run.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.closeable import Closeable
from desktop_app.core.frame import Frame
from desktop_app.core.pipeline import Found, PoseFinder
from desktop_app.media.sources import VideoFileSource

log = logging.getLogger(__name__)

#: A segment's pose model starts this long before the segment, on frames it finds people in
#: and drops, so that it is following them by the first frame that counts.
WARM_UP_MS = 1000.0
#: Segments are at least this long (shorter ones would spend much of their work warming up
#: and loading a model)...
MIN_SEGMENT_S = 3.0
#: ... and at most this long (longer ones balance the work less well between threads, and
#: their results wait longer for the pipeline).
MAX_SEGMENT_S = 30.0


def segment_starts_ms(duration_s: float, jobs: int) -> list[float]:
    """Where the segments of a video `duration_s` long start, in milliseconds: at least one
    per job, none shorter than MIN_SEGMENT_S or longer than MAX_SEGMENT_S (when the other
    rules allow). One start (0) means: not worth cutting."""
    if jobs < 2 or not duration_s > 0:
        return [0.0]
    most = max(1, math.floor(duration_s / MIN_SEGMENT_S))
    # A whole number of segments per job where possible: the threads finish together, where
    # one segment too many would leave the other threads idle while one searches it.
    count = min(jobs * math.ceil(duration_s / (MAX_SEGMENT_S * jobs)), most)
    return [duration_s * 1000.0 * k / count for k in range(count)]


@dataclass
class _Segment:
    start_ms: float
    until_ms: float
    #: Found people by frame time, filled by a worker, emptied by the caller.
    found: dict[float, Found] = field(default_factory=dict)
    #: The latest frame time searched (warm-up frames included).
    reached_ms: float = -math.inf
    done: bool = False
    failed: BaseException | None = None


class SegmentFinders(Closeable):
    """`jobs` threads finding people in the segments of one video file, in order, a few
    segments ahead of the caller; `found(frame)` hands their result for each frame in turn.

    `new_finder` makes a finder with the pipeline's settings (`PosePipeline.new_finder`).
    Close it (or use `with`): the threads stop and their models are released.
    """

    def __init__(
        self,
        path: Path,
        starts_ms: list[float],
        new_finder: Callable[[], PoseFinder],
        jobs: int,
        warm_up_ms: float = WARM_UP_MS,
    ) -> None:
        self.path = path
        self.warm_up_ms = warm_up_ms
        self._new_finder = new_finder
        ends = [*starts_ms[1:], math.inf]
        self._segments = [_Segment(a, b) for a, b in zip(starts_ms, ends, strict=True)]
        self._starts = list(starts_ms)
        self._changed = threading.Condition()
        self._next = 0  # the next segment a worker takes
        self._current = 0  # the segment the caller is in
        self._stop = False
        #: Why the caller was told to find people itself from some frame on, if it was.
        self.gave_up: str | None = None
        #: How many threads search at once.
        self.jobs = max(1, min(jobs, len(starts_ms)))
        self._threads = [
            threading.Thread(target=self._work, name=f"posecam-find-{k}", daemon=True)
            for k in range(self.jobs)
        ]
        try:
            for thread in self._threads:
                thread.start()
        except BaseException:
            # A thread that could not start (or Ctrl+C meanwhile): stop those that did.
            self.close()
            raise

    # -- the caller's side -------------------------------------------------------------

    def found(self, frame: Frame) -> Found | None:
        """What the segments found in `frame` (waiting for it if need be); None when they
        did not find it, and from then on: the caller finds people itself from here."""
        if self.gave_up is not None:
            return None
        k = bisect.bisect_right(self._starts, frame.time_ms) - 1
        with self._changed:
            if k != self._current:
                for old in self._segments[self._current : k]:
                    old.found.clear()
                self._current = k
                self._changed.notify_all()
            segment = self._segments[k]
            while (
                frame.time_ms not in segment.found
                and not segment.done
                and segment.reached_ms < frame.time_ms
            ):
                self._changed.wait()
            result = segment.found.pop(frame.time_ms, None)
        if result is None:
            why = repr(segment.failed) if segment.failed else "not among the segment's frames"
            self.give_up(f"frame at {frame.time_ms:.0f} ms: {why}")
        return result

    def give_up(self, why: str) -> None:
        """Stop the segments; `found` gives None from now on (the caller finds people)."""
        log.info("%s: finding people in segments stopped (%s); one model goes on", self.path, why)
        self.gave_up = why
        self.close()

    # -- the workers' side -------------------------------------------------------------

    def _take(self) -> int | None:
        """The next segment to search, once it is at most two segments per thread ahead of
        the caller (so that waiting results stay few: a few megabytes); None when there is
        none or on close."""
        with self._changed:
            while not self._stop and self._next - self._current > 2 * len(self._threads):
                self._changed.wait()
            if self._stop or self._next >= len(self._segments):
                return None
            self._next += 1
            return self._next - 1

    def _work(self) -> None:
        while (k := self._take()) is not None:
            segment = self._segments[k]
            try:
                self._search(segment)
            except BaseException as exc:  # handed to the caller, who falls back
                segment.failed = exc
            finally:
                with self._changed:
                    segment.done = True
                    self._changed.notify_all()

    def _search(self, segment: _Segment) -> None:
        from_ms = max(0.0, segment.start_ms - self.warm_up_ms) if segment.start_ms else 0.0
        with VideoFileSource(self.path) as source, self._new_finder() as finder:
            for frame in source.frames_from(from_ms, segment.until_ms):
                if self._stop:
                    return
                if frame.time_ms <= segment.reached_ms:
                    # Times that repeat or go back: which result is whose cannot be told.
                    raise ValueError(f"frame times go back at {frame.time_ms:.0f} ms")
                result = finder.find(frame)
                with self._changed:
                    if frame.time_ms >= segment.start_ms:
                        segment.found[frame.time_ms] = result
                    segment.reached_ms = frame.time_ms
                    self._changed.notify_all()

    def close(self) -> None:
        """Stop the threads and release their models. Safe to call twice."""
        with self._changed:
            self._stop = True
            self._changed.notify_all()
        for thread in self._threads:
            # Never started (close after a failed start) or already done: nothing to wait for.
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join()
        # What was found and not taken yet is not wanted now: let go of it.
        with self._changed:
            for segment in self._segments:
                segment.found.clear()


__all__ = ["MAX_SEGMENT_S", "MIN_SEGMENT_S", "WARM_UP_MS", "SegmentFinders", "segment_starts_ms"]
