"""Smoothing choices the user sees: `kalman` (default), `oneeuro`, `none`.

Every choice tracks people across frames (stable ids) and gives each person a filter of its
own; see core.filters for the filters and core.tracking for the identities. `strength` runs
from 0 (off: MediaPipe's output as it is) to 1 (steadiest); 0.5 is the default.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Protocol

from desktop_app.core.filters import (
    KalmanLandmarkFilter,
    KalmanSettings,
    OneEuroLandmarkFilter,
    OneEuroSettings,
    PassThroughFilter,
)
from desktop_app.core.pose import PersonPose
from desktop_app.core.tracking import PersonTracker, TrackedPerson, TrackingSettings

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


# Body acceleration (see KalmanSettings) when MediaPipe has already smoothed the landmarks.
_BODY_ACCELERATION_AFTER_MODEL_FILTER = 7.0


def kalman_settings(strength: float, model_smooths: bool = False) -> KalmanSettings:
    """Kalman tuning for a strength in (0, 1]: stronger trusts each measurement less (0.5
    gives the default measurement noise, 3 % of the person's size).

    `model_smooths`: MediaPipe has already run its own One Euro filter on the landmarks (it
    does with `num_poses=1`). Its output then follows body motion late and catches up in
    jumps; a second low-pass on the body as a whole would add its lag to MediaPipe's, so the
    body is followed closely and only the posture is smoothed hard.
    """
    settings = KalmanSettings(measurement_noise=_log_lerp(0.003, 0.3, strength))
    if model_smooths:
        settings = replace(settings, body_acceleration=_BODY_ACCELERATION_AFTER_MODEL_FILTER)
    return settings


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
) -> PersonTracker:
    """The smoother called `name` (one of SMOOTHING_CHOICES) at `strength` 0-1.

    `settings` replaces what `strength` would choose, for those who tune the advanced
    parameters themselves (it must suit `name`).
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, not {strength}")
    tracking = TrackingSettings(max_people=max_people)
    if name == "none" or strength == 0.0:
        # Raw output: no coasting either, so what is drawn is exactly what the model said.
        return PersonTracker(
            "none", PassThroughFilter, TrackingSettings(max_coast_s=0.0, max_people=max_people)
        )
    if name == "kalman":
        # MediaPipe filters its own output only when it looks for one person.
        kalman = settings or kalman_settings(strength, model_smooths=max_people == 1)
        if not isinstance(kalman, KalmanSettings):
            raise TypeError("kalman smoothing needs KalmanSettings")
        return PersonTracker("kalman", lambda: KalmanLandmarkFilter(kalman), tracking)
    if name == "oneeuro":
        euro = settings or one_euro_settings(strength)
        if not isinstance(euro, OneEuroSettings):
            raise TypeError("oneeuro smoothing needs OneEuroSettings")
        return PersonTracker("oneeuro", lambda: OneEuroLandmarkFilter(euro), tracking)
    raise ValueError(f"unknown smoothing {name!r}; choose from {', '.join(SMOOTHING_CHOICES)}")


__all__ = [
    "DEFAULT_SMOOTHING",
    "DEFAULT_STRENGTH",
    "SMOOTHING_CHOICES",
    "Smoother",
    "TrackedPerson",
    "make_smoother",
]
