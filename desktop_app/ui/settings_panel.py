"""The settings dock: bone colours and sizes, presets, smoothing and detection controls.

The panel holds no settings of its own: every control change makes a new value from the
session's (ui/session.py) and hands it to the session, and the controls show whatever the
session says the settings now are, whoever changed them (a menu, a shortcut, the panel).
"""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QMessageBox,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import limits
from desktop_app.core.exercises import exercises_folder, save_exercise, saved_exercises
from desktop_app.core.limits import Limits
from desktop_app.core.pipeline import PipelineSettings
from desktop_app.core.render import RGB, STYLE_PRESETS, Style
from desktop_app.core.reps import EXERCISES
from desktop_app.core.skeleton import BodyPart
from desktop_app.core.smoothing import SMOOTHING_CHOICES, revises
from desktop_app.errors import PoseCamError
from desktop_app.settings import Settings
from desktop_app.ui.angle_plot import AnglePlot
from desktop_app.ui.rep_list import RepList
from desktop_app.ui.session import Session
from desktop_app.ui.teach_dialog import TeachDialog
from desktop_app.ui.worker import LiveFrame

# Capture sizes offered for cameras, (width, height) in pixels; (0, 0) lets the camera choose.
_CAMERA_SIZES = [(0, 0), (640, 480), (1280, 720), (1920, 1080)]
_SMOOTHING_LABELS = {"kalman": "Kalman (default)", "oneeuro": "One Euro", "none": "Off"}


def _number_box(allowed: Limits, **options) -> QDoubleSpinBox:
    """A spin box that offers exactly what the settings accept (core/limits.py)."""
    return QDoubleSpinBox(minimum=allowed.low, maximum=allowed.high, **options)


def _whole_number_box(allowed: Limits, **options) -> QSpinBox:
    return QSpinBox(minimum=int(allowed.low), maximum=int(allowed.high), **options)


def _swatch(color: RGB) -> QIcon:
    pixmap = QPixmap(28, 16)
    pixmap.fill(QColor(*color))
    return QIcon(pixmap)


def _exercise_labels() -> dict[str, str]:
    """Setting value -> label of every exercise to choose from: the presets, then the ones
    taught (read anew, as they come and go)."""
    saved, _ = saved_exercises()
    taught = {name: f"{e.label} - taught" for name, e in saved.items() if name not in EXERCISES}
    return {"": "None", **{key: e.label for key, e in EXERCISES.items()}, **taught}


class _WheelNeedsFocus(QObject):
    """Hands a wheel event over a value the user has not clicked to the scroll area around the
    panel, so the wheel scrolls the dock instead of changing the value."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget):
            return False
        if watched.hasFocus():
            return False
        area = watched.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:
            QCoreApplication.sendEvent(area.viewport(), event)
        return True


class SettingsPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._updating = False
        self._checks: dict[str, QCheckBox] = {}
        self._choices: dict[str, QComboBox] = {}
        layout = QVBoxLayout(self)

        colours = QGroupBox("Skeleton")
        form = QFormLayout(colours)
        self.preset = QComboBox()
        self.preset.addItem("Custom")
        self.preset.addItems(list(STYLE_PRESETS))
        self.preset.activated.connect(self._preset_chosen)
        form.addRow("Preset", self.preset)
        self.bone_buttons: dict[BodyPart, QPushButton] = {}
        for part in BodyPart:
            button = QPushButton()
            button.setToolTip(f"Colour of the {part.label.lower()} bones")
            button.clicked.connect(lambda _=False, p=part: self._pick_bone_color(p))
            self.bone_buttons[part] = button
            form.addRow(part.label, button)
        self.joint_button = QPushButton()
        self.joint_button.clicked.connect(self._pick_joint_color)
        form.addRow("Joints", self.joint_button)
        self.thickness = _whole_number_box(limits.BONE_THICKNESS_PX, suffix=" px")
        self.thickness.valueChanged.connect(lambda v: self._set_style(bone_thickness_px=int(v)))
        form.addRow("Bone thickness", self.thickness)
        self.radius = _whole_number_box(limits.JOINT_RADIUS_PX, suffix=" px")
        self.radius.valueChanged.connect(lambda v: self._set_style(joint_radius_px=int(v)))
        form.addRow("Joint radius", self.radius)
        self.visibility = _number_box(limits.VISIBILITY, singleStep=0.05, decimals=2)
        self.visibility.setToolTip("Joints the model is less sure are in view than this are hidden")
        self.visibility.valueChanged.connect(
            lambda v: self._set_style(visibility_threshold=float(v))
        )
        form.addRow("Hide joints below", self.visibility)
        self.show_ids = QCheckBox("Show each person's id (when several are in view)")
        self.show_ids.toggled.connect(lambda on: self._set_style(show_ids=bool(on)))
        form.addRow(self.show_ids)
        self.grow_with_person = QCheckBox("Thicker for people who fill more of the picture")
        self.grow_with_person.setToolTip(
            "Bones and joints grow with the person, so they stay readable on a large picture "
            "shown small"
        )
        self.grow_with_person.toggled.connect(lambda on: self._set_style(grow_with_person=bool(on)))
        form.addRow(self.grow_with_person)
        self.reset_button = QPushButton("Reset to defaults")
        self.reset_button.clicked.connect(self.reset_to_defaults)
        form.addRow(self.reset_button)
        layout.addWidget(colours)

        tracking = QGroupBox("Detection and smoothing")
        form = QFormLayout(tracking)
        self.smoothing = self._choice(
            {name: _SMOOTHING_LABELS[name] for name in SMOOTHING_CHOICES}, "smoothing"
        )
        form.addRow("Smoothing", self.smoothing)
        # In hundredths: a slider holds whole numbers.
        self.strength = QSlider(
            Qt.Orientation.Horizontal,
            minimum=round(limits.SMOOTHING_STRENGTH.low * 100),
            maximum=round(limits.SMOOTHING_STRENGTH.high * 100),
        )
        self.strength.setToolTip("0: follow every movement at once; 100: steadiest")
        self.strength.valueChanged.connect(lambda v: self._set(smoothing_strength=v / 100.0))
        form.addRow("Strength", self.strength)
        self.look_ahead = self._check("Look a frame ahead (follows fast moves)", "look_ahead")
        self.look_ahead.setToolTip(
            "Each frame is shown once the next is in, its skeleton revised with it:"
            " closer on fast moves, one frame later (33 ms at 30 fps). Kalman smoothing only."
        )
        form.addRow(self.look_ahead)
        self.find_every_frame = self._check(
            "Find the person in every frame (follows fast moves)", "find_every_frame"
        )
        self.find_every_frame.setToolTip(
            "Look for the person afresh in every frame instead of following them from the"
            " last: closer on fast moves, but the pose model takes longer per frame (a slow"
            " computer shows fewer frames per second). One person, with smoothing on."
        )
        form.addRow(self.find_every_frame)
        self.confidence = _number_box(limits.CONFIDENCE, singleStep=0.05, decimals=2)
        self.confidence.setToolTip("How sure the model must be that a person is there")
        self.confidence.valueChanged.connect(lambda v: self._set(min_confidence=float(v)))
        form.addRow("Detection confidence", self.confidence)
        self.people = _whole_number_box(limits.PEOPLE)
        self.people.valueChanged.connect(lambda v: self._set(num_poses=int(v)))
        form.addRow("People", self.people)
        layout.addWidget(tracking)

        exercise = QGroupBox("Exercise")
        form = QFormLayout(exercise)
        self.exercise = self._choice(_exercise_labels(), "exercise")
        form.addRow("Count", self.exercise)
        self.teach_button = QPushButton("Teach a new exercise…")
        self.teach_button.setToolTip(
            "Do 2-3 repetitions in front of the camera; PoseCam learns them"
        )
        self.teach_button.clicked.connect(self.open_teach_dialog)
        form.addRow(self.teach_button)
        self.show_count = self._check(
            "Show the count large on the picture (and in recordings)", "show_count"
        )
        form.addRow(self.show_count)
        self.cue_sound = self._check("Play a tone with each form cue", "cue_sound")
        form.addRow(self.cue_sound)
        self.show_angles = self._check("Show joint angles", "show_angles")
        form.addRow(self.show_angles)
        self.angle_plot = AnglePlot()
        self.angle_plot.thresholds_changed.connect(self._thresholds_dragged)
        form.addRow(self.angle_plot)
        self.rep_list = RepList()
        form.addRow(self.rep_list)
        self.reset_reps = QPushButton("Reset count")
        self.reset_reps.clicked.connect(session.reset_reps)
        form.addRow(self.reset_reps)
        layout.addWidget(exercise)

        camera = QGroupBox("Camera (from the next start)")
        form = QFormLayout(camera)
        self.camera_size = QComboBox()
        for width, height in _CAMERA_SIZES:
            self.camera_size.addItem("Camera's choice" if not width else f"{width} x {height}",
                                     (width, height))  # fmt: skip
        self.camera_size.activated.connect(self._camera_size_chosen)
        form.addRow("Size", self.camera_size)
        self.camera_fps = _number_box(limits.CAMERA_FPS, decimals=0, suffix=" fps")
        self.camera_fps.setSpecialValueText("Camera's choice")
        self.camera_fps.valueChanged.connect(lambda v: self._set(camera_fps=float(v)))
        form.addRow("Frame rate", self.camera_fps)
        layout.addWidget(camera)

        recording = QGroupBox("Recording")
        form = QFormLayout(recording)
        self.record_raw = self._check("Also the picture without skeleton", "record_raw_video")
        form.addRow(self.record_raw)
        self.record_keypoints = self._choice(
            {"csv": "CSV", "json": "JSON", "": "None"}, "record_keypoints"
        )
        form.addRow("Keypoints", self.record_keypoints)
        layout.addWidget(recording)

        view = QGroupBox("View")
        form = QFormLayout(view)
        self.mirror = self._check("Mirror the picture", "mirror")
        form.addRow(self.mirror)
        self.hud = self._check("Show frame rate and people", "show_hud")
        form.addRow(self.hud)
        self.loop = self._check("Loop video files", "loop_video")
        form.addRow(self.loop)
        layout.addWidget(view)
        # The exercise first: coaching is what most people open PoseCam for, and below the
        # skeleton's colours it was out of sight at the window's first size (1200 x 760).
        layout.insertWidget(0, exercise)
        layout.addStretch(1)
        self._wheel_guard = _WheelNeedsFocus(self)
        values = (
            w for kind in (QAbstractSpinBox, QComboBox, QSlider) for w in self.findChildren(kind)
        )
        for widget in values:
            # Scrolling the dock must scroll it, not change whatever is under the pointer
            # (People went from 2 to 1 that way): a value takes the wheel once clicked.
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            widget.installEventFilter(self._wheel_guard)
        self._show(session.settings)
        session.settings_changed.connect(self._show)
        session.frame_ready.connect(self._plot_angle)
        session.reps_reset.connect(self.angle_plot.clear)
        session.reps_reset.connect(self.rep_list.clear)
        session.frame_ready.connect(self.rep_list.take)

    def _plot_angle(self, frame: LiveFrame) -> None:
        if frame.reps:
            # The plot follows the lowest-numbered person (the only one, usually).
            state = frame.reps[min(frame.reps)]
            self.angle_plot.add(frame.result.time_ms / 1000.0, state.angle_deg)

    def open_teach_dialog(self) -> TeachDialog:
        dialog = TeachDialog(self.session, self)
        dialog.finished.connect(lambda _: self.refresh_exercises())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _thresholds_dragged(self, down_deg: float, up_deg: float) -> None:
        """Save a taught exercise's thresholds as dragged on the plot, and count with them
        (from zero: a count made with other thresholds would mix two rules)."""
        exercise = self.angle_plot.exercise
        if exercise is None or exercise.name in EXERCISES:
            return
        changed = replace(exercise, down_deg=down_deg, up_deg=up_deg)
        path = exercises_folder() / f"{exercise.name}.json"
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            taught_from = saved.get("taught_from") if isinstance(saved, dict) else None
        except (OSError, ValueError):
            taught_from = None
        try:
            save_exercise(changed, overwrite=True, taught_from=taught_from)
        except PoseCamError as exc:
            QMessageBox.warning(self, "Thresholds not saved", str(exc))
            self.angle_plot.set_exercise(exercise, editable=True)
            return
        self.session.use_exercise(exercise.name)

    def refresh_exercises(self) -> None:
        """List the exercises as they are now (one was taught, or removed)."""
        combo = self.exercise
        combo.clear()
        for value, label in _exercise_labels().items():
            combo.addItem(label, value)
        self._show(self.session.settings)

    def _check(self, text: str, field: str) -> QCheckBox:
        """A checkbox that shows and sets the boolean setting `field`."""
        box = QCheckBox(text)
        box.toggled.connect(lambda on: self._set(**{field: bool(on)}))
        self._checks[field] = box
        return box

    def _choice(self, items: dict[str, str], field: str) -> QComboBox:
        """A list (setting value -> label) that shows and sets the setting `field`."""
        combo = QComboBox()
        for value, label in items.items():
            combo.addItem(label, value)
        combo.activated.connect(lambda i: self._set(**{field: combo.itemData(i)}))
        self._choices[field] = combo
        return combo

    @property
    def settings(self) -> Settings:
        return self.session.settings

    def set_settings(self, settings: Settings) -> None:
        """Use `settings` (the controls follow when the session says they changed)."""
        self.session.update_settings(settings)

    def set_bone_color(self, part: BodyPart, color: RGB) -> None:
        self._set_style(bone_colors={**self.session.settings.style.bone_colors, part: color})

    def set_joint_color(self, color: RGB) -> None:
        self._set_style(joint_color=color)

    def reset_to_defaults(self) -> None:
        """The default look and smoothing; where files go and what was last opened stay."""
        s = self.session.settings
        self.set_settings(
            replace(Settings(), last_source=s.last_source, output_folder=s.output_folder)
        )

    def _preset_chosen(self, index: int) -> None:
        name = self.preset.itemText(index)
        if name in STYLE_PRESETS:
            self.set_settings(replace(self.session.settings, style=STYLE_PRESETS[name]))

    def _camera_size_chosen(self, index: int) -> None:
        width, height = self.camera_size.itemData(index)
        self._set(camera_width_px=width, camera_height_px=height)

    def _pick_bone_color(self, part: BodyPart) -> None:
        chosen = QColorDialog.getColor(
            QColor(*self.session.settings.style.bone_colors[part]), self, f"{part.label} colour"
        )
        if chosen.isValid():
            self.set_bone_color(part, (chosen.red(), chosen.green(), chosen.blue()))

    def _pick_joint_color(self) -> None:
        chosen = QColorDialog.getColor(
            QColor(*self.session.settings.style.joint_color), self, "Joints"
        )
        if chosen.isValid():
            self.set_joint_color((chosen.red(), chosen.green(), chosen.blue()))

    def _set_style(self, **changes) -> None:
        if self._updating:
            return
        if "bone_colors" in changes:
            changes["bone_colors"] = MappingProxyType(dict(changes["bone_colors"]))
        self.set_settings(
            replace(self.session.settings, style=replace(self.session.settings.style, **changes))
        )

    def _set(self, **changes) -> None:
        if self._updating:
            return
        self.set_settings(replace(self.session.settings, **changes))

    def _show(self, settings: Settings) -> None:
        self._updating = True
        try:
            style: Style = settings.style
            for part, button in self.bone_buttons.items():
                button.setIcon(_swatch(style.bone_colors[part]))
                button.setText("#{:02x}{:02x}{:02x}".format(*style.bone_colors[part]))
            self.joint_button.setIcon(_swatch(style.joint_color))
            self.joint_button.setText("#{:02x}{:02x}{:02x}".format(*style.joint_color))
            self.thickness.setValue(style.bone_thickness_px)
            self.radius.setValue(style.joint_radius_px)
            self.visibility.setValue(style.visibility_threshold)
            self.show_ids.setChecked(style.show_ids)
            self.grow_with_person.setChecked(style.grow_with_person)
            names = list(STYLE_PRESETS)
            matching = [i for i, n in enumerate(names) if STYLE_PRESETS[n] == style]
            self.preset.setCurrentIndex(matching[0] + 1 if matching else 0)
            for field, box in self._checks.items():
                box.setChecked(bool(getattr(settings, field)))
            for field, combo in self._choices.items():
                combo.setCurrentIndex(max(combo.findData(getattr(settings, field)), 0))
            self.strength.setValue(round(settings.smoothing_strength * 100))
            # Only a smoothing that can revise what it showed looks ahead.
            self.look_ahead.setEnabled(revises(settings.smoothing, settings.smoothing_strength))
            # Only where it would take effect (PipelineSettings.finds_afresh says when); not
            # through settings.pipeline(), which would look up a taught exercise's file again.
            self.find_every_frame.setEnabled(
                PipelineSettings(
                    num_poses=settings.num_poses,
                    smoothing=settings.smoothing,
                    smoothing_strength=settings.smoothing_strength,
                    find_every_frame=True,
                ).finds_afresh
            )
            self.confidence.setValue(settings.min_confidence)
            self.people.setValue(settings.num_poses)
            size = (settings.camera_width_px, settings.camera_height_px)
            self.camera_size.setCurrentIndex(max(self.camera_size.findData(size), 0))
            self.camera_fps.setValue(settings.camera_fps)
            wanted = settings.pipeline().exercise
            if wanted != self.angle_plot.exercise:
                # A taught exercise's thresholds can be dragged on the plot; a preset's not.
                taught = wanted is not None and wanted.name not in EXERCISES
                self.angle_plot.set_exercise(wanted, editable=taught)
                self.rep_list.clear()
        finally:
            self._updating = False
