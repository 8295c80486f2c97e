"""The thread-leak check in tests/ui/conftest.py catches a parentless QThread (as a PoseWorker is)
left running, and passes a test that stops and waits for its thread."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

LEAKY_TESTS = '''
import threading

from PySide6.QtCore import QThread


class Spinner(QThread):
    """No parent, like a PoseWorker: qapp.findChildren() cannot see it."""

    def __init__(self):
        super().__init__()
        self.stopping = threading.Event()

    def run(self):
        self.stopping.wait(60)

    def stop(self):
        self.stopping.set()


def test_leaves_its_thread_running(qapp):
    Spinner().start()


def test_stops_its_thread(qapp):
    thread = Spinner()
    thread.start()
    thread.stop()
    assert thread.wait(30000)
'''


def test_a_parentless_qthread_left_running_fails_its_test(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "from tests.ui.conftest import no_threads_left_running  # noqa: F401\n"
    )
    (tmp_path / "test_leaky.py").write_text(LEAKY_TESTS)
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT), QT_QPA_PLATFORM="offscreen")
    options = ["-q", "-p", "no:cacheprovider", "-o", "qt_api=pyside6", "--rootdir", str(tmp_path)]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *options, str(tmp_path / "test_leaky.py")],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = run.stdout + run.stderr
    # Both tests pass; the leaky one then errors in the check that runs after it.
    assert "2 passed, 1 error" in report, report[-3000:]
    assert "ERROR test_leaky.py::test_leaves_its_thread_running" in report, report[-3000:]
    # The message names the thread and where it was started.
    assert "QThreads still running" in report and "Spinner().start()" in report, report[-3000:]
