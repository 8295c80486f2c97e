"""Find PoseCam's bundled files (the pose model, icons) wherever PoseCam runs from.

Three layouts exist: a checkout (`resources/` beside `desktop_app/`), an installed wheel
(`desktop_app/resources/`, put there by the build), and a PyInstaller bundle (`resources/`
under `sys._MEIPASS`).
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent

DEFAULT_MODEL_NAME = "pose_landmarker_full.task"


def resource_roots() -> list[Path]:
    """The folders searched for resources, most specific first."""
    roots = []
    bundle_dir = getattr(sys, "_MEIPASS", None)
    if bundle_dir:
        roots.append(Path(bundle_dir) / "resources")
    roots.append(_PACKAGE_DIR / "resources")
    roots.append(_PACKAGE_DIR.parent / "resources")
    return roots


def resource_path(*parts: str) -> Path:
    """Path of a bundled file; the first root that has it wins.

    If no root has it, the path under the first existing root is returned so that the
    caller's error message names a sensible place.
    """
    roots = resource_roots()
    for root in roots:
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    existing = [root for root in roots if root.is_dir()]
    return (existing[0] if existing else roots[-1]).joinpath(*parts)


def default_model_path() -> Path:
    """The pose model that ships with PoseCam."""
    return resource_path("models", DEFAULT_MODEL_NAME)
