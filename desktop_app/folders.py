"""Where PoseCam keeps things on each platform, and how it names a new file: each rule once.

Qt-free, so that the command line, the settings file and the window agree without loading Qt.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

APP_NAME = "PoseCam"


def config_folder() -> Path:
    """Where PoseCam keeps its settings and exercises: %APPDATA%\\PoseCam on Windows,
    ~/Library/Application Support/PoseCam on macOS, $XDG_CONFIG_HOME/posecam elsewhere."""
    if sys.platform.startswith("win"):
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / APP_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP_NAME.lower()


def log_folder() -> Path:
    """%LOCALAPPDATA%\\PoseCam\\Logs on Windows, ~/Library/Logs/PoseCam on macOS,
    $XDG_STATE_HOME/posecam (~/.local/state/posecam) elsewhere."""
    if sys.platform.startswith("win"):
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_NAME / "Logs"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / APP_NAME
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / APP_NAME.lower()


def recordings_folder() -> Path:
    """Where recordings and snapshots go unless the user chose a folder: PoseCam in the user's
    videos folder (Videos on Windows and Linux, Movies on macOS; on Linux the one named by
    XDG_VIDEOS_DIR in ~/.config/user-dirs.dirs when set, as file managers show it)."""
    if sys.platform == "darwin":
        return Path.home() / "Movies" / APP_NAME
    if sys.platform.startswith("win"):
        return Path.home() / "Videos" / APP_NAME
    return (_xdg_videos_folder() or Path.home() / "Videos") / APP_NAME


def _xdg_videos_folder() -> Path | None:
    """XDG_VIDEOS_DIR from the user-dirs file, e.g. `XDG_VIDEOS_DIR="$HOME/Vidéos"`."""
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    try:
        text = (config / "user-dirs.dirs").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r'^\s*XDG_VIDEOS_DIR\s*=\s*"([^"]*)"', text, re.MULTILINE)
    if not match:
        return None
    value = match.group(1).replace("$HOME", str(Path.home()))
    # The file names $HOME itself for "no videos folder"; an empty value means the same.
    return Path(value) if value and Path(value) != Path.home() else None


def unused_path(folder: Path, stem: str, suffix: str) -> Path:
    """folder/stem.suffix, or stem-2, stem-3... if taken: a new file never replaces one."""
    path = folder / f"{stem}{suffix}"
    n = 2
    while os.path.lexists(path):
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path


__all__ = ["APP_NAME", "config_folder", "log_folder", "recordings_folder", "unused_path"]
