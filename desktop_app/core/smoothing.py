"""Smoothing choices the user sees: `kalman` (default), `oneeuro`, `none`.

Every choice tracks people across frames (stable ids) and gives each person a filter of its
own; see core.filters for the filters and core.tracking for the identities. `strength` runs
from 0 (off: MediaPipe's output as it is) to 1 (steadiest); 0.5 is the default.

Where a frame can wait to be shown, `LookAhead` holds it a few frames and `kalman` revises its
landmarks with what those frames showed: no filter that sees only the past can follow the
start of a fast move, one that sees a little ahead can. `posecam annotate` looks a fifth of a
second ahead with one person and a tenth with more (default_look_ahead_s); the window, with
"Look a frame ahead" on, one frame (LIVE_LOOK_AHEAD_FRAMES).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Generic, Protocol, TypeVar

from desktop_app.core.filters import (
    KalmanLandmarkFilter,
    KalmanSettings,
    OneEuroLandmarkFilter,
    OneEuroSettings,
    PassThroughFilter,
)
from desktop_app.core.frame import PersonPose
from desktop_app.core.tracking import (
    RAW_TRACKING,
    PersonTracker,
    TrackedPerson,
    TrackingSettings,
)

SMOOTHING_CHOICES = ("kalman", "oneeuro", "none")
DEFAULT_SMOOTHING = "kalman"
DEFAULT_STRENGTH = 0.5


class Smoother(Protocol):
    """Anything that turns one frame's detections into tracked, smoothed people."""

    name: str

    def update(self, people: list[PersonPose], time_ms: float) -> list[TrackedPerson]:
        """Take the raw people of the frame captured at `time_ms` (strictly increasing)."""
        ...

    def reset(self) -> None:
        """Forget all people and history, e.g. when the source changes."""
        ...


def _log_lerp(at_zero: float, at_one: float, strength: float) -> float:
    return math.exp(math.log(at_zero) + (math.log(at_one) - math.log(at_zero)) * strength)


def kalman_settings(strength: float) -> KalmanSettings:
    """Kalman tuning for a strength in (0, 1]: stronger trusts each measurement less (0.5
    gives the defaults of KalmanSettings, a measurement noise of 0.5 % of the person's size).

    The noise is what both models weigh a measurement by and what the motion test compares
    surprises with, so a higher strength steadies a still pose and also follows a moving limb
    later. Measured with benchmarks/trust.py on real footage (median over the clips, against
    MediaPipe's own output, --num-poses 2): still jitter 0.40x at 0.3, 0.21x at 0.5, 0.13x at
    0.7, 0.10x at 0.9, while the deviation on the fastest moves goes 0.98x, 1.02x, 1.19x,
    1.74x (docs/smoothing.md, "Strength"). The same values serve `--num-poses 1` (MediaPipe
    has already smoothed) and 2 or more: the motion test judges each landmark by what it
    sees, not by who smoothed it.
    """
    return KalmanSettings(measurement_noise=_log_lerp(0.001, 0.025, strength))


def one_euro_settings(strength: float) -> OneEuroSettings:
    """One Euro tuning for a strength in (0, 1]: stronger lowers the still cut-off frequency
    (0.5 gives the default, 0.4 Hz)."""
    return OneEuroSettings(min_cutoff_hz=_log_lerp(10.0, 0.016, strength))


def make_smoother(
    name: str = DEFAULT_SMOOTHING,
    strength: float = DEFAULT_STRENGTH,
    max_people: int = 1,
    *,
    settings: KalmanSettings | OneEuroSettings | None = None,
    look_ahead_frames: int = 0,
    newcomers_wait: bool = False,
) -> PersonTracker:
    """The smoother called `name` (one of SMOOTHING_CHOICES) at `strength` 0-1.

    `settings` replaces what `strength` would choose, for those who tune the advanced
    parameters themselves (it must suit `name`). `look_ahead_frames`: how many frames later
    `kalman`'s people may still be revised (TrackedPerson.revised; see LookAhead).
    `newcomers_wait`: see TrackingSettings (ignored without smoothing, which tracks nobody
    beyond what the model said).
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, not {strength}")
    tracking = TrackingSettings(max_people=max_people, newcomers_wait=newcomers_wait)
    if not smooths(name, strength):
        return PersonTracker("none", PassThroughFilter, RAW_TRACKING.with_people(max_people))
    if name == "kalman":
        # MediaPipe filters its own output only when it looks for one person.
        kalman = settings or kalman_settings(strength)
        if not isinstance(kalman, KalmanSettings):
            raise TypeError("kalman smoothing needs KalmanSettings")
        return PersonTracker(
            "kalman", lambda: KalmanLandmarkFilter(kalman, look_ahead_frames), tracking
        )
    if name == "oneeuro":
        euro = settings or one_euro_settings(strength)
        if not isinstance(euro, OneEuroSettings):
            raise TypeError("oneeuro smoothing needs OneEuroSettings")
        return PersonTracker("oneeuro", lambda: OneEuroLandmarkFilter(euro), tracking)
    raise ValueError(f"unknown smoothing {name!r}; choose from {', '.join(SMOOTHING_CHOICES)}")


#: How far ahead `posecam annotate` looks before drawing a frame, in seconds (LookAhead), when
#: it looks for two or more people or lets MediaPipe follow one ...
LOOK_AHEAD_S = 0.1
#: ... and when it finds one person afresh in every frame (its default). Looking further
#: ahead steadies a still person and smooths the fastest moves a little more: on the shared
#: clips, 0.2 s against 0.1 s took still jitter from 0.55x / 0.52x MediaPipe's own output to
#: 0.39x / 0.32x (drinking, taiji) and raised the deviation on the fastest moves by up to a
#: fifth (0.32x -> 0.39x on the drinking clip). With one person that leaves every target of
#: benchmarks/trust.py met; with two, `none` is the detections themselves and the same fifth
#: takes four clips past them (docs/smoothing.md, "Looking ahead in `posecam annotate`").
LOOK_AHEAD_ONE_PERSON_S = 0.2


def default_look_ahead_s(finds_afresh: bool) -> float:
    """How far ahead `posecam annotate` looks by default, in seconds: further when the one
    person wanted is found afresh in every frame (core.pipeline.PipelineSettings.finds_afresh,
    where that rule is kept) than with two or more, or one MediaPipe follows."""
    return LOOK_AHEAD_ONE_PERSON_S if finds_afresh else LOOK_AHEAD_S


#: Frames the window holds each frame for with "Look a frame ahead" (Settings.look_ahead), so
#: that `kalman` revises it with the next: one frame (33 ms at 30 fps) takes most of what
#: three (a tenth of a second, as annotate looks ahead with two people) gain on fast limbs
#: (benchmarks/trust.py --window-look-ahead; docs/smoothing.md), and is as much delay as a
#: live view can take. The picture waits with its skeleton, so the two stay together.
LIVE_LOOK_AHEAD_FRAMES = 1
#: ... but a frame waits for the next until this long after it was captured at most, in
#: seconds, and a still picture or a source whose frames come further apart than this shows
#: each frame at once (live.LiveLoop).
LIVE_LONGEST_WAIT_S = 0.1
#: ... and once the next has come within that, for the people in it to be found, until this
#: long after it was captured at most: finding takes longer than a frame's time on a busy
#: computer (recording, on 2 cores), where a frame that would not wait for it would never be
#: revised.
LIVE_LONGEST_HOLD_S = 0.2


def live_frames_wait(fps: float | None) -> bool:
    """Whether a live source's frame may wait for the next: its next frame is due within
    LIVE_LONGEST_WAIT_S (an unknown rate is given the benefit of the doubt: the wait is
    bounded anyway)."""
    return fps is None or fps * LIVE_LONGEST_WAIT_S >= 1.0


def smooths(name: str, strength: float) -> bool:
    """Whether `make_smoother(name, strength)` smooths and tracks at all: not `none`, and
    not at strength 0, which is `none` too (MediaPipe's output as it is)."""
    return name != "none" and strength > 0.0


def revises(name: str, strength: float) -> bool:
    """Whether the smoother `make_smoother(name, strength)` builds can revise what it showed
    (TrackedPerson.revised): only `kalman`, and not at strength 0 (no smoothing at all)."""
    return name == "kalman" and strength > 0.0


def look_ahead_frames(look_ahead_s: float, fps: float) -> int:
    """Frames to hold for looking `look_ahead_s` ahead at `fps`: at least one when looking
    ahead at all, and at most 12 (each frame held costs every later one a step back)."""
    if look_ahead_s <= 0.0:
        return 0
    return max(1, min(12, round(look_ahead_s * fps)))


Held = TypeVar("Held")


class LookAhead(Generic[Held]):
    """Holds each frame (whatever the caller keeps of it) with its tracked people for
    `frames` more frames, then gives them back with the people revised by what those frames
    showed (TrackedPerson.revised). The smoother must keep as many steps
    (`make_smoother(look_ahead_frames=...)`). 0 frames: each frame back at once, unrevised.
    """

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self._held: deque[tuple[Held, list[TrackedPerson]]] = deque()
        #: Revised and not yet given back.
        self._ready: deque[tuple[Held, list[TrackedPerson]]] = deque()

    def add(
        self, item: Held, people: list[TrackedPerson]
    ) -> list[tuple[Held, list[TrackedPerson]]]:
        """Hold `item`; give back those now `frames` frames old, oldest first."""
        self._held.append((item, people))
        return self._release_beyond(self.frames)

    @property
    def count(self) -> int:
        """How many frames are held."""
        return len(self._held) + len(self._ready)

    def flush(self) -> list[tuple[Held, list[TrackedPerson]]]:
        """Everything still held, revised with what there is (at the end, before a reset)."""
        return self._release_beyond(0)

    def _release_beyond(self, frames: int) -> list[tuple[Held, list[TrackedPerson]]]:
        # A frame leaves the queue only once revised, and the revised wait until all are:
        # stopped part way (Ctrl+C during a revision), the next call gives them, none lost.
        while len(self._held) > frames:
            item, people = self._held[0]
            self._ready.append((item, [p.revised() for p in people]))
            self._held.popleft()
        out = list(self._ready)
        self._ready.clear()
        return out


__all__ = [
    "DEFAULT_SMOOTHING",
    "DEFAULT_STRENGTH",
    "LIVE_LONGEST_HOLD_S",
    "LIVE_LONGEST_WAIT_S",
    "LIVE_LOOK_AHEAD_FRAMES",
    "LOOK_AHEAD_ONE_PERSON_S",
    "LOOK_AHEAD_S",
    "SMOOTHING_CHOICES",
    "LookAhead",
    "Smoother",
    "TrackedPerson",
    "default_look_ahead_s",
    "live_frames_wait",
    "look_ahead_frames",
    "make_smoother",
    "revises",
    "smooths",
]
