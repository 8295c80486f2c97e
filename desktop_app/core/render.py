"""Drawing skeletons onto frames, from a Style value the user controls."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
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
    #: Bone line width in pixels of the frame (for a person up to PERSON_REFERENCE_PX tall,
    #: when `grow_with_person`).
    bone_thickness_px: int = 2
    #: Joint dot radius in pixels of the frame (as the bone thickness).
    joint_radius_px: int = 4
    #: Joints whose visibility is below this (0-1) are not drawn, nor are their bones.
    visibility_threshold: float = SEEN_VISIBILITY
    #: Write each person's id beside their head when more than one person is shown, so the
    #: skeleton on screen and "person 1" in the counts and files can be matched.
    show_ids: bool = True
    #: Draw bones and joints thicker for a person who fills more of the picture, in proportion
    #: to their size above PERSON_REFERENCE_PX. A 1080p picture is shown about 800 px wide in
    #: the window, less than half size: fixed 2 px bones became 1 px hairlines there, unreadable
    #: from 2-3 m. Never thinner than the sizes set.
    grow_with_person: bool = True

    def with_bone_color(self, part: BodyPart, color: RGB) -> Style:
        """A copy with one body part recoloured."""
        colors = dict(self.bone_colors)
        colors[part] = color
        return replace(self, bone_colors=MappingProxyType(colors))


DEFAULT_STYLE = Style()

#: With `Style.grow_with_person`, the person size (the larger side of the box around the
#: seen joints) at which bones and joints are drawn at the sizes set; a person twice as tall
#: gets lines twice as thick.
PERSON_REFERENCE_PX = 300.0


def size_factor(landmarks: np.ndarray, style: Style) -> float:
    """How many times the set sizes to draw this person's bones and joints at (1 or more)."""
    if not style.grow_with_person:
        return 1.0
    seen = (landmarks[:, 3] >= style.visibility_threshold) & np.isfinite(landmarks[:, :2]).all(
        axis=1
    )
    if seen.sum() < 2:
        return 1.0
    span = landmarks[seen, :2].max(axis=0) - landmarks[seen, :2].min(axis=0)
    return max(1.0, float(span.max()) / PERSON_REFERENCE_PX)


def draw_skeleton(rgb: np.ndarray, people: Iterable[np.ndarray], style: Style) -> np.ndarray:
    """Draw each person's skeleton onto `rgb` in place and return it.

    `people` holds (33, >=4) arrays of x_px, y_px, z, visibility (see core.pose).
    """
    shift = 4  # sub-pixel precision: coordinates are passed to OpenCV times 2**shift
    scale = 1 << shift
    for landmarks in people:
        grow = size_factor(landmarks, style)
        thickness_px = max(1, round(style.bone_thickness_px * grow))
        radius_px = round(style.joint_radius_px * grow)
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
                        thickness_px,
                        cv2.LINE_AA,
                        shift,
                    )
        if radius_px > 0:
            joint_color = tuple(int(c) for c in style.joint_color)
            for i in np.flatnonzero(drawable):
                cv2.circle(
                    rgb,
                    (int(points[i, 0]), int(points[i, 1])),
                    radius_px * scale,
                    joint_color,
                    -1,
                    cv2.LINE_AA,
                    shift,
                )
    return rgb


def draw_people(
    rgb: np.ndarray, people: Iterable[TrackedPerson], style: Style, *, ids: bool = True
) -> np.ndarray:
    """Draw tracked people in place: each skeleton at its opacity (a person just lost fades
    out where last seen), and with `ids` their ids (see `draw_labels`)."""
    shown = [p for p in people if p.drawn]
    for person in shown:
        if person.opacity >= 1.0:
            draw_skeleton(rgb, [person.landmarks_px], style)
        else:
            _draw_faded(rgb, person.landmarks_px, person.opacity, style)
    if ids:
        draw_labels(rgb, shown, style)
    return rgb


def draw_labels(
    rgb: np.ndarray,
    people: Sequence[TrackedPerson],
    style: Style,
    *,
    angles: bool = False,
    mirrored: bool = False,
) -> np.ndarray:
    """Write the text that belongs to people, in place: each one's id when more than one is
    shown and `style.show_ids`, and with `angles` their joint angles (people being seen, not
    the fading). With `mirrored`, `rgb` is the picture flipped left to right: the text goes
    where the joints are in it, and still reads left to right."""
    shown = [p for p in people if p.drawn]
    width = rgb.shape[1]

    def placed(landmarks_px: np.ndarray) -> np.ndarray:
        if not mirrored:
            return landmarks_px
        flipped = landmarks_px.copy()
        flipped[:, 0] = width - 1 - flipped[:, 0]
        return flipped

    if angles:
        for person in shown:
            if not person.coasting:
                draw_angles(rgb, placed(person.landmarks_px), person.angles, style)
    if style.show_ids and len(shown) > 1:
        for person in shown:
            _draw_id(rgb, placed(person.landmarks_px), person.id, style)
    return rgb


def _draw_faded(rgb: np.ndarray, landmarks_px: np.ndarray, opacity: float, style: Style) -> None:
    # Blend only the box around the skeleton: a whole-frame blend would cost milliseconds.
    finite = np.isfinite(landmarks_px[:, :2]).all(axis=1)
    if not finite.any():
        return
    grow = size_factor(landmarks_px, style)
    margin = round((style.bone_thickness_px + style.joint_radius_px) * grow) + 2
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


def _draw_id(rgb: np.ndarray, landmarks_px: np.ndarray, person_id: int, style: Style) -> None:
    """The person's id above their head, white on a dark box: readable on any background and
    from across a room (about 4 % of the picture's height)."""
    seen = landmarks_px[:, 3] >= style.visibility_threshold
    points = landmarks_px[seen & np.isfinite(landmarks_px[:, 0]), :2]
    if len(points) == 0:
        return
    height, width = rgb.shape[:2]
    scale = max(0.7, height / 700.0)
    thickness = max(2, round(scale * 2))
    text = str(person_id)
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
    """Write each measured joint angle (whole degrees) beside its joint, in place: white with a
    dark outline, which reads on any shirt or wall (the joint colour did not: red on red), and
    about 2.5 % of the picture's height."""
    from desktop_app.core.angles import JOINT_ANGLES

    height = rgb.shape[0]
    scale = max(0.6, height / 900.0)
    thickness = max(1, round(scale * 2))
    for name, (_, joint, _) in JOINT_ANGLES.items():
        value = angles.get(name, float("nan"))
        x, y = landmarks_px[joint, :2]
        if not (np.isfinite(value) and np.isfinite(x) and np.isfinite(y)):
            continue
        offset = round(10 * scale)
        _outlined_text(rgb, f"{value:.0f}", (int(x) + offset, int(y) - offset), scale, thickness)
    return rgb


def _outlined_text(
    rgb: np.ndarray,
    text: str,
    at: tuple[int, int],
    scale: float,
    thickness: int,
    color: RGB = WHITE,
    font: int = cv2.FONT_HERSHEY_SIMPLEX,
) -> None:
    """`text` with its baseline starting at `at`, in `color` inside a dark outline."""
    outline = thickness + max(2, thickness)
    cv2.putText(rgb, text, at, font, scale, (0, 0, 0), outline, cv2.LINE_AA)
    cv2.putText(rgb, text, at, font, scale, color, thickness, cv2.LINE_AA)


#: Stage words and their colours in the count panel: amber going down, green coming up.
_STAGE_COLORS: Mapping[str, RGB] = MappingProxyType(
    {"down": (255, 190, 40), "up": (90, 230, 90), "unknown": (200, 200, 200)}
)


def _wrapped(text: str, width_of: Callable[[str], int], most_px: float) -> list[str]:
    """`text` broken between words into lines no wider than `most_px` (a word longer than
    that has a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and width_of(f"{lines[-1]} {word}") <= most_px:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


@dataclass(frozen=True)
class CountLine:
    """One person's line in the count panel."""

    #: Whose count: "" when only one person is counted, else their id, e.g. "1".
    who: str
    repetitions: int
    #: "up", "down" or "unknown" (core.reps.Stage).
    stage: str


def draw_count_panel(
    rgb: np.ndarray, title: str, lines: Sequence[CountLine], cue: str = ""
) -> np.ndarray:
    """The repetition count, large, in the top right corner, in place: the exercise's name,
    then for each person the count (about 11 % of the picture's smaller side for one person,
    so it reads from 3 m on a laptop and in a 640x360 thumbnail of a 720p frame), the stage
    and the last form cue, on a dark translucent box."""
    if not lines:
        return rgb
    height, width = rgb.shape[:2]
    base = float(min(height, width))
    font = cv2.FONT_HERSHEY_DUPLEX
    count_px = base * (0.11 if len(lines) == 1 else 0.075)
    small_px = max(base * 0.04, 10.0)
    big_scale = cv2.getFontScaleFromHeight(font, max(round(count_px), 8))
    small_scale = cv2.getFontScaleFromHeight(font, max(round(small_px), 6))
    big_thick = max(2, round(count_px / 14))
    small_thick = max(1, round(small_px / 12))
    pad = round(small_px * 0.6)

    def size(text: str, scale: float, thick: int) -> tuple[int, int]:
        (w, h), _ = cv2.getTextSize(text, font, scale, thick)
        return w, h

    # Lay out first (widths decide where the box goes), then draw.
    rows: list[tuple[int, list[tuple[str, float, int, RGB, int]]]] = []
    if title:
        w, h = size(title.upper(), small_scale, small_thick)
        rows.append((h, [(title.upper(), small_scale, small_thick, WHITE, w)]))
    for line in lines:
        parts = []
        if line.who:
            text = f"#{line.who}"
            parts.append(
                (text, small_scale, small_thick, WHITE, size(text, small_scale, small_thick)[0])
            )
        text = str(line.repetitions)
        w, h = size(text, big_scale, big_thick)
        parts.append((text, big_scale, big_thick, WHITE, w))
        stage = line.stage if line.stage in _STAGE_COLORS else "unknown"
        text = stage.upper() if stage != "unknown" else "-"
        parts.append(
            (
                text,
                small_scale,
                small_thick,
                _STAGE_COLORS[stage],
                size(text, small_scale, small_thick)[0],
            )
        )
        rows.append((h, parts))
    if cue:
        # Kept to under half the picture's width, in as many lines as that takes, so that
        # a long piece of advice does not cover the person.
        for text in _wrapped(cue, lambda t: size(t, small_scale, small_thick)[0], width * 0.45):
            w, h = size(text, small_scale, small_thick)
            rows.append((h, [(text, small_scale, small_thick, (255, 210, 80), w)]))
    gap = pad
    row_widths = [sum(p[4] for p in parts) + gap * (len(parts) - 1) for _, parts in rows]
    box_w = min(max(row_widths) + 2 * pad, width)
    box_h = min(sum(h for h, _ in rows) + pad * (len(rows) + 1), height)
    x0 = max(width - box_w - pad, 0)
    y0 = min(pad, max(height - box_h, 0))
    box = rgb[y0 : y0 + box_h, x0 : x0 + box_w]
    # Darken rather than cover: the picture stays visible behind the count.
    box[:] = (box.astype(np.uint16) * 2 // 7).astype(np.uint8)
    y = y0 + pad
    for row_h, parts in rows:
        y += row_h
        x = x0 + pad
        for text, scale, thick, color, w in parts:
            _outlined_text(rgb, text, (x, y), scale, thick, color, font)
            x += w + gap
        y += pad
    return rgb
