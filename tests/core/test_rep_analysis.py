"""Each repetition measured, on hand-made angle sequences whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desktop_app.core.rep_analysis import REP_FIELDS, RepSample, measure_rep, summarise
from desktop_app.core.reps import EXERCISES, MAX_REP_S, RepCounter

SQUAT = EXERCISES["squat"]  # down 110, up 160
PRESS = EXERCISES["shoulder_press"]  # down 100, up 150, starts down
FPS = 10.0


def ramp(start: float, end: float, seconds: float) -> list[float]:
    """From `start` to `end` in `seconds` at FPS, `end` not included."""
    return list(np.linspace(start, end, round(seconds * FPS), endpoint=False))


def squat(
    bottom: float = 80.0, down_s: float = 1.0, up_s: float = 0.5, top: float = 170.0
) -> list[float]:
    """Standing for a second, down to `bottom` in `down_s`, held 0.3 s, up in `up_s`."""
    return [top] * 10 + ramp(top, bottom, down_s) + [bottom] * 3 + ramp(bottom, top, up_s)


def feed(counter: RepCounter, angles: list[float], **sides: list[float]) -> RepCounter:
    for i, angle in enumerate(angles):
        extra = {name: values[i] for name, values in sides.items()}
        counter.update(angle, i / FPS, **extra)
    return counter


def test_a_squat_is_timed_between_the_threshold_crossings_and_measured() -> None:
    angles = squat() + [170.0] * 10
    counter = feed(RepCounter(SQUAT), angles)
    (rep,) = counter.reps
    # Down from 170 to 80 in 1 s: 9 degrees a frame from t=1.0; the last frame at or above
    # 160 is t=1.1 (161), the bottom is reached at t=2.0 and held to 2.3 (the way up starts
    # there, at 80), so the turn is the hold's middle, 2.15; on the way up (18 degrees a frame
    # from t=2.3) 161.6 at t=2.8 is the first back at rest.
    assert rep.start_s == pytest.approx(1.1)
    assert rep.turn_s == pytest.approx(2.15)
    assert rep.end_s == pytest.approx(2.8)
    assert rep.time_out_s == pytest.approx(1.05)
    assert rep.time_back_s == pytest.approx(0.65)
    assert rep.depth_deg == pytest.approx(80.0)
    assert rep.range_deg == pytest.approx(90.0)  # from standing at 170
    assert math.isnan(rep.asymmetry_deg) and math.isnan(rep.trunk_lean_deg)
    assert rep.seen_share == 1.0 and rep.quality == "good"
    assert counter.last_rep is rep


def test_a_press_turns_at_its_top() -> None:
    racked, locked = 50.0, 178.0
    angles = [racked] * 10 + ramp(racked, locked, 1.0) + [locked] * 5 + ramp(locked, racked, 1.0)
    counter = feed(RepCounter(PRESS), angles + [racked] * 5)
    (rep,) = counter.reps
    assert rep.depth_deg == pytest.approx(locked)
    assert rep.range_deg == pytest.approx(locked - racked)
    assert rep.turn_s == pytest.approx(2.25)  # the middle of the hold at the top, 2.0-2.5


def test_the_turn_of_a_noisy_hold_is_its_middle_not_its_noisiest_frame() -> None:
    # Held overhead from 2.0 to 3.0 s while the angle wanders by 3 degrees, its highest
    # sample near the end: the turn is where the hold is, not where the noise peaked.
    racked = 50.0
    wander = [176.0, 177.5, 175.0, 176.5, 177.0, 175.5, 176.0, 177.0, 176.5, 178.0, 176.0]
    angles = [racked] * 10 + ramp(racked, 176.0, 1.0) + wander + ramp(176.0, racked, 1.0)
    counter = feed(RepCounter(PRESS), angles + [racked] * 5)
    (rep,) = counter.reps
    assert rep.depth_deg == pytest.approx(178.0)
    assert rep.turn_s == pytest.approx(2.5, abs=0.11)


def test_asymmetry_and_trunk_lean_are_read_past_the_turning_threshold() -> None:
    angles = squat() + [170.0] * 5
    # The left knee bends 30 degrees more than the right past the bottom threshold (110).
    left = [a - 15.0 if a <= SQUAT.down_deg else a for a in angles]
    right = [a + 15.0 if a <= SQUAT.down_deg else a for a in angles]
    lean = [10.0 if a > SQUAT.down_deg else 40.0 for a in angles]
    counter = feed(RepCounter(SQUAT), angles, left_deg=left, right_deg=right, trunk_lean_deg=lean)
    (rep,) = counter.reps
    assert rep.asymmetry_deg == pytest.approx(-30.0)
    assert rep.trunk_lean_deg == pytest.approx(40.0)
    assert rep.issues == ("uneven",)


def test_reps_are_compared_with_the_persons_own_earlier_ones() -> None:
    angles = squat() * 3 + squat(bottom=135.0 - 30.0) + squat(down_s=0.4, up_s=0.2)
    counter = feed(RepCounter(SQUAT), angles + [170.0] * 5)
    assert counter.count == 5
    first, _, _, shallow, quick = counter.reps
    # The first reps have nothing to compare with; the fourth goes 65 of the usual 90
    # degrees, the fifth takes about half the usual time.
    assert first.issues == () and shallow.issues == ("short range",)
    assert quick.issues == ("rushed",)
    summary = summarise(counter.reps)
    assert summary.reps == 5 and summary.flagged == 2
    assert summary.depth_mean_deg == pytest.approx((80.0 * 4 + 105.0) / 5)
    assert summary.depth_spread_deg == pytest.approx(np.std([80.0] * 4 + [105.0]))


def test_a_rep_measured_on_few_frames_is_partly_seen() -> None:
    angles = squat()
    # Half of the way down unseen.
    for i in range(12, 18):
        angles[i] = math.nan
    counter = feed(RepCounter(SQUAT), angles + [170.0] * 5)
    (rep,) = counter.reps
    assert rep.quality == "partly seen"
    assert rep.seen_share == pytest.approx(1 - 6 / 18)


def test_a_long_stay_at_the_bottom_is_not_a_repetition() -> None:
    stay = [80.0] * round((MAX_REP_S + 5.0) * FPS)
    counter = feed(RepCounter(SQUAT), [170.0] * 10 + stay + [170.0] * 10 + squat() + [170.0] * 5)
    assert counter.count == 1  # only the squat after it
    assert counter.reps[0].depth_deg == pytest.approx(80.0)


def test_a_long_rest_keeps_only_the_last_seconds() -> None:
    counter = feed(RepCounter(SQUAT), [170.0] * 3000 + squat() + [172.0] * 3000)
    assert counter.count == 1
    assert len(counter._samples) <= 4 * FPS  # what is kept stays bounded


def test_plain_numbers_for_files() -> None:
    counter = feed(RepCounter(SQUAT), squat() + [170.0] * 5)
    row = counter.reps[0].as_dict()
    assert tuple(row) == REP_FIELDS
    assert row["asymmetry_deg"] is None  # NaN has no place in JSON
    assert row["quality"] == "good" and row["rep"] == 1
    summary = summarise(counter.reps).as_dict()
    assert summary["reps"] == 1 and summary["depth_spread_deg"] == 0.0
    assert summarise([]).as_dict()["depth_mean_deg"] is None


def test_a_repetition_with_no_rest_seen_before_it_turns_at_its_extreme() -> None:
    # The joints unseen until the way down: no range to set the hold's band by.
    nan = math.nan
    samples = [
        RepSample(time_s=i / FPS, angle_deg=a, left_deg=nan, right_deg=nan, trunk_lean_deg=nan)
        for i, a in enumerate([nan, nan, 90.0, 80.0, 85.0, 160.0])
    ]
    rep = measure_rep(samples, start=1, end=5, turn_is_low=True, past_turn=[False] * 6, number=1)
    assert rep.turn_s == pytest.approx(0.3) and rep.depth_deg == 80.0
    assert math.isnan(rep.range_deg)


def test_a_repetition_that_comes_back_near_its_extreme_turns_in_one_hold() -> None:
    # Down to 80 (held 2.0-2.3 s: the way up starts at 80), half way up to 130 (still below
    # the rest threshold, 160: one repetition) and down again to 81, then up: the second
    # visit is within the hold's band (5 % of 90 degrees) but 1 s later, and the turn must
    # not fall between the two, at 130, where the person was not turning.
    angles = (
        [170.0] * 10
        + ramp(170.0, 80.0, 1.0)
        + [80.0] * 3
        + ramp(80.0, 130.0, 0.5)
        + ramp(130.0, 81.0, 0.5)
        + [81.0] * 3
        + ramp(81.0, 170.0, 0.5)
        + [170.0] * 5
    )
    counter = feed(RepCounter(SQUAT), angles)
    (rep,) = counter.reps
    assert rep.depth_deg == pytest.approx(80.0)
    assert rep.turn_s == pytest.approx(2.15)  # the middle of the first hold
    # An unseen frame inside the hold does not break it.
    angles[21] = math.nan
    (rep,) = feed(RepCounter(SQUAT), angles).reps
    assert rep.turn_s == pytest.approx(2.15)


def test_the_trunk_lean_is_read_at_the_turning_point() -> None:
    # Held at the bottom from 2.0 to 2.5 s, deepest (by a hair) at its first frame, leaning
    # 40 degrees there and 20 from 2.2 s on.
    angles = [170.0] * 10 + ramp(170.0, 80.0, 1.0) + [79.5, 80, 80, 80, 80] + ramp(80, 170, 0.5)
    angles += [170.0] * 5
    lean = [40.0 if i < 22 else 20.0 for i in range(len(angles))]
    (rep,) = feed(RepCounter(SQUAT), angles, trunk_lean_deg=lean).reps
    assert rep.turn_s == pytest.approx(2.25)
    assert rep.trunk_lean_deg == pytest.approx(20.0)
