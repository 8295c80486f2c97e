"""Nothing lost, nothing crashes: the command line never destroys a file it was not asked to
replace, refuses impossible numbers with one line, and reports the unforeseen without a
traceback. Every test works on real files."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_app.app_log import LOG_FILE
from desktop_app.cli import main
from desktop_app.core.frame import Frame
from desktop_app.core.pipeline import FrameResult, PosePipeline
from desktop_app.folders import log_folder
from desktop_app.media.keypoints import CSV_COLUMNS, read_json_keypoints
from tests.test_annotate_cli import (
    _faststart_clip,
    assert_one_line_error,
    probe,
    rolling_clip,
    run,
)
from testsupport.processes import running, wait_until_written


@pytest.fixture
def clip(short_clip: Path, tmp_path: Path) -> Path:
    """A private copy of the short clip, which a test may link to and must find unharmed."""
    copy = tmp_path / "clip.mp4"
    shutil.copyfile(short_clip, copy)
    return copy


def _hard_link(target: Path, link: Path) -> None:
    try:
        os.link(target, link)
    except OSError as exc:
        pytest.skip(f"no hard links here ({exc})")


@pytest.mark.parametrize("how", ["hard link", "symbolic link", "other spelling"])
def test_output_that_is_the_input_by_another_path_is_refused(
    how: str, clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = clip.read_bytes()
    if how == "hard link":
        output = tmp_path / "annotated.mp4"
        _hard_link(clip, output)
    elif how == "symbolic link":
        output = tmp_path / "annotated.mp4"
        output.symlink_to(clip)
    else:
        (tmp_path / "sub").mkdir()
        output = tmp_path / "sub" / ".." / "clip.mp4"
    code, _, err = run(capsys, clip, "-o", output, "--overwrite")
    assert code == 2
    assert_one_line_error(err, str(output), "same file as the input")
    assert clip.read_bytes() == before


def test_keypoints_that_are_the_video_by_another_name_are_refused(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output, keypoints = tmp_path / "old.mp4", tmp_path / "old.csv"
    output.write_bytes(b"an earlier result")
    _hard_link(output, keypoints)
    code, _, err = run(capsys, clip, "-o", output, "--keypoints", keypoints, "--overwrite")
    assert code == 2
    assert_one_line_error(err, "old.csv", "same file")
    assert output.read_bytes() == b"an earlier result"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--num-poses", "3000000000"),
        ("--num-poses", "11"),
        ("--num-poses", "0"),
        ("--num-poses", "-2"),
        ("--num-poses", "1.5"),
        ("--smoothing-strength", "nan"),
        ("--smoothing-strength", "inf"),
        ("--smoothing-strength", "-0.1"),
        ("--smoothing-strength", "1.01"),
        ("--min-confidence", "nan"),
        ("--min-confidence", "-inf"),
        ("--min-confidence", "2"),
        ("--down", "nan"),
        ("--down", "-5"),
        ("--up", "inf"),
        ("--up", "181"),
        ("--up", "ninety"),
    ],
)
def test_impossible_numbers_are_refused_in_one_line(
    option: str, value: str, clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out.mp4"
    with pytest.raises(SystemExit) as exit_info:
        # OPTION=VALUE, as argparse would take "-inf" on its own for an option.
        main(["annotate", str(clip), "-o", str(output), f"{option}={value}"])
    assert exit_info.value.code == 2
    assert_one_line_error(capsys.readouterr().err, option, value, "--help")
    assert not output.exists()


@pytest.mark.parametrize("custom", ["custom", "Custom"])
def test_custom_thresholds_out_of_order_are_refused(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], custom: str
) -> None:
    code, _, err = run(capsys, clip, "-o", tmp_path / "out.mp4", "--exercise", custom,
                       "--angle", "left_knee", "--down", "150", "--up", "80")  # fmt: skip
    assert code == 2
    assert_one_line_error(err, "--down 150 must be below --up 80")


@pytest.mark.parametrize("exercise", [[], ["--exercise", "squat"]])
def test_custom_thresholds_without_a_custom_exercise_are_refused_not_ignored(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], exercise: list[str]
) -> None:
    code, _, err = run(capsys, clip, "-o", tmp_path / "out.mp4", *exercise, "--down", "80")
    assert code == 2
    assert_one_line_error(err, "--down goes with --exercise custom only")
    assert not list(tmp_path.glob("out*"))


def test_no_count_without_an_exercise_is_refused_not_ignored(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Without an exercise there is no count to leave off: the user meant something else.
    code, _, err = run(capsys, clip, "-o", tmp_path / "out.mp4", "--no-count")
    assert code == 2
    assert_one_line_error(err, "--no-count goes with --exercise")
    assert not list(tmp_path.glob("out*"))


def test_an_unknown_option_is_one_line_too(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--no-such-option"])
    assert exit_info.value.code == 2
    assert_one_line_error(capsys.readouterr().err, "--no-such-option")


@pytest.mark.parametrize(
    "limits",
    [
        ("--num-poses", "10", "--smoothing-strength", "1", "--min-confidence", "0"),
        ("--num-poses", "1", "--smoothing-strength", "0", "--min-confidence", "1"),
    ],
)
def test_the_limits_themselves_are_accepted(
    limits: tuple[str, ...], clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, err = run(capsys, clip, "-o", tmp_path / "out.mp4", *limits)
    assert code == 0, err
    assert "30 frames" in stdout


def _old_results(tmp_path: Path) -> tuple[Path, Path]:
    """An earlier run's video and keypoints, which --overwrite may replace only with better."""
    output, keypoints = tmp_path / "old.mp4", tmp_path / "old.json"
    output.write_bytes(b"an earlier video")
    keypoints.write_text('{"an earlier": "result"}')
    return output, keypoints


def test_overwrite_keeps_the_old_output_when_the_input_gives_no_frame(
    astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole.mp4"
    _faststart_clip(whole, astronaut, 20)
    # Cut inside the first frame: the file opens (its index is at the front) but gives nothing.
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(whole.read_bytes()[: whole.stat().st_size // 20])
    output, keypoints = _old_results(tmp_path)
    code, _, err = run(capsys, broken, "-o", output, "--keypoints", keypoints, "--overwrite")
    assert code == 2
    assert_one_line_error(err, "broken.mp4", "frame 0")
    assert output.read_bytes() == b"an earlier video"
    assert keypoints.read_text() == '{"an earlier": "result"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "broken.mp4", "old.json", "old.mp4", "whole.mp4"]  # fmt: skip


def test_overwrite_replaces_the_old_output_once_the_new_one_is_complete(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output, keypoints = _old_results(tmp_path)
    code, _, err = run(capsys, clip, "-o", output, "--keypoints", keypoints, "--overwrite")
    assert code == 0, err
    assert probe(output)[:2] == ("h264", 30)
    assert len(json.loads(keypoints.read_text())["frames"]) == 30
    assert not (tmp_path / "old.partial.mp4").exists()
    assert not (tmp_path / "old.partial.json").exists()


def _stop_at_frame(monkeypatch: pytest.MonkeyPatch, index: int, error: BaseException) -> None:
    """Make the pipeline raise `error` as frame `index` comes in, as Ctrl+C or a fault in the
    pose model would; everything around it (decoding, encoding, the files) stays real. The
    frames before it are all written, those held for annotate's look-ahead included."""
    process_held = PosePipeline.process_held

    def process_until(self: PosePipeline, frame: Frame, **kwargs: bool) -> list[FrameResult]:
        assert self.settings.look_ahead_frames > 0  # so that held frames are at stake
        if frame.index == index:
            raise error
        return process_held(self, frame, **kwargs)

    monkeypatch.setattr(PosePipeline, "process_held", process_until)


def test_ctrl_c_part_way_keeps_the_old_output_and_the_frames_done_in_partial_files(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    output, keypoints = _old_results(tmp_path)
    _stop_at_frame(monkeypatch, 12, KeyboardInterrupt())
    code, _, err = run(capsys, clip, "-o", output, "--keypoints", keypoints, "--overwrite")
    assert code == 130
    partial_output, partial_keypoints = tmp_path / "old.partial.mp4", tmp_path / "old.partial.json"
    assert err.strip() == (
        f"posecam: interrupted; the 12 frames annotated so far are in {partial_output} "
        f"and {partial_keypoints}"
    )
    assert output.read_bytes() == b"an earlier video"
    assert keypoints.read_text() == '{"an earlier": "result"}'
    assert probe(partial_output)[:2] == ("h264", 12)  # finished, so it plays
    kept = json.loads(partial_keypoints.read_text())
    assert [f["frame"] for f in kept["frames"]] == list(range(12))
    assert kept["complete"] is False  # as a run killed outright reads


def test_ctrl_c_part_way_keeps_the_repetitions_counted_so_far_too(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # The table of repetitions was written only by a complete run: a set stopped part way
    # lost it, though its video and keypoints were kept.
    from desktop_app.media.reps_table import REPS_TABLE_COLUMNS

    _stop_at_frame(monkeypatch, 12, KeyboardInterrupt())
    output, keypoints = tmp_path / "set.mp4", tmp_path / "set.csv"
    code, _, err = run(capsys, clip, "-o", output, "--keypoints", keypoints, "--exercise", "squat")
    assert code == 130
    table = tmp_path / "set_reps.partial.csv"
    assert err.strip() == (
        f"posecam: interrupted; the 12 frames annotated so far are in "
        f"{tmp_path / 'set.partial.mp4'} and {tmp_path / 'set.partial.csv'} and {table}"
    )
    with table.open(newline="") as f:
        assert tuple(next(csv.reader(f))) == REPS_TABLE_COLUMNS
    assert not (tmp_path / "set_reps.csv").exists()
    # A later run does not replace it without being asked.
    monkeypatch.undo()
    for other in ("set.partial.mp4", "set.partial.csv"):
        (tmp_path / other).unlink()
    code, _, err = run(capsys, clip, "-o", output, "--keypoints", keypoints, "--exercise", "squat")
    assert code == 2
    assert_one_line_error(err, "set_reps.partial.csv", "already exists", "--overwrite")


@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl+C is a console event on Windows")
def test_a_ctrl_c_that_lands_in_a_finalizer_still_stops_the_run(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # Python handles a signal wherever it is, and annotate spends much of its time freeing
    # MediaPipe's images: a KeyboardInterrupt raised there is printed and dropped ("Exception
    # ignored in ... __del__"), and the run went on to its end, deaf to every later Ctrl+C.
    class SignalsWhenFreed:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)

    process_held = PosePipeline.process_held

    def process(self: PosePipeline, frame: Frame, **kwargs) -> list[FrameResult]:
        if frame.index == 8:
            SignalsWhenFreed()  # freed at once, the signal handled inside its __del__
        return process_held(self, frame, **kwargs)

    monkeypatch.setattr(PosePipeline, "process_held", process)
    code, _, err = run(capsys, clip, "-o", tmp_path / "out.mp4")
    assert code == 130, err
    assert "posecam: interrupted; the " in err
    assert not (tmp_path / "out.mp4").exists()
    done = int(err.split("the ", 1)[1].split(" frames")[0])
    assert 0 < done < 30
    assert probe(tmp_path / "out.partial.mp4")[:2] == ("h264", done)


def test_ctrl_c_while_the_last_held_frames_are_written_still_keeps_them_all(
    clip: Path, tmp_path: Path, model
) -> None:
    """The end of the clip gives the frames held for the look-ahead at once; Ctrl+C after the
    first of them is written: the rest are written too, none left out."""
    from desktop_app.annotate import AnnotateOptions, annotate

    output = tmp_path / "out.mp4"
    options = AnnotateOptions(input=clip, output=output, keypoints=tmp_path / "out.json")
    held = options.pipeline_settings(30.0).look_ahead_frames
    assert held >= 2  # so that some are still to write when the stop comes

    def stop_in_the_last_batch(done: int, total: int | None) -> None:
        assert total == 30
        if done == total - held + 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as stopped:
        annotate(options, progress=stop_in_the_last_batch, model=model)
    assert "the 30 frames annotated so far are in" in " ".join(stopped.value.__notes__)
    assert probe(tmp_path / "out.partial.mp4")[:2] == ("h264", 30)
    frames = json.loads((tmp_path / "out.partial.json").read_text())["frames"]
    assert [f["frame"] for f in frames] == list(range(30))


def test_a_leftover_partial_file_is_not_replaced_without_being_asked(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leftover = tmp_path / "out.partial.mp4"
    leftover.write_bytes(b"what an interrupted run kept")
    code, _, err = run(capsys, clip, "-o", tmp_path / "out.mp4")
    assert code == 2
    assert_one_line_error(err, "out.partial.mp4", "already exists", "--overwrite")
    assert leftover.read_bytes() == b"what an interrupted run kept"
    code, _, err = run(capsys, clip, "-o", tmp_path / "out.mp4", "--overwrite")
    assert code == 0, err
    assert not leftover.exists() and probe(tmp_path / "out.mp4")[:2] == ("h264", 30)


def test_an_input_named_like_the_partial_file_is_refused(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    named = tmp_path / "out.partial.mp4"
    clip.rename(named)
    before = named.read_bytes()
    code, _, err = run(capsys, named, "-o", tmp_path / "out.mp4", "--overwrite")
    assert code == 2
    assert_one_line_error(err, "out.partial.mp4", "is the input file")
    assert named.read_bytes() == before


def _long_clip(path: Path, photo: np.ndarray, frames: int) -> None:
    """A small clip long enough that annotating it takes many seconds, of `photo` standing
    still: the person is whole in every frame (rolled sideways, she would be cut in two at the
    picture's edges every couple of seconds, where a detector rightly finds nobody)."""
    small = np.ascontiguousarray(photo[::2, ::2])
    rolling_clip(path, small, frames, 0, {"preset": "ultrafast"})


@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl+C is a console event on Windows")
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGINT twice", "SIGINT twice, late"])
def test_a_real_ctrl_c_or_sigterm_keeps_the_old_output_and_a_playable_partial_file(
    astronaut: np.ndarray, tmp_path: Path, how: str
) -> None:
    long_clip = tmp_path / "long.mp4"
    _long_clip(long_clip, astronaut, 1800)
    output = tmp_path / "old.mp4"
    output.write_bytes(b"an earlier video")
    partial_output = tmp_path / "old.partial.mp4"
    command = [sys.executable, "-m", "desktop_app", "annotate", str(long_clip), "-o", str(output)]
    with running([*command, "--overwrite"]) as child:
        wait_until_written(child, [partial_output])
        child.send_signal(getattr(signal, how.split()[0]))
        if "twice" in how:
            # Impatient: pressed again while the files are being finished, or as the message
            # is printed and the process ends (late); either way the first stop's outcome holds.
            time.sleep(0.3 if how.endswith("late") else 0.02)
            child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
    # A shell's convention: 128 plus the signal's number (130 for Ctrl+C, 143 for SIGTERM).
    assert child.returncode == 128 + getattr(signal, how.split()[0]), err
    assert_one_line_error(
        err, "posecam: interrupted; the ", f"annotated so far are in {partial_output}"
    )
    done = int(err.split("the ")[1].split(" frames")[0])
    assert 0 < done < 1800
    assert probe(partial_output)[:2] == ("h264", done)
    assert output.read_bytes() == b"an earlier video"


def _frames_in_keypoints(path: Path) -> list[int]:
    """The frames a keypoints file holds, read as a user would after a kill."""
    if path.suffix == ".json":
        data = read_json_keypoints(path)
        assert data["complete"] is False, "a killed run cannot have finished its JSON"
        return [entry["frame"] for entry in data["frames"]]
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(CSV_COLUMNS)
    assert all(len(row) == len(CSV_COLUMNS) for row in rows), "a torn row"
    frames = [int(row[0]) for row in rows[1:]]
    assert len(frames) % 33 == 0, "a frame cut part way"
    return sorted(set(frames))


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGKILL on Windows")
@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_annotate_killed_outright_leaves_a_playable_video_and_readable_keypoints(
    astronaut: np.ndarray, tmp_path: Path, suffix: str
) -> None:
    long_clip = tmp_path / "long.mp4"
    _long_clip(long_clip, astronaut, 1800)
    output, keypoints = tmp_path / "out.mp4", tmp_path / f"k{suffix}"
    partial_output, partial_keypoints = (
        tmp_path / "out.partial.mp4",
        tmp_path / f"k.partial{suffix}",
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "annotate", str(long_clip), "-o", str(output),
         "--keypoints", str(keypoints)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        # Let it write a few fragments (one every half second of video, 15 frames here).
        wait_until_written(child, [partial_keypoints], least_bytes=400_001)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert not output.exists() and not keypoints.exists()
    codec, video_frames, _, _ = probe(partial_output)
    assert codec == "h264" and 0 < video_frames < 1800
    # The astronaut is in every frame, so the keypoints name every frame done, and they reach
    # at least as far as the video: every frame that plays has its keypoints.
    frames = _frames_in_keypoints(partial_keypoints)
    assert frames == list(range(len(frames)))
    assert len(frames) >= video_frames


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PoseCam's log file, moved into the test's own folder."""
    for variable in ("XDG_STATE_HOME", "LOCALAPPDATA", "HOME"):
        monkeypatch.setenv(variable, str(tmp_path / "state"))
    return log_folder() / LOG_FILE


@pytest.mark.parametrize("at_frame", [0, 12])
def test_an_unforeseen_error_is_one_line_with_the_traceback_in_the_log(
    at_frame: int, clip: Path, tmp_path: Path, log_file: Path, monkeypatch, capsys
) -> None:
    output, keypoints = _old_results(tmp_path)
    _stop_at_frame(monkeypatch, at_frame, RuntimeError("the pose model\nfell over"))
    code, _, err = run(capsys, clip, "-o", output, "--keypoints", keypoints, "--overwrite")
    assert code == 2
    partial_output, partial_keypoints = tmp_path / "old.partial.mp4", tmp_path / "old.partial.json"
    kept = f"the 12 frames annotated so far are in {partial_output} and {partial_keypoints}"
    assert_one_line_error(
        err,
        "posecam: unexpected error: RuntimeError: the pose model fell over"
        + (f"; {kept}" if at_frame else "")
        + f" (details in {log_file})",
    )
    log = log_file.read_text()
    assert "Traceback" in log and "process_until" in log and "fell over" in log
    assert f"posecam annotate {clip}" in log
    # The old results are as they were; the frames done before the fault are kept, and play.
    assert output.read_bytes() == b"an earlier video"
    assert keypoints.read_text() == '{"an earlier": "result"}'
    if at_frame:
        assert probe(partial_output)[:2] == ("h264", 12)
        assert len(json.loads(partial_keypoints.read_text())["frames"]) == 12
    else:
        assert not partial_output.exists() and not partial_keypoints.exists()


def test_an_unforeseen_error_with_an_unwritable_log_is_still_one_line(
    clip: Path, tmp_path: Path, log_file: Path, monkeypatch, capsys
) -> None:
    # A file where the log folder should be: the log cannot be written either.
    log_file.parent.parent.mkdir(parents=True)
    log_file.parent.write_text("not a folder")
    _stop_at_frame(monkeypatch, 0, RuntimeError("boom"))
    code, _, err = run(capsys, clip, "-o", tmp_path / "out.mp4")
    assert code == 2
    assert_one_line_error(err, "unexpected error: RuntimeError: boom", "no details saved")


def test_sample_clip_does_not_replace_a_file_without_being_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "mine.mp4"
    existing.write_bytes(b"my own video")
    assert main(["sample-clip", str(existing), "--seconds", "0.5"]) == 2
    assert_one_line_error(capsys.readouterr().err, "mine.mp4", "already exists", "--overwrite")
    assert existing.read_bytes() == b"my own video"
    assert main(["sample-clip", str(existing), "--seconds", "0.5", "--overwrite"]) == 0
    assert probe(existing)[:2] == ("h264", 15)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.mp4"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc (Linux)")
def test_sample_clip_names_the_file_asked_for_where_it_cannot_be_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # /proc is a folder in which no file can be made, even by root.
    assert main(["sample-clip", "/proc/posecam-sample.mp4", "--seconds", "0.5"]) == 2
    err = capsys.readouterr().err
    assert_one_line_error(err, "/proc/posecam-sample.mp4: cannot write a video here")
    assert "partial" not in err


@pytest.mark.parametrize("seconds", ["inf", "nan", "0", "-1", "3600.5", "1e400", "0.001"])
def test_sample_clip_refuses_impossible_lengths_and_writes_nothing(
    seconds: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "sample.mp4"
    try:
        code = main(["sample-clip", str(output), f"--seconds={seconds}"])
    except SystemExit as exit_info:  # refused by the argument parser
        code = int(str(exit_info.code))
    assert code == 2
    assert_one_line_error(capsys.readouterr().err, "--seconds", seconds)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_an_annotated_image_through_its_partial_name(
    grace_hopper: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo, output = tmp_path / "hopper.jpg", tmp_path / "hopper_posecam.jpg"
    cv2.imwrite(str(photo), cv2.cvtColor(grace_hopper, cv2.COLOR_RGB2BGR))
    output.write_bytes(b"an earlier picture")
    code, stdout, err = run(capsys, photo, "--overwrite")
    assert code == 0, err
    assert f"annotated -> {output}" in stdout
    assert cv2.imread(str(output)).shape == grace_hopper.shape
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hopper.jpg", "hopper_posecam.jpg"]
