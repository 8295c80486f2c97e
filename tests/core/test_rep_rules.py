"""The repetition counter's rules on hand-made angle sequences: where a repetition starts,
how long a stage must hold, and which side of the body is counted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desktop_app.core.angles import JOINT_ANGLES, image_angles
from desktop_app.core.reps import (
    EXERCISES,
    Exercise,
    RepCounter,
    RepTracker,
    Stage,
    exercise_angle,
    person_angle,
)
from desktop_app.core.tracking import TrackedPerson

PRESS = EXERCISES["shoulder_press"]
SQUAT = EXERCISES["squat"]
RACKED, LOCKED_OUT = 60.0, 175.0


def run(counter: RepCounter, angles: list[float], fps: float = 10.0) -> RepCounter:
    for i, angle in enumerate(angles):
        counter.update(angle, i / fps)
    return counter


def test_a_press_starts_low_and_counts_when_the_bar_is_back_down() -> None:
    one = [RACKED] * 5 + [LOCKED_OUT] * 5
    counter = run(RepCounter(PRESS), one + one + [RACKED] * 5)
    assert counter.count == 2 and counter.stage == Stage.DOWN
    # Held overhead at the end, the last press is not finished and not counted yet.
    assert run(RepCounter(PRESS), one + one).count == 1


def test_a_clip_that_opens_mid_repetition_counts_from_the_first_whole_one() -> None:
    # Arms already overhead when the clip opens: that first half is nobody's repetition.
    jack = EXERCISES["jumping_jack"]
    down, up = [15.0] * 3, [160.0] * 3
    counter = run(RepCounter(jack), up + down + up + down + up + down)
    assert counter.count == 2


def test_the_repetitions_since_a_moment_are_a_set_of_their_own() -> None:
    # What a recording started part way through a session holds (live.LiveLoop).
    squat = [175.0] * 5 + [80.0] * 5  # 1 s at 10 fps: standing, then at the bottom
    tracker = RepTracker(SQUAT)
    stayed = tracker.counters.setdefault(0, RepCounter(SQUAT))
    run(stayed, squat * 3 + [175.0] * 5)  # three squats, done by 3.5 s
    gone = tracker.counters.setdefault(1, RepCounter(SQUAT))
    run(gone, [175.0] * 5 + [80.0] * 3)  # half a squat, then out of view after 0.7 s
    every = tracker.all_reps()[0]
    since = every[1].start_s - 0.05  # just before the second squat began
    assert every[0].start_s < since < every[1].start_s
    kept = tracker.reps_since(since)
    assert list(kept) == [0]  # the person gone before it began is not in it
    assert [r.number for r in kept[0]] == [1, 2]
    for rep, before in zip(kept[0], every[1:], strict=True):
        assert rep.start_s == pytest.approx(before.start_s - since)
        assert rep.end_s == pytest.approx(before.end_s - since)
        assert rep.depth_deg == before.depth_deg


def test_between_the_thresholds_nothing_changes() -> None:
    # Hysteresis: a squat that stops at the middle and goes back neither counts nor resets.
    middle = (SQUAT.down_deg + SQUAT.up_deg) / 2
    counter = run(RepCounter(SQUAT), [170.0] * 5 + [middle] * 20)
    assert counter.stage == Stage.UP and counter.count == 0
    counter = run(RepCounter(SQUAT), [170.0] * 5 + [90.0] * 5 + [middle] * 20 + [170.0] * 5)
    assert counter.count == 1


@pytest.mark.parametrize("fps", [5.0, 10.0, 30.0, 60.0])
def test_one_frame_never_makes_a_stage_at_any_frame_rate(fps: float) -> None:
    frames = round(fps)  # a second
    glitch = [170.0] * frames + [60.0] + [170.0] * frames
    assert run(RepCounter(SQUAT), glitch, fps).count == 0
    # A bottom held for 0.2 s (one frame interval at 5 fps) is a squat at any rate.
    held = max(2, round(0.2 * fps) + 1)
    squat = [170.0] * frames + [60.0] * held + [170.0] * frames
    assert run(RepCounter(SQUAT), squat, fps).count == 1


def test_a_stage_must_hold_for_min_stage_s() -> None:
    slow = Exercise("slow", ("left_knee",), 100.0, 150.0, min_stage_s=0.5)
    brief = [170.0] * 10 + [80.0] * 4 + [170.0] * 10  # 0.3 s at the bottom, at 10 fps
    held = [170.0] * 10 + [80.0] * 7 + [170.0] * 10  # 0.6 s
    assert run(RepCounter(slow), brief).count == 0
    assert run(RepCounter(slow), held).count == 1


def test_exercises_must_start_up_or_down() -> None:
    with pytest.raises(ValueError):
        Exercise("odd", ("left_knee",), 90.0, 150.0, starts=Stage.UNKNOWN)


def test_presets_are_in_order_and_start_where_the_movement_rests() -> None:
    for key, exercise in EXERCISES.items():
        assert exercise.name == key
        assert 0.0 <= exercise.down_deg < exercise.up_deg <= 180.0
        assert all(name in JOINT_ANGLES for name in exercise.angles)
    low_rest = {k for k, e in EXERCISES.items() if e.starts == Stage.DOWN}
    assert low_rest == {"shoulder_press", "front_raise", "jumping_jack"}


# -- which side counts -------------------------------------------------------------------------


def person_with_knees(left_deg: float, right_deg: float, left_seen: float, right_seen: float):
    """A person standing upright whose knees bend to the given angles, with the given
    visibility on each leg's hip, knee and ankle."""
    lm = np.zeros((33, 4))
    lm[:, 3] = 1.0
    for side, angle, sureness, x in (
        ("left", left_deg, left_seen, 120.0),
        ("right", right_deg, right_seen, 80.0),
    ):
        hip, knee, ankle = JOINT_ANGLES[f"{side}_knee"]
        lm[hip, :2] = (x, 200.0)
        lm[knee, :2] = (x, 250.0)
        # The shin leaves the knee at `angle` from the thigh (which points straight up).
        turn = math.radians(180.0 - angle)
        lm[ankle, :2] = (x + 50.0 * math.sin(turn), 250.0 + 50.0 * math.cos(turn))
        lm[[hip, knee, ankle], 3] = sureness
    return lm


def test_the_far_side_guessed_behind_the_body_is_left_out() -> None:
    # Side-on: the near knee seen surely, the far one a guess just above the "seen" line.
    side_on = person_with_knees(90.0, 170.0, left_seen=0.98, right_seen=0.6)
    angles = image_angles(side_on)
    assert angles["right_knee"] == pytest.approx(170.0)  # seen, so it has an angle
    assert exercise_angle(SQUAT, angles, side_on) == pytest.approx(90.0)
    # Without the landmarks (form cues call it so), the mean of what is seen, as before.
    assert exercise_angle(SQUAT, angles) == pytest.approx(130.0)


def test_both_sides_count_when_both_are_seen_alike() -> None:
    facing = person_with_knees(80.0, 100.0, left_seen=0.97, right_seen=0.9)
    assert exercise_angle(SQUAT, image_angles(facing), facing) == pytest.approx(90.0)
    # The mean stays when the skeleton swaps the legs.
    swapped = person_with_knees(100.0, 80.0, left_seen=0.9, right_seen=0.97)
    assert exercise_angle(SQUAT, image_angles(swapped), swapped) == pytest.approx(90.0)


def test_a_person_shown_where_last_seen_is_not_measured() -> None:
    lm = person_with_knees(90.0, 90.0, 1.0, 1.0)
    seen = TrackedPerson(0, lm, lm, np.zeros((33, 3)))
    coasting = TrackedPerson(0, lm, lm, np.zeros((33, 3)), coasting=True, opacity=0.5)
    assert person_angle(SQUAT, seen) == pytest.approx(90.0)
    assert math.isnan(person_angle(SQUAT, coasting))


def test_each_person_has_a_count_of_their_own() -> None:
    standing = person_with_knees(175.0, 175.0, 1.0, 1.0)
    squatting = person_with_knees(80.0, 80.0, 1.0, 1.0)
    tracker = RepTracker(SQUAT)
    world = np.zeros((33, 3))
    # Person 0 squats twice while person 1 stands still.
    poses = [standing] * 3 + [squatting] * 3 + [standing] * 3 + [squatting] * 3 + [standing] * 3
    for i, pose in enumerate(poses):
        people = [TrackedPerson(0, pose, pose, world), TrackedPerson(1, standing, standing, world)]
        tracker.update(people, i * 100.0)
    assert tracker.counts() == {0: 2, 1: 0}
