from desktop_app.core.skeleton import (
    BONES,
    BONES_BY_PART,
    LANDMARK_INDEX,
    LANDMARK_NAMES,
    NUM_LANDMARKS,
    PART_OF_LANDMARK,
    BodyPart,
)


def test_33_distinct_landmarks_in_mediapipe_order() -> None:
    assert NUM_LANDMARKS == 33
    assert len(set(LANDMARK_NAMES)) == 33
    # Spot checks against MediaPipe's published indices.
    assert LANDMARK_INDEX["nose"] == 0
    assert LANDMARK_INDEX["left_shoulder"] == 11
    assert LANDMARK_INDEX["right_hip"] == 24
    assert LANDMARK_INDEX["right_foot_index"] == 32


def test_bones_join_valid_landmarks_once() -> None:
    assert all(0 <= a < 33 and 0 <= b < 33 and a != b for a, b in BONES)
    assert len({frozenset(b) for b in BONES}) == len(BONES)
    assert len(BONES) == 35  # MediaPipe's pose connections


def test_every_part_has_bones_and_every_landmark_a_part() -> None:
    assert set(BONES_BY_PART) == set(BodyPart)
    assert all(BONES_BY_PART[p] for p in BodyPart)
    assert len(PART_OF_LANDMARK) == 33
    assert PART_OF_LANDMARK[LANDMARK_INDEX["left_wrist"]] is BodyPart.LEFT_ARM
    assert PART_OF_LANDMARK[LANDMARK_INDEX["right_knee"]] is BodyPart.RIGHT_LEG
    assert PART_OF_LANDMARK[LANDMARK_INDEX["left_shoulder"]] is BodyPart.TORSO
    assert PART_OF_LANDMARK[LANDMARK_INDEX["nose"]] is BodyPart.FACE


def test_left_limbs_use_left_landmarks() -> None:
    for part, side in ((BodyPart.LEFT_ARM, "left"), (BodyPart.RIGHT_LEG, "right")):
        for a, b in BONES_BY_PART[part]:
            assert LANDMARK_NAMES[a].startswith(side) and LANDMARK_NAMES[b].startswith(side)
