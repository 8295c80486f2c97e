"""Exercises by name: the presets (core.reps.EXERCISES) and those the user taught
(core.teach), one JSON file each in the config folder's `exercises` folder. `find_exercise`
is the one place a name becomes an Exercise, for the command line and the window alike.

A saved exercise's file is plain JSON a person can read:

    {"posecam_exercise": 1, "name": "jacks", "title": "Jacks", "joints": "shoulders",
     "angles": ["left_shoulder", "right_shoulder"], "down_deg": 56.3, "up_deg": 114.5,
     "starts": "down", "min_stage_s": 0.1, "taught_from": {...}}

`taught_from` says what it was learnt from (kept for people, not read back). A file is
written under a temporary name and moved into place, so it is never half written; one is
only replaced when asked to.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from desktop_app.core.angles import ANGLE_NAMES
from desktop_app.core.reps import EXERCISES, Exercise, Stage
from desktop_app.errors import InputError, OutputError, PoseCamError, reason
from desktop_app.folders import config_folder

EXERCISES_FOLDER = "exercises"
FORMAT_KEY, FORMAT_VERSION = "posecam_exercise", 1
#: Names people may give: letters, digits, _ and -, starting with a letter, at most 40 (they
#: become file names, so nothing that could climb out of the folder).
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
# A saved file larger than this is not an exercise (one is some 500 bytes).
_LARGEST_FILE_BYTES = 64 * 1024


def exercises_folder() -> Path:
    """Where taught exercises are kept: the config folder's `exercises` folder."""
    return config_folder() / EXERCISES_FOLDER


def check_name(name: str) -> None:
    """A name people can type and a file can carry, and not a preset's; PoseCamError if not."""
    if not NAME_PATTERN.fullmatch(name):
        raise PoseCamError(
            None,
            f"{name!r} cannot name an exercise: use letters, digits, _ and -, starting with a "
            "letter, at most 40 characters",
        )
    if _as_preset(name) in EXERCISES or name.lower() == "custom":
        raise PoseCamError(None, f"{name} is a preset's name; choose another")


def _as_preset(name: str) -> str:
    """The preset's key a typed name means, if any: case and `-` for `_` do not matter."""
    return name.lower().replace("-", "_")


#: The longest title (and joints text) an exercise keeps, in characters: it is drawn on the
#: picture, above the count.
LONGEST_TITLE = 80


def check_title(title: str) -> None:
    """A title an exercise's file keeps; PoseCamError if too long."""
    if len(title) > LONGEST_TITLE:
        raise PoseCamError(
            None,
            f"the title is {len(title)} characters; an exercise's title is drawn on the "
            f"picture, so at most {LONGEST_TITLE}",
        )


def exercise_to_json(exercise: Exercise, taught_from: Mapping[str, Any] | None = None) -> dict:
    data: dict[str, Any] = {
        FORMAT_KEY: FORMAT_VERSION,
        "name": exercise.name,
        "title": exercise.title,
        "joints": exercise.joints,
        "angles": list(exercise.angles),
        "down_deg": exercise.down_deg,
        "up_deg": exercise.up_deg,
        "starts": exercise.starts.value,
        "min_stage_s": exercise.min_stage_s,
    }
    if taught_from:
        data["taught_from"] = dict(taught_from)
    return data


def exercise_from_json(data: object, path: Path) -> Exercise:
    """The exercise in a saved file's JSON; InputError naming `path` and what is wrong."""

    def bad(problem: str) -> InputError:
        return InputError(path, f"is not a PoseCam exercise: {problem}")

    if not isinstance(data, dict) or data.get(FORMAT_KEY) != FORMAT_VERSION:
        raise bad(f'no "{FORMAT_KEY}": {FORMAT_VERSION}')
    name, angles = data.get("name"), data.get("angles")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or name != path.stem:
        raise bad(f"its name must be the file's, {path.stem}")
    if (
        not isinstance(angles, list)
        or not angles
        or not all(isinstance(a, str) and a in ANGLE_NAMES for a in angles)
    ):
        raise bad(f"angles must be a list of {', '.join(ANGLE_NAMES)}")
    numbers = {}
    for key, low, high in (("down_deg", 0, 180), ("up_deg", 0, 180), ("min_stage_s", 0, 2)):
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad(f"{key} must be a number")
        if not (math.isfinite(value) and low <= value <= high):
            raise bad(f"{key} must be {low}-{high}")
        numbers[key] = float(value)
    if numbers["down_deg"] >= numbers["up_deg"]:
        raise bad("down_deg must be below up_deg")
    starts = data.get("starts")
    if starts not in (Stage.UP.value, Stage.DOWN.value):
        raise bad('starts must be "up" or "down"')
    words = {key: data.get(key, "") for key in ("title", "joints")}
    if not all(isinstance(text, str) and len(text) <= LONGEST_TITLE for text in words.values()):
        raise bad("title and joints must be short text")
    return Exercise(
        name,
        tuple(angles),
        numbers["down_deg"],
        numbers["up_deg"],
        min_stage_s=numbers["min_stage_s"],
        title=words["title"],
        joints=words["joints"],
        starts=Stage(starts),
    )


def load_exercise(path: Path) -> Exercise:
    """A saved exercise; InputError naming the file when it cannot be read or is not one."""
    try:
        if path.stat().st_size > _LARGEST_FILE_BYTES:
            raise InputError(path, "is too large to be a PoseCam exercise")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, f"cannot be read ({reason(exc)})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"is not a PoseCam exercise: not JSON ({exc})") from None
    return exercise_from_json(data, path)


def _path(name: str, folder: Path | None) -> Path:
    return (folder or exercises_folder()) / f"{name}.json"


def _exactly_named(path: Path) -> bool:
    """Whether `path` is a file named exactly so. On Windows and macOS `Jacks.json` also opens
    `jacks.json`, whose exercise is called `jacks`: that one is found by the case-blind match,
    under its own name."""
    try:
        return path.is_file() and path.name in os.listdir(path.parent)
    except OSError:
        return False


def _json_files(folder: Path) -> list[Path]:
    """The folder's `*.json` entries, sorted; OSError if it cannot be listed."""
    return sorted(path for path in folder.iterdir() if path.match("*.json"))


def saved_exercises(folder: Path | None = None) -> tuple[dict[str, Exercise], list[InputError]]:
    """Every saved exercise by name, and a problem for each file that is not one (they are
    left where they are: the user may mend them)."""
    folder = folder or exercises_folder()
    found: dict[str, Exercise] = {}
    problems: list[InputError] = []
    try:
        paths = _json_files(folder)
    except FileNotFoundError:
        return found, problems  # nothing taught yet
    except OSError as exc:
        # A file where the folder should be, or one that cannot be read: said, not taken for
        # an empty folder.
        return found, [InputError(folder, f"cannot be read ({reason(exc)})")]
    for path in paths:
        try:
            found[path.stem] = load_exercise(path)
        except InputError as problem:
            problems.append(problem)
    return found, problems


def find_exercise(name: str, folder: Path | None = None) -> Exercise:
    """The preset or saved exercise called `name`: the one place a name becomes an Exercise.
    PoseCamError (one line) when there is none, or its file is not one.

    Case does not matter (people type `Squat` or `SQUAT`; `shoulder-press` finds the preset
    too), unless two saved exercises differ only in case: then the exact name is needed. A
    saved exercise of exactly that name comes first: one saved as `shoulder-press` before
    names could mean a preset keeps meaning what its owner saved."""
    path = _path(name, folder)
    if NAME_PATTERN.fullmatch(name) and _exactly_named(path):
        return load_exercise(path)
    preset = _as_preset(name)
    if preset in EXERCISES:
        return EXERCISES[preset]
    saved, _ = saved_exercises(folder)
    alike = [key for key in saved if key.lower() == name.lower()]
    if len(alike) == 1:
        return saved[alike[0]]
    known = ", ".join(alike or [*EXERCISES, *saved])
    raise PoseCamError(None, f"no exercise called {name!r} (there are: {known})")


def exercise_names(folder: Path | None = None) -> list[str]:
    """The presets' names, then the saved ones', as a list to choose from."""
    saved, _ = saved_exercises(folder)
    return [*EXERCISES, *saved]


def save_exercise(
    exercise: Exercise,
    folder: Path | None = None,
    *,
    overwrite: bool = False,
    taught_from: Mapping[str, Any] | None = None,
) -> Path:
    """Save `exercise` as NAME.json in `folder` (the config folder's by default); returns the
    path. OutputError when one of that name exists and `overwrite` is not given."""
    check_name(exercise.name)
    check_title(exercise.title)
    check_title(exercise.joints)
    path = _path(exercise.name, folder)
    check_name_free(exercise.name, folder)
    if path.exists() and not overwrite:
        raise OutputError(path, "already exists (use --overwrite to replace it)")
    text = json.dumps(exercise_to_json(exercise, taught_from), indent=1) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise OutputError(path, f"cannot be written ({reason(exc)})") from None
    return path


def check_exercises_folder(folder: Path | None = None) -> Path:
    """Make sure an exercise can be saved in `folder` (the config folder's by default),
    creating it if need be, before the slow part of teaching one: OutputError if not."""
    folder = folder or exercises_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".posecam-probe.", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(folder, f"exercises cannot be saved here ({reason(exc)})") from None
    return folder


def check_name_free(name: str, folder: Path | None = None) -> None:
    """OutputError if a saved exercise's name differs from `name` in case only: both would be
    listed alike and found by the same typed name, and on Windows and macOS they are one file
    (whose name says which exercise it holds: the older one's)."""
    try:
        stems = [path.stem for path in _json_files(folder or exercises_folder())]
    except OSError:
        return  # no folder yet: nothing saved
    if name in stems:
        return  # saved under this very name already: replacing it makes no new clash
    for stem in stems:
        if stem.lower() == name.lower():
            raise OutputError(
                _path(name, folder),
                f"{stem} is saved already, a name that differs only in case; choose another "
                f"name, or save it as {stem} to replace that one",
            )


def remove_exercise(name: str, folder: Path | None = None) -> Path:
    """Delete the saved exercise `name`; returns the file removed. PoseCamError when there
    is none (presets cannot be removed)."""
    if name in EXERCISES:
        raise PoseCamError(None, f"{name} is a preset; only taught exercises can be removed")
    path = _path(name, folder)
    if not NAME_PATTERN.fullmatch(name) or not path.is_file():
        saved, _ = saved_exercises(folder)
        known = ", ".join(saved) or "none"
        raise PoseCamError(None, f"no saved exercise called {name!r} (saved: {known})")
    try:
        path.unlink()
    except OSError as exc:
        raise OutputError(path, f"cannot be removed ({reason(exc)})") from None
    return path
