"""Ground truth for clips of a photo moved along a known path (desktop_app.media.synthetic).

Each frame's transform is known, so the landmarks found on the unmoved photo, carried through
that frame's transform, are where the landmarks truly are in the frame.
"""

from __future__ import annotations

import numpy as np

from desktop_app.core.skeleton import SEEN_VISIBILITY

# body_sweep is test-only as well and belongs here; it stays in desktop_app.media.synthetic
# until benchmarks/trust_data.py imports it from this module instead.
from desktop_app.media.synthetic import KnownMotion, body_sweep

__all__ = ["body_sweep", "carry", "usable_truth"]


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
