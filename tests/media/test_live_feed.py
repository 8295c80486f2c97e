"""The live feed: newest frame wins, files play at their own rate, loop without time running
backwards, pause, and problems end the feed with one line."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from desktop_app.media.live_feed import LiveFeed
from desktop_app.media.sources import ImageSource, VideoFileSource


def test_a_file_plays_at_its_own_rate(short_clip: Path) -> None:
    feed = LiveFeed(lambda: VideoFileSource(short_clip)).start()
    try:
        frames = []
        while (fed := feed.next_frame(timeout_s=5)) is not None:
            frames.append(fed)
    finally:
        feed.stop()
    assert feed.problem is None and feed.ended
    assert len(frames) == 30 and feed.dropped == 0
    # 30 frames at 30 fps are released over about a second, not all at once.
    span_s = frames[-1].captured_s - frames[0].captured_s
    assert 0.8 < span_s < 1.5, span_s
    assert feed.info is not None and feed.info.size == (640, 480) and not feed.info.is_live


def test_a_slow_consumer_gets_the_newest_frame_and_the_rest_are_dropped(short_clip) -> None:
    feed = LiveFeed(lambda: VideoFileSource(short_clip)).start()
    try:
        first = feed.next_frame(timeout_s=5)
        time.sleep(0.5)  # a slow pose stage: about 15 frames arrive meanwhile
        later = feed.next_frame(timeout_s=5)
    finally:
        feed.stop()
    assert first is not None and later is not None
    assert later.frame.index - first.frame.index >= 10
    assert feed.dropped >= 9


def test_looping_continues_the_timeline(short_clip: Path) -> None:
    feed = LiveFeed(lambda: VideoFileSource(short_clip), loop=True).start()
    times = []
    try:
        while len(times) < 45:
            fed = feed.next_frame(timeout_s=5)
            assert fed is not None
            times.append(fed.frame.time_ms)
    finally:
        feed.stop()
    assert all(b > a for a, b in itertools.pairwise(times)), "time ran backwards at the loop"


def test_pause_holds_the_file(short_clip: Path) -> None:
    feed = LiveFeed(lambda: VideoFileSource(short_clip)).start()
    try:
        assert feed.next_frame(timeout_s=5) is not None
        feed.set_paused(True)
        time.sleep(0.1)
        feed.next_frame(timeout_s=0.2)  # at most the frame already on its way
        assert feed.next_frame(timeout_s=0.4) is None
        feed.set_paused(False)
        assert feed.next_frame(timeout_s=2) is not None
    finally:
        feed.stop()


def test_a_still_image_is_offered_again(tmp_path: Path, grace_hopper) -> None:
    from desktop_app.media.images import write_image

    path = tmp_path / "photo.png"
    write_image(path, grace_hopper)
    feed = LiveFeed(lambda: ImageSource(path)).start()
    try:
        a = feed.next_frame(timeout_s=5)
        b = feed.next_frame(timeout_s=5)
    finally:
        feed.stop()
    assert a is not None and b is not None and b.frame.time_ms > a.frame.time_ms
    assert feed.info is not None and feed.info.is_still


def test_a_missing_file_ends_the_feed_with_one_line(tmp_path: Path) -> None:
    feed = LiveFeed(lambda: VideoFileSource(tmp_path / "gone.mp4")).start()
    assert feed.next_frame(timeout_s=5) is None
    feed.stop()
    assert feed.problem is not None and "gone.mp4" in feed.problem and "\n" not in feed.problem
