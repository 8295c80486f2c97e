"""Each writer on a full disk, on its own: one error, nothing left that does not play or read,
and never a crash. A real small file system (tmpfs), real encoding, no mocks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from desktop_app.errors import OutputError
from desktop_app.media.keypoints import open_keypoints_writer
from desktop_app.media.video_writer import VideoWriter
from tests.media.test_keypoints import tracked
from testsupport.outputs import decoded_times_s, keypoint_times_ms
from testsupport.small_disk import files_in, fill, small_disk

# Frames for tests of a full disk: at 320 x 240 one of noise is about 37 KB of H.264, a flat
# one about 130 bytes. One CSV frame of one person is about 4 KB.
_SIZE = (320, 240)


def noise(i: int) -> np.ndarray:
    return np.random.default_rng(i).integers(0, 256, (_SIZE[1], _SIZE[0], 3), dtype=np.uint8)


def flat(i: int) -> np.ndarray:
    rgb = np.zeros((_SIZE[1], _SIZE[0], 3), np.uint8)
    rgb[:, (i * 7) % _SIZE[0]] = 255
    return rgb


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB file system of its own."""
    with small_disk(tmp_path / "small") as folder:
        yield folder


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
def test_a_video_cut_back_to_a_fragment_plays_exactly_the_frames_it_says(
    tmp_path: Path, suffix: str
) -> None:
    """What the cut relies on: each fragment's end, as the writer marks it, holds exactly the
    frames it counts, in every container a recording may use."""
    for most_frames in (0, 14, 15, 29, 31, 47):
        path = tmp_path / f"cut{most_frames}{suffix}"
        writer = VideoWriter(path, 30.0, crash_safe=True)
        for i in range(60):
            writer.write(flat(i), i * 1000.0 / 30.0)
        kept = writer.abandon(most_frames)
        assert most_frames - 15 < kept <= most_frames
        if kept == 0:
            assert not path.exists()
        else:
            assert len(decoded_times_s(path)) == kept


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_keypoints_file_that_fills_the_disk_ends_on_its_last_whole_frame(
    disk: Path, suffix: str
) -> None:
    fill(disk, leave_bytes=50_000)
    path = disk / f"k{suffix}"
    writer = open_keypoints_writer(path, {"source": "test"})
    with pytest.raises(OutputError, match="No space left on device"), writer:
        for i in range(1000):
            writer.write(i, i * 10.0, [tracked(0, i)])
    assert 0 < writer.frames_written < 1000
    assert keypoint_times_ms(path) == [i * 10.0 for i in range(writer.frames_written)]


_WRITE_TO_A_FULL_DISK = """
import sys
import numpy as np
from desktop_app.errors import OutputError
from desktop_app.media.video_writer import VideoWriter
try:
    with VideoWriter(sys.argv[1], 30.0, crash_safe=sys.argv[2] == "1") as writer:
        for i in range(60):
            writer.write(np.full((240, 320, 3), i, np.uint8), i * 33.3)
except OutputError as exc:
    print(exc)
"""


@pytest.mark.parametrize("crash_safe", [False, True])
def test_a_video_written_to_a_full_disk_is_one_error_and_no_file(
    disk: Path, crash_safe: bool
) -> None:
    # In a process of its own: this once ended in SIGSEGV (FFmpeg muxing after a failed write).
    fill(disk)
    path = disk / "clip.mp4"
    done = subprocess.run(
        [sys.executable, "-c", _WRITE_TO_A_FULL_DISK, str(path), str(int(crash_safe))],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip() == f"{path}: cannot write video (No space left on device)"
    assert files_in(disk) == {}
