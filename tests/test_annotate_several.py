"""`posecam annotate` with several files or a folder (desktop_app.batch): outputs named after
each file, in the folders --output and --keypoints name; a line per file and one at the end;
a file that fails is reported and the others go on; Ctrl+C keeps every file's frames done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_app.annotate import AnnotateOptions
from desktop_app.batch import annotate_files, options_for, output_key
from desktop_app.cli import main
from desktop_app.core.model import PoseModel
from desktop_app.errors import OutputError
from tests.test_annotate_cli import assert_one_line_error, probe, rolling_clip
from testsupport.outputs import assert_keypoints_match_video
from testsupport.processes import running, wait_until_written


def test_a_folder_is_annotated_file_by_file_and_a_bad_file_does_not_stop_the_rest(
    short_clip: Path,
    grace_hopper: np.ndarray,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "clip.mp4").write_bytes(short_clip.read_bytes())
    cv2.imwrite(str(inputs / "photo.jpg"), cv2.cvtColor(grace_hopper, cv2.COLOR_RGB2BGR))
    (inputs / "broken.mp4").write_bytes(b"not a video at all")
    (inputs / "notes.txt").write_text("not a picture either, and not tried")
    (inputs / "old_posecam.mp4").write_bytes(short_clip.read_bytes())  # an earlier output
    out = tmp_path / "out"
    out.mkdir()

    code = main(["annotate", str(inputs), "-o", str(out), "--keypoints", str(out), "--jobs", "2"])

    stdout, stderr = capsys.readouterr()
    assert code == 2
    assert sorted(p.name for p in out.iterdir()) == [
        "clip_posecam.csv",
        "clip_posecam.mp4",
        "photo_posecam.csv",
        "photo_posecam.jpg",
    ]
    assert assert_keypoints_match_video(out / "clip_posecam.mp4", out / "clip_posecam.csv") == 30
    assert_one_line_error(stderr, "posecam: ", "broken.mp4: not a video PoseCam can read")
    assert f"annotated -> {out / 'clip_posecam.mp4'}" in stdout
    assert f"annotated -> {out / 'photo_posecam.jpg'}" in stdout
    assert stdout.splitlines()[-1] == "3 files: 2 annotated, 1 with problems (above)"


def test_several_files_go_beside_themselves_without_output_folders(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.mp4", tmp_path / "b.mp4"
    for clip in (first, second):
        clip.write_bytes(short_clip.read_bytes())
    assert main(["annotate", str(first), str(second)]) == 0
    assert probe(tmp_path / "a_posecam.mp4")[:2] == ("h264", 30)
    assert probe(tmp_path / "b_posecam.mp4")[:2] == ("h264", 30)
    assert capsys.readouterr().out.splitlines()[-1] == "2 files: 2 annotated"


@pytest.mark.parametrize("option", ["-o", "--keypoints"])
def test_with_several_inputs_outputs_must_name_a_folder(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    not_a_folder = tmp_path / "out.mp4"
    code = main(["annotate", str(short_clip), str(short_clip), option, str(not_a_folder)])
    assert code == 2
    assert_one_line_error(capsys.readouterr().err, f"{not_a_folder}: with several inputs")


def test_two_files_that_would_share_an_output_name_are_refused_before_any_work(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.mp4").write_bytes(short_clip.read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    code = main(["annotate", str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(out)])
    assert code == 2
    assert_one_line_error(
        capsys.readouterr().err, f"{out / 'x_posecam.mp4'}: would be written for both"
    )
    assert list(out.iterdir()) == []
    # The same file given twice is the same case.
    assert main(["annotate", str(short_clip), str(short_clip)]) == 2
    assert "would be written for both" in capsys.readouterr().err


@pytest.mark.parametrize("other", ["x_posecam.mp4", "x_posecam.partial.mp4"])
def test_an_output_that_is_another_input_of_the_run_is_refused_even_with_overwrite(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], other: str
) -> None:
    # x_posecam.mp4 is x.mp4's output, and x_posecam.partial.mp4 the name it is written under
    # first; either as an input too, --overwrite would replace it with x's annotation before
    # its own turn came.
    first, second = tmp_path / "x.mp4", tmp_path / other
    first.write_bytes(short_clip.read_bytes())
    second.write_bytes(b"not touched" + short_clip.read_bytes())
    before = second.read_bytes()
    code = main(["annotate", str(first), str(second), "--overwrite"])
    assert code == 2
    assert_one_line_error(capsys.readouterr().err, f"{second}: would be written for {first}")
    assert second.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mp4", other]


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need rights on Windows")
def test_one_file_spelled_two_ways_is_refused_too(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    clip = folder / "x.mp4"
    clip.write_bytes(short_clip.read_bytes())
    (tmp_path / "link").symlink_to(folder, target_is_directory=True)
    for other in (folder / ".." / "clips" / "x.mp4", tmp_path / "link" / "x.mp4"):
        assert main(["annotate", str(clip), str(other)]) == 2
        assert "would be written for both" in capsys.readouterr().err
        assert sorted(p.name for p in folder.iterdir()) == ["x.mp4"]


def test_a_failed_report_stops_the_batch_and_says_where_every_files_frames_are(
    astronaut: np.ndarray, tmp_path: Path, model: PoseModel
) -> None:
    clips = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    for clip in clips:
        rolling_clip(
            clip, np.ascontiguousarray(astronaut[::2, ::2]), 900, 4, {"preset": "ultrafast"}
        )
    files = [options_for(f, AnnotateOptions(input=f), None) for f in clips]
    partials = [tmp_path / "a_posecam.partial.mp4", tmp_path / "b_posecam.partial.mp4"]
    failed: list[int] = []

    def progress(frames: int, _total: int | None) -> None:
        # As a progress bar printing to a closed pipe would fail, in one file's thread, once
        # both files are well under way.
        if frames >= 200 and all(p.exists() for p in partials) and not failed:
            failed.append(frames)
            raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(BrokenPipeError) as caught:
        annotate_files(files, 2, model, progress=progress)
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    # The file whose thread failed says where its frames are, and so does the one it stopped.
    for partial in partials:
        assert f"annotated so far are in {partial}" in notes, notes
        done = int(notes.split(f"in {partial}")[0].rsplit("the ", 1)[1].split(" frames")[0])
        assert 0 < done < 900
        assert probe(partial)[:2] == ("h264", done)


def test_a_stop_asked_through_the_progress_stops_every_file_and_each_keeps_all_it_read(
    astronaut: np.ndarray, tmp_path: Path, model: PoseModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command line's Ctrl+C is raised by its progress callback, in a file's thread. The
    # other files used to stop only later, and then to raise again while writing the frames
    # they held for the look-ahead, which were lost.
    import json
    import threading

    from desktop_app.core.pipeline import PosePipeline

    clips = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    for clip in clips:
        rolling_clip(
            clip, np.ascontiguousarray(astronaut[::2, ::2]), 900, 4, {"preset": "ultrafast"}
        )
    files = [options_for(f, AnnotateOptions(input=f, keypoints=tmp_path), ".json") for f in clips]
    read: dict[str, int] = {}
    process_held = PosePipeline.process_held

    def counting(self: PosePipeline, frame, **kwargs):  # type: ignore[no-untyped-def]
        name = threading.current_thread().name
        read[name] = read.get(name, 0) + 1
        return process_held(self, frame, **kwargs)

    monkeypatch.setattr(PosePipeline, "process_held", counting)
    asked: list[int] = []

    def progress(frames: int, _total: int | None) -> None:
        if frames >= 120 and len(read) == 2 and not asked:
            asked.append(frames)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        annotate_files(files, 2, model, progress=progress)
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    kept = []
    for clip in clips:
        partial = tmp_path / f"{clip.stem}_posecam.partial.mp4"
        assert f"annotated so far are in {partial}" in notes, notes
        keypoints = tmp_path / f"{clip.stem}_posecam.partial.json"
        frames = json.loads(keypoints.read_text())["frames"]
        kept.append(len(frames))
        assert [f["frame"] for f in frames] == list(range(len(frames)))
        assert probe(partial)[:2] == ("h264", len(frames))
    assert sorted(kept) == sorted(read.values()), (kept, read)


def test_a_stop_between_files_starts_no_more(
    short_clip: Path, tmp_path: Path, model: PoseModel
) -> None:
    # Files that fail before their first frame (outputs that exist) report no progress: the
    # stop is also looked for as each file is counted and started.
    clips = [tmp_path / f"{name}.mp4" for name in "abcd"]
    for clip in clips:
        clip.write_bytes(short_clip.read_bytes())
    files = [options_for(f, AnnotateOptions(input=f), None) for f in clips]
    calls: list[int] = []

    def check_stop() -> None:
        calls.append(1)
        if len(calls) == len(clips) + 2:  # each file counted, the first started: the second
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        annotate_files(files, 1, model, check_stop=check_stop)
    assert sorted(p.name for p in tmp_path.glob("*_posecam*")) == ["a_posecam.mp4"]


def test_an_empty_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["annotate", str(tmp_path)]) == 2
    assert_one_line_error(capsys.readouterr().err, "is a folder with no videos or pictures")


@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl+C is a console event on Windows")
def test_a_real_ctrl_c_keeps_the_frames_done_of_every_file_running(
    astronaut: np.ndarray, tmp_path: Path
) -> None:
    small = np.ascontiguousarray(astronaut[::2, ::2])
    clips = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    for clip in clips:
        rolling_clip(clip, small, 1800, 4, {"preset": "ultrafast"})
    partials = [tmp_path / "a_posecam.partial.mp4", tmp_path / "b_posecam.partial.mp4"]
    command = [sys.executable, "-m", "desktop_app", "annotate", *map(str, clips), "--jobs", "2"]
    with running(command) as child:
        wait_until_written(child, partials)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert_one_line_error(err, "posecam: interrupted; the ")
    for partial in partials:
        assert f"annotated so far are in {partial}" in err
        done = int(err.split(f"in {partial}")[0].rsplit("the ", 1)[1].split(" frames")[0])
        assert 0 < done < 1800
        assert probe(partial)[:2] == ("h264", done)


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need rights on Windows")
def test_outputs_behind_a_loop_of_links_are_still_compared(tmp_path: Path) -> None:
    # Path.resolve raises on a loop of links (RuntimeError before Python 3.13): the check
    # that two outputs are one file must not turn that into a traceback.
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    inside = tmp_path / "a" / "x.mp4"
    assert output_key(inside) == output_key(tmp_path / "b" / ".." / "a" / "x.mp4")
    assert output_key(inside) != output_key(tmp_path / "b" / "x.mp4")


def test_an_output_folder_not_there_yet_is_made_as_the_readme_shows(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # README: posecam annotate clips/ -o done/ --keypoints done/
    clips = tmp_path / "clips"
    clips.mkdir()
    (clips / "a.mp4").write_bytes(short_clip.read_bytes())
    done = tmp_path / "done"
    assert main(["annotate", f"{clips}/", "-o", f"{done}/", "--keypoints", f"{done}/"]) == 0
    assert sorted(p.name for p in done.iterdir()) == ["a_posecam.csv", "a_posecam.mp4"]
    assert capsys.readouterr().out.splitlines()[-1] == "1 file: 1 annotated"
    # Not in a folder that is not there either, nor for inputs that are refused.
    for out in (tmp_path / "none" / "done", tmp_path / "refused"):
        inputs = [str(clips)] if out.parent.name == "none" else [str(short_clip)] * 2
        assert main(["annotate", *inputs, "-o", str(out)]) == 2
        assert not out.exists()
    capsys.readouterr()


def test_output_folders_are_made_by_name_not_where_they_cannot_be(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop_app.batch import check_folder, make_folder

    dotted = tmp_path / "results.v2"  # a dot, but no file's ending
    check_folder(dotted, "--output")
    make_folder(dotted)
    assert dotted.is_dir()
    for slip in ("out.mp4", "out.MKV", "poses.csv", "frame.png"):
        with pytest.raises(OutputError, match="names a folder"):
            check_folder(tmp_path / slip, "--output")
    if Path("/proc/self").is_dir():  # a folder in which no folder can be made, even by root
        with pytest.raises(OutputError, match="folder cannot be made"):
            make_folder(Path("/proc/posecam-out"))
    # The model is checked before the folder is made: a refused run leaves none.
    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("a.mp4", "b.mp4"):
        (clips / name).write_bytes(short_clip.read_bytes())
    out = tmp_path / "new"
    assert main(["annotate", str(clips), "-o", str(out), "--model", str(tmp_path / "x.task")]) == 2
    assert not out.exists()
    capsys.readouterr()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_standard_output_that_fails_stops_no_file_and_loses_none(
    short_clip: Path, tmp_path: Path
) -> None:
    # `posecam annotate clips/ -o out > /dev/full`, unbuffered (PYTHONUNBUFFERED, as in many
    # containers): the first file's summary line fails; the second is annotated all the same.
    clips, out = tmp_path / "clips", tmp_path / "out"
    clips.mkdir()
    for name in ("a.mp4", "b.mp4"):
        (clips / name).write_bytes(short_clip.read_bytes())
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for inputs, output in (([clips], out), ([clips / "a.mp4"], tmp_path / "one.mp4")):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "desktop_app", "annotate", *map(str, inputs), "-o",
                 str(output), "--jobs", "1"],
                stdout=full, stderr=subprocess.PIPE, text=True, env=env, timeout=600,
            )  # fmt: skip
        assert done.returncode == 2
        assert_one_line_error(done.stderr, "cannot write to standard output")
    assert sorted(p.name for p in out.iterdir()) == ["a_posecam.mp4", "b_posecam.mp4"]
    for video in (out / "a_posecam.mp4", out / "b_posecam.mp4", tmp_path / "one.mp4"):
        assert probe(video)[:2] == ("h264", 30)
