"""The recorder: crash-safe H.264 with real timing, companions beside it, bounded memory, and
clear errors that never lose what was written."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import av
import numpy as np
import pytest

from desktop_app.errors import OutputError
from desktop_app.media.recorder import Recorder, RecordingPaths
from tests.media.test_keypoints import tracked


def frame(i: int, width: int = 320, height: int = 240) -> np.ndarray:
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:, (i * 7) % width] = 255
    return rgb


def decoded_times_s(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        return [f.time for f in container.decode(stream)]


def test_uneven_frame_times_give_the_real_duration(tmp_path: Path) -> None:
    # A camera that promised 30 fps but delivered frames 25-60 ms apart, starting at 5 s.
    rng = np.random.default_rng(3)
    times_ms = 5000.0 + np.cumsum(rng.uniform(25.0, 60.0, 60))
    paths = RecordingPaths.beside(tmp_path / "session.mp4", raw_video=True, keypoints_format="csv")
    recorder = Recorder(paths, fps=30.0, queue_frames=100)
    for i, t in enumerate(times_ms):
        assert recorder.submit(i, float(t), frame(i), frame(i + 1))
    recorder.close()
    assert recorder.problem is None and recorder.dropped_frames == 0
    times = decoded_times_s(paths.video)
    assert len(times) == 60
    expected = (times_ms - times_ms[0]) / 1000.0
    assert np.allclose(times, expected, atol=0.002), np.abs(np.array(times) - expected).max()
    assert len(decoded_times_s(paths.raw_video)) == 60
    with open(paths.keypoints, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "frame"
    assert recorder.status().frames_written == 60


def test_a_full_queue_drops_frames_instead_of_growing(tmp_path: Path) -> None:
    recorder = Recorder(RecordingPaths(tmp_path / "fast.mp4"), fps=30.0, queue_frames=2)
    accepted = sum(recorder.submit(i, i * 10.0, frame(i, 1920, 1080)) for i in range(40))
    recorder.close()
    assert recorder.dropped_frames > 0
    assert accepted + recorder.dropped_frames == 40
    assert len(decoded_times_s(tmp_path / "fast.mp4")) == accepted


def test_an_existing_file_is_never_replaced(tmp_path: Path) -> None:
    taken = tmp_path / "taken.mp4"
    taken.write_bytes(b"precious")
    with pytest.raises(OutputError, match="already exists"):
        Recorder(RecordingPaths(taken), fps=30.0)
    assert taken.read_bytes() == b"precious"


def test_an_unwritable_folder_is_one_clear_line() -> None:
    # /proc refuses new files even to root, unlike a read-only permission bit.
    with pytest.raises(OutputError) as caught:
        Recorder(RecordingPaths(Path("/proc/posecam/rec.mp4")), fps=30.0)
    message = str(caught.value)
    assert message.startswith("/proc/posecam/rec.mp4: ") and "\n" not in message


def test_a_cut_off_recording_still_plays(tmp_path: Path) -> None:
    """What a killed process leaves: the file as it stood, never finalised."""
    path = tmp_path / "cut.mp4"
    recorder = Recorder(RecordingPaths(path), fps=30.0, queue_frames=200)
    for i in range(90):
        recorder.submit(i, i * 1000.0 / 30.0, frame(i))
    deadline = time.monotonic() + 120  # a wait, however busy the machine, not a time limit
    while recorder.frames_written < 90 and time.monotonic() < deadline:
        time.sleep(0.01)
    # Every frame is with the encoder: what is on disk no longer depends on how fast it ran.
    assert recorder.frames_written == 90 and recorder.dropped_frames == 0
    recorder._video.sync()
    snapshot = path.read_bytes()  # the bytes on disk before any finalising
    recorder.close()
    cut = tmp_path / "copy.mp4"
    cut.write_bytes(snapshot)
    times = decoded_times_s(cut)
    # Fragments are cut every half second; the encoder holds back fewer than 30 frames.
    assert len(times) >= 45, len(times)


def test_for_a_file_a_full_queue_waits_and_the_keypoints_keep_the_source_times(
    tmp_path: Path,
) -> None:
    # As posecam annotate writes: a queue of one frame, fed as fast as possible, loses nothing;
    # the keypoints keep the source's own times (a file whose first frame is at 2 s says so).
    paths = RecordingPaths(tmp_path / "out.mp4", keypoints=tmp_path / "k.csv")
    paths.video.write_bytes(b"left by an earlier run")
    recorder = Recorder(
        paths, fps=30.0, queue_frames=1, wait_when_full=True, replace=True, times_from_zero=False
    )
    times_ms = [2000.0 + i * 1000.0 / 30.0 for i in range(90)]
    people = [tracked(0, 0.0)]
    assert all(recorder.submit(i, t, frame(i), None, people) for i, t in enumerate(times_ms))
    recorder.close()
    assert recorder.error is None and recorder.dropped_frames == 0
    assert recorder.frames_written == 90
    times = np.array(decoded_times_s(paths.video))
    assert np.allclose(times - times[0], (np.array(times_ms) - 2000.0) / 1000.0, atol=0.002)
    with open(paths.keypoints, newline="") as f:
        written = sorted({float(row["time_ms"]) for row in csv.DictReader(f)})
    assert np.allclose(written, times_ms, atol=0.001)


def test_a_recording_never_replaces_a_file_unless_told_it_may(tmp_path: Path) -> None:
    paths = RecordingPaths(tmp_path / "out.mp4")
    paths.video.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="already exists"):
        Recorder(paths, fps=30.0)
    assert paths.video.read_bytes() == b"keep me"
