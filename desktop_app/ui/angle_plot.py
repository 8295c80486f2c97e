"""A small plot of the counted angle over the last seconds, with the exercise's thresholds, so a
user can see why a repetition did or did not count and tune the thresholds: with `editable`
(a taught exercise), each threshold line can be dragged up or down."""

from __future__ import annotations

import math
from collections import deque

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.core.reps import Exercise

# The plot spans this many seconds, and 0-180 degrees.
_SPAN_S = 10.0
# A press this close to a threshold line (pixels) takes hold of it.
_GRAB_PX = 6.0
# The thresholds are kept at least this far apart (degrees): the band between them is what
# stops noise from counting.
_LEAST_BAND_DEG = 5.0


class AnglePlot(QWidget):
    #: A threshold line was dragged and let go: (down_deg, up_deg).
    thresholds_changed = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._points: deque[tuple[float, float]] = deque()
        self.exercise: Exercise | None = None
        #: Whether the threshold lines may be dragged.
        self.editable = False
        self._held: str | None = None  # "down" or "up" while a line is dragged
        self._dragged: dict[str, float] = {}

    def set_exercise(self, exercise: Exercise | None, editable: bool = False) -> None:
        self.exercise = exercise
        self.editable = editable and exercise is not None
        self.setToolTip(
            "Drag a dashed line to move that threshold"
            if self.editable
            else "Thresholds of a preset are fixed; teach an exercise to set your own"
        )
        self._held, self._dragged = None, {}
        self.clear()

    def thresholds(self) -> tuple[float, float] | None:
        """(down_deg, up_deg) as drawn: the exercise's, or where they are being dragged."""
        if self.exercise is None:
            return None
        return (
            self._dragged.get("down", self.exercise.down_deg),
            self._dragged.get("up", self.exercise.up_deg),
        )

    def _area(self) -> QRectF:
        return QRectF(self.rect()).adjusted(30, 6, -6, -6)

    def _y_of(self, angle: float) -> float:
        area = self._area()
        return area.bottom() - area.height() * angle / 180.0

    def _angle_at(self, y: float) -> float:
        area = self._area()
        return min(180.0, max(0.0, (area.bottom() - y) * 180.0 / area.height()))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        lines = self.thresholds()
        if not self.editable or lines is None:
            return super().mousePressEvent(event)
        y = event.position().y()
        near = min(zip(lines, ("down", "up"), strict=True), key=lambda t: abs(self._y_of(t[0]) - y))
        if abs(self._y_of(near[0]) - y) <= _GRAB_PX:
            self._held = near[1]

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        lines = self.thresholds()
        if self._held is None or lines is None:
            return super().mouseMoveEvent(event)
        down, up = lines
        angle = self._angle_at(event.position().y())
        if self._held == "down":
            self._dragged["down"] = min(angle, up - _LEAST_BAND_DEG)
        else:
            self._dragged["up"] = max(angle, down + _LEAST_BAND_DEG)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        lines = self.thresholds()
        if self._held is None or lines is None:
            return super().mouseReleaseEvent(event)
        self._held = None
        down, up = (round(value, 1) for value in lines)
        self.thresholds_changed.emit(down, up)

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
        area = self._area()
        painter.fillRect(self.rect(), QColor(28, 28, 32))
        painter.setPen(QColor(150, 150, 150))
        y_of = self._y_of

        for angle in (0, 90, 180):
            painter.drawText(QRectF(0, y_of(angle) - 7, 26, 14),
                             Qt.AlignmentFlag.AlignRight, str(angle))  # fmt: skip
        lines = self.thresholds()
        if lines is not None:
            for angle, color in ((lines[0], QColor(255, 140, 0)),
                                 (lines[1], QColor(0, 170, 255))):  # fmt: skip
                painter.setPen(QPen(color, 2 if self.editable else 1, Qt.PenStyle.DashLine))
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
