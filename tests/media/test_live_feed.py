"""The live feed: newest frame wins, files play at their own rate, loop without time running
backwards, pause, and problems end the feed with one line."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from desktop_app.media.live_feed import FeedFrame, LiveFeed
from desktop_app.media.sources import ImageSource, VideoFileSource

# How long to wait, in real seconds, for something that must happen however busy the machine.
_PATIENCE_S = 60.0


class ManualClock:
    """Time that moves only when the test moves it: the feed's pacing becomes exact, and a busy
    machine can make the test slower but never change what it sees."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def take(feed: LiveFeed, patience_s: float = _PATIENCE_S) -> FeedFrame | None:
    """The next frame, waiting up to `patience_s` real seconds (the feed's own timeout runs on
    its clock, which may stand still)."""
    deadline = time.monotonic() + patience_s
    while True:
        fed = feed.next_frame(timeout_s=0)
        if fed is not None or feed.ended or time.monotonic() > deadline:
            return fed
        time.sleep(0.002)


def clip_times_s(clip: Path) -> list[float]:
    """Each frame's time in the clip, in seconds from the first."""
    with VideoFileSource(clip) as source:
        times_ms = [f.time_ms for f in source]
    return [(t - times_ms[0]) / 1000.0 for t in times_ms]


def test_a_file_plays_at_its_own_rate(short_clip: Path) -> None:
    due_s = clip_times_s(short_clip)
    clock = ManualClock()
    feed = LiveFeed(lambda: VideoFileSource(short_clip), clock=clock).start()
    frames: list[FeedFrame] = []
    try:
        for i, frame_due_s in enumerate(due_s):
            if i:
                # A moment before its time the frame is not out yet ...
                clock.now_s = frame_due_s - 0.001
                assert take(feed, patience_s=0.01) is None, f"frame {i} came early"
                clock.now_s = frame_due_s
            # ... and at its time it is.
            fed = take(feed)
            assert fed is not None, f"frame {i} never came"
            frames.append(fed)
        assert take(feed) is None
    finally:
        feed.stop()
    assert feed.problem is None and feed.ended
    assert [f.frame.index for f in frames] == list(range(30)) and feed.dropped == 0
    # 30 frames at 30 fps are released over 29/30 s of the clock, each at its own time.
    assert [f.captured_s for f in frames] == pytest.approx(due_s, abs=1e-9)
    assert frames[-1].captured_s == pytest.approx(29 / 30, abs=0.001)
    assert feed.info is not None and feed.info.size == (640, 480) and not feed.info.is_live


def test_a_slow_consumer_gets_the_newest_frame_and_the_rest_are_dropped(short_clip) -> None:
    due_s = clip_times_s(short_clip)
    clock = ManualClock()
    feed = LiveFeed(lambda: VideoFileSource(short_clip), clock=clock).start()
    # A slow pose stage: half a second passes before it asks again.
    busy_until_s = 0.51
    newest = max(i for i, t in enumerate(due_s) if t <= busy_until_s)  # frame 15
    try:
        first = take(feed)
        clock.now_s = busy_until_s
        # Every frame due meanwhile is published, each replacing the one before.
        deadline = time.monotonic() + _PATIENCE_S
        while feed.dropped < newest - 1 and time.monotonic() < deadline:
            time.sleep(0.002)
        later = take(feed)
        # Nothing newer is out: the next frame is not due yet.
        assert take(feed, patience_s=0.05) is None
    finally:
        feed.stop()
    assert first is not None and later is not None
    assert first.frame.index == 0 and later.frame.index == newest == 15
    assert feed.dropped == newest - 1


def test_looping_continues_the_timeline(short_clip: Path) -> None:
    feed = LiveFeed(lambda: VideoFileSource(short_clip), loop=True).start()
    times = []
    try:
        while len(times) < 45:
            fed = feed.next_frame(timeout_s=_PATIENCE_S)
            assert fed is not None
            times.append(fed.frame.time_ms)
    finally:
        feed.stop()
    assert all(b > a for a, b in itertools.pairwise(times)), "time ran backwards at the loop"


def test_pause_holds_the_file(short_clip: Path) -> None:
    clock = ManualClock()
    feed = LiveFeed(lambda: VideoFileSource(short_clip), clock=clock).start()
    try:
        assert take(feed) is not None
        feed.set_paused(True)
        clock.now_s = 10.0  # every frame of the clip is due now: only the pause holds them
        # At most the frame already past the pause check comes out; none after it.
        held = [fed for fed in iter(lambda: take(feed, patience_s=1.0), None)]
        assert len(held) <= 1 and feed.dropped == 0, [f.frame.index for f in held]
        assert not feed.ended
        feed.set_paused(False)
        clock.now_s = 100.0  # past the frames' times even if the pause moved them on
        resumed = take(feed)
        # The file goes on where it was held (frames due at once replace each other).
        assert resumed is not None
        assert resumed.frame.index > (held[-1].frame.index if held else 0)
    finally:
        feed.stop()


def test_a_still_image_is_offered_again(tmp_path: Path, grace_hopper) -> None:
    from desktop_app.media.images import write_image

    path = tmp_path / "photo.png"
    write_image(path, grace_hopper)
    feed = LiveFeed(lambda: ImageSource(path)).start()
    try:
        a = feed.next_frame(timeout_s=_PATIENCE_S)
        b = feed.next_frame(timeout_s=_PATIENCE_S)
    finally:
        feed.stop()
    assert a is not None and b is not None and b.frame.time_ms > a.frame.time_ms
    assert feed.info is not None and feed.info.is_still


def test_a_missing_file_ends_the_feed_with_one_line(tmp_path: Path) -> None:
    feed = LiveFeed(lambda: VideoFileSource(tmp_path / "gone.mp4")).start()
    assert feed.next_frame(timeout_s=_PATIENCE_S) is None
    feed.stop()
    assert feed.problem is not None and "gone.mp4" in feed.problem and "\n" not in feed.problem
