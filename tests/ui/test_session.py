"""The window's state has one owner, the Session: whoever changes a setting (menu, shortcut,
panel), everything that shows it follows; playback and recording are kept there only."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_app.settings import LoadedSettings, Settings
from desktop_app.ui.session import Playback, Session
from desktop_app.ui.worker import LiveFrame


def test_a_change_from_the_menu_shows_in_the_panel_and_the_reverse(window) -> None:
    assert not window.settings.mirror
    window.mirror_action.trigger()  # as the M key does
    assert window.session.settings.mirror
    assert window.panel.mirror.isChecked()
    assert window.session.settings.pipeline().mirror
    window.panel.mirror.click()
    assert not window.session.settings.mirror
    assert not window.mirror_action.isChecked()
    assert not window.session.settings.pipeline().mirror
    window.panel.hud.click()
    assert window.hud_action.isChecked() == window.session.settings.show_hud


def test_a_setting_made_before_a_source_opens_is_used_by_its_worker(
    qtbot, window, short_clip
) -> None:
    window.panel.people.setValue(2)
    window.open_source_text(str(short_clip))
    assert window.worker is not None
    assert window.worker._settings.num_poses == 2
    assert window.session.settings.last_source == str(short_clip)


def test_a_file_pauses_and_resumes_and_the_button_says_so(qtbot, window, short_clip) -> None:
    seen: list[Playback] = []
    window.session.playback_changed.connect(seen.append)
    window.open_source_text(str(short_clip))
    qtbot.waitUntil(lambda: window.session.playback.info is not None, timeout=60000)
    assert window.start_action.text() == "&Pause"
    window.start_action.trigger()  # as the space bar does
    assert window.session.playback.paused
    assert window.start_action.text() == "&Resume"
    frames: list[LiveFrame] = []
    window.session.frame_ready.connect(frames.append)
    window.start_action.trigger()
    assert not window.session.playback.paused
    qtbot.waitUntil(lambda: len(frames) >= 2, timeout=60000)  # frames flow again
    window.stop_worker()
    assert window.session.playback == Playback(source=str(short_clip))
    assert window.start_action.text() == "&Start"
    assert seen[0].running and seen[-1] == window.session.playback


def test_closing_while_recording_saves_and_says_where(qtbot, window, short_clip, tmp_path) -> None:
    window.open_source_text(str(short_clip))
    qtbot.waitUntil(lambda: window.session.playback.info is not None, timeout=60000)
    out = tmp_path / "rec.mp4"
    messages: list[str] = []
    window.session.recording_message.connect(messages.append)
    window.start_recording(out)
    qtbot.waitUntil(lambda: window.session.recording == out, timeout=60000)
    assert window.record_action.isChecked()
    window.stop_worker()
    assert window.session.recording is None
    assert not window.record_action.isChecked()
    assert window.recording_label.text() == ""
    assert messages == [f"Saved {out}"]
    assert out.stat().st_size > 0


def test_recording_with_nothing_open_says_so_and_leaves_the_button_up(window) -> None:
    messages: list[str] = []
    window.session.recording_message.connect(messages.append)
    window.record_action.trigger()
    assert messages == ["Open a camera or file before recording"]
    assert not window.record_action.isChecked()


def test_the_session_saves_settings_and_keeps_unknown_keys(tmp_path: Path) -> None:
    from desktop_app.settings import load_settings

    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"mirror": True, "from_a_newer_version": [1, 2]}))
    session = Session(load_settings(path))
    assert session.settings.mirror
    session.change(mirror=False, num_poses=3)
    assert session.save() is None
    saved = json.loads(path.read_text())
    assert saved["mirror"] is False and saved["num_poses"] == 3
    assert saved["from_a_newer_version"] == [1, 2]


def test_update_settings_tells_listeners_only_of_real_changes() -> None:
    session = Session(LoadedSettings(Settings()))
    told: list[Settings] = []
    session.settings_changed.connect(told.append)
    session.update_settings(Settings())
    assert told == []
    session.change(num_poses=2)
    assert [s.num_poses for s in told] == [2]


def test_cue_sound_plays_or_says_why_it_cannot(qtbot) -> None:
    from desktop_app.ui.cue_sound import CueSound

    sound = CueSound()
    try:
        sound.play()  # a machine without sound output stays silent, never fails
        if sound.problem is not None:
            assert "sound" in sound.problem and "\n" not in sound.problem
    finally:
        sound.close()


def test_the_window_says_it_loads_the_model_before_the_first_frame(
    qtbot, tmp_path: Path, short_clip
) -> None:
    from desktop_app.ui.main_window import MainWindow

    window = MainWindow(settings_file=tmp_path / "settings.json")  # no model given: it loads
    qtbot.addWidget(window)
    said: list[str] = []
    window.session.preparing.connect(said.append)
    frames: list[LiveFrame] = []
    window.session.frame_ready.connect(frames.append)
    window.open_source_text(str(short_clip))
    qtbot.waitUntil(lambda: bool(frames), timeout=120000)
    assert said == ["Loading the pose model…"]
    window.close()


def test_opening_another_source_clears_the_repetitions_listed_with_the_count(
    qtbot, window, shared_data, short_clip
) -> None:
    # The count starts from zero with each source; the list and plot beside it must too,
    # not show the last clip's repetitions under a count of 0.
    window.session.change(loop_video=False, exercise="squat")
    window.open_source_text(str(shared_data / "exercise" / "squat_front_01.mp4"))
    rep_list = window.panel.rep_list
    qtbot.waitUntil(lambda: bool(rep_list.reps), timeout=240000)
    window.open_source_text(str(short_clip))
    assert rep_list.reps == [] and rep_list.table.rowCount() == 0
    assert rep_list.summary.text() == "No repetitions yet"
