"""How steady and how accurate a landmark track is: the measures of benchmarks/smoothing.py.

A track is an array (frames, 33, 4) of x_px, y_px, z, visibility, NaN where nobody was found.
"""

from __future__ import annotations

import numpy as np

from desktop_app.core.skeleton import SEEN_VISIBILITY

#: Shoulders, elbows, wrists, hips, knees, ankles: the landmarks jitter is measured on.
LIMB_LANDMARKS = [11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]
#: Visibility from which a landmark counts as seen.
SEEN = SEEN_VISIBILITY


def jitter_px(track: np.ndarray) -> float:
    """RMS of the second difference of the seen limb landmarks' positions, in pixels per
    frame squared: zero for a landmark that stands still or moves at a steady speed."""
    points = track[:, LIMB_LANDMARKS, :2]
    seen = track[:, LIMB_LANDMARKS, 3] >= SEEN
    second = points[2:] - 2 * points[1:-1] + points[:-2]
    ok = seen[2:] & seen[1:-1] & seen[:-2] & np.isfinite(second).all(axis=2)
    return float(np.sqrt(np.mean(np.sum(second[ok] ** 2, axis=1))))


def error_px(track: np.ndarray, truth_px: np.ndarray, mask: np.ndarray, shift: int = 0) -> float:
    """RMS distance in pixels between the track's landmarks in `mask` (33,) and the truth
    (frames, 33, 2), with the track shifted `shift` frames later than the truth."""
    n = len(track)
    if shift >= 0:
        a, b = track[shift:, mask, :2], truth_px[: n - shift, mask]
    else:
        a, b = track[:shift, mask, :2], truth_px[-shift:, mask]
    return float(np.sqrt(np.nanmean(np.sum((a - b) ** 2, axis=2))))


def error_and_lag(
    track: np.ndarray, truth_px: np.ndarray, mask: np.ndarray, max_lag: int = 5
) -> tuple[float, int]:
    """The error without shift, and the lag: the shift in frames (-max_lag..max_lag) that
    brings the track closest to the truth."""
    lag = min(range(-max_lag, max_lag + 1), key=lambda s: error_px(track, truth_px, mask, s))
    return error_px(track, truth_px, mask), lag
