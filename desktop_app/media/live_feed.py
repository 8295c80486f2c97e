"""A source read on its own thread, keeping only the newest frame: what the live view needs.

A camera keeps producing frames whether or not anyone is ready for them. If the pose stage is
slower than the camera for a moment, the frames it could not take must be dropped, not queued:
a queue would make the skeleton fall further and further behind the person. `LiveFeed` reads
the source on a thread of its own and holds exactly one frame, the newest; `next_frame()` waits
for a frame newer than the last one taken.

Video files are released at their own frame rate (the file plays as a camera would), can be
paused, and loop if asked: each pass continues the timeline, so time never runs backwards. A
still image is offered again a few times a second, so that changed settings show on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from desktop_app.core.frame import Frame
from desktop_app.errors import InputError, PoseCamError
from desktop_app.media.sources import FrameSource, ImageSource

# How often a still image is offered again, in frames per second.
_STILL_IMAGE_FPS = 5.0
# Longest sleep between checks of the stop flag, in seconds: stopping must take well under one.
_POLL_S = 0.05


@dataclass(frozen=True, eq=False)
class FeedFrame:
    """A frame and the moment it was taken from the source (time.monotonic(), seconds)."""

    frame: Frame
    captured_s: float


@dataclass(frozen=True)
class FeedInfo:
    """What is known of the source once it is open."""

    name: str
    size: tuple[int, int] | None
    fps: float | None
    is_live: bool
    is_still: bool
    #: How the source's frames were turned upright (phone videos): counterclockwise degrees
    #: (0, 90, 180, 270) after mirroring or not, as FrameSource says.
    rotation: int = 0
    mirrored: bool = False


class LiveFeed:
    """Reads `open_source()` on a background thread; `next_frame()` gives the newest frame.

    `open_source` is called on the reading thread, so a slow camera start does not block
    the caller. A problem with the source ends the feed: `next_frame()` then returns None and
    `problem` says what happened (one line, naming the source).
    """

    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        loop: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open_source = open_source
        self.loop = loop
        self._clock = clock
        self._lock = threading.Condition()
        self._newest: FeedFrame | None = None
        self._taken_index = -1
        self._published = 0
        self._stopping = False
        self._ended = False
        self._paused = False
        self.info: FeedInfo | None = None
        self.problem: str | None = None
        #: Frames the source gave that were replaced before anyone took them.
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="posecam-feed", daemon=True)

    def start(self) -> LiveFeed:
        self._thread.start()
        return self

    # -- the consumer's side -------------------------------------------------------------

    def next_frame(self, timeout_s: float | None = None) -> FeedFrame | None:
        """The newest frame not yet taken; waits for one. None when the feed has ended (or on
        timeout)."""
        deadline = None if timeout_s is None else self._clock() + timeout_s
        with self._lock:
            while True:
                if self._newest is not None and self._published - 1 > self._taken_index:
                    self._taken_index = self._published - 1
                    return self._newest
                if self._ended or self._stopping:
                    return None
                remaining = None if deadline is None else deadline - self._clock()
                if remaining is not None and remaining <= 0:
                    return None
                self._lock.wait(_POLL_S if remaining is None else min(remaining, _POLL_S))

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def stopping(self) -> bool:
        """`stop()` was called: no frame will come any more."""
        return self._stopping

    @property
    def paused(self) -> bool:
        return self._paused

    def set_paused(self, paused: bool) -> None:
        """Pause or resume a video file (live sources cannot be paused: they keep going)."""
        with self._lock:
            self._paused = paused
            self._lock.notify_all()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop reading and release the source; returns once the thread has finished."""
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    # -- the reading thread --------------------------------------------------------------

    def _publish(self, frame: Frame) -> None:
        with self._lock:
            if self._newest is not None and self._published - 1 > self._taken_index:
                self.dropped += 1
            self._newest = FeedFrame(frame, self._clock())
            self._published += 1
            self._lock.notify_all()

    def _wait_while_paused(self) -> float:
        """Block while paused; returns how long the pause lasted, in seconds."""
        started = self._clock()
        with self._lock:
            while self._paused and not self._stopping:
                self._lock.wait(_POLL_S)
        return self._clock() - started

    def _sleep_until(self, due_s: float) -> None:
        while not self._stopping:
            remaining = due_s - self._clock()
            if remaining <= 0:
                return
            with self._lock:
                self._lock.wait(min(remaining, _POLL_S))

    def _run(self) -> None:
        try:
            self._read_all()
        except PoseCamError as exc:
            self.problem = str(exc)
        except Exception as exc:  # a device or decoder failing in a way we did not foresee
            self.problem = f"the source failed: {type(exc).__name__}: {exc}"
        finally:
            with self._lock:
                self._ended = True
                self._lock.notify_all()

    def _read_all(self) -> None:
        offset_ms = 0.0
        index = 0
        first_pass = True
        while not self._stopping:
            source = self._open_source()
            try:
                still = isinstance(source, ImageSource)
                if first_pass:
                    self.info = FeedInfo(
                        source.name,
                        source.size,
                        source.fps,
                        source.is_live,
                        still,
                        source.rotation,
                        source.mirrored,
                    )
                frames = self._still_frames(source) if still else iter(source)
                last = self._play(frames, source.is_live or still, offset_ms, index)
            finally:
                source.close()
            if last is None or source.is_live or still or not self.loop:
                return
            # The next pass continues the timeline one frame period after the last frame.
            period_ms = 1000.0 / (source.fps or 30.0)
            offset_ms, index = last[0] + period_ms, last[1] + 1
            first_pass = False

    def _still_frames(self, source: FrameSource) -> Iterator[Frame]:
        (frame,) = list(source)
        period_s = 1.0 / _STILL_IMAGE_FPS
        started = self._clock()
        n = 0
        while not self._stopping:
            yield replace(frame, time_ms=n * period_s * 1000.0, index=n)
            n += 1
            self._sleep_until(started + n * period_s)

    def _play(
        self, frames: Iterator[Frame], is_live: bool, offset_ms: float, first_index: int
    ) -> tuple[float, int] | None:
        """Publish the frames, paced by their timestamps unless the source is live itself.
        Returns the (time_ms, index) of the last frame published, or None if stopped."""
        anchor_s: float | None = None
        first_ms = 0.0
        last: tuple[float, int] | None = None
        try:
            for frame in frames:
                if self._stopping:
                    return None
                if not is_live:
                    if self._paused:
                        paused_for = self._wait_while_paused()
                        if anchor_s is not None:
                            anchor_s += paused_for
                    if anchor_s is None:
                        anchor_s, first_ms = self._clock(), frame.time_ms
                    self._sleep_until(anchor_s + (frame.time_ms - first_ms) / 1000.0)
                    if self._stopping:
                        return None
                shifted = replace(
                    frame,
                    time_ms=frame.time_ms + offset_ms,
                    index=frame.index + first_index,
                    # A loop's first frame: the people there are not where the last pass ended.
                    new_scene=last is None and first_index > 0,
                )
                self._publish(shifted)
                last = (shifted.time_ms, shifted.index)
        except InputError as exc:
            if last is None or exc.frames_read is None:
                raise
            # A file that breaks part way: what was shown stays shown; say where it broke.
            self.problem = str(exc)
            return None
        return last


__all__ = ["FeedFrame", "FeedInfo", "LiveFeed"]
