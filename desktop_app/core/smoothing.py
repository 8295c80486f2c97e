"""Turning each frame's raw detections into steady, identified people.

A smoother receives the raw people of one frame with the frame's time and returns
`TrackedPerson`s: a stable id, the landmarks to draw and export, and the raw landmarks
kept for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from desktop_app.core.pose import PersonPose


@dataclass(frozen=True, eq=False)
class TrackedPerson:
    """A person in one frame after smoothing."""

    #: Stable across frames while the person stays in view.
    id: int
    #: (33, 4) x_px, y_px, z, visibility after smoothing (see core.pose for the spaces).
    landmarks_px: np.ndarray
    #: (33, 4) as the model gave them, before smoothing.
    raw_landmarks_px: np.ndarray
    #: (33, 3) world landmarks in metres.
    world_m: np.ndarray


class Smoother(Protocol):
    """Anything that turns one frame's detections into tracked, smoothed people."""

    name: str

    def update(self, people: list[PersonPose], time_ms: float) -> list[TrackedPerson]:
        """Take the raw people of the frame captured at `time_ms` (strictly increasing)."""
        ...

    def reset(self) -> None:
        """Forget all history, e.g. when the source changes."""
        ...


class NoSmoothing:
    """MediaPipe's output as it is; people are numbered in the order the model lists them."""

    name = "none"

    def update(self, people: list[PersonPose], time_ms: float) -> list[TrackedPerson]:
        return [
            TrackedPerson(
                id=i,
                landmarks_px=p.landmarks_px,
                raw_landmarks_px=p.landmarks_px,
                world_m=p.world_m,
            )
            for i, p in enumerate(people)
        ]

    def reset(self) -> None:
        pass


SMOOTHING_CHOICES = ("none",)


def make_smoother(name: str) -> Smoother:
    """The smoother called `name` (one of SMOOTHING_CHOICES)."""
    if name == "none":
        return NoSmoothing()
    raise ValueError(f"unknown smoothing {name!r}; choose from {', '.join(SMOOTHING_CHOICES)}")
