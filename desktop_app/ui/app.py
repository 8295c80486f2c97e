"""Starting the window: checks that the display will work, then the Qt application."""

from __future__ import annotations

import ctypes.util
import os
import signal
import sys
from pathlib import Path

# Debian/Ubuntu package of each library Qt's xcb plugin needs and does not bring itself.
_XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
}


def display_problem() -> str | None:
    """Why the window cannot open on this machine, in one line; None if it can (as far as
    can be told before Qt tries, which aborts the process with a cryptic message)."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None  # offscreen, wayland, ...: Qt reports its own problems clearly enough
    if not platform and os.environ.get("WAYLAND_DISPLAY"):
        return None
    if not os.environ.get("DISPLAY"):
        return (
            "no display to open the window on (DISPLAY is not set); run PoseCam from a "
            "desktop session, or use `posecam annotate` for files"
        )
    missing = [pkg for lib, pkg in _XCB_LIBRARIES.items() if ctypes.util.find_library(lib) is None]
    if missing:
        return (
            "the window needs system libraries that are not installed: "
            f"{', '.join(missing)} (Debian/Ubuntu: sudo apt install {' '.join(missing)})"
        )
    return None


def _guard_slots(window) -> None:
    """An error nobody foresaw in a slot (a click, a timer) must not print a bare traceback
    and carry on silently: one line on the terminal and in the status bar, the traceback in
    the log file, and the window goes on."""
    from desktop_app.app_log import log_unexpected

    def report(kind: type[BaseException], exc: BaseException, tb: object) -> None:
        if isinstance(exc, KeyboardInterrupt):
            window.close()
            return
        where = log_unexpected(exc, "posecam (the window)")
        message = f"unexpected error: {type(exc).__name__}: {exc} ({where})"
        print(f"posecam: {message}", file=sys.stderr)
        window.statusBar().showMessage(message, 20000)

    sys.excepthook = report


def run_window(source: str | None, record: Path | None, settings_file: Path | None) -> int:
    """Open the window (on `source`, or the last or default camera) and run until it closes."""
    problem = display_problem()
    if problem:
        print(f"posecam: {problem}", file=sys.stderr)
        return 2
    # OpenCV's wheel points Qt at its own Qt 5 plugins on import; Qt 6 must not follow.
    import cv2  # noqa: F401

    os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop_app.resources import resource_path
    from desktop_app.ui.main_window import APP_NAME, MainWindow, close_soon

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    icon = resource_path("icons", "posecam.png")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    window = MainWindow(settings_file=settings_file, qsettings=QSettings())
    _guard_slots(window)
    # Ctrl+C in the terminal and SIGTERM close the window the normal way (the worker stops,
    # the recording is finalised). Python runs signal handlers only between bytecodes, so a
    # timer wakes the interpreter a few times a second while Qt's loop waits.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: close_soon(window))
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    window.show()
    window.open_source_text(source or "")
    if record is not None:
        window.start_recording(record)
    return int(app.exec())
