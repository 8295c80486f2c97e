"""Teaching an exercise in the window, as a user does: a real jumping-jack clip plays as the
camera, Start, three repetitions, Stop, Save; the exercise is then chosen and counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.core.exercises import exercises_folder


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Taught exercises go to a config folder of the test's own."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.setenv("APPDATA", str(home))
    return home


def test_teach_a_jumping_jack_in_the_window(qtbot, window, shared_data, config_home) -> None:
    clip = shared_data / "exercise" / "jumpingjack_front_01.mp4"
    label = next(
        e
        for e in json.loads((shared_data / "exercise" / "labels.json").read_text())
        if e["file"] == clip.name
    )
    bottoms = label["rep_bottom_times_s"]
    window.session.change(loop_video=False)
    dialog = window.panel.open_teach_dialog()
    dialog.start()
    assert "Open a camera or a video first" in dialog.result.text()
    window.open_source_text(str(clip))
    qtbot.waitUntil(lambda: window.view.frame is not None, timeout=120000)
    dialog.name.setText("jumping_jack_mine")
    dialog.start()
    # Three repetitions, from rest before the first to rest after the third.
    end_s = (bottoms[2] + bottoms[3]) / 2
    qtbot.waitUntil(lambda: bool(dialog.frames) and dialog.frames[-1][0] >= end_s, timeout=240000)
    dialog.stop()
    assert dialog.lesson is not None, dialog.result.text()
    assert dialog.save_button.isEnabled()
    assert "repetitions counted in it" in dialog.result.text()
    # A name put wrong after the repetitions, then right again, needs no second showing.
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "squat")
    assert dialog.lesson is None and not dialog.save_button.isEnabled()
    assert dialog.result.text() == "Name: squat is a preset's name; choose another"
    qtbot.keyClicks(dialog.name, "s_mine")
    assert dialog.lesson is not None and dialog.save_button.isEnabled()
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "jumping_jack_mine")
    # Arms and legs both swing in a jumping jack: whichever it chose is a limb, not the trunk.
    assert dialog.lesson.exercise.joints != "trunk"
    dialog.save()
    saved = exercises_folder() / "jumping_jack_mine.json"
    assert saved.is_file() and str(config_home) in str(saved)
    assert window.session.settings.exercise == "jumping_jack_mine"
    assert window.panel.exercise.currentData() == "jumping_jack_mine"
    assert window.session.settings.pipeline().exercise == dialog.lesson.exercise


def test_a_name_that_cannot_be_saved_is_said_before_the_repetitions_not_after(
    qtbot, window, short_clip, config_home
) -> None:
    window.open_source_text(str(short_clip))
    qtbot.waitUntil(lambda: window.view.frame is not None, timeout=120000)
    dialog = window.panel.open_teach_dialog()
    from desktop_app.core.exercises import save_exercise
    from desktop_app.core.reps import Exercise

    save_exercise(Exercise("Jacks", ("left_shoulder",), 40.0, 120.0))
    cases = [
        ("squat", "squat is a preset's name"),
        ("2nd", "cannot name"),
        ("", "first"),
        ("jacks", "Name: Jacks is saved already, a name that differs only in case"),
    ]
    for name, problem in cases:
        dialog.name.setText(name)
        dialog.start()
        assert problem in dialog.result.text()
        assert dialog.start_stop.text() == "Start"  # not watching: nothing to do again
    dialog.name.setText("my_squat")
    dialog.start()
    assert dialog.start_stop.text() == "Stop"
    dialog.reject()


def test_a_taught_exercises_thresholds_are_dragged_on_the_plot(qtbot, window, config_home) -> None:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from desktop_app.core.exercises import find_exercise, save_exercise
    from desktop_app.core.reps import Exercise

    save_exercise(Exercise("hinge", ("left_hip", "right_hip"), 100.0, 160.0, title="Hinges"))
    window.panel.refresh_exercises()
    plot = window.panel.angle_plot
    window.session.change(exercise="squat")
    assert not plot.editable  # a preset's thresholds stay as they are
    window.session.change(exercise="hinge")
    assert plot.editable
    x = plot.width() // 2
    start = QPoint(x, round(plot._y_of(100.0)))
    end = QPoint(x, round(plot._y_of(80.0)))
    QTest.mousePress(plot, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(plot, end)
    QTest.mouseRelease(plot, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    saved = find_exercise("hinge")
    assert abs(saved.down_deg - 80.0) <= 2.0 and saved.up_deg == 160.0
    assert window.session.settings.pipeline().exercise == saved
    assert plot.exercise == saved
