"""Finding one person afresh in every frame (PipelineSettings.find_every_frame, on in
`posecam annotate`): the skeleton drawn is the one the model sees in that frame, never a track
MediaPipe has locked onto a wrong pose, and with a second person in view the tracker keeps
following the first.

Real MediaPipe on real photos: scikit-image's astronaut moved along a known path, on which
MediaPipe's one-person tracking drifts off her for much of the sweep (test_fresh_look.py), and
matplotlib's Grace Hopper beside her.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from desktop_app.core.frame import Frame
from desktop_app.core.model import PoseModel
from desktop_app.core.pipeline import PipelineSettings, PosePipeline
from desktop_app.core.pose import PoseEstimator, PoseSettings, RunningMode
from testsupport.ground_truth import frames_off, photo_sweep


@pytest.mark.parametrize(
    ("settings", "detects", "looks_for"),
    [
        (PipelineSettings(), False, 1),
        (PipelineSettings(find_every_frame=True), True, 2),
        (PipelineSettings(find_every_frame=True, smoothing="oneeuro"), True, 2),
        # `none` is MediaPipe's output as it is: its own tracking and filter.
        (PipelineSettings(find_every_frame=True, smoothing="none"), False, 1),
        (PipelineSettings(num_poses=2), True, 2),
        (PipelineSettings(num_poses=3, find_every_frame=True), True, 3),
    ],
)
def test_who_detects_in_every_frame(
    settings: PipelineSettings, detects: bool, looks_for: int
) -> None:
    assert settings.detects_every_frame is detects
    assert settings.poses_to_find == looks_for


def test_a_person_found_in_every_frame_is_never_left_on_a_wrong_pose(
    astronaut: np.ndarray, model: PoseModel
) -> None:
    frames = list(photo_sweep(astronaut, 4.0, model))
    # MediaPipe following her, unchecked: what the test is about happens on this sweep.
    followed, compared = frames_off(frames, model, PipelineSettings(look_again=False))
    assert followed >= 0.3 * compared, (followed, compared)
    found, compared_found = frames_off(frames, model, PipelineSettings(find_every_frame=True))
    assert compared_found >= 0.9 * compared
    assert found == 0, (found, compared_found)
    with PosePipeline(model, PipelineSettings(find_every_frame=True)) as pipeline:
        pipeline.process(frames[0])
        # Nothing for the fresh look to check: there is no MediaPipe tracking.
        assert pipeline.finder.fresh_look is None


def _side_by_side(photos: list[np.ndarray]) -> np.ndarray:
    """Photos 500 px high side by side on a grey 1000 x 540 picture, from the left, where
    each would stand if all were there (the model finds both of these two there)."""
    canvas = np.full((540, 1000, 3), 120, np.uint8)
    x = 10
    for photo in photos:
        width = round(photo.shape[1] * 500 / photo.shape[0])
        canvas[20:520, x : x + width] = cv2.resize(photo, (width, 500))
        x += width + 20
    return canvas


def test_with_two_people_in_view_the_one_followed_stays_the_one_drawn(
    grace_hopper: np.ndarray, astronaut: np.ndarray, model: PoseModel
) -> None:
    hopper, both = _side_by_side([grace_hopper]), _side_by_side([grace_hopper, astronaut])
    with PoseEstimator(model, PoseSettings(num_poses=2), RunningMode.IMAGE) as still:
        found = still.estimate(both)
    assert len(found) == 2, "the model must see both for this test to tell"
    # Where each stands: the middle of their shoulders, in pixels from the left.
    her, astronaut_x = sorted(float(p.landmarks_px[[11, 12], 0].mean()) for p in found)
    seen = []
    with PosePipeline(model, PipelineSettings(find_every_frame=True)) as pipeline:
        for i in range(20):
            # Grace Hopper alone, then the astronaut comes into view from the right, a strip
            # a frame (all at once would be a scene cut, where tracks start again).
            rgb = hopper.copy()
            shown = min(450 + 60 * max(i - 3, 0), both.shape[1])
            rgb[:, :shown] = both[:, :shown]
            result = pipeline.process(Frame(rgb=rgb, time_ms=i * 33.0, index=i))
            assert len(result.people) == 1
            person = result.people[0]
            seen.append(person.id)
            x = float(person.landmarks_px[[11, 12], 0].mean())
            assert abs(x - her) < abs(x - astronaut_x), (i, x, her, astronaut_x)
        assert seen == [seen[0]] * 20
