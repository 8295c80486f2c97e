"""Qt tests run offscreen (set in tests/conftest.py); no test may leave a thread running."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def no_threads_left_running(qapp) -> Iterator[None]:
    """Fail any test that leaves a worker QThread or a feed thread alive (napari does the same):
    a leaked thread keeps a camera open and crashes the interpreter at exit."""
    from PySide6.QtCore import QThread

    before = set(threading.enumerate())
    yield
    leaked_qthreads = [t for t in qapp.findChildren(QThread) if t.isRunning()]
    leaked_threads = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and t.name.startswith("posecam")
    ]
    assert not leaked_qthreads, f"QThreads still running: {leaked_qthreads}"
    assert not leaked_threads, f"threads still running: {leaked_threads}"


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
