"""The Recorder when the disk fills or the folder goes: a real small file system (tmpfs), real
encoding, no mocks. What is kept plays to its end, the keypoints end at the video's last frame
with no torn row, nothing is left empty, and the problem is one line.

Frames of noise make big video fragments (the video fills the disk first); flat frames make
tiny ones, so the keypoints fill it first. Both orders must give the same kind of result.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.errors import OutputError
from desktop_app.media.keypoints import read_json_keypoints
from desktop_app.media.recorder import Recorder, RecordingPaths
from tests.media.test_keypoints import tracked
from tests.media.test_writers_disk_full import flat, noise
from testsupport.outputs import assert_keypoints_match_video, decoded_times_s
from testsupport.small_disk import files_in, fill, small_disk


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB file system of its own."""
    with small_disk(tmp_path / "small") as folder:
        yield folder


def record_until_stopped(recorder: Recorder, make_frame, most_frames: int = 2000) -> int:
    """Submit frames, as a file's run does, until the recorder stops taking them (its disk is
    full); returns how many it took."""
    taken = 0
    for i in range(most_frames):
        if not recorder.submit(i, i * 1000.0 / 30.0, make_frame(i), None, [tracked(0, i)]):
            break
        taken += 1
    recorder.close()
    return taken


@pytest.mark.parametrize("make_frame", [noise, flat], ids=["video-fills-it", "keypoints-fill-it"])
@pytest.mark.parametrize("keypoints_format", ["csv", "json"])
def test_a_disk_that_fills_keeps_a_playable_video_and_keypoints_to_the_same_frame(
    disk: Path, make_frame, keypoints_format: str
) -> None:
    fill(disk, leave_bytes=900_000)
    paths = RecordingPaths.beside(disk / "rec.mp4", False, keypoints_format)
    recorder = Recorder(paths, fps=30.0, wait_when_full=True)
    taken = record_until_stopped(recorder, make_frame)
    assert taken < 2000, "the disk never filled"
    problem = recorder.problem
    assert problem is not None and "\n" not in problem
    assert "No space left on device" in problem
    assert isinstance(recorder.error, OutputError)
    assert recorder.error.path in (str(paths.video), str(paths.keypoints))
    # Kept: a whole number of fragments, and the keypoints of exactly those frames.
    assert recorder.frames_kept > 0, problem
    assert f"{recorder.frames_kept} frames" in problem and str(paths.video) in problem
    assert recorder.kept_files == [paths.video, paths.keypoints]
    assert paths.keypoints is not None
    assert assert_keypoints_match_video(paths.video, paths.keypoints) == recorder.frames_kept
    if keypoints_format == "json":
        assert read_json_keypoints(paths.keypoints)["complete"] is False
    assert set(files_in(disk)) == {"rec.mp4", f"rec.{keypoints_format}"}


def test_a_full_disk_at_the_start_leaves_no_file(disk: Path) -> None:
    fill(disk)
    paths = RecordingPaths.beside(disk / "rec.mp4", True, "csv")
    # The keypoints' header is written at once, so the recording does not even start.
    with pytest.raises(OutputError, match=r"rec\.csv: cannot write \(No space left on device\)"):
        Recorder(paths, fps=30.0)
    assert files_in(disk) == {}
    # Without keypoints the first fragment is what fails: stopped, and nothing left either.
    recorder = Recorder(RecordingPaths(disk / "rec.mp4"), fps=30.0, wait_when_full=True)
    record_until_stopped(recorder, flat)
    assert recorder.frames_kept == 0 and recorder.kept_files == []
    assert recorder.problem is not None and "No space left on device" in recorder.problem
    assert "no frame was recorded" in recorder.problem
    assert files_in(disk) == {}


def test_the_raw_video_is_cut_back_with_the_rest(disk: Path) -> None:
    fill(disk, leave_bytes=1_200_000)
    paths = RecordingPaths.beside(disk / "rec.mp4", True, "json")
    recorder = Recorder(paths, fps=30.0, wait_when_full=True)
    for i in range(2000):
        if not recorder.submit(i, i * 1000.0 / 30.0, flat(i), noise(i), [tracked(0, i)]):
            break
    recorder.close()
    assert recorder.problem is not None and recorder.frames_kept > 0
    assert paths.raw_video is not None and paths.keypoints is not None
    assert assert_keypoints_match_video(paths.video, paths.keypoints) == recorder.frames_kept
    # Both videos have their keyframes every 15 frames, so they are cut at the same frame.
    assert len(decoded_times_s(paths.raw_video)) == recorder.frames_kept


def test_a_deleted_folder_stops_the_recording_and_its_frames_are_saved_again(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    paths = RecordingPaths.beside(folder / "rec.mp4", True, "csv")
    recorder = Recorder(paths, fps=30.0, wait_when_full=True)
    taken = 0
    for i in range(2000):
        if i == 40:
            shutil.rmtree(folder)  # the files stay open, with no name
        if not recorder.submit(i, i * 1000.0 / 30.0, flat(i), flat(i + 1), [tracked(0, i)]):
            break
        taken += 1
    recorder.close()
    assert taken < 2000, "the deleted folder went unnoticed"
    problem = recorder.problem
    assert problem is not None and "\n" not in problem
    assert problem.startswith(f"{folder}: the folder was deleted while being written to; ")
    # Everything written before it was noticed is kept: nothing had failed.
    assert recorder.frames_kept == recorder.frames_written > 0
    assert f"saved again in {paths.video} and {paths.raw_video} and {paths.keypoints}" in problem
    assert recorder.kept_files == [paths.video, paths.raw_video, paths.keypoints]
    assert paths.keypoints is not None and paths.raw_video is not None
    assert assert_keypoints_match_video(paths.video, paths.keypoints) == recorder.frames_kept
    assert len(decoded_times_s(paths.raw_video)) == recorder.frames_kept


def test_a_deleted_file_is_saved_again_under_its_name(tmp_path: Path) -> None:
    paths = RecordingPaths.beside(tmp_path / "rec.mp4", False, "json")
    recorder = Recorder(paths, fps=30.0, wait_when_full=True)
    for i in range(2000):
        if i == 20:
            paths.video.unlink()
        if not recorder.submit(i, i * 1000.0 / 30.0, flat(i), None, [tracked(0, i)]):
            break
    recorder.close()
    assert recorder.problem is not None
    assert recorder.problem.startswith(f"{paths.video}: was deleted while being written; ")
    assert paths.keypoints is not None
    assert assert_keypoints_match_video(paths.video, paths.keypoints) == recorder.frames_kept
    # The keypoints were never deleted: they are finished where they were, complete.
    assert "complete" not in read_json_keypoints(paths.keypoints)
