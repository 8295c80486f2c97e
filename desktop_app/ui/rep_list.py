"""The last repetitions, measured, one row each, newest first, with the set so far summed up
above them: how deep each went, how long down and up took, and what stood out."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.rep_analysis import Rep, summarise
from desktop_app.ui.worker import LiveFrame

# Rows shown: the last repetitions of a set (all are in the recording's table).
_ROWS = 8
_COLUMNS = ("#", "Depth", "Range", "Out", "Back", "")


def _number(value: float, unit: str, places: int = 0) -> str:
    return "-" if math.isnan(value) else f"{value:.{places}f}{unit}"


class RepList(QWidget):
    """Follows one person (the lowest id, as the angle plot does)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel("No repetitions yet")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setToolTip(
            "Depth: the angle at the turning point. Range: from rest to there. Out and Back: "
            "seconds from rest to the turning point and back. Every repetition is also in "
            "the recording's _reps.csv."
        )
        layout.addWidget(self.table)
        self.reps: list[Rep] = []
        self._fit_table()

    def clear(self) -> None:
        self.reps.clear()
        self.table.setRowCount(0)
        self.summary.setText("No repetitions yet")
        self._fit_table()

    def take(self, frame: LiveFrame) -> None:
        """Add the repetition this frame finished, if it finished one."""
        reps = frame.result.reps
        if not reps:
            return
        rep = reps[min(reps)].last_rep
        if rep is None or (self.reps and self.reps[-1].number == rep.number):
            return
        if self.reps and rep.number < self.reps[-1].number:
            self.clear()  # counting started again
        self.reps.append(rep)
        self._show()

    def _show(self) -> None:
        s = summarise(self.reps)
        self.summary.setText(
            f"{s.reps} {'repetition' if s.reps == 1 else 'repetitions'}: depth "
            f"{_number(s.depth_mean_deg, '°')} ± {_number(s.depth_spread_deg, '°')}, out "
            f"{_number(s.time_out_mean_s, ' s', 1)}, back {_number(s.time_back_mean_s, ' s', 1)}"
            + (f"; {s.flagged} flagged" if s.flagged else "")
        )
        shown = self.reps[-_ROWS:][::-1]
        self.table.setRowCount(len(shown))
        for row, rep in enumerate(shown):
            cells = (
                str(rep.number),
                _number(rep.depth_deg, "°"),
                _number(rep.range_deg, "°"),
                _number(rep.time_out_s, " s", 1),
                _number(rep.time_back_s, " s", 1),
                rep.quality,
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self._fit_table()

    def _fit_table(self) -> None:
        """As tall as its rows: no empty box before the first repetition."""
        rows = self.table.rowCount()
        height = self.table.horizontalHeader().height() + sum(
            self.table.rowHeight(r) for r in range(rows)
        )
        self.table.setFixedHeight(height + 4)


__all__ = ["RepList"]
