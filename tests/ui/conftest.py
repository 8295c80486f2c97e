"""Qt tests run offscreen (set in tests/conftest.py); no test may leave a thread running."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def no_threads_left_running() -> Iterator[None]:
    """Fail any test that leaves a QThread or a feed thread alive (napari does the same): a
    leaked thread keeps a camera open and crashes the interpreter at exit.

    `qapp.findChildren(QThread)` sees only threads with a parent, and a `PoseWorker` has none;
    so every `QThread.start()` made during the test is recorded, with where it was called."""
    from PySide6.QtCore import QThread

    started: list[tuple[QThread, str]] = []
    original_start = QThread.start

    def recording_start(self: QThread, *args, **kwargs) -> None:
        caller = "".join(traceback.format_stack(limit=3)[:-1])
        started.append((self, caller))
        original_start(self, *args, **kwargs)

    before = set(threading.enumerate())
    # A patch of its own, so that undoing it leaves the test's `monkeypatch` alone.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QThread, "start", recording_start)
        yield
    leaked_qthreads = [(thread, caller) for thread, caller in started if _still_running(thread)]
    for thread, _ in leaked_qthreads:
        _stop_leaked(thread)  # so that one leak does not crash the tests after it
    leaked_threads = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and t.name.startswith("posecam")
    ]
    assert not leaked_qthreads, "QThreads still running, started at:\n" + "\n".join(
        f"{thread.objectName() or type(thread).__name__}\n{caller}"
        for thread, caller in leaked_qthreads
    )
    assert not leaked_threads, f"threads still running: {leaked_threads}"


@pytest.fixture
def window(qtbot, tmp_path: Path, model):
    """The main window, shown offscreen, with its settings file in the test's folder."""
    from desktop_app.ui.main_window import MainWindow

    window = MainWindow(settings_file=tmp_path / "settings.json", model=model)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def _still_running(thread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # its C++ object is gone (a parent deleted it): not running
        return False


def _stop_leaked(thread) -> None:
    stop = getattr(thread, "stop", None)
    if callable(stop):
        stop()
    thread.quit()
    thread.wait(10000)


def start_app(
    folder: Path, *args: str, platform: str = "offscreen", **env: str
) -> subprocess.Popen[str]:
    """`posecam ARGS` as a user would start it, in its own process, with settings kept in
    `folder`; `env` adds environment variables (DISPLAY, say)."""
    environment = dict(os.environ, QT_QPA_PLATFORM=platform, XDG_CONFIG_HOME=str(folder), **env)
    environment.pop("WAYLAND_DISPLAY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "desktop_app", *args, "--settings", str(folder / "settings.json")],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
