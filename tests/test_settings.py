"""Settings round-trip through their JSON file, and a damaged file gives defaults."""

from __future__ import annotations

import json
import os
import stat
import threading
from dataclasses import fields, replace
from pathlib import Path

import pytest

from desktop_app.core.render import DEFAULT_STYLE, STYLE_PRESETS
from desktop_app.core.skeleton import BodyPart
from desktop_app.settings import Settings, load_settings, save_settings


def test_round_trip(tmp_path: Path) -> None:
    style = list(STYLE_PRESETS.values())[1].with_bone_color(BodyPart.FACE, (12, 34, 56))
    style = replace(style, show_ids=False)
    settings = replace(
        Settings(),
        style=style,
        smoothing="oneeuro",
        smoothing_strength=0.25,
        num_poses=3,
        mirror=True,
        find_every_frame=True,
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


# -- files that cannot be read are kept, never overwritten -------------------------------------


def _files(folder: Path) -> set[str]:
    return set(os.listdir(folder))


def test_a_truncated_file_is_kept_as_bad_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    damaged = b'{"smoothing": "oneeuro", "num_poses": '
    path.write_bytes(damaged)
    loaded = load_settings(path)
    assert loaded.settings == Settings()
    assert loaded.warning is not None and "\n" not in loaded.warning
    assert str(path) in loaded.warning and "settings.json.bad" in loaded.warning
    assert (tmp_path / "settings.json.bad").read_bytes() == damaged
    assert not path.exists()
    assert loaded.save(loaded.settings) is None
    assert load_settings(path).warning is None
    assert (tmp_path / "settings.json.bad").read_bytes() == damaged


def test_an_earlier_bad_copy_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    (tmp_path / "settings.json.bad").write_bytes(b"first")
    (tmp_path / "settings.json.bad.1").write_bytes(b"second")
    path.write_bytes(b"third")
    loaded = load_settings(path)
    assert loaded.warning is not None and loaded.warning.endswith("settings.json.bad.2")
    assert (tmp_path / "settings.json.bad").read_bytes() == b"first"
    assert (tmp_path / "settings.json.bad.1").read_bytes() == b"second"
    assert (tmp_path / "settings.json.bad.2").read_bytes() == b"third"


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x00\x00", b"\xff\xfe{\x00}", b"[1, 2, 3]", b'"text"', b"null", b"{,}"],
    ids=["empty", "zeros", "not-utf8", "list", "string", "null", "syntax"],
)
def test_any_unreadable_content_gives_defaults_and_is_kept(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    loaded = load_settings(path)
    assert loaded.settings == Settings() and loaded.can_save
    assert loaded.warning is not None and "\n" not in loaded.warning
    assert (tmp_path / "settings.json.bad").read_bytes() == content


def test_nesting_too_deep_to_parse_gives_defaults_and_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    content = '{"mirror": true, "bone_colors": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path.write_text(content)
    loaded = load_settings(path)
    assert loaded.settings == Settings()
    assert loaded.warning is not None and "nested too deeply" in loaded.warning
    assert (tmp_path / "settings.json.bad").read_text() == content


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"num_poses": 4, "mirror": True}).encode())
    loaded = load_settings(path)
    assert loaded.warning is None and loaded.problems == []
    assert loaded.settings.num_poses == 4 and loaded.settings.mirror is True
    assert _files(tmp_path) == {"settings.json"}


def test_unknown_keys_survive_a_load_and_save(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    newer = {
        "num_poses": 2,
        "future_setting": {"nested": [1, 2.5, None, "x"], "big": 10**30},
        "style": {
            "joint_color": "#00ff00",
            "glow_px": 3,
            "bone_colors": {"left_arm": "#0000ff", "tail": "#123456"},
        },
    }
    path.write_text(json.dumps(newer))
    loaded = load_settings(path)
    assert loaded.warning is None
    changed = replace(loaded.settings, num_poses=5, mirror=True)
    assert loaded.save(changed) is None
    saved = json.loads(path.read_text())
    assert saved["future_setting"] == newer["future_setting"]
    assert saved["style"]["glow_px"] == 3
    assert saved["style"]["bone_colors"]["tail"] == "#123456"
    assert saved["style"]["bone_colors"]["left_arm"] == "#0000ff"
    assert saved["num_poses"] == 5 and saved["mirror"] is True
    again = load_settings(path)
    assert again.settings == changed and again.unknown == loaded.unknown


def test_unknown_values_nested_too_deeply_to_write_back_are_kept_in_the_bad_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings.json"
    content = '{"num_poses": 3, "deep": ' + "[" * 300 + "]" * 300 + ', "other": 1}'
    path.write_text(content)
    loaded = load_settings(path)
    assert loaded.settings.num_poses == 3
    assert loaded.unknown == {"other": 1}
    assert loaded.warning is not None and "deep" in loaded.warning
    assert (tmp_path / "settings.json.bad").read_text() == content


# Every kind of JSON value, as text; the test skips those a setting accepts.
_JSON_VALUES = [
    "null",
    "true",
    "false",
    "-1",
    "0.5",
    "7",
    '"1"',
    '"kalman"',
    '"#ff0000"',
    '"\\u0000x"',
    '"\\ud800"',
    "[]",
    "{}",
    '[1, [2, {"a": null}]]',
    '{"a": {"b": [1, 2]}}',
    "[" * 60 + "]" * 60,
    "1" + "0" * 400,
    "-" + "9" * 5000,
    "1e400",
    "NaN",
    "Infinity",
    "-Infinity",
]


def _accepts(name: str, value: object) -> bool:
    """Whether `value` is a sensible value for the setting `name` (the few that are)."""
    default = getattr(Settings(), name)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if name in ("last_source", "output_folder"):
        return value in ("1", "kalman", "#ff0000")
    if name == "smoothing":
        return value == "kalman"
    if name == "exercise":
        # Any name an exercise may be taught under: kept, counting nothing while none is.
        return value == "kalman"
    if name in ("smoothing_strength", "min_confidence"):
        return value == 0.5
    if name in ("camera_width_px", "camera_height_px"):
        return value == 7
    if name == "camera_fps":
        return value in (0.5, 7)
    if name == "num_poses":
        return value == 7
    return False


@pytest.mark.parametrize("name", [f.name for f in fields(Settings) if f.name != "style"])
def test_any_json_value_in_a_field_gives_the_default_for_that_field_only(
    tmp_path: Path, name: str
) -> None:
    control, control_value = ("show_angles", True) if name != "show_angles" else ("mirror", True)
    for number, text in enumerate(_JSON_VALUES):
        path = tmp_path / f"{number}.json"
        content = f'{{"{control}": true, "{name}": {text}}}'
        path.write_text(content)
        value = json.loads(text) if len(text) < 1000 else None
        loaded = load_settings(path)
        assert getattr(loaded.settings, control) is control_value, text
        if _accepts(name, value):
            assert getattr(loaded.settings, name) == value, text
            assert loaded.warning is None, text
        else:
            assert getattr(loaded.settings, name) == getattr(Settings(), name), text
            assert loaded.warning is not None and "\n" not in loaded.warning, text
            assert (tmp_path / f"{number}.json.bad").read_text() == content, text


_STYLE_SENSIBLE = {
    "joint_color": ('"#ff0000"',),
    "bone_thickness_px": ("7",),
    "joint_radius_px": ("7",),
    "visibility_threshold": ("0.5",),
    # Colours of parts this version does not know are kept, not refused.
    "bone_colors": ("{}", '{"a": {"b": [1, 2]}}'),
}


@pytest.mark.parametrize("key", list(_STYLE_SENSIBLE))
def test_any_json_value_in_a_style_field_gives_the_default_for_it(tmp_path: Path, key: str) -> None:
    for number, text in enumerate(_JSON_VALUES):
        path = tmp_path / f"{number}.json"
        path.write_text(f'{{"mirror": true, "style": {{"joint_radius_px": 9, "{key}": {text}}}}}')
        loaded = load_settings(path)
        assert loaded.settings.mirror is True, text
        style = loaded.settings.style
        if key != "joint_radius_px":
            assert style.joint_radius_px == 9, text
        if text in _STYLE_SENSIBLE[key]:
            assert loaded.warning is None, text
        else:
            assert loaded.warning is not None and "\n" not in loaded.warning, text
            assert getattr(style, key) == getattr(DEFAULT_STYLE, key), text


@pytest.mark.parametrize("text", _JSON_VALUES)
def test_any_json_value_as_a_bone_colour_or_the_style_gives_defaults(
    tmp_path: Path, text: str
) -> None:
    colours = tmp_path / "colours.json"
    colours.write_text(f'{{"style": {{"bone_colors": {{"face": {text}, "torso": "#010203"}}}}}}')
    loaded = load_settings(colours)
    assert loaded.settings.style.bone_colors[BodyPart.TORSO] == (1, 2, 3)
    expected = (255, 0, 0) if text == '"#ff0000"' else DEFAULT_STYLE.bone_colors[BodyPart.FACE]
    assert loaded.settings.style.bone_colors[BodyPart.FACE] == expected
    style = tmp_path / "style.json"
    style.write_text(f'{{"num_poses": 3, "style": {text}}}')
    loaded = load_settings(style)
    assert loaded.settings.num_poses == 3
    assert loaded.settings.style == DEFAULT_STYLE
    # An object is a style (its unknown keys are kept); anything else is noted.
    assert (loaded.warning is None) == text.startswith("{"), text


# -- saving never fails loudly ---------------------------------------------------------------


def test_a_read_only_file_is_read_and_left_alone_with_a_one_line_warning(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(replace(Settings(), num_poses=3), path)
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        if os.access(path, os.W_OK):
            pytest.skip("this user may write read-only files (root)")
        loaded = load_settings(path)
        assert loaded.warning is None and loaded.settings.num_poses == 3
        warning = loaded.save(replace(loaded.settings, num_poses=4))
        assert warning is not None and "read-only" in warning and "\n" not in warning
        assert path.read_bytes() == before
        assert _files(tmp_path) == {"settings.json"}
    finally:
        path.chmod(0o644)


def test_a_folder_that_cannot_be_written_gives_a_one_line_warning(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("a file where the folder should be")
    path = tmp_path / "not-a-folder" / "settings.json"
    warning = save_settings(Settings(), path)
    assert warning is not None and str(path) in warning and "\n" not in warning


def test_saving_through_a_symbolic_link_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "posecam.json"
    real.parent.mkdir()
    save_settings(Settings(), real)
    link = tmp_path / "settings.json"
    link.symlink_to(real)
    assert save_settings(replace(Settings(), num_poses=6), link) is None
    assert link.is_symlink()
    assert load_settings(real).settings.num_poses == 6


def _not_regular_file_is_left_alone(folder: Path, path: Path) -> None:
    before = _files(folder)
    loaded = load_settings(path)
    assert loaded.settings == Settings() and not loaded.can_save
    assert loaded.warning is not None and "not a regular file" in loaded.warning
    assert "\n" not in loaded.warning
    warning = loaded.save(replace(Settings(), num_poses=2))
    assert warning is not None and "\n" not in warning
    warning = save_settings(Settings(), path)
    assert warning is not None and "not a regular file" in warning
    assert _files(folder) == before  # no .bad, no .tmp


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_never_opened_for_reading_or_writing(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    os.mkfifo(path)
    # Opening a FIFO with no writer blocks for ever: run in a thread so a fault fails the
    # test instead of hanging the run.
    failures: list[BaseException] = []

    def check() -> None:
        try:
            _not_regular_file_is_left_alone(tmp_path, path)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=check, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "loading or saving blocked on the FIFO"
    if failures:
        raise failures[0]
    assert stat.S_ISFIFO(os.stat(path).st_mode)


def test_a_folder_in_place_of_the_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.mkdir()
    (path / "inside.txt").write_text("mine")
    _not_regular_file_is_left_alone(tmp_path, path)
    assert (path / "inside.txt").read_text() == "mine"


# -- the window ------------------------------------------------------------------------------


def test_the_window_keeps_a_damaged_file_and_says_so(qtbot, tmp_path: Path) -> None:
    from desktop_app.ui.main_window import MainWindow

    path = tmp_path / "settings.json"
    damaged = b'\xef\xbb\xbf{"num_poses": 3, "style": {"bone_colors": ["#ff0000"]}, "mirr'
    path.write_bytes(damaged)
    window = MainWindow(settings_file=path)
    qtbot.addWidget(window)
    window.show()
    message = window.statusBar().currentMessage()
    assert "settings.json.bad" in message and "\n" not in message
    assert window.settings == Settings()
    window.close()
    assert (tmp_path / "settings.json.bad").read_bytes() == damaged
    assert load_settings(path).warning is None
    assert _files(tmp_path) == {"settings.json", "settings.json.bad"}


def test_the_window_writes_back_keys_it_does_not_know(qtbot, tmp_path: Path) -> None:
    from desktop_app.ui.main_window import MainWindow

    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"num_poses": 2, "from_a_newer_posecam": {"x": [1, 2]}}))
    window = MainWindow(settings_file=path)
    qtbot.addWidget(window)
    window.panel.set_settings(replace(window.settings, mirror=True))
    window.close()
    saved = json.loads(path.read_text())
    assert saved["from_a_newer_posecam"] == {"x": [1, 2]}
    assert saved["num_poses"] == 2 and saved["mirror"] is True
    assert _files(tmp_path) == {"settings.json"}


def test_a_taught_exercise_in_the_settings_is_counted_until_it_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.core.exercises import remove_exercise, save_exercise
    from desktop_app.core.reps import Exercise

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "config"))
    taught = Exercise("hinge", ("trunk_lean",), 20.0, 50.0, title="Hinges")
    save_exercise(taught)
    path = tmp_path / "settings.json"
    path.write_text('{"exercise": "hinge"}')
    settings = load_settings(path).settings
    assert settings.exercise == "hinge" and settings.pipeline().exercise == taught
    remove_exercise("hinge")
    assert settings.pipeline().exercise is None
