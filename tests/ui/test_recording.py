"""Recording from a live session: real timing through the worker, and a playable file after
SIGTERM and after SIGKILL of the whole app.

The machine may be busy, so no test here compares with the wall clock. Frames the feed or the
recorder drop under load are counted by the worker; each test checks that the file holds
exactly what was processed minus what was reported dropped, at the frames' own timestamps.
"""

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

# How far a killed recording's video may end before its keypoints, in seconds of the
# recording: the fragment under way (a keyframe every half second of recorded time, however
# slowly frames were processed; the encoder holds none back), and one frame's slack.
_MOST_VIDEO_LOST_AT_A_KILL_S = 0.5


def video_frames(path: Path) -> tuple[list[float], str]:
    """(each frame's time in seconds, the codec) of a video file. (Its average rate is no help:
    it counts the frames that are there, so it falls when frames were dropped.)"""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [f.time for f in container.decode(stream)]
        return times, stream.codec_context.name


def span_s(times_s: list[float]) -> float:
    """Seconds from the first frame to the last."""
    return times_s[-1] - times_s[0] if times_s else 0.0


def keypoint_frames(path: Path) -> list[tuple[int, float]]:
    """(frame, time_ms) of each frame in a JSON keypoints file, also one cut off part way
    (the writer puts one frame on each line and flushes it)."""
    frames = []
    for line in path.read_text().splitlines():
        if not line.startswith("  {"):
            continue
        try:
            entry = json.loads(line.strip().rstrip(","))
        except json.JSONDecodeError:
            continue  # the last line, cut off by a kill
        frames.append((entry["frame"], entry["time_ms"]))
    return frames


def assert_video_matches_keypoints(
    times_s: list[float], keypoints: list[tuple[int, float]]
) -> None:
    """The video's frames are the keypoint file's frames, in order, at the same times."""
    assert len(times_s) == len(keypoints), (len(times_s), len(keypoints))
    first_s = times_s[0] if times_s else 0.0
    for t, (frame, time_ms) in zip(times_s, keypoints, strict=True):
        assert t - first_s == pytest.approx(time_ms / 1000.0, abs=0.002), (frame, t, time_ms)


def take_into(shown: list[LiveFrame], worker: PoseWorker) -> None:
    """Take the worker's newest result, if there is one, as the view would."""
    frame = worker.take_newest()
    if frame is not None:
        shown.append(frame)


def newest_frame(worker: PoseWorker, taken: list[LiveFrame]) -> LiveFrame:
    """The result of the last frame the worker processed: still in its mailbox, or the last
    one the GUI took."""
    left = worker.take_newest()
    return left if left is not None else taken[-1]


def test_recording_a_paced_clip_holds_every_processed_frame_at_its_time(
    qtbot, model, short_clip, tmp_path
) -> None:
    worker = PoseWorker(lambda: VideoFileSource(short_clip), Settings(loop_video=False), model)
    paths = RecordingPaths.beside(tmp_path / "rec.mp4", raw_video=True, keypoints_format="json")
    shown: list[LiveFrame] = []
    worker.frame_ready.connect(lambda: take_into(shown, worker))
    worker.start_recording(paths)  # before the first frame: every processed frame is recorded
    with qtbot.waitSignal(worker.finished, timeout=120000):
        worker.start()
    worker.wait()
    with VideoFileSource(short_clip) as source:
        source_times_ms = [f.time_ms for f in source]
    # The clip's last frame is never replaced by a newer one, so it is always processed, and
    # its result carries the final counts: the feed's drops (frames the pose stage was too busy
    # for) and the recorder's (frames the encoder was too busy for).
    last = newest_frame(worker, shown)
    assert last.result.index == len(source_times_ms) - 1
    assert last.recording is not None
    processed = len(source_times_ms) - last.dropped_frames
    times_s, codec = video_frames(paths.video)
    assert codec == "h264"
    recorded = keypoint_frames(paths.keypoints)
    assert len(recorded) == processed - last.recording.dropped_frames, (
        len(recorded),
        processed,
        last.recording.dropped_frames,
    )
    indices = [frame for frame, _ in recorded]
    assert indices == sorted(set(indices)) and set(indices) <= set(range(len(source_times_ms)))
    # A frame that was shown is in the file unless the recorder said it dropped it.
    missing_shown = {f.result.index for f in shown} - set(indices)
    assert len(missing_shown) <= last.recording.dropped_frames, missing_shown
    # Each frame sits at its own time in the clip (real speed, gaps where frames were dropped),
    # in the video, the raw video and the keypoints alike.
    first_ms = source_times_ms[indices[0]]
    assert [time_ms for _, time_ms in recorded] == pytest.approx(
        [source_times_ms[i] - first_ms for i in indices], abs=0.001
    )
    assert_video_matches_keypoints(times_s, recorded)
    assert_video_matches_keypoints(video_frames(paths.raw_video)[0], recorded)
    if last.dropped_frames == 0 and last.recording.dropped_frames == 0:
        # Nothing dropped: the file lasts exactly as long as the clip.
        clip_span_s = (source_times_ms[-1] - source_times_ms[0]) / 1000.0
        assert span_s(times_s) == pytest.approx(clip_span_s, abs=0.002)


def playable_seconds(path: Path) -> float:
    """How many seconds of `path`, a recording being written, play now (0 if none yet)."""
    if not path.exists() or path.stat().st_size == 0:
        return 0.0
    try:
        times, _ = video_frames(path)
    except (av.error.FFmpegError, IndexError):
        return 0.0  # not even the header is there yet
    return span_s(times)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_app_leaves_a_playable_recording(short_clip, tmp_path, how) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"record_keypoints": "json"}))
    out = tmp_path / "session.mp4"
    app = start_app(tmp_path, "--source", str(short_clip), "--record", str(out))
    # Stop once the file on disk plays for 2 s of the (looping) clip, however long that takes.
    wanted_s = 2.0
    try:
        deadline = time.monotonic() + 240
        on_disk_s = 0.0
        while time.monotonic() < deadline and app.poll() is None:
            on_disk_s = playable_seconds(out)
            if on_disk_s >= wanted_s:
                break
            time.sleep(0.2)
        assert app.poll() is None, app.communicate()[1][-2000:]
        assert on_disk_s >= wanted_s, f"only {on_disk_s:.2f} s recorded in 240 s"
        app.send_signal(how)
        _, stderr = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    times_s, codec = video_frames(out)
    assert codec == "h264"
    # Nothing that played before the signal is lost.
    assert span_s(times_s) >= on_disk_s
    keypoints = keypoint_frames(out.with_suffix(".json"))
    if how == signal.SIGTERM:
        assert app.returncode == 0, stderr[-2000:]
        assert "Traceback" not in stderr
        # Finalised: every recorded frame is in the video, at its time.
        assert_video_matches_keypoints(times_s, keypoints)
        json.loads(out.with_suffix(".json").read_text())  # and the keypoints file is closed
    else:
        # Killed outright: the video plays up to its last complete fragment, which holds all but
        # the last half second of what the recorder had taken.
        assert len(keypoints) >= len(times_s)
        assert_video_matches_keypoints(times_s, keypoints[: len(times_s)])
        if len(keypoints) > len(times_s):
            first_lost_ms = keypoints[len(times_s)][1]
            lost_s = (keypoints[-1][1] - first_lost_ms) / 1000.0
            assert lost_s < _MOST_VIDEO_LOST_AT_A_KILL_S, (len(keypoints), len(times_s), lost_s)


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
    worker.frame_ready.connect(lambda: take_into(shown, worker))
    out = small_disk / "rec.mp4"
    worker.start_recording(RecordingPaths(out))
    worker.start()
    try:
        qtbot.waitUntil(lambda: bool(problems), timeout=30000)
        frames_at_failure = len(shown)
        qtbot.waitUntil(lambda: len(shown) > frames_at_failure + 10, timeout=60000)
    finally:
        worker.stop()
        worker.wait()
    assert "rec.mp4" in problems[0] and "\n" not in problems[0]
    assert worker.recording_path is None
    times_s, codec = video_frames(out)
    assert codec == "h264" and len(times_s) > 0


def test_an_unwritable_folder_says_so_and_the_view_goes_on(qtbot, model, short_clip) -> None:
    worker = PoseWorker(lambda: VideoFileSource(short_clip), Settings(loop_video=True), model)
    problems: list[str] = []
    shown: list[LiveFrame] = []
    worker.problem_recording.connect(problems.append)
    worker.frame_ready.connect(lambda: take_into(shown, worker))
    # /proc refuses new files even to root, unlike a read-only permission bit.
    worker.start_recording(RecordingPaths(Path("/proc/posecam/rec.mp4")))
    worker.start()
    try:
        qtbot.waitUntil(lambda: bool(problems), timeout=30000)
        qtbot.waitUntil(lambda: len(shown) > 10, timeout=60000)
    finally:
        worker.stop()
        worker.wait()
    assert problems[0].startswith("/proc/posecam/rec.mp4: ") and "\n" not in problems[0]
    assert worker.recording_path is None


def test_a_live_set_of_squats_is_counted_and_the_count_is_in_the_recording(
    qtbot, model, shared_data, tmp_path
) -> None:
    """Real squats through the live path (a paced file as the camera): the count the window
    shows at the end is the number counted by eye, and the recording's keypoints carry it."""
    labels = {
        e["file"]: e for e in json.loads((shared_data / "exercise" / "labels.json").read_text())
    }
    clip = shared_data / "exercise" / "squat_front_01.mp4"
    low, high = labels[clip.name]["reps_acceptable"]
    settings = Settings(loop_video=False, exercise="squat", record_keypoints="json")
    worker = PoseWorker(lambda: VideoFileSource(clip), settings, model)
    paths = RecordingPaths.beside(tmp_path / "set.mp4", raw_video=False, keypoints_format="json")
    shown: list[LiveFrame] = []
    worker.frame_ready.connect(lambda: take_into(shown, worker))
    worker.start_recording(paths)
    with qtbot.waitSignal(worker.finished, timeout=240000):
        worker.start()
    worker.wait()
    last = newest_frame(worker, shown)
    assert last.reps is not None
    shown_count = last.reps[0][0]
    assert low <= shown_count <= high, last.reps
    saved = json.loads(paths.keypoints.read_text())
    assert saved["exercise"] == "squat" and saved["reps"] == {"0": shown_count}
    # The window's list of repetitions, fed the frames shown, has each one, newest first.
    from desktop_app.ui.rep_list import RepList

    rep_list = RepList()
    qtbot.addWidget(rep_list)
    for frame in shown:
        rep_list.take(frame)
    assert [rep.number for rep in rep_list.reps] == list(range(1, shown_count + 1))
    assert rep_list.table.item(0, 0).text() == str(shown_count)
    assert rep_list.summary.text().startswith(f"{shown_count} repetitions: depth ")
