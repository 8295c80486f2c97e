"""Settings round-trip through their JSON file, and a damaged file gives defaults."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from desktop_app.core.render import STYLE_PRESETS
from desktop_app.core.skeleton import BodyPart
from desktop_app.settings import Settings, load_settings, save_settings


def test_round_trip(tmp_path: Path) -> None:
    style = list(STYLE_PRESETS.values())[1].with_bone_color(BodyPart.FACE, (12, 34, 56))
    settings = replace(
        Settings(),
        style=style,
        smoothing="oneeuro",
        smoothing_strength=0.25,
        num_poses=3,
        mirror=True,
        last_source="/videos/a.mp4",
    )
    path = tmp_path / "deep" / "settings.json"
    save_settings(settings, path)
    loaded = load_settings(path)
    assert loaded.warning is None
    assert loaded.settings == settings


def test_missing_file_gives_defaults_quietly(tmp_path: Path) -> None:
    loaded = load_settings(tmp_path / "none.json")
    assert loaded.settings == Settings() and loaded.warning is None


def test_damaged_file_gives_defaults_and_a_warning_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"smoothing": "kalman", "num_poses": ')  # cut off mid-write
    loaded = load_settings(path)
    assert loaded.settings == Settings()
    assert loaded.warning is not None and str(path) in loaded.warning
    assert "\n" not in loaded.warning


def test_bad_values_keep_their_defaults_and_good_ones_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    data = {
        "smoothing": "wobbly",
        "smoothing_strength": 0.8,
        "num_poses": -2,
        "mirror": "yes",
        "style": {"bone_colors": {"left_arm": "#00ff00", "right_arm": "green"}},
    }
    path.write_text(json.dumps(data))
    loaded = load_settings(path)
    s = loaded.settings
    assert s.smoothing == Settings().smoothing
    assert s.smoothing_strength == 0.8
    assert s.num_poses == 1 and s.mirror is False
    assert s.style.bone_colors[BodyPart.LEFT_ARM] == (0, 255, 0)
    assert (
        s.style.bone_colors[BodyPart.RIGHT_ARM] == Settings().style.bone_colors[BodyPart.RIGHT_ARM]
    )
    assert loaded.warning is not None and "more" in loaded.warning
    assert len(loaded.problems) == 4


def test_not_an_object_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("[1, 2, 3]")
    loaded = load_settings(path)
    assert loaded.settings == Settings() and loaded.warning
