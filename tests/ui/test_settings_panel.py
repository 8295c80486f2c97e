"""The settings panel offers exactly the values the settings file and the command line accept:
all three read core/limits.py."""

from __future__ import annotations

import pytest

from desktop_app.core import limits
from desktop_app.settings import LoadedSettings, Settings, settings_from_dict
from desktop_app.ui.session import Session
from desktop_app.ui.settings_panel import SettingsPanel


@pytest.fixture
def panel(qtbot) -> SettingsPanel:
    widget = SettingsPanel(Session(LoadedSettings(Settings())))
    qtbot.addWidget(widget)
    return widget


@pytest.mark.parametrize(
    ("control", "setting", "allowed"),
    [
        ("thickness", "style.bone_thickness_px", limits.BONE_THICKNESS_PX),
        ("radius", "style.joint_radius_px", limits.JOINT_RADIUS_PX),
        ("visibility", "style.visibility_threshold", limits.VISIBILITY),
        ("confidence", "min_confidence", limits.CONFIDENCE),
        ("people", "num_poses", limits.PEOPLE),
        ("camera_fps", "camera_fps", limits.CAMERA_FPS),
    ],
)
def test_each_control_offers_what_the_settings_file_accepts(
    panel: SettingsPanel, control: str, setting: str, allowed: limits.Limits
) -> None:
    box = getattr(panel, control)
    assert (box.minimum(), box.maximum()) == (allowed.low, allowed.high)
    whole = isinstance(box.minimum(), int)
    for value in (box.minimum(), box.maximum()):
        problems: list[str] = []
        if setting.startswith("style."):
            key = setting.removeprefix("style.")
            loaded = settings_from_dict({"style": {key: value}}, problems)
            assert getattr(loaded.style, key) == value
        else:
            loaded = settings_from_dict({setting: value}, problems)
            assert getattr(loaded, setting) == value
        assert problems == []
    # One step beyond either end is refused by the file, as the panel cannot reach it.
    step = 1 if whole else 0.01
    for value in (box.minimum() - step, box.maximum() + step):
        problems = []
        key = setting.removeprefix("style.")
        data = {"style": {key: value}} if setting.startswith("style.") else {setting: value}
        settings_from_dict(data, problems)
        assert len(problems) == 1, (value, problems)


def test_the_strength_slider_spans_the_strengths_allowed(panel: SettingsPanel) -> None:
    allowed = limits.SMOOTHING_STRENGTH
    assert (panel.strength.minimum() / 100, panel.strength.maximum() / 100) == (
        allowed.low,
        allowed.high,
    )


def test_finding_the_person_in_every_frame_is_offered_where_it_takes_effect(
    panel: SettingsPanel,
) -> None:
    assert panel.find_every_frame.isChecked()  # on by default: it follows fast limbs
    assert panel.session.settings.pipeline().finds_afresh
    panel.find_every_frame.setChecked(False)
    assert not panel.session.settings.find_every_frame
    assert not panel.session.settings.pipeline().finds_afresh
    panel.find_every_frame.setChecked(True)
    assert panel.session.settings.pipeline().finds_afresh
    panel.people.setValue(2)  # only one person is ever found afresh (finds_afresh)
    assert not panel.find_every_frame.isEnabled()
    assert not panel.session.settings.pipeline().finds_afresh
    panel.people.setValue(1)
    assert panel.find_every_frame.isEnabled() and panel.find_every_frame.isChecked()
    panel.strength.setValue(0)  # MediaPipe's output as it is: nothing of PoseCam's follows
    assert not panel.find_every_frame.isEnabled()
    assert not panel.session.settings.pipeline().finds_afresh


def test_looking_a_frame_ahead_is_offered_with_kalman_only_and_reaches_the_pipeline(
    panel: SettingsPanel,
) -> None:
    assert not panel.look_ahead.isChecked()  # off by default: it adds a frame of delay
    assert panel.session.settings.pipeline().look_ahead_frames == 0
    panel.look_ahead.setChecked(True)
    assert panel.session.settings.look_ahead
    assert panel.session.settings.pipeline().look_ahead_frames == 1
    panel.session.change(smoothing="oneeuro")  # as choosing it in the list does
    assert not panel.look_ahead.isEnabled()
    assert panel.session.settings.pipeline().look_ahead_frames == 0
    panel.session.change(smoothing="kalman")
    assert panel.look_ahead.isEnabled() and panel.look_ahead.isChecked()
    panel.strength.setValue(0)  # no smoothing at all: nothing to revise
    assert not panel.look_ahead.isEnabled()
    assert panel.session.settings.pipeline().look_ahead_frames == 0


def test_the_exercise_comes_first_in_the_settings(panel: SettingsPanel) -> None:
    # Coaching is what most people open PoseCam for: its controls are in sight at once.
    from PySide6.QtWidgets import QGroupBox

    layout = panel.layout()
    groups = [layout.itemAt(i).widget() for i in range(layout.count())]
    titles = [g.title() for g in groups if isinstance(g, QGroupBox)]
    assert titles[0] == "Exercise" and "Skeleton" in titles[1:]
