"""Teaching an exercise by showing it, on hand-made skeletons whose joint angles follow known
curves: the angle that swings most and most regularly is chosen, with thresholds from the range
shown and the rest where the demonstration starts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desktop_app.core.angles import image_angles
from desktop_app.core.reps import RepTracker, Stage
from desktop_app.core.skeleton import LANDMARK_INDEX
from desktop_app.core.teach import CANDIDATES, TeachError, score, teach
from desktop_app.core.tracking import TrackedPerson

FPS = 30.0
STANDING = {"elbow": 170.0, "shoulder": 15.0, "hip": 175.0, "knee": 175.0}


def _turn(direction: np.ndarray, degrees: float, side: str) -> np.ndarray:
    """`direction` turned by `degrees`, outwards for the person's `side` (left is +x here)."""
    a = math.radians(degrees) * (1 if side == "left" else -1)
    c, s = math.cos(a), math.sin(a)
    return np.array([c * direction[0] - s * direction[1], s * direction[0] + c * direction[1]])


def pose(angles: dict[str, float], visibility: float = 0.99) -> np.ndarray:
    """(33, 4) landmarks of an upright stick figure whose joint angles are `angles`: keys like
    "left_knee", or "knee" for both sides. The picture's y grows downwards."""
    lm = np.zeros((33, 4))
    lm[:, 3] = visibility
    i = LANDMARK_INDEX
    for side, x in (("left", 120.0), ("right", 80.0)):

        def angle(joint: str, side: str = side) -> float:
            return angles.get(f"{side}_{joint}", angles.get(joint, STANDING[joint]))

        shoulder, hip = np.array([x, 100.0]), np.array([x, 200.0])
        # Each bone leaves its joint at the joint's angle from the bone before it.
        elbow = shoulder + 50 * _turn(np.array([0.0, 1.0]), angle("shoulder"), side)
        wrist = elbow + 50 * _turn((shoulder - elbow) / 50, angle("elbow"), side)
        knee = hip + 60 * _turn(np.array([0.0, -1.0]), angle("hip"), side)
        ankle = knee + 60 * _turn((hip - knee) / 60, angle("knee"), side)
        for name, point in (
            ("shoulder", shoulder),
            ("elbow", elbow),
            ("wrist", wrist),
            ("hip", hip),
            ("knee", knee),
            ("ankle", ankle),
        ):
            lm[i[f"{side}_{name}"], :2] = point
    return lm


def demonstration(
    curves: dict[str, tuple[float, float]],
    reps: float = 2.5,
    period_s: float = 2.0,
    noise_deg: float = 1.0,
    seed: int = 0,
) -> list[tuple[float, list[TrackedPerson]]]:
    """`reps` repetitions: each angle in `curves` goes from its first value (rest) to its
    second and back, as a cosine, while the others hold still (with a little noise)."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(round(reps * period_s * FPS)):
        t = k / FPS
        phase = (1 - math.cos(2 * math.pi * t / period_s)) / 2  # 0 at rest, 1 at the turn
        angles = {name: rest + (turn - rest) * phase for name, (rest, turn) in curves.items()}
        for joint, value in STANDING.items():
            for side in ("left", "right"):
                key = f"{side}_{joint}"
                if key not in angles and joint not in angles:
                    angles[key] = value + rng.normal(0, noise_deg)
        lm = pose(angles)
        frames.append((t, [TrackedPerson(0, lm, lm, np.zeros((33, 3)))]))
    return frames


def test_the_hand_made_figure_has_the_angles_asked_for() -> None:
    angles = image_angles(pose({"left_knee": 90.0, "elbow": 60.0, "shoulder": 100.0}))
    assert angles["left_knee"] == pytest.approx(90.0)
    assert angles["right_knee"] == pytest.approx(STANDING["knee"])
    assert angles["right_elbow"] == pytest.approx(60.0)
    assert angles["left_shoulder"] == pytest.approx(100.0)


def test_squats_are_learnt_on_the_knees_starting_up() -> None:
    # Knees 175 -> 80 and hips 175 -> 100: the knees swing more.
    frames = demonstration({"knee": (175.0, 80.0), "hip": (175.0, 100.0)})
    lesson = teach("my_squat", frames)
    e = lesson.exercise
    assert e.angles == ("left_knee", "right_knee") and e.joints == "knees"
    assert e.starts == Stage.UP and e.name == "my_squat" and e.title == "My squat"
    # The swing shown (5th to 95th percentile, about 82-174) cut in three.
    swing = lesson.chosen.swing_deg
    assert 80.0 < swing < 95.0
    assert e.down_deg == pytest.approx(lesson.chosen.low_deg + 0.3 * swing, abs=0.1)
    assert e.up_deg == pytest.approx(lesson.chosen.high_deg - 0.3 * swing, abs=0.1)
    assert lesson.chosen.regularity > 0.9
    assert lesson.chosen.period_s == pytest.approx(2.0, abs=0.1)
    assert lesson.reps_shown == 2  # the half repetition at the end does not count
    assert lesson.runners_up[0].candidate.joints in ("hips", "left knee", "right knee")


def test_jumping_jacks_are_learnt_on_the_shoulders_starting_down() -> None:
    frames = demonstration({"shoulder": (15.0, 165.0), "hip": (175.0, 160.0)}, period_s=0.9)
    lesson = teach("jacks", frames)
    assert lesson.exercise.joints == "shoulders" and lesson.exercise.starts == Stage.DOWN
    assert lesson.reps_shown == 2


def test_one_arm_alone_is_learnt_on_that_arm() -> None:
    frames = demonstration({"left_elbow": (170.0, 40.0)})
    lesson = teach("left_curl", frames)
    assert lesson.exercise.angles == ("left_elbow",)
    assert lesson.exercise.starts == Stage.UP


def test_both_arms_are_learnt_as_a_pair() -> None:
    frames = demonstration({"elbow": (170.0, 40.0)})
    assert teach("curls", frames).exercise.angles == ("left_elbow", "right_elbow")


def test_a_wide_but_irregular_swing_loses_to_a_regular_one() -> None:
    frames = demonstration({"knee": (175.0, 95.0)}, reps=3.0)
    # The elbows wander widely, at random, while the knees bend regularly.
    rng = np.random.default_rng(1)
    wander = np.cumsum(rng.normal(0, 12.0, len(frames)))
    wander = 40.0 + 130.0 * (wander - wander.min()) / (np.ptp(wander) or 1.0)
    shaken = []
    for (t, (person,)), elbow in zip(frames, wander, strict=True):
        angles = image_angles(person.landmarks_px)
        kept = {k: v for k, v in angles.items() if "elbow" not in k and k != "trunk_lean"}
        lm = pose(kept | {"elbow": elbow})
        shaken.append((t, [TrackedPerson(0, lm, lm, np.zeros((33, 3)))]))
    times = np.array([t for t, _ in shaken])
    people = [p for _, (p,) in shaken]
    (elbows,) = [c for c in CANDIDATES if c.joints == "elbows"]
    (knees,) = [c for c in CANDIDATES if c.joints == "knees"]
    wide, regular = score(elbows, times, people), score(knees, times, people)
    assert wide.swing_deg > regular.swing_deg  # wider than the knees' 80
    assert wide.regularity < 0.7 < 0.9 < regular.regularity
    assert teach("x", shaken).exercise.joints == "knees"


def test_what_it_learnt_counts_the_same_movement_later() -> None:
    lesson = teach("my_squat", demonstration({"knee": (175.0, 80.0)}))
    # Ten slower, slightly shallower squats.
    later = demonstration({"knee": (172.0, 90.0)}, reps=10.0, period_s=3.0, seed=2)
    tracker = RepTracker(lesson.exercise)
    for t, people in later:
        tracker.update(people, t * 1000.0)
    assert tracker.counts() == {0: 10}


def test_standing_still_teaches_nothing() -> None:
    with pytest.raises(TeachError, match="no joint angle swings"):
        teach("nothing", demonstration({}, reps=2.0))


def test_nobody_seen_teaches_nothing() -> None:
    with pytest.raises(TeachError, match="nobody"):
        teach("nobody", [(k / FPS, []) for k in range(60)])


@pytest.mark.parametrize("name", ["squat", "custom", "../up", "", "1st", "a" * 41, "two words"])
def test_names_that_cannot_be_used(name: str) -> None:
    with pytest.raises(Exception) as caught:
        teach(name, demonstration({"knee": (175.0, 80.0)}))
    assert "\n" not in str(caught.value)
