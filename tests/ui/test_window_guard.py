"""An error nobody foresaw in the window's code is one line on the terminal and in the status
bar, with its traceback in the log file; the window goes on (a child process, offscreen)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_an_unforeseen_error_in_a_slot_is_one_line_and_logged(tmp_path: Path) -> None:
    script = f"""
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from desktop_app.ui.app import _guard_slots
from desktop_app.ui.main_window import MainWindow

app = QApplication(sys.argv[:1])
window = MainWindow(settings_file=Path({str(tmp_path / "settings.json")!r}))
_guard_slots(window)
window.show()

def broken_slot():
    raise ZeroDivisionError("a bug in a slot")

QTimer.singleShot(0, broken_slot)
QTimer.singleShot(300, lambda: print("still running:", window.statusBar().currentMessage()))
QTimer.singleShot(400, window.close)
sys.exit(app.exec())
"""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_STATE_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("posecam: ")]
    assert len(lines) == 1 and "ZeroDivisionError: a bug in a slot" in lines[0], done.stderr
    assert "details in" in lines[0]
    assert "still running: unexpected error: ZeroDivisionError" in done.stdout
    log = (tmp_path / "posecam" / "posecam.log").read_text()
    assert "Traceback" in log and "broken_slot" in log
