"""Finding people ahead of the pipeline, on threads of their own: what each frame gets is what
one pose model alone would have found in it, frames come back in the order taken, none is lost,
and found afresh two models work at once."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from desktop_app.core.pipeline import Found, PipelineSettings, PoseFinder
from desktop_app.media.finding_ahead import MODELS_FINDING_AFRESH, FindingAhead
from desktop_app.media.live_feed import FeedFrame, LiveFeed
from desktop_app.media.sources import VideoFileSource

# How long to wait, in real seconds, for something that must happen however busy the machine.
_PATIENCE_S = 60.0

AFRESH = PipelineSettings(find_every_frame=True)
FOLLOWING = PipelineSettings()


def _everything(finding: FindingAhead) -> list[tuple[FeedFrame, Found]]:
    """Every frame the finding gives until the feed is over."""
    given = []
    deadline = time.monotonic() + _PATIENCE_S * 4
    while not finding.exhausted and time.monotonic() < deadline:
        got = finding.next(timeout_s=0.5)
        if got is not None:
            given.append(got)
    assert finding.exhausted
    return given


def _landmarks(found: Found) -> np.ndarray:
    return np.array([p.landmarks_px for p in found.people])


def _run(model, clip: Path, settings: PipelineSettings) -> list[tuple[FeedFrame, Found]]:
    feed = LiveFeed(lambda: VideoFileSource(clip))
    try:
        # The models are ready before the file starts to play, as in the live loop.
        with FindingAhead(feed, model, settings) as finding:
            feed.start()
            finding.start()
            return _everything(finding)
    finally:
        feed.stop()


def test_found_afresh_each_frame_gets_what_one_model_finds_in_it(model, short_clip: Path) -> None:
    assert AFRESH.finds_afresh
    given = _run(model, short_clip, AFRESH)
    indices = [fed.frame.index for fed, _ in given]
    # In the order taken, each once, to the clip's last frame (a busy machine may skip some,
    # as the feed drops what nobody took in time).
    assert indices == sorted(set(indices)) and indices[-1] == 29 and len(indices) >= 2
    with PoseFinder(model, AFRESH) as alone:
        for fed, found in given:
            expected = alone.find(fed.frame)
            assert len(found.people) == len(expected.people) == 1, fed.frame.index
            np.testing.assert_allclose(_landmarks(found), _landmarks(expected), atol=1e-3)


def test_followed_from_frame_to_frame_one_model_takes_the_frames_in_order(
    model, short_clip: Path
) -> None:
    assert not FOLLOWING.finds_afresh
    given = _run(model, short_clip, FOLLOWING)
    indices = [fed.frame.index for fed, _ in given]
    assert indices == sorted(set(indices)) and indices[-1] == 29
    # MediaPipe's following depends on every frame before: one model over the same frames,
    # in the same order, finds the same.
    with PoseFinder(model, FOLLOWING) as alone:
        for fed, found in given:
            np.testing.assert_allclose(
                _landmarks(found), _landmarks(alone.find(fed.frame)), atol=1e-3
            )


def _waiting_reaches(finding: FindingAhead, count: int) -> bool:
    deadline = time.monotonic() + _PATIENCE_S
    while finding.waiting < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return finding.waiting >= count


def test_found_afresh_several_frames_are_found_at_once_and_no_more_wait(
    model, short_clip: Path
) -> None:
    for settings, at_once in ((AFRESH, MODELS_FINDING_AFRESH), (FOLLOWING, 1)):
        feed = LiveFeed(lambda: VideoFileSource(short_clip)).start()
        try:
            with FindingAhead(feed, model, settings).start() as finding:
                # Nobody takes what was found: the models fill the room they have, no more.
                assert _waiting_reaches(finding, at_once)
                time.sleep(0.3)  # a frame or more of the clip: a model that took more would
                assert finding.waiting == at_once
                given = [finding.next(timeout_s=_PATIENCE_S) for _ in range(at_once)]
                assert all(g is not None for g in given)
        finally:
            feed.stop()


def test_new_settings_apply_to_the_frames_taken_after_and_none_is_lost(
    model, short_clip: Path
) -> None:
    feed = LiveFeed(lambda: VideoFileSource(short_clip))
    try:
        with FindingAhead(feed, model, FOLLOWING) as finding:
            feed.start()
            finding.start()
            given: list[tuple[FeedFrame, Found]] = []
            deadline = time.monotonic() + _PATIENCE_S * 4
            while not finding.exhausted and time.monotonic() < deadline:
                got = finding.next(timeout_s=0.5)
                if got is None:
                    continue
                given.append(got)
                if len(given) == 5:
                    finding.configure(AFRESH)
                if len(given) == 15:
                    finding.configure(PipelineSettings(num_poses=2))
    finally:
        feed.stop()
    indices = [fed.frame.index for fed, _ in given]
    assert indices == sorted(set(indices)) and indices[-1] == 29
    # Grace Hopper in every frame, however she was found.
    assert all(len(found.people) == 1 for _, found in given)


def test_closing_with_frames_in_hand_stops_the_threads(model, short_clip: Path) -> None:
    import threading

    feed = LiveFeed(lambda: VideoFileSource(short_clip), loop=True).start()
    finding = FindingAhead(feed, model, AFRESH).start()
    try:
        assert _waiting_reaches(finding, 1)
    finally:
        finding.close()
        feed.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("posecam-find")]


def _two_scenes(path: Path, first: np.ndarray, second: np.ndarray, frames: int = 12) -> Path:
    """A 30 fps clip of `frames` frames of one photo, then as many of another: one cut."""
    import cv2

    from desktop_app.media.video_writer import VideoWriter

    with VideoWriter(path, 30.0) as writer:
        for scene, photo in enumerate((first, second)):
            picture = np.ascontiguousarray(cv2.resize(photo[:, :, :3], (320, 240)))
            for i in range(scene * frames, (scene + 1) * frames):
                writer.write(picture, i * 1000.0 / 30.0)
    return path


def test_a_cut_is_one_new_scene_though_two_models_take_turns(
    model, grace_hopper, astronaut, tmp_path: Path
) -> None:
    # Each model sees every other frame; judged by each, the cut would be told twice (the
    # frame after it compared with the one before it), and the people tracked restarted twice.
    clip = _two_scenes(tmp_path / "cut.mp4", grace_hopper, astronaut)
    given = _run(model, clip, AFRESH)
    cuts = [fed.frame.index for fed, found in given if found.new_scene]
    first_of_second = min(fed.frame.index for fed, _ in given if fed.frame.index >= 12)
    assert cuts == [first_of_second]
