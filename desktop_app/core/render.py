"""Drawing skeletons onto frames, from a Style value the user controls."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import cv2
import numpy as np

from desktop_app.core.skeleton import BONES_BY_PART, BodyPart

#: A colour as (red, green, blue), each 0-255.
RGB = tuple[int, int, int]

WHITE: RGB = (255, 255, 255)
RED: RGB = (255, 0, 0)


def _all_parts(color: RGB) -> Mapping[BodyPart, RGB]:
    return MappingProxyType({part: color for part in BodyPart})


@dataclass(frozen=True)
class Style:
    """How a skeleton looks. Frames are RGB, so colours are (red, green, blue)."""

    #: Colour of the bones of each body part.
    bone_colors: Mapping[BodyPart, RGB] = field(default_factory=lambda: _all_parts(WHITE))
    #: Colour of the joint dots.
    joint_color: RGB = RED
    #: Bone line width in pixels of the frame.
    bone_thickness_px: int = 2
    #: Joint dot radius in pixels of the frame.
    joint_radius_px: int = 4
    #: Joints whose visibility is below this (0-1) are not drawn, nor are their bones.
    visibility_threshold: float = 0.5

    def with_bone_color(self, part: BodyPart, color: RGB) -> Style:
        """A copy with one body part recoloured."""
        colors = dict(self.bone_colors)
        colors[part] = color
        return replace(self, bone_colors=MappingProxyType(colors))


DEFAULT_STYLE = Style()


def draw_skeleton(rgb: np.ndarray, people: Iterable[np.ndarray], style: Style) -> np.ndarray:
    """Draw each person's skeleton onto `rgb` in place and return it.

    `people` holds (33, >=4) arrays of x_px, y_px, z, visibility (see core.pose).
    """
    shift = 4  # sub-pixel precision: coordinates are passed to OpenCV times 2**shift
    scale = 1 << shift
    for landmarks in people:
        visible = landmarks[:, 3] >= style.visibility_threshold
        # Off-frame or not-a-number landmarks must not reach OpenCV's integer drawing code.
        finite = np.isfinite(landmarks[:, 0]) & np.isfinite(landmarks[:, 1])
        drawable = visible & finite
        points = np.zeros((landmarks.shape[0], 2), dtype=np.int64)
        points[finite] = np.round(landmarks[finite, :2] * scale).astype(np.int64)
        np.clip(points, -(1 << 24), 1 << 24, out=points)
        for part, bones in BONES_BY_PART.items():
            color = tuple(int(c) for c in style.bone_colors.get(part, WHITE))
            for a, b in bones:
                if drawable[a] and drawable[b]:
                    cv2.line(
                        rgb,
                        (int(points[a, 0]), int(points[a, 1])),
                        (int(points[b, 0]), int(points[b, 1])),
                        color,
                        max(1, style.bone_thickness_px),
                        cv2.LINE_AA,
                        shift,
                    )
        if style.joint_radius_px > 0:
            joint_color = tuple(int(c) for c in style.joint_color)
            for i in np.flatnonzero(drawable):
                cv2.circle(
                    rgb,
                    (int(points[i, 0]), int(points[i, 1])),
                    style.joint_radius_px * scale,
                    joint_color,
                    -1,
                    cv2.LINE_AA,
                    shift,
                )
    return rgb


def _left_right_style() -> Style:
    # Orange for the person's left, blue for their right: easy to tell apart for most kinds of
    # colour vision, and on a mirrored view the colour still says which side is which.
    left, right = (255, 140, 0), (0, 120, 255)
    colors = {
        BodyPart.FACE: WHITE,
        BodyPart.TORSO: WHITE,
        BodyPart.LEFT_ARM: left,
        BodyPart.LEFT_LEG: left,
        BodyPart.RIGHT_ARM: right,
        BodyPart.RIGHT_LEG: right,
    }
    return replace(DEFAULT_STYLE, bone_colors=MappingProxyType(colors))


#: Ready-made looks, by the name shown to people. The first is the default.
STYLE_PRESETS: Mapping[str, Style] = MappingProxyType(
    {
        "Classic (red joints, white bones)": DEFAULT_STYLE,
        "Left and right": _left_right_style(),
        "High contrast": Style(
            bone_colors=_all_parts((255, 255, 0)),
            joint_color=(255, 0, 255),
            bone_thickness_px=4,
            joint_radius_px=6,
        ),
    }
)


def draw_angles(
    rgb: np.ndarray, landmarks_px: np.ndarray, angles: Mapping[str, float], style: Style
) -> np.ndarray:
    """Write each measured joint angle (whole degrees) beside its joint, in place."""
    from desktop_app.core.angles import JOINT_ANGLES

    height = rgb.shape[0]
    scale = max(0.5, height / 1200.0)
    thickness = max(1, round(scale * 2))
    for name, (_, joint, _) in JOINT_ANGLES.items():
        value = angles.get(name, float("nan"))
        x, y = landmarks_px[joint, :2]
        if not (np.isfinite(value) and np.isfinite(x) and np.isfinite(y)):
            continue
        at = (int(x) + 8, int(y) - 8)
        text = f"{value:.0f}"
        # A dark outline keeps the number readable on any background.
        cv2.putText(rgb, text, at, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2,
                    cv2.LINE_AA)  # fmt: skip
        cv2.putText(rgb, text, at, cv2.FONT_HERSHEY_SIMPLEX, scale, style.joint_color, thickness,
                    cv2.LINE_AA)  # fmt: skip
    return rgb
