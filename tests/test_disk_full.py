"""Nothing lost, nothing crashes: `posecam annotate` and a live recording on a disk that is full,
fills up, or whose folder is deleted. Real files on a real small file system (tmpfs), real
FFmpeg, real MediaPipe; the clip is made here from a photo.

Each test says what a user sees (one line, exit code 2, in the window and on the terminal) and
checks what is left: a video that decodes to its end, keypoints that end at its last frame,
no torn row, no empty file.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.annotate import AnnotateOptions, annotate
from desktop_app.cli import main
from desktop_app.core.pipeline import PipelineSettings
from desktop_app.errors import OutputError
from desktop_app.live import LiveControl, LiveLoop, LiveResult
from desktop_app.media.live_feed import FeedInfo
from desktop_app.media.recorder import RecordingPaths
from desktop_app.media.sources import VideoFileSource
from desktop_app.media.synthetic import write_sample_clip
from testsupport.outputs import assert_keypoints_match_video, decoded_times_s
from testsupport.small_disk import files_in, fill, small_disk

# The sample clip: 960 x 720, a person in every frame; about 170 KB of video and 55 KB of CSV
# keypoints per half-second fragment.
_CLIP_FRAMES = 120


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "sample.mp4"
    assert write_sample_clip(path, seconds=_CLIP_FRAMES / 30.0) == _CLIP_FRAMES
    return path


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB file system of its own."""
    with small_disk(tmp_path / "small") as folder:
        yield folder


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("keypoints", ["out.csv", "out.json", None])
def test_annotate_to_a_full_disk_is_one_line_and_leaves_nothing(
    short_clip: Path, disk: Path, keypoints: str | None
) -> None:
    fill(disk)
    args = ["annotate", str(short_clip), "-o", str(disk / "out.mp4")]
    if keypoints:
        args += ["--keypoints", str(disk / keypoints)]
    # A process of its own: this once ended in SIGSEGV.
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", *args], capture_output=True, text=True
    )
    assert done.returncode == 2, (done.returncode, done.stderr)
    line = one_line(done.stderr)
    failed = disk / (keypoints.replace(".", ".partial.") if keypoints else "out.partial.mp4")
    assert line.startswith(f"posecam: {failed}: cannot write")
    assert line.endswith("(No space left on device)")
    assert files_in(disk) == {}


@pytest.mark.parametrize("keypoints", ["out.csv", "out.json"])
def test_annotate_on_a_disk_that_fills_keeps_what_plays_and_says_so(
    clip: Path, disk: Path, keypoints: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(disk, leave_bytes=500_000)
    out = disk / "out.mp4"
    code = main(["annotate", str(clip), "-o", str(out), "--keypoints", str(disk / keypoints)])
    stdout, err = capsys.readouterr()
    assert code == 2 and stdout == ""
    line = one_line(err)
    partial_out = disk / "out.partial.mp4"
    partial_keypoints = disk / keypoints.replace(".", ".partial.")
    assert "(No space left on device)" in line
    kept = assert_keypoints_match_video(partial_out, partial_keypoints)
    assert 0 < kept < _CLIP_FRAMES
    assert line.endswith(
        f"; the {kept} frames annotated so far are in {partial_out} and {partial_keypoints}"
    )
    assert set(files_in(disk)) == {partial_out.name, partial_keypoints.name}


def test_annotate_stops_at_the_first_failed_write(clip: Path, disk: Path, model) -> None:
    """Not after the whole input: the run stops within a few fragments of the failure."""
    fill(disk, leave_bytes=500_000)
    processed: list[int] = []
    options = AnnotateOptions(input=clip, output=disk / "out.mp4", keypoints=disk / "out.json")
    with pytest.raises(OutputError, match=r"No space left on device") as caught:
        annotate(options, lambda done, total: processed.append(done), model=model)
    kept = assert_keypoints_match_video(disk / "out.partial.mp4", disk / "out.partial.json")
    # Frames processed after the last kept one: the fragment that failed (15), what the
    # encoder holds back, the queue (4) and the frame in hand; never the rest of the clip.
    assert processed[-1] <= kept + 60 < _CLIP_FRAMES, (processed[-1], kept)
    assert f"the {kept} frames annotated so far" in str(caught.value.__notes__)


def test_annotate_into_a_folder_that_is_deleted_says_so_and_saves_the_frames_again(
    clip: Path, tmp_path: Path, model
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    options = AnnotateOptions(input=clip, output=folder / "out.mp4", keypoints=folder / "k.csv")

    def progress(done: int, total: int | None) -> None:
        if done == 20:
            shutil.rmtree(folder)

    with pytest.raises(OutputError) as caught:
        annotate(options, progress, model=model)
    assert str(caught.value) == f"{folder}: the folder was deleted while being written to"
    kept = assert_keypoints_match_video(folder / "out.partial.mp4", folder / "k.partial.csv")
    assert 0 < kept < _CLIP_FRAMES
    assert f"the {kept} frames annotated so far are in {folder / 'out.partial.mp4'}" in str(
        caught.value.__notes__
    )


class Listener:
    """What the live loop says; stops it a few frames after the recording stopped."""

    def __init__(self, control: LiveControl, at_frame: dict[int, object] | None = None) -> None:
        self.control = control
        self.at_frame = at_frame or {}
        self.results: list[LiveResult] = []
        self.recording: list[Path | None] = []
        self.problems: list[str] = []
        self.frames_at_problem: int | None = None

    def on_source_opened(self, info: FeedInfo) -> None:
        pass

    def on_result(self, live: LiveResult) -> None:
        self.results.append(live)
        command = self.at_frame.get(len(self.results))
        if callable(command):
            command()
        if self.frames_at_problem is not None and len(self.results) > self.frames_at_problem + 5:
            self.control.stop()  # the view went on after the recording stopped: enough
        if len(self.results) > 3000:
            self.control.stop()  # the recording never stopped: the asserts say so

    def on_recording_changed(self, path: Path | None) -> None:
        self.recording.append(path)

    def on_recording_problem(self, message: str) -> None:
        self.problems.append(message)
        self.frames_at_problem = len(self.results)


def run_live(model, clip: Path, paths: RecordingPaths, at_frame=None) -> Listener:
    control = LiveControl()
    listener = Listener(control, at_frame)
    control.start_recording(paths)
    LiveLoop(lambda: VideoFileSource(clip), PipelineSettings(), model, listener, control).run()
    return listener


def test_a_live_recording_on_a_disk_that_fills_stops_and_says_so(
    model, short_clip: Path, disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fill(disk, leave_bytes=900_000)
    paths = RecordingPaths.beside(disk / "rec.mp4", raw_video=True, keypoints_format="json")
    with caplog.at_level(logging.WARNING, logger="desktop_app.live"):
        listener = run_live(model, short_clip, paths)
    # The window is told once, in one line, after the recording was marked stopped...
    assert len(listener.problems) == 1, listener.problems
    problem = listener.problems[0]
    assert "\n" not in problem and "(No space left on device)" in problem
    assert listener.recording == [paths.video, None]
    # ... the view went on ...
    assert listener.frames_at_problem is not None
    assert len(listener.results) > listener.frames_at_problem
    # ... and the terminal is told too.
    assert [r.getMessage() for r in caplog.records] == [f"recording stopped: {problem}"]
    # What is kept plays, and the keypoints end at its last frame.
    assert paths.raw_video is not None and paths.keypoints is not None
    kept = assert_keypoints_match_video(paths.video, paths.keypoints)
    assert kept > 0 and f"{kept} frames" in problem
    assert len(decoded_times_s(paths.raw_video)) == kept
    assert set(files_in(disk)) == {"rec.mp4", "rec_raw.mp4", "rec.json"}


def test_a_live_recording_whose_folder_is_deleted_stops_and_is_saved_again(
    model, short_clip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    paths = RecordingPaths.beside(folder / "rec.mp4", raw_video=False, keypoints_format="csv")
    with caplog.at_level(logging.WARNING, logger="desktop_app.live"):
        listener = run_live(model, short_clip, paths, {20: lambda: shutil.rmtree(folder)})
    assert len(listener.problems) == 1, listener.problems
    problem = listener.problems[0]
    assert problem.startswith(f"{folder}: the folder was deleted while being written to; ")
    assert problem.endswith(f"saved again in {paths.video} and {paths.keypoints}")
    assert [r.getMessage() for r in caplog.records] == [f"recording stopped: {problem}"]
    assert paths.keypoints is not None
    kept = assert_keypoints_match_video(paths.video, paths.keypoints)
    assert kept > 0 and f"{kept} frames" in problem


def test_a_picture_on_a_full_disk_says_the_disk_is_full(disk: Path, grace_hopper) -> None:
    from desktop_app.errors import OutputError
    from desktop_app.media.images import write_image

    fill(disk)
    with pytest.raises(OutputError) as caught:
        write_image(disk / "out.png", grace_hopper)
    assert "No space left on device" in str(caught.value)
