"""One skeleton per real person: hand-made sequences for the tracker's checks."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.pose import PersonPose
from desktop_app.core.skeleton import LANDMARK_INDEX
from desktop_app.core.smoothing import make_smoother
from desktop_app.core.tracking import MIRROR, _ninetieth_percentile, drop_duplicates

IDX = LANDMARK_INDEX
FRAME_MS = 1000 / 30


def standing(
    x: float = 400.0, y: float = 100.0, scale: float = 1.0, vis: float = 0.9
) -> np.ndarray:
    """A front-facing person, about 400 px tall at scale 1, head at the top, feet at the
    bottom; the person's left is on the picture's right."""
    lm = np.zeros((33, 4), np.float32)
    for name, (dx, dy) in {
        "nose": (0, 0), "left_eye_inner": (5, -8), "left_eye": (10, -8),
        "left_eye_outer": (15, -8), "right_eye_inner": (-5, -8), "right_eye": (-10, -8),
        "right_eye_outer": (-15, -8), "left_ear": (22, -2), "right_ear": (-22, -2),
        "mouth_left": (8, 12), "mouth_right": (-8, 12), "left_shoulder": (50, 60),
        "right_shoulder": (-50, 60), "left_elbow": (65, 140), "right_elbow": (-65, 140),
        "left_wrist": (70, 210), "right_wrist": (-70, 210), "left_pinky": (72, 225),
        "right_pinky": (-72, 225), "left_index": (70, 228), "right_index": (-70, 228),
        "left_thumb": (64, 220), "right_thumb": (-64, 220), "left_hip": (35, 200),
        "right_hip": (-35, 200), "left_knee": (40, 300), "right_knee": (-40, 300),
        "left_ankle": (42, 390), "right_ankle": (-42, 390), "left_heel": (40, 400),
        "right_heel": (-40, 400), "left_foot_index": (55, 405), "right_foot_index": (-55, 405),
    }.items():  # fmt: skip
        lm[IDX[name], :2] = (x + scale * dx, y + scale * dy)
    lm[:, 3] = vis
    return lm


def person(lm: np.ndarray) -> PersonPose:
    return PersonPose(landmarks_px=lm, world_m=np.zeros((33, 3), np.float32))


def test_two_detections_on_one_body_become_the_more_confident_one() -> None:
    sure, echo = standing(vis=0.95), standing(vis=0.7)
    echo[:, :2] += np.random.default_rng(0).normal(0, 4, (33, 2))
    echo[IDX["left_wrist"], :2] += 150  # a second detection is rarely a perfect copy
    other = standing(x=900.0)
    kept = drop_duplicates([person(echo), person(other), person(sure)], 0.12)
    assert len(kept) == 2
    assert any(p.landmarks_px is sure for p in kept) and any(p.landmarks_px is other for p in kept)
    # Through the tracker: one body, one skeleton, frame after frame.
    smoother = make_smoother("kalman", 0.5, max_people=2)
    for i in range(10):
        tracked = smoother.update([person(echo), person(sure)], i * FRAME_MS)
        assert [p.id for p in tracked] == [0]


def test_two_people_side_by_side_are_not_merged() -> None:
    smoother = make_smoother("kalman", 0.5, max_people=2)
    tracked = smoother.update([person(standing(x=300.0)), person(standing(x=520.0))], 0.0)
    assert [p.id for p in tracked] == [0, 1]


def test_a_garbled_skeleton_is_not_taken_and_a_lasting_change_restarts() -> None:
    smoother = make_smoother("kalman", 0.5, max_people=1)
    for i in range(40):
        smoother.update([person(standing())], i * FRAME_MS)
    garbled = standing()
    # The left leg snaps onto someone (or something) far away: thigh and shin 3x too long.
    garbled[[IDX["left_knee"], IDX["left_ankle"]], 0] += 500
    (shown,) = smoother.update([person(garbled)], 40 * FRAME_MS)
    assert shown.coasting, "the garbled detection must not be drawn as the person"
    assert abs(shown.landmarks_px[IDX["left_knee"], 0] - standing()[IDX["left_knee"], 0]) < 5
    (back,) = smoother.update([person(standing())], 41 * FRAME_MS)
    assert not back.coasting and back.id == 0
    # A shape that lasts is believed (a zoom, a new pose): the track restarts with it.
    for i in range(42, 46):
        (last,) = smoother.update([person(garbled)], i * FRAME_MS)
    assert not last.coasting and last.id == 0


def test_a_real_flip_is_kept() -> None:
    """Upside down is not implausible: the limbs keep their lengths."""
    smoother = make_smoother("kalman", 0.5, max_people=1)
    centre = np.array([400.0, 300.0])
    frames = 30
    for i in range(40 + frames):
        lm = standing(y=100.0)
        angle = max(0, i - 40) / frames * np.pi  # half a turn in one second
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        lm[:, :2] = (lm[:, :2] - centre) @ rotation.T + centre
        (tracked,) = smoother.update([person(lm)], i * FRAME_MS)
        assert not tracked.coasting and tracked.id == 0, i
    # Upside down at the end, and the skeleton is on the person.
    assert tracked.landmarks_px[IDX["nose"], 1] > tracked.landmarks_px[IDX["left_ankle"], 1]
    assert np.abs(tracked.landmarks_px[:, :2] - lm[:, :2]).max() < 0.1 * 400


def test_a_left_right_swap_for_three_frames_is_undone() -> None:
    smoother = make_smoother("kalman", 0.5, max_people=1)
    for i in range(30):
        smoother.update([person(standing())], i * FRAME_MS)
    swapped = standing()[MIRROR]  # the model's labels swapped, the picture unchanged...
    for i in range(30, 33):
        (tracked,) = smoother.update([person(swapped)], i * FRAME_MS)
        # ...so the person's left wrist stays on the picture's right.
        assert tracked.landmarks_px[IDX["left_wrist"], 0] > 400
        assert tracked.raw_landmarks_px[IDX["left_wrist"], 0] > 400


def test_a_person_who_turns_around_slowly_is_not_swapped() -> None:
    smoother = make_smoother("kalman", 0.5, max_people=1)
    for i in range(91):
        lm = standing()
        # Turning: the x offsets shrink to nothing and grow again mirrored over 3 s.
        lm[:, 0] = 400.0 + (lm[:, 0] - 400.0) * np.cos(i / 90 * np.pi)
        (tracked,) = smoother.update([person(lm)], i * FRAME_MS)
    assert tracked.landmarks_px[IDX["left_wrist"], 0] < 400  # now facing away


def test_a_loop_or_seek_restarts_the_tracks() -> None:
    smoother = make_smoother("kalman", 0.5, max_people=2)
    for i in range(20):
        smoother.update([person(standing(x=300.0)), person(standing(x=700.0))], i * FRAME_MS)
    # Time goes back (a video loops): the people from the end must not hang on.
    tracked = smoother.update([person(standing(x=500.0))], 0.0)
    assert len(tracked) == 1 and tracked[0].id == 0 and not tracked[0].coasting
    assert np.allclose(tracked[0].landmarks_px[:, :2], standing(x=500.0)[:, :2])
    # A jump ahead (a seek) as well.
    tracked = smoother.update([person(standing(x=200.0))], 5000.0)
    assert len(tracked) == 1 and np.allclose(
        tracked[0].landmarks_px[:, :2], standing(x=200.0)[:, :2]
    )


def test_a_fast_limb_is_followed_while_the_body_stays() -> None:
    """A forearm swinging 120 degrees in 0.2 s: the smoothed wrist stays on it."""
    smoother = make_smoother("kalman", 0.5, max_people=1)
    rng = np.random.default_rng(3)
    elbow = standing()[IDX["left_elbow"], :2]
    errors, still_errors = [], []
    for i in range(60):
        lm = standing()
        lm[:, :2] += rng.normal(0, 1.5, (33, 2))
        swing = np.clip((i - 30) / 6, 0, 1) * 2 * np.pi / 3  # 6 frames at 30 fps
        forearm = np.array([np.sin(swing), np.cos(swing)]) * 70
        lm[IDX["left_wrist"], :2] = elbow + forearm
        (tracked,) = smoother.update([person(lm)], i * FRAME_MS)
        error = np.linalg.norm(tracked.landmarks_px[IDX["left_wrist"], :2] - (elbow + forearm))
        (errors if 30 <= i <= 40 else still_errors).append(error)
    # Within a frame of where the wrist is (it moves ~20 px a frame), never dragged behind.
    assert max(errors) < 20, errors
    # And the still body stays steady.
    assert np.median(still_errors[10:]) < 2.0


def test_a_body_folded_onto_itself_for_a_frame_is_not_taken() -> None:
    smoother = make_smoother("kalman", 0.5, max_people=1)
    for i in range(10):
        smoother.update([person(standing())], i * FRAME_MS)
    folded = standing()
    # The model drops the head and shoulders onto the hips for one frame.
    upper = [i for i in range(23)]
    folded[upper, 1] += 130
    (shown,) = smoother.update([person(folded)], 10 * FRAME_MS)
    assert shown.coasting
    assert abs(shown.landmarks_px[IDX["nose"], 1] - standing()[IDX["nose"], 1]) < 5
    (back,) = smoother.update([person(standing())], 11 * FRAME_MS)
    assert not back.coasting and back.id == 0


def test_the_assignment_is_the_cheapest_as_scipy_finds_it() -> None:
    """The tracker's own Hungarian method pairs people at the least total cost, as SciPy's
    finds it, for every shape up to ten people a side (the most the pose model looks for)."""
    from scipy.optimize import linear_sum_assignment

    from desktop_app.core.tracking import _cheapest_assignment

    rng = np.random.default_rng(0)
    for trial in range(1000):
        rows, cols = rng.integers(1, 11, 2)
        cost = rng.random((rows, cols))
        if trial % 3 == 0:
            # Ties, as equal distances give: a few values only.
            cost = np.round(cost * 3) / 3
        ours = _cheapest_assignment(cost)
        theirs = linear_sum_assignment(cost)
        assert len(ours[0]) == min(rows, cols) == len(set(ours[0])) == len(set(ours[1]))
        assert sum(cost[r, c] for r, c in zip(*ours, strict=True)) == pytest.approx(
            cost[theirs].sum()
        )


def test_the_usual_bone_length_is_numpys_90th_percentile_of_the_lengths_seen() -> None:
    """The quick percentile behind the limb-length check agrees with np.nanpercentile on
    histories of any length with any share of unseen (NaN) lengths, a column seen once or
    never included."""
    rng = np.random.default_rng(3)
    for _ in range(300):
        history = rng.random((int(rng.integers(1, 320)), 14))
        history[rng.random(history.shape) < rng.random()] = np.nan
        history[:, 0] = np.nan
        history[:, 1] = np.nan
        history[rng.integers(len(history)), 1] = 0.25
        with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
            expected = np.nanpercentile(history, 90, axis=0)
        np.testing.assert_allclose(_ninetieth_percentile(history), expected, equal_nan=True)


def _followed_x(smoother, frames: list[list[np.ndarray]]) -> list[tuple[int, float, bool]]:
    """(id, nose x, coasting) of the one person drawn in each frame."""
    out = []
    for i, found in enumerate(frames):
        (tracked,) = smoother.update([person(lm) for lm in found], i * FRAME_MS)
        out.append((tracked.id, float(tracked.landmarks_px[IDX["nose"], 0]), tracked.coasting))
    return out


def test_one_wanted_and_found_afresh_a_missed_frame_does_not_hand_the_skeleton_on() -> None:
    # One person wanted, the pose model looking for two (core.pipeline.finds_afresh): the
    # person followed (x=300) is missed for two frames while someone else (x=800) is found.
    user, other = standing(x=300.0), standing(x=800.0, scale=0.9)
    frames = [[user, other]] * 5 + [[other]] * 2 + [[user, other]] * 5
    waits = _followed_x(make_smoother("kalman", 0.5, 1, newcomers_wait=True), frames)
    assert {pid for pid, _, _ in waits} == {0}
    assert all(abs(x - 300.0) < 5.0 for _, x, _ in waits)
    assert [coasting for _, _, coasting in waits] == [False] * 5 + [True] * 2 + [False] * 5
    # Without it (the window, where the model looks for exactly the people wanted), the
    # other person would have been taken at once, under the same id.
    plain = _followed_x(make_smoother("kalman", 0.5, 1), frames)
    assert any(abs(x - 800.0) < 5.0 for _, x, _ in plain)


def test_one_wanted_among_several_the_largest_is_followed_first() -> None:
    far, near = standing(x=300.0, scale=0.6), standing(x=800.0, scale=1.2)
    smoother = make_smoother("kalman", 0.5, 1, newcomers_wait=True)
    (tracked,) = smoother.update([person(far), person(near)], 0.0)
    assert tracked.landmarks_px[IDX["nose"], 0] == pytest.approx(800.0)
