"""The window's settings: typed values with units, kept in one JSON file the user can read.

The file lives in the platform's config folder (`settings_path()`); tests pass their own path.
A damaged or half-written file never stops PoseCam and is never lost: `load_settings` gives the
defaults for whatever it cannot read, moves the file aside to NAME.bad before anything can
overwrite it, and says so in one line for the status bar. Keys this version does not know are
written back unchanged, so an older PoseCam does not erase a newer one's settings. Window geometry
is not here but in QSettings (the window's own business).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import string
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from desktop_app.core import limits
from desktop_app.core.exercises import NAME_PATTERN, find_exercise
from desktop_app.core.limits import Limits
from desktop_app.core.render import DEFAULT_STYLE, RGB, Style
from desktop_app.core.reps import Exercise
from desktop_app.core.skeleton import BodyPart
from desktop_app.core.smoothing import (
    DEFAULT_SMOOTHING,
    DEFAULT_STRENGTH,
    LIVE_LOOK_AHEAD_FRAMES,
    SMOOTHING_CHOICES,
    revises,
)
from desktop_app.errors import PoseCamError
from desktop_app.folders import config_folder

if TYPE_CHECKING:
    from desktop_app.core.pipeline import PipelineSettings

SETTINGS_FILE = "settings.json"


def settings_path() -> Path:
    return config_folder() / SETTINGS_FILE


@dataclass(frozen=True)
class Settings:
    """Everything the user can set in the window, with the defaults a new user gets."""

    style: Style = DEFAULT_STYLE
    #: One of "kalman", "oneeuro", "none".
    smoothing: str = DEFAULT_SMOOTHING
    #: 0 (off) to 1 (steadiest).
    smoothing_strength: float = DEFAULT_STRENGTH
    #: With `kalman`: show each frame once the next is in (LIVE_LOOK_AHEAD_FRAMES, one frame
    #: later; live.LiveLoop says when not), its skeleton revised with it, so that it stays on
    #: fast moves.
    #: Off by default: it adds a frame (33 ms at 30 fps) to what the view lags the camera,
    #: which the live view's latency target (p95 <= 60 ms) leaves no room for.
    look_ahead: bool = False
    #: With one person wanted and smoothing on: find them afresh in every frame, as
    #: `posecam annotate` does (PipelineSettings.find_every_frame), instead of letting
    #: MediaPipe follow them from the last frame: the skeleton stays closer to fast limbs
    #: (docs/smoothing.md, "Found afresh in the window"). The pose model's person detector
    #: then runs on every frame; two models take turns (media.finding_ahead), so that a
    #: 2-core computer still shows 30 frames a second. Off: less CPU, a steadier still pose.
    find_every_frame: bool = True
    #: The pose model's detection and tracking confidence, 0-1.
    min_confidence: float = 0.5
    #: Most people to find in a frame.
    num_poses: int = 1
    #: Show the picture mirrored, as people expect of a camera pointed at themselves.
    mirror: bool = False
    #: Show frames per second, inference time and people count over the picture.
    show_hud: bool = True
    #: Camera capture size and rate to ask for; 0 lets the camera choose.
    camera_width_px: int = 1280
    camera_height_px: int = 720
    camera_fps: float = 30.0
    #: Play video files again from the start when they end.
    loop_video: bool = True
    #: The source last used: a camera index, a file path or a URL; "" for the default camera.
    last_source: str = ""
    #: Where snapshots and recordings go; "" for the user's Videos/PoseCam folder.
    output_folder: str = ""
    #: Also record the camera's picture without the skeleton (NAME_raw.mp4).
    record_raw_video: bool = False
    #: Also record the keypoints: "csv", "json", or "" for none.
    record_keypoints: str = "csv"
    #: Count repetitions of this exercise: a preset's name (squat, pushup, ...) or a taught
    #: one's (core.exercises); "" counts nothing.
    exercise: str = ""
    #: Write joint angles next to the joints.
    show_angles: bool = False
    #: With an exercise: the count large on the picture and in recordings.
    show_count: bool = True
    #: With an exercise: a short tone with each form cue.
    cue_sound: bool = False

    def pipeline(self) -> PipelineSettings:
        """The part of these settings that the pose pipeline follows."""
        # Imported here: the pipeline brings MediaPipe, which reading settings must not wait for.
        from desktop_app.core.pipeline import PipelineSettings

        # A smoothing that cannot revise what it showed gains nothing by waiting.
        waits = self.look_ahead and revises(self.smoothing, self.smoothing_strength)
        return PipelineSettings(
            look_ahead_frames=LIVE_LOOK_AHEAD_FRAMES if waits else 0,
            num_poses=self.num_poses,
            min_confidence=self.min_confidence,
            smoothing=self.smoothing,
            smoothing_strength=self.smoothing_strength,
            exercise=_exercise_or_none(self.exercise),
            show_angles=self.show_angles,
            show_count=self.show_count,
            mirror=self.mirror,
            style=self.style,
            find_every_frame=self.find_every_frame,
        )


def _exercise_or_none(name: str) -> Exercise | None:
    """The exercise called `name` (a preset or a taught one), or None: for "", and for a taught
    exercise since removed (the window then counts nothing, as it shows)."""
    if not name:
        return None
    try:
        return find_exercise(name)
    except PoseCamError:
        return None


_DEFAULTS = Settings()
#: (lowest, highest) for each number; the settings panel offers the same ranges.
_NUMBER_RANGES: dict[str, Limits] = {
    "smoothing_strength": limits.SMOOTHING_STRENGTH,
    "min_confidence": limits.CONFIDENCE,
    "num_poses": limits.PEOPLE,
    "camera_width_px": limits.CAMERA_SIDE_PX,
    "camera_height_px": limits.CAMERA_SIDE_PX,
    "camera_fps": limits.CAMERA_FPS,
}
#: The only texts these settings may hold.
_TEXT_CHOICES: dict[str, tuple[str, ...]] = {
    "smoothing": tuple(SMOOTHING_CHOICES),
    "record_keypoints": ("", "csv", "json"),
}
_STYLE_SIZE_RANGES = {
    "bone_thickness_px": limits.BONE_THICKNESS_PX,
    "joint_radius_px": limits.JOINT_RADIUS_PX,
}

_SETTINGS_KEYS = frozenset(f.name for f in fields(Settings))
#: The style's switches (true or false).
_STYLE_SWITCHES = ("show_ids", "grow_with_person")
_STYLE_KEYS = frozenset(
    ("bone_colors", "joint_color", "visibility_threshold", *_STYLE_SWITCHES, *_STYLE_SIZE_RANGES)
)
_PART_NAMES = frozenset(part.value for part in BodyPart)

# A settings file is a few kilobytes; a far larger file is not one, and reading it would stall.
_MAX_FILE_BYTES = 1_000_000
# Python 3.11 refuses to convert integers of more than 4300 digits; no setting needs one.
_MAX_INT_DIGITS = 4000
# Unknown values nested deeper than this are not kept: writing them back could exhaust the
# JSON encoder's recursion when the window closes.
_MAX_UNKNOWN_DEPTH = 100


def _describe(value: Any) -> str:
    """A short, one-line account of a value from the file, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_clean_text(value: Any) -> bool:
    """A string that paths, Qt and UTF-8 can all take: no NUL, no lone surrogate."""
    if not isinstance(value, str) or "\0" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _color_to_text(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def _color_from_text(value: Any) -> RGB | None:
    """(r, g, b) from "#rrggbb"; None for anything else."""
    if not (isinstance(value, str) and len(value) == 7 and value.startswith("#")):
        return None
    if not all(c in string.hexdigits for c in value[1:]):
        return None
    number = int(value[1:], 16)
    return ((number >> 16) & 255, (number >> 8) & 255, number & 255)


def style_to_dict(style: Style) -> dict[str, Any]:
    return {
        "bone_colors": {part.value: _color_to_text(c) for part, c in style.bone_colors.items()},
        "joint_color": _color_to_text(style.joint_color),
        "bone_thickness_px": style.bone_thickness_px,
        "joint_radius_px": style.joint_radius_px,
        "visibility_threshold": style.visibility_threshold,
        **{key: getattr(style, key) for key in _STYLE_SWITCHES},
    }


def style_from_dict(data: Mapping[str, Any], problems: list[str]) -> Style:
    """A Style from its JSON form; what cannot be read keeps its default (noted in `problems`)."""
    changes: dict[str, Any] = {}
    saved_colors = data.get("bone_colors", {})
    if isinstance(saved_colors, Mapping):
        colors = dict(DEFAULT_STYLE.bone_colors)
        for part in BodyPart:
            if part.value in saved_colors:
                color = _color_from_text(saved_colors[part.value])
                if color is None:
                    value = _describe(saved_colors[part.value])
                    problems.append(f"bone colour {part.value}: {value} is not like #ff0000")
                else:
                    colors[part] = color
        changes["bone_colors"] = MappingProxyType(colors)
    else:
        problems.append(
            f"bone_colors: {_describe(saved_colors)} is not a colour for each body part"
        )
    if "joint_color" in data:
        color = _color_from_text(data["joint_color"])
        if color is None:
            problems.append(f"joint colour: {_describe(data['joint_color'])} is not like #ff0000")
        else:
            changes["joint_color"] = color
    for key, allowed in _STYLE_SIZE_RANGES.items():
        if key in data:
            value = data[key]
            if isinstance(value, int) and not isinstance(value, bool) and value in allowed:
                changes[key] = value
            else:
                problems.append(
                    f"{key}: {_describe(value)} is not a whole number {allowed.describe()}"
                )
    if "visibility_threshold" in data:
        value = data["visibility_threshold"]
        if _is_number(value) and value in limits.VISIBILITY:
            changes["visibility_threshold"] = float(value)
        else:
            problems.append(
                f"visibility_threshold: {_describe(value)} is not {limits.VISIBILITY.describe()}"
            )
    for key in _STYLE_SWITCHES:
        if key not in data:
            continue
        if isinstance(data[key], bool):
            changes[key] = data[key]
        else:
            problems.append(f"{key}: {_describe(data[key])} is not true or false")
    return replace(DEFAULT_STYLE, **changes)


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    data = {f.name: getattr(settings, f.name) for f in fields(settings) if f.name != "style"}
    data["style"] = style_to_dict(settings.style)
    return data


def _valid(name: str, value: Any) -> bool:
    """Whether `value` from the file is acceptable for the setting `name`. Any JSON value may
    arrive here: wrong types, null, lists, objects, NaN, integers of thousands of digits."""
    default = getattr(_DEFAULTS, name)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, str):
        if name == "exercise":
            # Taught exercises come and go; a name that is none now counts nothing.
            return _is_clean_text(value) and (value == "" or bool(NAME_PATTERN.fullmatch(value)))
        choices = _TEXT_CHOICES.get(name)
        return _is_clean_text(value) and (choices is None or value in choices)
    if isinstance(default, int) and not isinstance(value, int):
        return False
    # Compared before any float(): a huge integer would overflow it, and NaN compares false.
    return _is_number(value) and value in _NUMBER_RANGES[name]


def settings_from_dict(data: Mapping[str, Any], problems: list[str]) -> Settings:
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "style" or f.name not in data:
            continue
        value = data[f.name]
        if _valid(f.name, value):
            default = getattr(_DEFAULTS, f.name)
            values[f.name] = float(value) if isinstance(default, float) else value
        else:
            problems.append(f"{f.name}: {_describe(value)} is not a valid value")
    if "style" in data:
        if isinstance(data["style"], Mapping):
            values["style"] = style_from_dict(data["style"], problems)
        else:
            problems.append(f"style: {_describe(data['style'])} is not a style")
    return Settings(**values)


def _nesting_depth(value: Any) -> int:
    """How deep lists and objects nest in `value` (without recursion: it may be very deep)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, Mapping):
            stack.extend((inner, depth + 1) for inner in item.values())
        elif isinstance(item, list):
            stack.extend((inner, depth + 1) for inner in item)
    return deepest


def _keys_not_in(
    data: Mapping[str, Any], known: frozenset[str], where: str, problems: list[str]
) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if key in known:
            continue
        if _nesting_depth(value) > _MAX_UNKNOWN_DEPTH:
            problems.append(f"{where}{key}: nested too deeply to keep")
        else:
            kept[key] = value
    return kept


def unknown_keys(data: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """What the file holds that this version does not know (at the top level, in the style
    and among the bone colours), in the same shape, to be written back on save."""
    unknown = _keys_not_in(data, _SETTINGS_KEYS, "", problems)
    style = data.get("style")
    if isinstance(style, Mapping):
        unknown_style = _keys_not_in(style, _STYLE_KEYS, "style.", problems)
        colors = style.get("bone_colors")
        if isinstance(colors, Mapping):
            unknown_colors = _keys_not_in(colors, _PART_NAMES, "bone_colors.", problems)
            if unknown_colors:
                unknown_style["bone_colors"] = unknown_colors
        if unknown_style:
            unknown["style"] = unknown_style
    return unknown


def _merged(known: Mapping[str, Any], unknown: Mapping[str, Any]) -> dict[str, Any]:
    """`known` with the keys of `unknown` that it lacks, object within object."""
    merged = dict(known)
    for key, value in unknown.items():
        if key not in merged:
            merged[key] = value
        elif isinstance(merged[key], Mapping) and isinstance(value, Mapping):
            merged[key] = _merged(merged[key], value)
    return merged


@dataclass
class LoadedSettings:
    settings: Settings
    #: A one-line message for the user when the file could not be read in full; else None.
    warning: str | None = None
    problems: list[str] = field(default_factory=list)
    #: The file they came from and go back to; None for `settings_path()`.
    path: Path | None = None
    #: What the file held that this version does not know; `save` writes it back.
    unknown: dict[str, Any] = field(default_factory=dict)
    #: False when the file could be neither read nor moved aside: saving would destroy it.
    can_save: bool = True

    def save(self, settings: Settings) -> str | None:
        """Write `settings` back to where these came from, keeping the unknown keys; a
        one-line warning when they could not be saved, else None."""
        if not self.can_save:
            return f"{self.path or settings_path()}: left as it was; settings not saved"
        return save_settings(settings, self.path, self.unknown)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _read_regular_file(path: Path) -> bytes | None:
    """The first bytes of `path` (up to one more than the largest settings file), or None
    when it is not a regular file. A FIFO is opened without blocking and never read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags), "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):  # swapped since it was checked
            return None
        return file.read(_MAX_FILE_BYTES + 1)


def _move_aside(path: Path) -> Path:
    """Rename `path` to NAME.bad, or NAME.bad.1, NAME.bad.2... when those exist."""
    for number in range(1000):
        kept = path.with_name(path.name + ".bad" + (f".{number}" if number else ""))
        if not os.path.lexists(kept):
            os.rename(path, kept)
            return kept
    raise FileExistsError(errno.EEXIST, "too many earlier .bad copies", str(path))


def _kept_aside(path: Path, message: str, loaded: LoadedSettings) -> LoadedSettings:
    """`loaded` after moving the file aside, with `message` and where the file went."""
    try:
        kept = _move_aside(path)
    except OSError as exc:
        loaded.warning = (
            f"{path}: {message}; it cannot be moved aside ({_reason(exc)}), so it is left as it is"
        )
        loaded.can_save = False
    else:
        loaded.warning = f"{path}: {message}; the file is kept as {kept.name}"
    return loaded


def load_settings(path: Path | None = None) -> LoadedSettings:
    """The settings saved at `path` (default: `settings_path()`); defaults for anything
    missing or damaged, with a one-line warning naming the file. A file that cannot be read
    in full is renamed NAME.bad (or NAME.bad.1, ...) first, so saving never overwrites it."""
    path = settings_path() if path is None else path
    defaults = LoadedSettings(Settings(), path=path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return defaults
    except OSError as exc:
        defaults.warning = f"{path}: cannot be checked ({_reason(exc)}); using the defaults"
        defaults.can_save = False
        return defaults
    not_regular = f"{path}: is not a regular file; using the defaults and leaving it alone"
    if not stat.S_ISREG(info.st_mode):
        defaults.warning, defaults.can_save = not_regular, False
        return defaults

    problems: list[str] = []

    def parse_int(text: str) -> int | None:
        if len(text) <= _MAX_INT_DIGITS:
            return int(text)
        problems.append(f"a number of {len(text)} digits is too long to read")
        return None

    try:
        raw = _read_regular_file(path)
        if raw is None:
            defaults.warning, defaults.can_save = not_regular, False
            return defaults
        if len(raw) > _MAX_FILE_BYTES:
            return _kept_aside(path, "is too large to be a settings file", defaults)
        # From bytes, json detects the encoding and skips a byte-order mark (Notepad's).
        data = json.loads(raw, parse_int=parse_int)
    except OSError as exc:
        reason = _reason(exc)
    except UnicodeDecodeError:
        reason = "not UTF-8 text"
    except json.JSONDecodeError as exc:
        reason = f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except RecursionError:
        reason = "nested too deeply"
    except ValueError as exc:
        reason = type(exc).__name__
    else:
        reason = "" if isinstance(data, dict) else "not a JSON object"
    if reason:
        return _kept_aside(path, f"cannot be read ({reason}); using the defaults", defaults)

    settings = settings_from_dict(data, problems)
    loaded = LoadedSettings(settings, path=path, unknown=unknown_keys(data, problems))
    if not problems:
        return loaded
    loaded.problems = problems
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return _kept_aside(path, f"{problems[0]}; using the default for it{more}", loaded)


def save_settings(
    settings: Settings, path: Path | None = None, unknown: Mapping[str, Any] | None = None
) -> str | None:
    """Write the settings (and `unknown`, the keys this version does not know) to `path`
    atomically: a crash mid-write leaves the old file intact. Returns a one-line warning when
    they could not be saved (a read-only file, a folder that cannot be written, a path that is
    not a regular file), else None."""
    path = settings_path() if path is None else path
    text = json.dumps(_merged(settings_to_dict(settings), unknown or {}), indent=2) + "\n"
    target = Path(os.path.realpath(path))  # through a symbolic link, not over it
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        return f"{path}: settings not saved ({_reason(exc)})"
    if info is not None and not stat.S_ISREG(info.st_mode):
        return f"{path}: is not a regular file; settings not saved"
    if info is not None and not os.access(target, os.W_OK):
        # The user may have made it read-only to keep it as it is; replacing it would not
        # be stopped by its mode, only by the folder's.
        return f"{path}: is read-only; settings not saved"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace(target, text.encode("utf-8"), None if info is None else info.st_mode)
    except OSError as exc:
        return f"{path}: settings not saved ({_reason(exc)})"
    return None


def _replace(target: Path, data: bytes, mode: int | None) -> None:
    """Write `data` to a new file beside `target`, then rename it over `target`. A new file
    is private to the user (mkstemp's 0600); a replaced one keeps its permissions."""
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, stat.S_IMODE(mode))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


__all__ = [
    "LoadedSettings",
    "Settings",
    "load_settings",
    "save_settings",
    "settings_path",
]
