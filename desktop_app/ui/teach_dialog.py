"""Teach an exercise by showing it, in the window: name it, press Start, do 2-3 repetitions
in front of the camera (or let a clip play them), press Stop. PoseCam picks the angle that
swung most and most regularly (core.teach), says what it chose, and on Save keeps it as a
named exercise, chosen at once for counting.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.exercises import (
    check_name,
    check_name_free,
    exercises_folder,
    save_exercise,
)
from desktop_app.core.teach import Lesson, teach
from desktop_app.core.tracking import TrackedPerson
from desktop_app.errors import PoseCamError
from desktop_app.ui.session import Session
from desktop_app.ui.worker import LiveFrame

_HOW = (
    "Name the exercise, press Start, then do 2-3 whole repetitions from rest to rest, your "
    "whole body in the picture. Press Stop when you are back at rest."
)


class TeachDialog(QDialog):
    """Collects the people of the frames shown between Start and Stop, then teaches."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Teach an exercise")
        # Wide enough for what it learnt to read in a few lines, not a clipped one.
        self.setMinimumWidth(460)
        self.session = session
        self.frames: list[tuple[float, Sequence[TrackedPerson]]] = []
        self.lesson: Lesson | None = None
        self._collecting = False
        layout = QVBoxLayout(self)
        how = QLabel(_HOW)
        how.setWordWrap(True)
        layout.addWidget(how)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. jumping_jack")
        form.addRow("Name", self.name)
        layout.addLayout(form)
        # A name refused after the repetitions were shown is put right without showing them
        # again: the frames are kept and taught again under the name as it now reads.
        self.name.textEdited.connect(self._name_edited)
        self.start_stop = QPushButton("Start")
        self.start_stop.clicked.connect(self.toggle)
        layout.addWidget(self.start_stop)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        layout.addWidget(self.buttons)
        session.frame_ready.connect(self.take)
        self._listening = True

    def toggle(self) -> None:
        if self._collecting:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        if self.session.worker is None:
            self.result.setText("Open a camera or a video first.")
            return
        problem = self._name_problem()
        if problem is not None:
            # Said before the user exercises, not after.
            self.result.setText(f"Name: {problem}")
            return
        self.frames.clear()
        self.lesson = None
        self.save_button.setEnabled(False)
        self._collecting = True
        self.start_stop.setText("Stop")
        self.result.setText("Watching… do 2-3 repetitions, then press Stop.")

    def take(self, frame: LiveFrame) -> None:
        """One frame shown while watching (frames the window skipped are not needed)."""
        if self._collecting:
            result = frame.result
            self.frames.append((result.time_ms / 1000.0, result.people))

    def stop(self) -> None:
        self._collecting = False
        self.start_stop.setText("Start again")
        self._learn()

    def _name_problem(self) -> str | None:
        """Why the name typed cannot name a taught exercise, or None."""
        name = self.name.text().strip()
        if not name:
            return "name the exercise first"
        try:
            check_name(name)
            check_name_free(name)
        except PoseCamError as exc:
            return exc.problem  # without the file's path: the name is what to change
        return None

    def _name_edited(self) -> None:
        if not self._collecting and self.frames:
            self._learn()

    def _learn(self) -> None:
        """Teach from the frames kept, under the name as it reads now."""
        self.lesson = None
        self.save_button.setEnabled(False)
        problem = self._name_problem()
        if problem is not None:
            self.result.setText(f"Name: {problem}")
            self.adjustSize()
            return
        try:
            self.lesson = teach(self.name.text().strip(), self.frames)
        except PoseCamError as exc:
            self.result.setText(f"Not learnt: {exc}")
            self.adjustSize()
            return
        e, chosen = self.lesson.exercise, self.lesson.chosen
        seconds = self.frames[-1][0] - self.frames[0][0] if self.frames else 0.0
        self.result.setText(
            f"Counts on the {e.joints} ({', '.join(e.angles)}): down at {e.down_deg:.0f}°, "
            f"up at {e.up_deg:.0f}°. Shown: {chosen.low_deg:.0f}° to {chosen.high_deg:.0f}° "
            f"over {seconds:.0f} s, {self.lesson.reps_shown} repetitions counted in it."
        )
        self.save_button.setEnabled(True)
        self.adjustSize()

    def save(self) -> None:
        """Keep the exercise (replacing one of that name only if the user says so) and count
        it from now on."""
        if self.lesson is None:
            return
        exercise = self.lesson.exercise
        overwrite = (exercises_folder() / f"{exercise.name}.json").exists()
        if overwrite and not self._may_replace(exercise.name):
            return
        try:
            save_exercise(
                exercise,
                overwrite=overwrite,
                taught_from={"source": "window", "repetitions_shown": self.lesson.reps_shown},
            )
        except PoseCamError as exc:
            self.result.setText(f"Not saved: {exc}")
            return
        self.session.use_exercise(exercise.name)
        self.accept()

    def _may_replace(self, name: str) -> bool:
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            self, "Replace?", f"An exercise called {name} exists. Replace it?"
        )
        return answer == QMessageBox.StandardButton.Yes

    def done(self, code: int) -> None:
        self._collecting = False
        if self._listening:
            self._listening = False
            self.session.frame_ready.disconnect(self.take)
        super().done(code)


__all__ = ["TeachDialog"]
