"""The window's settings: typed values with units, kept in one JSON file the user can read.

The file lives in the platform's config folder (`settings_path()`); tests pass their own path.
A damaged or half-written file never stops PoseCam: `load_settings` gives the defaults for
whatever it cannot read, and a message saying so. Window geometry is not here but in QSettings
(the window's own business).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from desktop_app.core.render import DEFAULT_STYLE, RGB, Style
from desktop_app.core.reps import EXERCISES
from desktop_app.core.skeleton import BodyPart
from desktop_app.core.smoothing import DEFAULT_SMOOTHING, DEFAULT_STRENGTH, SMOOTHING_CHOICES

APP_FOLDER = "PoseCam"
SETTINGS_FILE = "settings.json"


def config_folder() -> Path:
    """Where PoseCam keeps its settings: %APPDATA%\\PoseCam on Windows,
    ~/Library/Application Support/PoseCam on macOS, $XDG_CONFIG_HOME/posecam elsewhere."""
    if sys.platform.startswith("win"):
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / APP_FOLDER
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_FOLDER
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP_FOLDER.lower()


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
    #: Count repetitions of this exercise (squat, pushup, curl); "" counts nothing.
    exercise: str = ""
    #: Write joint angles next to the joints.
    show_angles: bool = False


def _color_to_text(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def _color_from_text(text: Any) -> RGB:
    if not (isinstance(text, str) and len(text) == 7 and text.startswith("#")):
        raise ValueError(f"{text!r} is not a colour like #ff0000")
    value = int(text[1:], 16)
    return ((value >> 16) & 255, (value >> 8) & 255, value & 255)


def style_to_dict(style: Style) -> dict[str, Any]:
    return {
        "bone_colors": {part.value: _color_to_text(c) for part, c in style.bone_colors.items()},
        "joint_color": _color_to_text(style.joint_color),
        "bone_thickness_px": style.bone_thickness_px,
        "joint_radius_px": style.joint_radius_px,
        "visibility_threshold": style.visibility_threshold,
    }


def style_from_dict(data: Mapping[str, Any], problems: list[str]) -> Style:
    """A Style from its JSON form; what cannot be read keeps its default (noted in `problems`)."""
    style = DEFAULT_STYLE
    colors = dict(style.bone_colors)
    for name, text in dict(data.get("bone_colors", {})).items():
        try:
            colors[BodyPart(name)] = _color_from_text(text)
        except ValueError as exc:
            problems.append(f"bone colour {name}: {exc}")
    style = replace(style, bone_colors=MappingProxyType(colors))
    if "joint_color" in data:
        try:
            style = replace(style, joint_color=_color_from_text(data["joint_color"]))
        except ValueError as exc:
            problems.append(f"joint colour: {exc}")
    sizes: dict[str, int] = {}
    limits = {"bone_thickness_px": (1, 40), "joint_radius_px": (0, 40)}
    for key, (low, high) in limits.items():
        if key in data:
            value = data[key]
            if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                sizes[key] = value
            else:
                problems.append(f"{key}: {value!r} is not a whole number from {low} to {high}")
    style = replace(
        style,
        bone_thickness_px=sizes.get("bone_thickness_px", style.bone_thickness_px),
        joint_radius_px=sizes.get("joint_radius_px", style.joint_radius_px),
    )
    if "visibility_threshold" in data:
        value = data["visibility_threshold"]
        if isinstance(value, (int, float)) and 0.0 <= value <= 1.0:
            style = replace(style, visibility_threshold=float(value))
        else:
            problems.append(f"visibility_threshold: {value!r} is not between 0 and 1")
    return style


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    data = {f.name: getattr(settings, f.name) for f in fields(settings) if f.name != "style"}
    data["style"] = style_to_dict(settings.style)
    return data


def _valid(name: str, value: Any) -> bool:
    """Whether `value` from the file is acceptable for the setting `name`."""
    default = getattr(Settings(), name)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if name == "smoothing":
        return value in SMOOTHING_CHOICES
    if name == "record_keypoints":
        return value in ("", "csv", "json")
    if name == "exercise":
        return value == "" or value in EXERCISES
    if name in ("smoothing_strength", "min_confidence"):
        return isinstance(value, (int, float)) and 0.0 <= value <= 1.0
    if name == "num_poses":
        return isinstance(value, int) and 1 <= value <= 10
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and value >= 0
    return isinstance(value, type(default))


def settings_from_dict(data: Mapping[str, Any], problems: list[str]) -> Settings:
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "style" or f.name not in data:
            continue
        value = data[f.name]
        if _valid(f.name, value):
            default = getattr(Settings(), f.name)
            values[f.name] = float(value) if isinstance(default, float) else value
        else:
            problems.append(f"{f.name}: {value!r} is not a valid value")
    if isinstance(data.get("style"), Mapping):
        values["style"] = style_from_dict(data["style"], problems)
    return Settings(**values)


@dataclass
class LoadedSettings:
    settings: Settings
    #: A one-line message for the user when the file could not be read in full; else None.
    warning: str | None = None
    problems: list[str] = field(default_factory=list)


def load_settings(path: Path | None = None) -> LoadedSettings:
    """The settings saved at `path` (default: `settings_path()`); defaults for anything
    missing or damaged, with a warning naming the file."""
    path = settings_path() if path is None else path
    if not path.exists():
        return LoadedSettings(Settings())
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return LoadedSettings(
            Settings(), f"{path}: cannot be read ({type(exc).__name__}); using the defaults"
        )
    if not isinstance(data, dict):
        return LoadedSettings(Settings(), f"{path}: is not a settings file; using the defaults")
    problems: list[str] = []
    settings = settings_from_dict(data, problems)
    warning = None
    if problems:
        warning = f"{path}: {problems[0]}; using the default for it" + (
            f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        )
    return LoadedSettings(settings, warning, problems)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write the settings to `path` atomically: a crash mid-write leaves the old file intact."""
    path = settings_path() if path is None else path
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(settings_to_dict(settings), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


__all__ = [
    "LoadedSettings",
    "Settings",
    "config_folder",
    "load_settings",
    "save_settings",
    "settings_path",
]
