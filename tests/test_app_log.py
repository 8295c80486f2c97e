"""A process without a console (a windowed build) writes to a log file instead of crashing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_without_stdout_and_stderr_messages_go_to_the_log(tmp_path: Path) -> None:
    # As a windowed build starts: no standard streams at all. A bad input must still be
    # reported, in the log, and the process must end with its usual code, not a crash.
    script = (
        "import sys; sys.stdout = None; sys.stderr = None\n"
        "from desktop_app.cli import main\n"
        f"raise SystemExit(main(['annotate', {str(tmp_path / 'missing.mp4')!r}]))\n"
    )
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    log = (tmp_path / "state" / "posecam" / "posecam.log").read_text()
    assert "missing.mp4" in log
