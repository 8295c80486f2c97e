"""Smoothing choices the user sees: `kalman` (default), `oneeuro`, `none`.

Every choice tracks people across frames (stable ids) and gives each person a filter of its
own; see core.filters for the filters and core.tracking for the identities. `strength` runs
from 0 (off: MediaPipe's output as it is) to 1 (steadiest); 0.5 is the default.
"""

from __future__ import annotations

import math
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


def kalman_settings(strength: float) -> KalmanSettings:
    """Kalman tuning for a strength in (0, 1]: stronger trusts each measurement less (0.5
    gives the default measurement noise, 0.8 % of the person's size)."""
    return KalmanSettings(measurement_noise=_log_lerp(0.001, 0.064, strength))


def one_euro_settings(strength: float) -> OneEuroSettings:
    """One Euro tuning for a strength in (0, 1]: stronger lowers the still cut-off frequency."""
    return OneEuroSettings(min_cutoff_hz=_log_lerp(20.0, 0.2, strength))


def make_smoother(
    name: str = DEFAULT_SMOOTHING, strength: float = DEFAULT_STRENGTH, max_people: int = 1
) -> PersonTracker:
    """The smoother called `name` (one of SMOOTHING_CHOICES) at `strength` 0-1."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, not {strength}")
    tracking = TrackingSettings(max_people=max_people)
    if name == "none" or strength == 0.0:
        # Raw output: no coasting either, so what is drawn is exactly what the model said.
        return PersonTracker(
            "none", PassThroughFilter, TrackingSettings(max_coast_s=0.0, max_people=max_people)
        )
    if name == "kalman":
        settings = kalman_settings(strength)
        return PersonTracker("kalman", lambda: KalmanLandmarkFilter(settings), tracking)
    if name == "oneeuro":
        euro = one_euro_settings(strength)
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
