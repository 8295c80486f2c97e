"""A short tone when a form cue is said, for someone who is not looking at the screen
mid-repetition. Through Qt Multimedia, offline; silent (and it says why) where the system has
no sound output."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QUrl

from desktop_app.media.tones import write_tone

log = logging.getLogger(__name__)


class CueSound(QObject):
    """Plays the cue tone on `play()`; `problem` says in words why it cannot, else None."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.problem: str | None = None
        self._effect = None
        self._folder = tempfile.TemporaryDirectory(prefix="posecam-tones-")
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except ImportError as exc:  # Qt Multimedia needs the system's sound library
            self.problem = f"cue sounds need the system's sound libraries ({exc})"
            return
        if not QMediaDevices.audioOutputs():
            self.problem = "cue sounds: this computer has no sound output"
            return
        effect = QSoundEffect(self)
        effect.setSource(QUrl.fromLocalFile(str(write_tone(Path(self._folder.name) / "cue.wav"))))
        effect.setVolume(0.6)
        self._effect = effect

    def play(self) -> None:
        if self._effect is not None:
            self._effect.play()

    def close(self) -> None:
        self._effect = None
        self._folder.cleanup()


__all__ = ["CueSound"]
