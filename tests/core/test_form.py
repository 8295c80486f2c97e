"""Form cues and the camera check on hand-made skeletons: each rule speaks when its fault is
there, in its view, once a repetition, and stays quiet otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desktop_app.core.form import FormCoach, view_ratio
from desktop_app.core.reps import EXERCISES
from desktop_app.core.skeleton import LANDMARK_INDEX
from desktop_app.core.tracking import TrackedPerson

FRAME = (1280, 720)  # width, height in pixels
FPS = 30.0


def skeleton(points: dict[str, tuple[float, float]]) -> np.ndarray:
    """(33, 4) landmarks: the named points seen, every other joint not seen."""
    lm = np.zeros((33, 4), np.float32)
    lm[:, :2] = (640.0, 360.0)
    for name, (x, y) in points.items():
        lm[LANDMARK_INDEX[name]] = (x, y, 0.0, 0.99)
    return lm


def both(name: str, left: tuple[float, float], right: tuple[float, float]) -> dict:
    return {f"left_{name}": left, f"right_{name}": right}


def _knee_points(hip: np.ndarray, knee_deg: float, shin_px: float, out: float) -> tuple:
    """Knee and ankle under a hip so that the hip-knee-ankle angle is `knee_deg`: the shin
    stands upright, the thigh tilts `out` (+1 or -1) sideways in the picture."""
    knee = hip + np.array([out * shin_px * math.sin(math.radians(180 - knee_deg)),
                           shin_px * math.cos(math.radians(180 - knee_deg))])  # fmt: skip
    ankle = knee + np.array([0.0, shin_px])
    return tuple(knee), tuple(ankle)


def squatter(
    knee_deg: float,
    *,
    view: str = "front",
    knees_in: bool = False,
    lean_deg: float = 0.0,
    heels_up: bool = False,
) -> np.ndarray:
    """A person 600 px tall, facing the camera or side-on, knees bent to `knee_deg`, the trunk
    leaning `lean_deg` forward at the bottom, heels raised or not."""
    centre, top = 640.0, 60.0
    if view == "front":
        half_shoulders, half_hips = 90.0, 60.0
    else:
        half_shoulders, half_hips = 8.0, 6.0
    hip_y = top + 260.0
    points = {"nose": (centre, top)}
    lean_or_low = knee_deg < 120.0  # the trunk leans and the heels rise only near the bottom
    lean = math.radians(lean_deg) if lean_or_low else 0.0
    shoulder_x, shoulder_y = centre + 200.0 * math.sin(lean), hip_y - 200.0 * math.cos(lean)
    points |= both(
        "shoulder",
        (shoulder_x + half_shoulders, shoulder_y),
        (shoulder_x - half_shoulders, shoulder_y),
    )
    points |= both("hip", (centre + half_hips, hip_y), (centre - half_hips, hip_y))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hip = np.array([centre + sign * half_hips, hip_y])
        knee, ankle = _knee_points(hip, knee_deg, 150.0, sign)
        if knees_in:
            # The knees cave in towards each other the deeper the squat, the feet stay put.
            depth = (175.0 - knee_deg) / 95.0
            knee = (knee[0] - sign * 110.0 * depth, knee[1])
        points[f"{side}_knee"], points[f"{side}_ankle"] = knee, ankle
        points[f"{side}_heel"] = (
            ankle[0] - 10,
            ankle[1] + (-30 if heels_up and lean_or_low else 10),
        )
        points[f"{side}_foot_index"] = (ankle[0] + 30, ankle[1] + 12)
    return skeleton(points)


def person(lm: np.ndarray, pid: int = 0) -> TrackedPerson:
    return TrackedPerson(
        id=pid, landmarks_px=lm, raw_landmarks_px=lm, world_m=np.zeros((33, 3), np.float32)
    )


def run(coach: FormCoach, poses: list[np.ndarray], start_s: float = 0.0) -> list[str]:
    """Feed the poses one per frame; the texts of the cues said, in order."""
    said = []
    for i, lm in enumerate(poses):
        time_ms = (start_s + i / FPS) * 1000.0
        said += [e.text for e in coach.update([person(lm)], time_ms, FRAME).new]
    return said


def squat_reps(reps: int, bottom_deg: float, **kwargs) -> list[np.ndarray]:
    """Standing, then `reps` repetitions down to `bottom_deg` and back, 2 s each."""
    angles = [175.0] * 15
    for _ in range(reps):
        down = list(np.linspace(175.0, bottom_deg, 30))
        angles += down + [bottom_deg] * 6 + down[::-1] + [175.0] * 6
    return [squatter(a, **kwargs) for a in angles]


def test_the_view_is_told_from_the_shoulders_and_hips() -> None:
    assert view_ratio(squatter(175.0, view="front")) > 0.45
    assert view_ratio(squatter(175.0, view="side")) < 0.25


def test_a_good_squat_gets_no_cue() -> None:
    assert run(FormCoach(EXERCISES["squat"]), squat_reps(3, 80.0)) == []


def test_knees_caving_in_from_the_front_is_said_once_a_repetition() -> None:
    said = run(FormCoach(EXERCISES["squat"]), squat_reps(2, 80.0, knees_in=True))
    assert said == ["Knees out", "Knees out"]


def test_knees_are_not_judged_side_on() -> None:
    # Side-on the knees overlap in the picture: the rule cannot see, so it stays quiet.
    said = run(FormCoach(EXERCISES["squat"]), squat_reps(2, 80.0, view="side", knees_in=True))
    assert "Knees out" not in said


def test_a_squat_that_turns_back_half_way_is_told_to_go_lower() -> None:
    coach = FormCoach(EXERCISES["squat"])
    assert run(coach, squat_reps(1, 130.0)) == ["Go lower"]
    # A shallow dip (shifting weight) is not a repetition at all.
    assert run(FormCoach(EXERCISES["squat"]), squat_reps(1, 165.0)) == []


def plank(hip_offset_px: float, *, view: str = "side", elbow_deg: float = 170.0) -> np.ndarray:
    """A push-up plank side-on: shoulders at the left, ankles at the right, the hips
    `hip_offset_px` below (positive) or above the straight line between them."""
    y = 250.0
    shoulder, ankle = np.array([300.0, y]), np.array([900.0, y + 60])
    hip = shoulder + (ankle - shoulder) * 0.45 + np.array([0.0, hip_offset_px])
    # From the front, the shoulders are wide apart in the picture (and the torso, pointing at
    # the camera, foreshortened).
    width = 6.0 if view == "side" else 260.0
    points = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        dy = sign * width / 2
        points[f"{side}_shoulder"] = (shoulder[0], shoulder[1] + dy)
        points[f"{side}_hip"] = (hip[0], hip[1] + dy)
        points[f"{side}_ankle"] = (ankle[0], ankle[1] + dy)
        points[f"{side}_knee"] = tuple((hip + ankle) / 2 + np.array([0.0, dy]))
        # The arm: elbow below the shoulder, wrist under it, at `elbow_deg`.
        elbow = shoulder + np.array([0.0, 120.0])
        bend = math.radians(180 - elbow_deg)
        wrist = elbow + 120.0 * np.array([math.sin(bend), math.cos(bend)])
        points[f"{side}_elbow"] = (elbow[0], elbow[1] + dy)
        points[f"{side}_wrist"] = (wrist[0], wrist[1] + dy)
    return skeleton(points)


@pytest.mark.parametrize(
    ("offset_px", "cue"),
    [(80.0, "Hips up: keep a straight line"), (-110.0, "Hips down: keep a straight line")],
)
def test_push_up_hips_sagging_or_piking(offset_px: float, cue: str) -> None:
    poses = [plank(0.0)] * 10 + [plank(offset_px)] * 20
    assert run(FormCoach(EXERCISES["pushup"]), poses) == [cue]
    assert run(FormCoach(EXERCISES["pushup"]), [plank(0.0)] * 30) == []


def test_the_camera_check_says_what_to_change_and_waits_before_saying_it() -> None:
    coach = FormCoach(EXERCISES["squat"])
    assert coach.update([], 0.0, FRAME).camera == ""  # not yet: it must last half a second
    assert coach.update([], 600.0, FRAME).camera == "Step into the picture"
    feet_out = squatter(175.0)
    feet_out[LANDMARK_INDEX["left_ankle"], 1] = 719.9  # at the picture's bottom edge
    feet_out[LANDMARK_INDEX["right_ankle"], 3] = 0.1  # not seen
    coach.update([person(feet_out)], 700.0, FRAME)
    message = coach.update([person(feet_out)], 1300.0, FRAME).camera
    assert message == "Step back: your feet must be in the picture"
    small = squatter(175.0)
    small[:, :2] = 640.0 + (small[:, :2] - 640.0) * 0.2
    coach.update([person(small)], 1400.0, FRAME)
    assert coach.update([person(small)], 2000.0, FRAME).camera == (
        "Come closer: you are small in the picture"
    )
    coach.update([person(squatter(175.0))], 2100.0, FRAME)
    assert coach.update([person(squatter(175.0))], 2200.0, FRAME).camera == ""


def test_push_ups_filmed_from_the_front_ask_for_a_side_view() -> None:
    coach = FormCoach(EXERCISES["pushup"])
    poses = [plank(0.0, view="front")] * 30
    for i, lm in enumerate(poses):
        camera = coach.update([person(lm)], i * 1000.0 / FPS, FRAME).camera
    assert camera == "Turn side-on to the camera for push-ups"


def test_the_chest_dropping_side_on_is_said_and_not_from_the_front() -> None:
    side = run(FormCoach(EXERCISES["squat"]), squat_reps(1, 80.0, view="side", lean_deg=65.0))
    assert side == ["Chest up"]
    upright = run(FormCoach(EXERCISES["squat"]), squat_reps(1, 80.0, view="side", lean_deg=35.0))
    assert upright == []
    front = run(FormCoach(EXERCISES["squat"]), squat_reps(1, 80.0, lean_deg=65.0))
    assert "Chest up" not in front


def test_heels_rising_side_on() -> None:
    said = run(FormCoach(EXERCISES["squat"]), squat_reps(1, 80.0, view="side", heels_up=True))
    assert said == ["Heels down"]


def curler(elbow_deg: float, *, drift_deg: float = 0.0, sway_deg: float = 0.0) -> np.ndarray:
    """A person side-on curling: the upper arm `drift_deg` forward of the trunk, the trunk
    `sway_deg` off upright, the elbow bent to `elbow_deg`."""
    hip = np.array([640.0, 450.0])
    sway = math.radians(sway_deg)
    shoulder = hip + 220.0 * np.array([math.sin(sway), -math.cos(sway)])
    # Down along the trunk is (sin, cos) of -sway; the upper arm hangs `drift_deg` in front.
    drift = -sway + math.radians(drift_deg)
    elbow = shoulder + 130.0 * np.array([math.sin(drift), math.cos(drift)])
    # The forearm turns up from the upper arm by 180 - elbow_deg.
    turn = drift + math.radians(180.0 - elbow_deg)
    wrist = elbow + 120.0 * np.array([math.sin(turn), math.cos(turn)])
    points = {"nose": tuple(shoulder + np.array([0.0, -60.0]))}
    for side, dx in (("left", 4.0), ("right", -4.0)):
        points[f"{side}_shoulder"] = tuple(shoulder + np.array([dx, 0.0]))
        points[f"{side}_hip"] = tuple(hip + np.array([dx, 0.0]))
        points[f"{side}_elbow"] = tuple(elbow + np.array([dx, 0.0]))
        points[f"{side}_wrist"] = tuple(wrist + np.array([dx, 0.0]))
        points[f"{side}_knee"] = tuple(hip + np.array([dx, 120.0]))
        points[f"{side}_ankle"] = tuple(hip + np.array([dx, 240.0]))
    return skeleton(points)


def curl_reps(reps: int, **kwargs) -> list[np.ndarray]:
    sway = kwargs.pop("sway_deg", 0.0)
    poses = [curler(170.0, **kwargs)] * 15
    for _ in range(reps):
        up = np.linspace(170.0, 45.0, 25)
        swing = np.linspace(0.0, sway, 25)
        poses += [curler(a, sway_deg=w, **kwargs) for a, w in zip(up, swing, strict=True)]
        poses += [
            curler(a, sway_deg=w, **kwargs) for a, w in zip(up[::-1], swing[::-1], strict=True)
        ]
        poses += [curler(170.0, **kwargs)] * 6
    return poses


def test_curls_elbows_drifting_forward_and_the_body_swinging() -> None:
    assert run(FormCoach(EXERCISES["curl"]), curl_reps(2)) == []
    drift = run(FormCoach(EXERCISES["curl"]), curl_reps(2, drift_deg=50.0))
    assert drift == ["Keep your elbows at your sides"] * 2
    swing = run(FormCoach(EXERCISES["curl"]), curl_reps(1, sway_deg=25.0))
    assert swing == ["Don't swing: keep your body still"]


def test_push_up_that_stops_short_is_told_to_go_lower() -> None:
    angles = [170.0] * 10 + list(np.linspace(170, 125, 20)) + list(np.linspace(125, 170, 20))
    said = run(FormCoach(EXERCISES["pushup"]), [plank(0.0, elbow_deg=a) for a in angles])
    assert said == ["Go lower"]


def test_every_preset_says_what_the_camera_must_show() -> None:
    from desktop_app.core.form import NEEDS

    assert set(NEEDS) == set(EXERCISES)
