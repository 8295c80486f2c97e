"""`posecam --version` and `--help` answer at once: they load none of the heavy libraries
(MediaPipe, OpenCV, SciPy, filterpy, Qt), which take seconds to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("mediapipe", "cv2", "scipy", "filterpy", "PySide6", "matplotlib")


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["annotate", "--help"]])
def test_version_and_help_load_no_heavy_library(args) -> None:
    probe = (
        "import sys\n"
        "from desktop_app.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip()  # it answered
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
