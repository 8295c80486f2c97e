"""Finding the people in a live feed's frames on threads of their own, ahead of the one
pipeline that tracks, smooths and draws them in order (live.LiveLoop).

The pose model is most of a frame's time. With the person found afresh in every frame (the
window's "Find the person in every frame": core.pipeline.PipelineSettings.finds_afresh) its
person detector runs on every frame too, and on a slow computer a frame then takes longer
than a 30 fps camera gives it: each frame would wait for the one before, and the picture fall
behind. A frame found afresh owes nothing to the frame before it (MediaPipe's IMAGE mode keeps
no history), so several pose models can each take the next frame as soon as they are free,
each on a thread of its own (MediaPipe releases the GIL while it works), and each frame gets
what one model alone would have found in it. Where MediaPipe follows people from frame to
frame (VIDEO mode), each frame depends on the one before: one model takes them all, in order,
and still finds the next frame while the last is drawn.

Frames are given back in the order they were taken. At most as many frames are taken and not
yet given back as there are models at work, so that the frames waiting never pile up behind a
slow consumer: the feed keeps only the newest frame, and the rest are dropped there, as before.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from desktop_app.core.closeable import Closeable
from desktop_app.core.model import PoseModel
from desktop_app.core.pipeline import Found, PipelineSettings, PoseFinder, SceneCuts
from desktop_app.media.live_feed import FeedFrame, LiveFeed

#: Pose models that find people afresh at once: one per core of the 2-core computers measured
#: (docs/performance.md, "Live view").
MODELS_FINDING_AFRESH = 2
#: Longest wait between checks of the stop flag, in seconds.
_POLL_S = 0.05


@dataclass
class _Failed:
    """A frame whose finding raised: the error goes to whoever takes the frame."""

    error: BaseException


@dataclass(frozen=True)
class _Taken:
    """A frame taken from the feed, its number in the order taken, the settings to find people
    in it with, and whether it starts a new scene."""

    number: int
    fed: FeedFrame
    settings: PipelineSettings
    new_scene: bool


class _Idle:
    """What `_take` gives a thread that the settings leave without work."""


_IDLE = _Idle()


class FindingAhead(Closeable):
    """Takes the newest frames from `feed` and finds the people in them on threads of their
    own; `next()` gives each frame with what was found, in the order taken.

    `configure()` changes the settings for the frames taken from then on. The pose model
    instances for the first settings are built before `start()` returns, so the first frame
    does not wait for them. Close it (or use `with`): the threads stop after the frame in hand.
    """

    def __init__(
        self,
        feed: LiveFeed,
        model: PoseModel,
        settings: PipelineSettings,
        models_afresh: int = MODELS_FINDING_AFRESH,
    ) -> None:
        self._feed = feed
        self._model = model
        self._models_afresh = max(1, models_afresh)
        self._state = threading.Condition()
        # Held by the one thread waiting for the feed: frames are numbered in the order taken.
        self._taking = threading.Lock()
        self._settings = settings
        self._taken = 0
        self._given = 0
        self._found: dict[int, tuple[FeedFrame, Found] | _Failed] = {}
        #: When each frame taken and not yet given left the source (time.monotonic(), s).
        self._captured_s: dict[int, float] = {}
        self._stopping = False
        #: The feed has ended and every frame it gave has been taken.
        self._feed_over = False
        #: What stopped a thread, if anything did: `next()` raises it.
        self._broken: BaseException | None = None
        self._cuts = SceneCuts()
        self._threads = [
            threading.Thread(target=self._work, args=(i,), name=f"posecam-find-{i}", daemon=True)
            for i in range(self._models_afresh)
        ]
        # Ready before the first frame: each thread that works with these settings gets one.
        self._ready: list[PoseFinder | None] = [None] * self._models_afresh
        try:
            for i in range(self._working(settings)):
                self._ready[i] = PoseFinder(model, settings)
        except BaseException:
            self._close_ready()
            raise

    def _working(self, settings: PipelineSettings) -> int:
        """How many models take frames: several only where frames are found independently."""
        return self._models_afresh if settings.finds_afresh else 1

    def start(self) -> FindingAhead:
        for thread in self._threads:
            thread.start()
        return self

    def configure(self, settings: PipelineSettings) -> None:
        """Find people with `settings` in the frames taken from now on."""
        with self._state:
            self._settings = settings
            self._state.notify_all()

    def next(self, timeout_s: float) -> tuple[FeedFrame, Found] | None:
        """The next frame in the order taken, with what was found in it; waits up to
        `timeout_s` for it. None on timeout, and once `exhausted`. Raises what finding it
        raised."""
        with self._state:
            deadline = time.monotonic() + timeout_s
            while True:
                if self._broken is not None:
                    raise self._broken
                done = self._found.pop(self._given, None)
                if done is not None:
                    self._captured_s.pop(self._given, None)
                    self._given += 1
                    self._state.notify_all()
                    if isinstance(done, _Failed):
                        raise done.error
                    return done
                remaining = deadline - time.monotonic()
                if self._exhausted() or self._stopping or remaining <= 0:
                    return None
                self._state.wait(min(remaining, _POLL_S))

    @property
    def exhausted(self) -> bool:
        """The feed has ended and every frame it gave has been given on."""
        with self._state:
            return self._exhausted()

    def _exhausted(self) -> bool:
        return self._feed_over and self._given == self._taken

    @property
    def next_captured_s(self) -> float | None:
        """When the frame `next()` gives next left the source (time.monotonic(), s), if it
        has been taken (and is being found, or found); else None."""
        with self._state:
            return self._captured_s.get(self._given)

    @property
    def waiting(self) -> int:
        """Frames taken from the feed and not yet given on (being found, or found)."""
        with self._state:
            return self._taken - self._given

    # -- the finding threads -------------------------------------------------------------

    def _take(self, index: int) -> _Taken | _Idle | None:
        """Thread `index`'s next frame; None when it is to stop, `_IDLE` when these settings
        leave it nothing to do (it may let its pose model go)."""
        while True:
            with self._state:
                # Wait for this thread's turn to work and for room among the frames waiting.
                while not (self._stopping or self._feed_over or self._may_take(index)):
                    if index >= self._working(self._settings):
                        return _IDLE
                    self._state.wait(_POLL_S)
                if self._stopping or self._feed_over:
                    return None
            with self._taking:
                while True:
                    with self._state:
                        if self._stopping:
                            return None
                        if not self._may_take(index):
                            break  # another took the room, or the settings changed: wait again
                        # The settings of the moment the frame is asked for: a thread that
                        # works only where frames are found afresh never follows people.
                        settings = self._settings
                    fed = self._feed.next_frame(timeout_s=_POLL_S)
                    if fed is None and (self._feed.ended or self._feed.stopping):
                        # The last frame may have come with the end: take it if it did.
                        fed = self._feed.next_frame(timeout_s=0.0)
                        if fed is None:
                            with self._state:
                                self._feed_over = True
                                self._state.notify_all()
                            return None
                    if fed is None:
                        continue
                    # Scene cuts are told in the order frames are taken, by one judge: each
                    # model sees only some of the frames.
                    new_scene = self._cuts.is_cut(fed.frame)
                    with self._state:
                        number, self._taken = self._taken, self._taken + 1
                        self._captured_s[number] = fed.captured_s
                    return _Taken(number, fed, settings, new_scene)

    def _may_take(self, index: int) -> bool:
        """Whether thread `index` works with these settings and a frame more may wait."""
        working = self._working(self._settings)
        return index < working and self._taken - self._given < working

    def _work(self, index: int) -> None:
        finder, self._ready[index] = self._ready[index], None
        try:
            while (taken := self._take(index)) is not None:
                if isinstance(taken, _Idle):
                    # Not needed with these settings: its model goes, a new one comes if needed.
                    if finder is not None:
                        finder.close()
                        finder = None
                    with self._state:
                        self._state.wait(_POLL_S)
                    continue
                done: tuple[FeedFrame, Found] | _Failed
                try:
                    if finder is None or finder.settings.finding != taken.settings.finding:
                        if finder is not None:
                            finder.close()
                            finder = None
                        finder = PoseFinder(self._model, taken.settings)
                    found = finder.find(taken.fed.frame, new_scene=taken.new_scene)
                    done = (taken.fed, found)
                except Exception as exc:
                    done = _Failed(exc)
                with self._state:
                    self._found[taken.number] = done
                    self._state.notify_all()
        except BaseException as exc:
            # Whatever stops a thread must reach whoever waits for its frames, not leave them
            # waiting for ever.
            with self._state:
                self._broken = self._broken or exc
                self._state.notify_all()
        finally:
            if finder is not None:
                finder.close()

    def close(self) -> None:
        """Stop the threads (each after the frame in hand) and release their pose models."""
        with self._state:
            self._stopping = True
            self._state.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()
        self._close_ready()

    def _close_ready(self) -> None:
        for i, finder in enumerate(self._ready):
            if finder is not None:
                finder.close()
                self._ready[i] = None
