"""The picture: the newest annotated frame, scaled to fit with its aspect ratio kept, with the
HUD (frame rate, inference time, people) over it, or a message when there is no picture."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.core.metrics import RateMeter
from desktop_app.ui.worker import LiveFrame


class VideoView(QWidget):
    """Paints whatever frame is newest when Qt asks; `show_frame` only stores it and asks for a
    repaint, so several frames arriving between two paints cost one paint."""

    #: Emitted after each paint of a new frame: (the frame, time.monotonic() of the paint).
    painted = Signal(object, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._frame: LiveFrame | None = None
        self._painted_frame: LiveFrame | None = None
        self._message = ""
        self.show_hud = True
        self.display_fps = RateMeter()

    @property
    def frame(self) -> LiveFrame | None:
        return self._frame

    def show_frame(self, frame: LiveFrame) -> None:
        self._frame = frame
        self._message = ""
        self.update()

    def show_message(self, text: str) -> None:
        """A message in place of the picture (the last frame is dropped)."""
        self._frame = None
        self._message = text
        self.update()

    def image_rect(self) -> QRectF:
        """Where the frame is drawn in the widget: as large as fits, aspect ratio kept."""
        if self._frame is None:
            return QRectF()
        image = self._frame.image
        scale = min(self.width() / image.width(), self.height() / image.height())
        w, h = image.width() * scale, image.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(20, 20, 20))
        frame = self._frame
        if frame is None:
            if self._message:
                painter.setPen(QColor(230, 230, 230))
                font = QFont(painter.font())
                font.setPointSizeF(max(font.pointSizeF(), 11.0))
                painter.setFont(font)
                painter.drawText(
                    self.rect().adjusted(24, 24, -24, -24),
                    Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                    self._message,
                )
            painter.end()
            return
        target = self.image_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        # A mirrored picture comes mirrored from the pipeline, with its text readable.
        painter.drawImage(target, frame.image)
        now = time.monotonic()
        if frame is not self._painted_frame:
            self._painted_frame = frame
            self.display_fps.tick(now)
            self.painted.emit(frame, now)
        if self.show_hud:
            self._paint_hud(painter, frame, now)
        painter.end()

    def _paint_hud(self, painter: QPainter, frame: LiveFrame, now: float) -> None:
        people = frame.result.people_seen
        inference = "" if math.isnan(frame.inference_ms) else f"   pose {frame.inference_ms:.0f} ms"
        text = (
            f"{self.display_fps.rate(now):.1f} FPS{inference}   "
            f"{people} {'person' if people == 1 else 'people'}"
        )
        # The repetition count is drawn large into the picture itself (core.render), so it is
        # in recordings too and has a switch of its own; the HUD is for the frame rate.
        lines = [text]
        metrics = painter.fontMetrics()
        top = 8
        for line in lines:
            box = metrics.boundingRect(line).adjusted(-8, -4, 8, 4)
            box.moveTo(8, top)
            painter.fillRect(box, QColor(0, 0, 0, 160))
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, line)
            top += box.height() + 2
