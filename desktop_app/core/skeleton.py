"""The 33 MediaPipe pose landmarks, the bones between them, and the body parts they belong to.

Left and right are always the person's own side, as in MediaPipe and COCO.
"""

from __future__ import annotations

import enum

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
NUM_LANDMARKS = len(LANDMARK_NAMES)
#: Visibility (0-1) from which a landmark counts as seen: for measuring angles, counting
#: repetitions, tracking and drawing by default. One value, so that the angle drawn and the
#: angle counted always agree.
SEEN_VISIBILITY = 0.5
LANDMARK_INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}


class BodyPart(str, enum.Enum):
    """A group of bones that the user can colour on its own."""

    FACE = "face"
    TORSO = "torso"
    LEFT_ARM = "left_arm"
    RIGHT_ARM = "right_arm"
    LEFT_LEG = "left_leg"
    RIGHT_LEG = "right_leg"

    @property
    def label(self) -> str:
        """The name shown to people: "Left arm"."""
        return self.value.replace("_", " ").capitalize()


def _bones(*names: tuple[str, str]) -> tuple[tuple[int, int], ...]:
    return tuple((LANDMARK_INDEX[a], LANDMARK_INDEX[b]) for a, b in names)


BONES_BY_PART: dict[BodyPart, tuple[tuple[int, int], ...]] = {
    BodyPart.FACE: _bones(
        ("nose", "left_eye_inner"),
        ("left_eye_inner", "left_eye"),
        ("left_eye", "left_eye_outer"),
        ("left_eye_outer", "left_ear"),
        ("nose", "right_eye_inner"),
        ("right_eye_inner", "right_eye"),
        ("right_eye", "right_eye_outer"),
        ("right_eye_outer", "right_ear"),
        ("mouth_left", "mouth_right"),
    ),
    BodyPart.TORSO: _bones(
        ("left_shoulder", "right_shoulder"),
        ("left_shoulder", "left_hip"),
        ("right_shoulder", "right_hip"),
        ("left_hip", "right_hip"),
    ),
    BodyPart.LEFT_ARM: _bones(
        ("left_shoulder", "left_elbow"),
        ("left_elbow", "left_wrist"),
        ("left_wrist", "left_pinky"),
        ("left_wrist", "left_index"),
        ("left_pinky", "left_index"),
        ("left_wrist", "left_thumb"),
    ),
    BodyPart.RIGHT_ARM: _bones(
        ("right_shoulder", "right_elbow"),
        ("right_elbow", "right_wrist"),
        ("right_wrist", "right_pinky"),
        ("right_wrist", "right_index"),
        ("right_pinky", "right_index"),
        ("right_wrist", "right_thumb"),
    ),
    BodyPart.LEFT_LEG: _bones(
        ("left_hip", "left_knee"),
        ("left_knee", "left_ankle"),
        ("left_ankle", "left_heel"),
        ("left_heel", "left_foot_index"),
        ("left_ankle", "left_foot_index"),
    ),
    BodyPart.RIGHT_LEG: _bones(
        ("right_hip", "right_knee"),
        ("right_knee", "right_ankle"),
        ("right_ankle", "right_heel"),
        ("right_heel", "right_foot_index"),
        ("right_ankle", "right_foot_index"),
    ),
}

BONES: tuple[tuple[int, int], ...] = tuple(
    bone for bones in BONES_BY_PART.values() for bone in bones
)


def _part_of_landmark() -> tuple[BodyPart, ...]:
    # A landmark belongs to the part whose bones reach it first in the order above, except
    # that shoulders and hips count as torso (they anchor the limbs).
    parts: list[BodyPart | None] = [None] * NUM_LANDMARKS
    for part in (BodyPart.TORSO, *[p for p in BodyPart if p is not BodyPart.TORSO]):
        for a, b in BONES_BY_PART[part]:
            for i in (a, b):
                if parts[i] is None:
                    parts[i] = part
    assert all(p is not None for p in parts)
    return tuple(p for p in parts if p is not None)


PART_OF_LANDMARK: tuple[BodyPart, ...] = _part_of_landmark()
