"""One step of PoseCam's work on one frame: estimate, smooth, draw. No threads, no I/O."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from desktop_app.core.frame import Frame
from desktop_app.core.pose import PoseEstimator
from desktop_app.core.render import DEFAULT_STYLE, Style, draw_skeleton
from desktop_app.core.smoothing import Smoother, TrackedPerson, make_smoother


@dataclass(frozen=True, eq=False)
class FrameResult:
    """Everything PoseCam knows about one frame once it has been processed."""

    index: int
    time_ms: float
    #: The frame with skeletons drawn on it, RGB uint8.
    annotated: np.ndarray
    people: tuple[TrackedPerson, ...]
    #: Time spent in the pose model for this frame, in milliseconds.
    inference_ms: float


class Pipeline:
    """frame -> pose -> smoothing -> drawing, as one call per frame."""

    def __init__(
        self,
        estimator: PoseEstimator,
        smoother: Smoother | None = None,
        style: Style = DEFAULT_STYLE,
    ) -> None:
        self.estimator = estimator
        self.smoother: Smoother = smoother if smoother is not None else make_smoother()
        self.style = style

    def process(self, frame: Frame, *, draw_in_place: bool = False) -> FrameResult:
        """Run one frame. With `draw_in_place` the frame's own pixels are drawn on (no copy)."""
        started = time.perf_counter()
        raw_people = self.estimator.estimate(frame.rgb, frame.time_ms)
        inference_ms = (time.perf_counter() - started) * 1000.0
        people = self.smoother.update(raw_people, frame.time_ms)
        canvas = frame.rgb if draw_in_place else frame.rgb.copy()
        draw_skeleton(canvas, (p.landmarks_px for p in people), self.style)
        return FrameResult(
            index=frame.index,
            time_ms=frame.time_ms,
            annotated=canvas,
            people=tuple(people),
            inference_ms=inference_ms,
        )
