"""Exercises by name: presets and saved ones, one readable JSON file each, never half written
nor replaced unasked, and a one-line problem for a file that is not one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.core.exercises import (
    exercise_names,
    exercise_to_json,
    find_exercise,
    load_exercise,
    remove_exercise,
    save_exercise,
    saved_exercises,
)
from desktop_app.core.reps import EXERCISES, Exercise, Stage
from desktop_app.errors import InputError, OutputError, PoseCamError

JACKS = Exercise(
    "jacks", ("left_shoulder", "right_shoulder"), 56.5, 114.5, title="Jacks", starts=Stage.DOWN
)


def test_saved_and_found_again_as_it_was(tmp_path: Path) -> None:
    path = save_exercise(JACKS, tmp_path, taught_from={"clip": "a.mp4", "reps_shown": 2})
    assert path == tmp_path / "jacks.json"
    assert find_exercise("jacks", tmp_path) == JACKS
    assert json.loads(path.read_text())["taught_from"] == {"clip": "a.mp4", "reps_shown": 2}
    assert exercise_names(tmp_path) == [*EXERCISES, "jacks"]
    assert [p.name for p in tmp_path.iterdir()] == ["jacks.json"]  # no temporary file left


def test_presets_come_first_and_cannot_be_saved_over_or_removed(tmp_path: Path) -> None:
    assert find_exercise("squat", tmp_path) is EXERCISES["squat"]
    with pytest.raises(PoseCamError, match="preset"):
        save_exercise(Exercise("squat", ("left_knee",), 90.0, 150.0), tmp_path)
    with pytest.raises(PoseCamError, match="preset"):
        remove_exercise("squat", tmp_path)


def test_names_are_found_whatever_their_case(tmp_path: Path) -> None:
    assert find_exercise("SQUAT", tmp_path) is EXERCISES["squat"]
    assert find_exercise("Shoulder-Press", tmp_path) is EXERCISES["shoulder_press"]
    save_exercise(JACKS, tmp_path)
    assert find_exercise("Jacks", tmp_path) == JACKS


def test_a_name_that_finds_a_preset_cannot_be_saved_and_an_old_one_keeps_its_meaning(
    tmp_path: Path,
) -> None:
    for name in ("shoulder-press", "Jumping-Jack"):
        with pytest.raises(PoseCamError, match="preset"):
            save_exercise(Exercise(name, ("left_elbow",), 60.0, 120.0), tmp_path)
    # Saved by a PoseCam from before names could mean a preset: still what its owner saved.
    mine = Exercise("shoulder-press", ("left_elbow",), 60.0, 120.0)
    (tmp_path / "shoulder-press.json").write_text(json.dumps(exercise_to_json(mine)))
    assert find_exercise("shoulder-press", tmp_path) == mine
    assert find_exercise("Shoulder-Press", tmp_path) is EXERCISES["shoulder_press"]


def test_names_differing_only_in_case_are_not_saved_and_need_the_exact_one(
    tmp_path: Path,
) -> None:
    save_exercise(JACKS, tmp_path)
    other = Exercise("JACKS", JACKS.angles, 40.0, 130.0, starts=Stage.DOWN)
    # Listed alike, found by the same typed name, one file on Windows and macOS.
    for overwrite in (False, True):
        with pytest.raises(OutputError, match="jacks is saved already"):
            save_exercise(other, tmp_path, overwrite=overwrite)
    assert [p.name for p in tmp_path.iterdir()] == ["jacks.json"]
    # Two such files made by hand (or by a PoseCam from before): each by its exact name.
    (tmp_path / "JACKS.json").write_text(json.dumps(exercise_to_json(other)))
    if len(list(tmp_path.iterdir())) == 1:
        pytest.skip("this file system does not tell names apart by case")
    assert find_exercise("JACKS", tmp_path) == other
    assert find_exercise("jacks", tmp_path) == JACKS
    with pytest.raises(PoseCamError, match="there are: JACKS, jacks"):
        find_exercise("Jacks", tmp_path)


def test_never_replaced_unasked(tmp_path: Path) -> None:
    save_exercise(JACKS, tmp_path)
    wider = Exercise("jacks", JACKS.angles, 40.0, 130.0, starts=Stage.DOWN)
    with pytest.raises(OutputError, match="already exists"):
        save_exercise(wider, tmp_path)
    assert find_exercise("jacks", tmp_path) == JACKS
    save_exercise(wider, tmp_path, overwrite=True)
    assert find_exercise("jacks", tmp_path) == wider


def test_removed(tmp_path: Path) -> None:
    save_exercise(JACKS, tmp_path)
    assert remove_exercise("jacks", tmp_path) == tmp_path / "jacks.json"
    with pytest.raises(PoseCamError, match="no exercise called 'jacks'"):
        find_exercise("jacks", tmp_path)
    with pytest.raises(PoseCamError, match=r"saved: none"):
        remove_exercise("jacks", tmp_path)


def test_names_cannot_climb_out_of_the_folder(tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    save_exercise(JACKS, tmp_path)
    for name in ("../jacks", "inner/../jacks", "/etc/passwd"):
        with pytest.raises(PoseCamError):
            find_exercise(name, tmp_path / "inner")
        with pytest.raises(PoseCamError):
            remove_exercise(name, tmp_path / "inner")
    assert (tmp_path / "jacks.json").exists()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not JSON"),
        ('{"name": "bad"}', '"posecam_exercise": 1'),
        ('{"posecam_exercise": 1, "name": "other"}', "the file's, bad"),
        ('{"posecam_exercise": 1, "name": "bad", "angles": ["nose"]}', "angles must be"),
        (
            '{"posecam_exercise": 1, "name": "bad", "angles": ["left_knee"], "down_deg": 150, '
            '"up_deg": 100, "min_stage_s": 0.1, "starts": "up"}',
            "down_deg must be below up_deg",
        ),
        (
            '{"posecam_exercise": 1, "name": "bad", "angles": ["left_knee"], "down_deg": 90, '
            '"up_deg": 1e999, "min_stage_s": 0.1, "starts": "up"}',
            "up_deg must be 0-180",
        ),
        (
            '{"posecam_exercise": 1, "name": "bad", "angles": ["left_knee"], "down_deg": 90, '
            '"up_deg": 150, "min_stage_s": 0.1, "starts": "sideways"}',
            "starts must be",
        ),
        ("[" * 100 + "]" * 100, '"posecam_exercise": 1'),
    ],
)
def test_a_file_that_is_not_an_exercise_is_one_line_naming_it(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_exercise(path)
    message = str(caught.value)
    assert str(path) in message and problem in message and "\n" not in message
    # Listing goes on past it, and says what is wrong with it.
    save_exercise(JACKS, tmp_path)
    found, problems = saved_exercises(tmp_path)
    assert list(found) == ["jacks"] and [str(p) for p in problems] == [message]


def test_a_huge_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (1 << 20))
    with pytest.raises(InputError, match="too large"):
        load_exercise(path)


def test_no_folder_yet_is_no_saved_exercises(tmp_path: Path) -> None:
    assert saved_exercises(tmp_path / "not yet") == ({}, [])
    assert exercise_names(tmp_path / "not yet") == list(EXERCISES)


def test_a_file_where_the_folder_should_be_is_said_not_taken_for_no_exercises(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "exercises"
    folder.write_text("")
    saved, problems = saved_exercises(folder)
    assert saved == {}
    assert [str(problem).split(" (")[0] for problem in problems] == [f"{folder}: cannot be read"]
