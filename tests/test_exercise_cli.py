"""`posecam exercise teach | list | remove`, and `annotate --exercise NAME` with a taught one:
end to end on real footage (skipped without ../shared), and every bad input in one line."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from desktop_app.cli import main
from desktop_app.core.exercises import exercises_folder, find_exercise
from desktop_app.media.sources import VideoFileSource
from desktop_app.media.synthetic import KnownMotion
from tests.conftest import write_clip


@pytest.fixture(autouse=True)
def config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Taught exercises go to a folder of the test's own, never the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return exercises_folder()


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    try:
        code = main([*map(str, args)])
    except SystemExit as exited:  # argparse's refusals (one line too, see cli._Parser)
        code = int(exited.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, *fragments: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("posecam: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_teach_list_count_and_remove_on_real_jumping_jacks(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], config_folder: Path
) -> None:
    clip = shared_data / "exercise" / "jumpingjack_front_01.mp4"
    code, out, err = run(
        capsys, "exercise", "teach", clip, "--name", "jacks", "--start", "0.8", "--end", "3.5"
    )
    assert code == 0, err
    assert "counts on: Jacks: shoulders" in out and "starts down" in out
    assert "repetitions counted in the demonstration: 2" in out
    saved = json.loads((config_folder / "jacks.json").read_text())
    assert saved["taught_from"]["clip"] == clip.name and saved["starts"] == "down"
    assert find_exercise("jacks").angles == ("left_shoulder", "right_shoulder")

    code, out, _ = run(capsys, "exercise", "list")
    assert code == 0 and "jacks" in out and "taught" in out and "squat" in out

    # Never replaced without --overwrite, and that is found before the clip is read.
    code, _, err = run(capsys, "exercise", "teach", tmp_path / "none.mp4", "--name", "jacks")
    assert code == 2
    one_line_error(err, "jacks.json", "already exists", "--overwrite")

    keypoints = tmp_path / "jacks.json"
    code, out, err = run(
        capsys, "annotate", clip, "-o", tmp_path / "jacks.mp4", "--keypoints", keypoints,
        "--exercise", "jacks",
    )  # fmt: skip
    assert code == 0, err
    assert "jacks: person 0 reps=7" in out  # 7-8 by eye: the clip opens mid-repetition
    data = json.loads(keypoints.read_text())
    assert data["exercise"] == "jacks" and len(data["per_rep"]) == 7
    assert all(rep["quality"] == "good" for rep in data["per_rep"])

    code, out, _ = run(capsys, "exercise", "remove", "jacks")
    assert code == 0 and not (config_folder / "jacks.json").exists()


def test_a_clip_with_no_exercise_in_it_is_one_line_naming_it(
    grace_hopper: np.ndarray,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    config_folder: Path,
) -> None:
    # A person who holds still. (Not the photo sliding sideways: MediaPipe 1.2.3 guesses her
    # elbows, below the photo's edge, anew as it slides, 28-73 degrees apart, and teaching
    # cannot tell a guessed joint's swing from a movement.)
    size = (grace_hopper.shape[1], grace_hopper.shape[0])
    still = KnownMotion(size, (640, 480), seconds=2.0, sweep_px=0.0, zoom_start=0.7, zoom_end=0.7)
    clip = write_clip(tmp_path / "still.mp4", grace_hopper, still)
    code, _, err = run(capsys, "exercise", "teach", clip, "--name", "still")
    assert code == 2
    one_line_error(err, str(clip), "no joint angle swings")
    assert not config_folder.exists() or not any(config_folder.iterdir())


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--name", "squat"], ["squat is a preset's name"]),
        (["--name", "../up"], ["cannot name an exercise"]),
        (["--name", "x", "--start", "3", "--end", "2"], ["--end 2 must be after --start 3"]),
        (["--name", "x", "--start", "-1"], ["before the clip's start"]),
        # Saved, a title this long was refused when the exercise was used.
        (["--name", "x", "--title", "J" * 81], ["the title is 81 characters", "at most 80"]),
    ],
)
def test_bad_teaching_arguments_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], fragments: list[str]
) -> None:
    code, _, err = run(capsys, "exercise", "teach", tmp_path / "clip.mp4", *args)
    assert code == 2
    one_line_error(err, *fragments)


def test_an_exercise_is_saved_only_as_it_can_be_loaded(tmp_path: Path) -> None:
    from desktop_app.core.exercises import EXERCISES, load_exercise, save_exercise
    from desktop_app.errors import PoseCamError

    squat = EXERCISES["squat"]
    longest = replace(squat, name="long", title="日本語 ✨" + "x" * 75)  # 80 characters
    assert load_exercise(save_exercise(longest, tmp_path)) == longest
    with pytest.raises(PoseCamError, match="at most 80"):
        save_exercise(replace(longest, name="longer", title=longest.title + "x"), tmp_path)
    assert not (tmp_path / "longer.json").exists()


def test_a_clip_that_is_not_there_or_too_short(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, short_clip: Path
) -> None:
    missing = tmp_path / "missing.mp4"
    code, _, err = run(capsys, "exercise", "teach", missing, "--name", "x")
    assert code == 2
    one_line_error(err, str(missing))
    code, _, err = run(capsys, "exercise", "teach", short_clip, "--name", "x", "--start", "5")
    assert code == 2
    one_line_error(err, str(short_clip), "no frames after 5 s")


def test_unknown_and_broken_exercises_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, short_clip: Path, config_folder: Path
) -> None:
    out = tmp_path / "out.mp4"
    code, _, err = run(capsys, "annotate", short_clip, "-o", out, "--exercise", "jackz")
    assert code == 2
    one_line_error(err, "no exercise called 'jackz'", "squat", "jumping_jack")
    config_folder.mkdir(parents=True)
    broken = config_folder / "broken.json"
    broken.write_text('{"posecam_exercise": 1, "name": "broken", "angles": ["left_knee"]}')
    code, _, err = run(capsys, "annotate", short_clip, "-o", out, "--exercise", "broken")
    assert code == 2
    one_line_error(err, str(broken), "down_deg must be a number")
    # The list still lists, and says which file is not an exercise.
    code, stdout, err = run(capsys, "exercise", "list")
    assert code == 0 and "squat" in stdout
    one_line_error(err, str(broken))
    code, _, err = run(capsys, "exercise", "remove", "jackz")
    assert code == 2
    one_line_error(err, "no saved exercise called 'jackz'")
    code, _, err = run(capsys, "exercise", "remove", "squat")
    assert code == 2
    one_line_error(err, "squat is a preset")
    assert not out.exists()


def test_exercise_needs_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "exercise")
    assert code == 2
    one_line_error(err, "ACTION")


def test_a_listing_whose_reader_has_gone_ends_quietly(tmp_path: Path) -> None:
    # `posecam exercise list | head -3`: the reader closes the pipe before PoseCam writes.
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "desktop_app", "exercise", "list"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, env=env, timeout=300,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr  # 128 + SIGPIPE, as a shell says
    assert done.stderr == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_a_listing_sent_where_nothing_fits_is_one_line(tmp_path: Path, buffered: bool) -> None:
    # `posecam exercise list > /dev/full`: as a file on a full disk, every write fails; with
    # output buffered (the default) at the end, unbuffered (PYTHONUNBUFFERED) at each line.
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "desktop_app", "exercise", "list"],
            stdout=full, stderr=subprocess.PIPE, text=True, env=env, timeout=300,
        )  # fmt: skip
    assert done.returncode == 2
    one_line_error(done.stderr, "cannot write to standard output", "No space left on device")


def test_teaching_refuses_a_picture_and_an_unusable_folder_before_reading(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    short_clip: Path,
    grace_hopper: np.ndarray,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cv2

    photo = tmp_path / "photo.jpg"
    cv2.imwrite(str(photo), grace_hopper)
    code, _, err = run(capsys, "exercise", "teach", photo, "--name", "x")
    assert code == 2
    one_line_error(err, str(photo), "is a picture")
    # The config folder's place is a file: nothing can be saved there. Said before the clip is
    # read, which would have found no frames after 5 s.
    (tmp_path / "a file").write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "a file"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "a file"))
    code, _, err = run(capsys, "exercise", "teach", short_clip, "--name", "x", "--start", "5")
    assert code == 2
    one_line_error(err, "exercises cannot be saved here")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_teaching_shows_its_progress_on_a_terminal(tmp_path: Path, short_clip: Path) -> None:
    import pty

    main_end, terminal = pty.openpty()
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    try:
        subprocess.run(
            [sys.executable, "-m", "desktop_app", "exercise", "teach", short_clip, "--name", "x"],
            stdout=subprocess.DEVNULL, stderr=terminal, env=env, timeout=300,
        )  # fmt: skip
    finally:
        os.close(terminal)
    shown = b""
    with contextlib.suppress(OSError):  # read until the terminal's other end is gone
        while chunk := os.read(main_end, 4096):
            shown += chunk
    os.close(main_end)
    with VideoFileSource(short_clip) as source:
        frames = source.frame_count
    assert f"{frames}/{frames} frames".encode() in shown, shown[-300:]


def test_a_name_differing_only_in_case_is_refused_before_the_clip_is_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, config_folder: Path
) -> None:
    from desktop_app.core.exercises import EXERCISES, exercise_to_json, save_exercise

    save_exercise(replace(EXERCISES["squat"], name="deep", title="Deep"))
    code, _, err = run(capsys, "exercise", "teach", tmp_path / "none.mp4", "--name", "Deep")
    assert code == 2
    one_line_error(err, "Deep.json", "deep is saved already", "differs only in case")
    # Two such names saved before: each can still be replaced under its own name.
    (config_folder / "DEEP.json").write_text(
        json.dumps(exercise_to_json(replace(EXERCISES["squat"], name="DEEP")))
    )
    for name in ("deep", "DEEP"):
        save_exercise(replace(EXERCISES["squat"], name=name, down_deg=100.0), overwrite=True)
        assert find_exercise(name).down_deg == 100.0
