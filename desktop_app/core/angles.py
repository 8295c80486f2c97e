"""Joint angles from landmarks: in the image (2D, from pixel positions) and in the world (3D,
from MediaPipe's world landmarks in metres).

An angle at a joint is the angle between its two bones, in degrees: 180 is straight, 90 a right
angle. A joint whose three landmarks are not all seen (visibility below the threshold) has no
angle (NaN), so nothing is measured or counted on guessed joints. Trunk lean is the angle between
the line from the middle of the hips to the middle of the shoulders and straight up: 0 upright,
90 lying flat. In the image "up" is towards the top of the picture; in MediaPipe's world frame
y points down, so up is -y there too.
"""

from __future__ import annotations

import math

import numpy as np

from desktop_app.core.skeleton import LANDMARK_INDEX, SEEN_VISIBILITY

_I = LANDMARK_INDEX

#: Joint angle name -> (landmark, joint, landmark): the angle is measured at the middle one.
JOINT_ANGLES: dict[str, tuple[int, int, int]] = {
    "left_elbow": (_I["left_shoulder"], _I["left_elbow"], _I["left_wrist"]),
    "right_elbow": (_I["right_shoulder"], _I["right_elbow"], _I["right_wrist"]),
    "left_shoulder": (_I["left_hip"], _I["left_shoulder"], _I["left_elbow"]),
    "right_shoulder": (_I["right_hip"], _I["right_shoulder"], _I["right_elbow"]),
    "left_hip": (_I["left_shoulder"], _I["left_hip"], _I["left_knee"]),
    "right_hip": (_I["right_shoulder"], _I["right_hip"], _I["right_knee"]),
    "left_knee": (_I["left_hip"], _I["left_knee"], _I["left_ankle"]),
    "right_knee": (_I["right_hip"], _I["right_knee"], _I["right_ankle"]),
}
TRUNK_LEAN = "trunk_lean"
#: Every angle PoseCam measures, in the order of the exports' columns.
ANGLE_NAMES: tuple[str, ...] = (*JOINT_ANGLES, TRUNK_LEAN)

_SHOULDERS = [_I["left_shoulder"], _I["right_shoulder"]]
_HIPS = [_I["left_hip"], _I["right_hip"]]
# Bones shorter than this (pixels or metres) give no direction to measure an angle from.
_MIN_BONE = 1e-6


def angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """The angle at `b` between b->a and b->c, in degrees (0-180); NaN if a bone has no length
    or a point is not finite. Works in 2D and 3D."""
    u, v = np.asarray(a, float) - b, np.asarray(c, float) - b
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if not (nu > _MIN_BONE and nv > _MIN_BONE and math.isfinite(nu) and math.isfinite(nv)):
        return math.nan
    cosine = float(np.dot(u, v)) / (nu * nv)
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


def _lean_deg(points: np.ndarray) -> float:
    up = np.zeros(points.shape[1])
    up[1] = -1.0  # y grows downwards in the image and in MediaPipe's world frame
    trunk = points[_SHOULDERS].mean(axis=0) - points[_HIPS].mean(axis=0)
    return angle_deg(up, np.zeros_like(up), trunk)


def _angles(points: np.ndarray, seen: np.ndarray) -> dict[str, float]:
    out = {}
    for name, (a, b, c) in JOINT_ANGLES.items():
        out[name] = (
            angle_deg(points[a], points[b], points[c]) if seen[[a, b, c]].all() else math.nan
        )
    out[TRUNK_LEAN] = _lean_deg(points) if seen[_SHOULDERS + _HIPS].all() else math.nan
    return out


def image_angles(
    landmarks_px: np.ndarray, min_visibility: float = SEEN_VISIBILITY
) -> dict[str, float]:
    """Angles in the picture from (33, 4) x_px, y_px, z, visibility."""
    return _angles(landmarks_px[:, :2].astype(float), landmarks_px[:, 3] >= min_visibility)


def world_angles(
    world_m: np.ndarray, visibility: np.ndarray, min_visibility: float = SEEN_VISIBILITY
) -> dict[str, float]:
    """Angles in 3D from (33, 3) world landmarks in metres, with each landmark's visibility."""
    return _angles(world_m[:, :3].astype(float), visibility >= min_visibility)
