"""A small plot of the counted angle over the last seconds, with the exercise's thresholds, so a
user can see why a repetition did or did not count and tune the thresholds."""

from __future__ import annotations

import math
from collections import deque

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.core.reps import Exercise

# The plot spans this many seconds, and 0-180 degrees.
_SPAN_S = 10.0


class AnglePlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._points: deque[tuple[float, float]] = deque()
        self.exercise: Exercise | None = None

    def set_exercise(self, exercise: Exercise | None) -> None:
        self.exercise = exercise
        self.clear()

    def clear(self) -> None:
        self._points.clear()
        self.update()

    def add(self, time_s: float, angle_deg: float) -> None:
        """One sample (NaN where the joints were not seen: a gap in the line)."""
        self._points.append((time_s, angle_deg))
        while self._points and self._points[0][0] < time_s - _SPAN_S:
            self._points.popleft()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(30, 6, -6, -6)
        painter.fillRect(self.rect(), QColor(28, 28, 32))
        painter.setPen(QColor(150, 150, 150))

        def y_of(angle: float) -> float:
            return area.bottom() - area.height() * angle / 180.0

        for angle in (0, 90, 180):
            painter.drawText(QRectF(0, y_of(angle) - 7, 26, 14),
                             Qt.AlignmentFlag.AlignRight, str(angle))  # fmt: skip
        if self.exercise is not None:
            for angle, color in ((self.exercise.down_deg, QColor(255, 140, 0)),
                                 (self.exercise.up_deg, QColor(0, 170, 255))):  # fmt: skip
                painter.setPen(QPen(color, 1, Qt.PenStyle.DashLine))
                painter.drawLine(
                    QPointF(area.left(), y_of(angle)), QPointF(area.right(), y_of(angle))
                )
        if self._points:
            newest = self._points[-1][0]
            painter.setPen(QPen(QColor(255, 255, 255), 2))
            line = QPolygonF()
            for time_s, angle in self._points:
                if math.isnan(angle):
                    if line.size() > 1:
                        painter.drawPolyline(line)
                    line = QPolygonF()
                    continue
                x = area.right() - area.width() * (newest - time_s) / _SPAN_S
                line.append(QPointF(x, y_of(angle)))
            if line.size() > 1:
                painter.drawPolyline(line)
        painter.end()
