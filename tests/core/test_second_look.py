"""The second look: where it looks, and that it finds a person the model missed, on real
photos, without adding anyone who is not there."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_app.core.frame import Frame
from desktop_app.core.pipeline import PipelineSettings, PosePipeline
from desktop_app.core.second_look import free_windows
from desktop_app.media.sources import VideoFileSource


def test_nobody_found_in_a_wide_frame_means_two_overlapping_windows_then_the_edges() -> None:
    windows = free_windows(1280, 720, [])
    assert len(windows) == 4
    assert windows[0].x0 == 0 and windows[1].x1 == 1280
    assert windows[0].x1 > windows[1].x0  # they overlap: nobody is cut in two by a seam
    # Then a strip half the height wide at each side edge, where people walk in.
    assert [(w.x0, w.x1) for w in windows[2:]] == [(0, 360), (920, 1280)]
    for w in windows:
        assert (w.y0, w.y1) == (0, 720)
        assert w.width < 1280 * 0.7  # enlarged: the detector sees it bigger than the frame


def test_an_edge_a_person_covers_gets_no_strip() -> None:
    windows = free_windows(1280, 720, [(1100.0, 1280.0)])
    assert (0, 360) in [(w.x0, w.x1) for w in windows]
    assert all(w.x1 <= 1100 for w in windows)


def test_no_window_where_it_would_not_enlarge_anything() -> None:
    # A portrait frame is as high as it is long: any full-height window is the whole frame's
    # scale again, which the main pass has just looked at.
    assert free_windows(1080, 1920, []) == []


def test_windows_leave_out_the_people_found() -> None:
    person = (560.0, 720.0)
    windows = free_windows(1280, 720, [person])
    assert windows, "there is room left and right of the person"
    for w in windows:
        assert w.x1 <= person[0] or w.x0 >= person[1]
    assert {w.x0 == 0 for w in windows} == {True, False}  # one on each side


def _two_people(grace_hopper: np.ndarray, astronaut: np.ndarray, *, both: bool) -> np.ndarray:
    """A 1280 x 720 grey picture with the two photos 300 px high, side by side, far apart:
    small in a wide frame, where MediaPipe's detector (which sees the frame at 224 x 224)
    finds only one of them."""
    canvas = np.full((720, 1280, 3), 120, np.uint8)
    photos = [(grace_hopper, 160), (astronaut, 800)] if both else [(astronaut, 800)]
    for photo, x in photos:
        scale = 300 / photo.shape[0]
        small = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        canvas[240 : 240 + small.shape[0], x : x + small.shape[1]] = small
    return canvas


def _people_seen(model, rgb: np.ndarray, settings: PipelineSettings, frames: int) -> list[int]:
    with PosePipeline(model, settings) as pipeline:
        return [
            pipeline.process(Frame(rgb=rgb, time_ms=i * 33.0, index=i)).people_seen
            for i in range(frames)
        ]


@pytest.mark.parametrize("smoothing", ["none", "kalman"])
def test_a_person_the_model_missed_is_found_by_the_second_look(
    model, grace_hopper, astronaut, smoothing: str
) -> None:
    rgb = _two_people(grace_hopper, astronaut, both=True)
    settings = PipelineSettings(num_poses=2, smoothing=smoothing)
    without = _people_seen(model, rgb, PipelineSettings(num_poses=2, look_again=False), 8)
    assert max(without) == 1, "the model alone finds both: this picture tests nothing"
    # Seen on the first frame, shown from the second sighting on, and kept: the look follows
    # them while the model misses them.
    assert _people_seen(model, rgb, settings, 8) == [1] + [2] * 7


def test_the_second_look_adds_nobody_who_is_not_there(model, grace_hopper, astronaut) -> None:
    alone = _two_people(grace_hopper, astronaut, both=False)
    assert _people_seen(model, alone, PipelineSettings(num_poses=2), 12) == [1] * 12


def test_a_person_walking_in_at_the_edge_is_found_early(shared_data: Path, model) -> None:
    # On the shared walking clip a woman steps in at the right edge; she is plainly there,
    # half in the picture, from about frame 15. She gets a skeleton at frame 37 from the
    # model alone, at 32 with the square windows of the second look, at 24 with the strips.
    clip = shared_data / "videos" / "walking_side_view_720p.mp4"
    with VideoFileSource(clip) as source, PosePipeline(model, PipelineSettings()) as pipeline:
        first = next(f.index for f in source if pipeline.process(f).people_seen)
    assert first <= 28
