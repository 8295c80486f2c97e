"""Joint angles on hand-made landmarks, and the repetition counter on made-up angle sequences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desktop_app.core.angles import (
    ANGLE_NAMES,
    JOINT_ANGLES,
    angle_deg,
    image_angles,
    world_angles,
)
from desktop_app.core.reps import EXERCISES, Exercise, RepCounter, Stage


def test_right_angle_straight_line_and_degenerate_cases() -> None:
    b = np.array([0.0, 0.0])
    assert angle_deg(np.array([1.0, 0.0]), b, np.array([0.0, 1.0])) == pytest.approx(90.0)
    assert angle_deg(np.array([-2.0, 0.0]), b, np.array([3.0, 0.0])) == pytest.approx(180.0)
    assert angle_deg(np.array([1.0, 1.0]), b, np.array([2.0, 2.0])) == pytest.approx(0.0, abs=1e-5)
    # 3D: a right angle out of the picture plane.
    b3 = np.zeros(3)
    assert angle_deg(np.array([0, 0, 1.0]), b3, np.array([1.0, 0, 0])) == pytest.approx(90.0)
    # A bone of no length, or a missing point, has no angle.
    assert math.isnan(angle_deg(b, b, np.array([1.0, 0.0])))
    assert math.isnan(angle_deg(np.array([np.nan, 0.0]), b, np.array([1.0, 0.0])))


def standing_person() -> np.ndarray:
    """33 landmarks of a person standing straight with the left knee bent at 90 degrees."""
    lm = np.zeros((33, 4))
    lm[:, 3] = 1.0
    spots = {
        "left_shoulder": (110, 100), "right_shoulder": (90, 100),
        "left_elbow": (110, 150), "right_elbow": (90, 150),
        "left_wrist": (110, 200), "right_wrist": (90, 200),
        "left_hip": (108, 200), "right_hip": (92, 200),
        "left_knee": (108, 250), "right_knee": (92, 250),
        "left_ankle": (158, 250), "right_ankle": (92, 300),
    }  # fmt: skip
    from desktop_app.core.skeleton import LANDMARK_INDEX

    for name, (x, y) in spots.items():
        lm[LANDMARK_INDEX[name], :2] = (x, y)
    return lm


def test_image_angles_of_a_hand_made_pose() -> None:
    angles = image_angles(standing_person())
    assert set(angles) == set(ANGLE_NAMES)
    assert angles["left_knee"] == pytest.approx(90.0)
    assert angles["right_knee"] == pytest.approx(180.0)
    assert angles["left_elbow"] == pytest.approx(180.0)
    assert angles["trunk_lean"] == pytest.approx(0.0, abs=1e-6)


def test_unseen_joints_have_no_angle() -> None:
    lm = standing_person()
    _, _, ankle = JOINT_ANGLES["left_knee"]
    lm[ankle, 3] = 0.2  # the left ankle is a guess
    angles = image_angles(lm)
    assert math.isnan(angles["left_knee"])
    assert not math.isnan(angles["right_knee"])


def test_world_angles_use_3d_and_lean_forwards() -> None:
    lm = standing_person()
    world = np.zeros((33, 3))
    world[:, :2] = lm[:, :2] / 100.0
    # Shoulders forward (towards the camera, -z) by as much as the trunk is tall: 45 degrees.
    for i in (11, 12):
        world[i, 2] = -1.0
    angles = world_angles(world, lm[:, 3])
    assert angles["trunk_lean"] == pytest.approx(45.0)
    assert image_angles(lm)["trunk_lean"] == pytest.approx(0.0, abs=1e-6)


def run(counter: RepCounter, angles: list[float], fps: float = 10.0) -> RepCounter:
    for i, angle in enumerate(angles):
        counter.update(angle, i / fps)
    return counter


SQUAT = EXERCISES["squat"]
UP, DOWN = 170.0, 90.0


def test_full_squats_count() -> None:
    one = [UP] * 5 + [DOWN] * 5 + [UP] * 5
    counter = run(RepCounter(SQUAT), one + one[5:] + one[5:])
    assert counter.count == 3 and counter.stage == Stage.UP


def test_noise_around_a_threshold_does_not_count() -> None:
    rng = np.random.default_rng(0)
    # Hovering at the bottom threshold: in and out of "down" every frame, never back up.
    wobble = list(SQUAT.down_deg + rng.normal(0, 6, 60))
    counter = run(RepCounter(SQUAT), [UP] * 5 + wobble)
    assert counter.count == 0
    # And hovering at the top threshold after one real squat adds nothing either.
    top_wobble = list(SQUAT.up_deg + rng.normal(0, 6, 60))
    counter = run(RepCounter(SQUAT), [UP] * 5 + [DOWN] * 5 + [UP] * 5 + top_wobble)
    assert counter.count == 1


def test_half_reps_do_not_count() -> None:
    halfway = (SQUAT.down_deg + SQUAT.up_deg) / 2
    shallow = [UP] * 5 + [halfway] * 5 + [UP] * 5  # never reached the bottom
    unfinished = [UP] * 5 + [DOWN] * 5 + [halfway] * 5  # never came back up
    assert run(RepCounter(SQUAT), shallow).count == 0
    assert run(RepCounter(SQUAT), unfinished).count == 0


def test_a_single_wild_frame_is_not_a_stage() -> None:
    spike = [UP] * 5 + [DOWN] + [UP] * 5
    assert run(RepCounter(SQUAT), spike).count == 0


def test_unseen_frames_are_skipped_not_counted() -> None:
    gap = [UP] * 5 + [math.nan] * 5 + [DOWN] * 5 + [math.nan] * 3 + [UP] * 5
    assert run(RepCounter(SQUAT), gap).count == 1


def test_a_rep_starting_at_the_bottom_is_not_counted() -> None:
    assert run(RepCounter(SQUAT), [DOWN] * 5 + [UP] * 5).count == 0


def test_curls_count_bends_of_the_elbow_and_reset_forgets() -> None:
    curl = EXERCISES["curl"]
    one = [160.0] * 4 + [40.0] * 4 + [160.0] * 4
    counter = run(RepCounter(curl), one + one)
    assert counter.count == 2
    counter.reset()
    assert counter.count == 0 and counter.stage == Stage.UNKNOWN


def test_thresholds_must_be_in_order() -> None:
    with pytest.raises(ValueError):
        Exercise("odd", ("left_knee",), down_deg=150, up_deg=100)
