"""Ground truth for clips of a photo moved along a known path (desktop_app.media.synthetic).

Each frame's transform is known, so the landmarks found on the unmoved photo, carried through
that frame's transform, are where the landmarks truly are in the frame.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from desktop_app.core.frame import Frame
from desktop_app.core.fresh_look import DISAGREE, disagreement
from desktop_app.core.model import PoseModel
from desktop_app.core.pipeline import PipelineSettings, PosePipeline
from desktop_app.core.pose import PoseEstimator, RunningMode
from desktop_app.core.skeleton import SEEN_VISIBILITY

# body_sweep is test-only as well and belongs here; it stays in desktop_app.media.synthetic
# until benchmarks/trust_data.py imports it from this module instead.
from desktop_app.media.synthetic import KnownMotion, body_sweep, known_motion_frames

__all__ = ["body_sweep", "carry", "frames_off", "photo_sweep", "usable_truth"]


def photo_sweep(
    photo: np.ndarray, seconds: float, model: PoseModel | None = None, name: str = "the photo"
) -> Iterator[Frame]:
    """The frames of `photo` (RGB) swept sideways about one body width per second
    (body_sweep) for `seconds`, with sensor noise (3 grey levels) and JPEG at quality 85, as
    a camera would give them: benchmarks/trust.py's sweeps, and the tests that need one.
    Raises RuntimeError naming `name` if the pose model finds nobody in the photo."""
    with PoseEstimator(model, mode=RunningMode.IMAGE) as still:
        people = still.estimate(photo)
    if not people:
        raise RuntimeError(f"{name}: no person in the photo")
    motion = body_sweep(photo.shape[1], photo.shape[0], people[0].landmarks_px, seconds)
    yield from known_motion_frames(photo, motion, noise_grey_levels=3.0, jpeg_quality=85)


def carry(motion: KnownMotion, points_px: np.ndarray, index: int) -> np.ndarray:
    """Where photo points (N, 2+) land on the canvas at frame `index`, in canvas pixels (N, 2)."""
    m = motion.matrix(index)
    moved: np.ndarray = points_px[:, :2] @ m[:, :2].T + m[:, 2]
    return moved


def usable_truth(landmarks_px: np.ndarray, photo_width: int, photo_height: int) -> np.ndarray:
    """(33,) bool: the photo's landmarks that can serve as ground truth: seen by the model and
    inside the photo (a portrait's hips and knees are guesses below the frame, not truth)."""
    x, y = landmarks_px[:, 0], landmarks_px[:, 1]
    inside = (x >= 0) & (x < photo_width) & (y >= 0) & (y < photo_height)
    mask: np.ndarray = (landmarks_px[:, 3] >= SEEN_VISIBILITY) & inside
    return mask


def frames_off(
    frames: list[Frame], model: PoseModel, settings: PipelineSettings
) -> tuple[int, int]:
    """(frames whose first drawn person is off a fresh IMAGE-mode detection of the same
    frame, frames compared), every third frame: off by more than the fresh look's own limit
    (core.fresh_look.DISAGREE), the skeleton is not on the person."""
    off = compared = 0
    with (
        PosePipeline(model, settings) as pipeline,
        PoseEstimator(model, mode=RunningMode.IMAGE) as still,
    ):
        for frame in frames:
            result = pipeline.process(frame)
            if frame.index % 3:
                continue
            fresh = still.estimate(frame.rgb)
            if result.people and fresh:
                compared += 1
                off += disagreement(result.people[0].landmarks_px, fresh[0].landmarks_px) > DISAGREE
    return off, compared
