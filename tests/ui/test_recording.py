"""Recording from a live session: real timing through the worker, and a playable file after
SIGTERM and after SIGKILL of the whole app."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import av
import pytest

from desktop_app.media.recorder import RecordingPaths
from desktop_app.media.sources import VideoFileSource
from desktop_app.settings import Settings
from desktop_app.ui.worker import LiveFrame, PoseWorker
from tests.ui.conftest import start_app


def video_frames(path: Path) -> tuple[int, float, str]:
    """(frames, seconds from first to last frame plus one frame, codec) of a video file."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [f.time for f in container.decode(stream)]
        rate = float(stream.average_rate or 30)
        return (
            len(times),
            (times[-1] - times[0] + 1 / rate) if times else 0.0,
            stream.codec_context.name,
        )


def test_recording_a_paced_clip_holds_every_shown_frame_at_real_speed(
    qtbot, model, short_clip, tmp_path
) -> None:
    worker = PoseWorker(lambda: VideoFileSource(short_clip), Settings(loop_video=False), model)
    paths = RecordingPaths.beside(tmp_path / "rec.mp4", raw_video=True, keypoints_format="json")
    shown: list[LiveFrame] = []

    def take() -> None:
        frame = worker.take_newest()
        if frame is not None:
            shown.append(frame)

    worker.frame_ready.connect(take)
    worker.start_recording(paths)  # before the first frame: the whole clip is recorded
    with qtbot.waitSignal(worker.finished, timeout=30000):
        worker.start()
    worker.wait()
    count, seconds, codec = video_frames(paths.video)
    assert codec == "h264"
    with VideoFileSource(short_clip) as source:
        source_frames = list(source)
    # Every frame that was shown is in the file, and the file lasts as long as the clip.
    recorded = [entry["frame"] for entry in json.loads(paths.keypoints.read_text())["frames"]]
    assert len(recorded) == count
    assert {f.result.index for f in shown} <= set(recorded)
    assert count >= 0.9 * len(source_frames)
    assert abs(seconds - len(source_frames) / 30.0) <= 1 / 30.0 + 1e-6, seconds
    assert video_frames(paths.raw_video)[0] == count


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_app_leaves_a_playable_recording(short_clip, tmp_path, how) -> None:
    out = tmp_path / "session.mp4"
    app = start_app(tmp_path, "--source", str(short_clip), "--record", str(out))
    try:
        deadline = time.monotonic() + 60
        started: float | None = None
        while time.monotonic() < deadline and app.poll() is None:
            if started is None and out.exists() and out.stat().st_size > 0:
                started = time.monotonic()
            if started is not None and time.monotonic() - started > 3.0:
                break
            time.sleep(0.1)
        assert app.poll() is None, app.communicate()[1][-2000:]
        assert started is not None, "the recording never started"
        app.send_signal(how)
        _, stderr = app.communicate(timeout=15)
    finally:
        if app.poll() is None:
            app.kill()
    count, seconds, codec = video_frames(out)
    assert codec == "h264"
    if how == signal.SIGTERM:
        assert app.returncode == 0, stderr[-2000:]
        assert "Traceback" not in stderr
        assert seconds >= 2.5, (count, seconds)
    else:
        # Killed outright: everything up to about the last second is there.
        assert seconds >= 1.5, (count, seconds)
    assert count >= seconds * 30 * 0.9


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 400 KB file system that fills up after a second or two of video."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_stops_the_recording_and_the_view_goes_on(
    qtbot, model, short_clip, small_disk
) -> None:
    worker = PoseWorker(lambda: VideoFileSource(short_clip), Settings(loop_video=True), model)
    problems: list[str] = []
    shown: list[LiveFrame] = []
    worker.problem_recording.connect(problems.append)
    worker.frame_ready.connect(lambda: shown.append(worker.take_newest()))
    out = small_disk / "rec.mp4"
    worker.start_recording(RecordingPaths(out))
    worker.start()
    try:
        qtbot.waitUntil(lambda: bool(problems), timeout=30000)
        frames_at_failure = len(shown)
        qtbot.waitUntil(lambda: len(shown) > frames_at_failure + 10, timeout=10000)
    finally:
        worker.stop()
        worker.wait()
    assert "rec.mp4" in problems[0] and "\n" not in problems[0]
    assert worker.recording_path is None
    count, _, codec = video_frames(out)
    assert codec == "h264" and count > 0


def test_an_unwritable_folder_says_so_and_the_view_goes_on(qtbot, model, short_clip) -> None:
    worker = PoseWorker(lambda: VideoFileSource(short_clip), Settings(loop_video=True), model)
    problems: list[str] = []
    shown: list[LiveFrame] = []
    worker.problem_recording.connect(problems.append)
    worker.frame_ready.connect(lambda: shown.append(worker.take_newest()))
    # /proc refuses new files even to root, unlike a read-only permission bit.
    worker.start_recording(RecordingPaths(Path("/proc/posecam/rec.mp4")))
    worker.start()
    try:
        qtbot.waitUntil(lambda: bool(problems), timeout=30000)
        qtbot.waitUntil(lambda: len(shown) > 10, timeout=10000)
    finally:
        worker.stop()
        worker.wait()
    assert problems[0].startswith("/proc/posecam/rec.mp4: ") and "\n" not in problems[0]
    assert worker.recording_path is None
