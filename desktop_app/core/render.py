"""Drawing skeletons onto frames, from a Style value the user controls."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

import cv2
import numpy as np

from desktop_app.core.skeleton import BONES_BY_PART, SEEN_VISIBILITY, BodyPart

if TYPE_CHECKING:
    from desktop_app.core.tracking import TrackedPerson

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
    visibility_threshold: float = SEEN_VISIBILITY
    #: Write each person's id beside their head when more than one person is shown, so the
    #: skeleton on screen and "person 1" in the counts and files can be matched.
    show_ids: bool = True

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


def draw_people(rgb: np.ndarray, people: Iterable[TrackedPerson], style: Style) -> np.ndarray:
    """Draw tracked people in place: each skeleton at its opacity (a person just lost fades
    out where last seen), and ids when more than one is shown and `style.show_ids`."""
    shown = [p for p in people if p.drawn]
    for person in shown:
        if person.opacity >= 1.0:
            draw_skeleton(rgb, [person.landmarks_px], style)
        else:
            _draw_faded(rgb, person.landmarks_px, person.opacity, style)
    if style.show_ids and len(shown) > 1:
        for person in shown:
            _draw_id(rgb, person, style)
    return rgb


def _draw_faded(rgb: np.ndarray, landmarks_px: np.ndarray, opacity: float, style: Style) -> None:
    # Blend only the box around the skeleton: a whole-frame blend would cost milliseconds.
    finite = np.isfinite(landmarks_px[:, :2]).all(axis=1)
    if not finite.any():
        return
    margin = style.bone_thickness_px + style.joint_radius_px + 2
    height, width = rgb.shape[:2]
    x0, y0 = np.floor(landmarks_px[finite, :2].min(axis=0)).astype(int) - margin
    x1, y1 = np.ceil(landmarks_px[finite, :2].max(axis=0)).astype(int) + margin
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x0 >= x1 or y0 >= y1:
        return
    box = rgb[y0:y1, x0:x1]
    drawn = np.ascontiguousarray(box)
    shifted = landmarks_px.copy()
    shifted[:, 0] -= x0
    shifted[:, 1] -= y0
    draw_skeleton(drawn, [shifted], style)
    cv2.addWeighted(drawn, opacity, box, 1.0 - opacity, 0.0, dst=box)


def _draw_id(rgb: np.ndarray, person: TrackedPerson, style: Style) -> None:
    """The person's id above their head, white on a dark box: readable on any background and
    from across a room (about 4 % of the picture's height)."""
    seen = person.landmarks_px[:, 3] >= style.visibility_threshold
    points = person.landmarks_px[seen & np.isfinite(person.landmarks_px[:, 0]), :2]
    if len(points) == 0:
        return
    height, width = rgb.shape[:2]
    scale = max(0.7, height / 700.0)
    thickness = max(2, round(scale * 2))
    text = str(person.id)
    (w, h), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    pad = max(3, h // 3)
    x = int(np.clip(points[:, 0].mean() - w / 2, pad, max(width - w - pad, pad)))
    y = int(np.clip(points[:, 1].min() - 2 * pad - baseline, h + pad, height - baseline - pad))
    cv2.rectangle(rgb, (x - pad, y - h - pad), (x + w + pad, y + baseline + pad), (20, 20, 20), -1)
    cv2.putText(rgb, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness,
                cv2.LINE_AA)  # fmt: skip


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
