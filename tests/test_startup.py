"""`posecam --version` and `--help` answer at once: they load none of the heavy libraries
(MediaPipe, OpenCV, SciPy, filterpy, Qt), which take seconds to import."""

from __future__ import annotations

import os
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


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--source", "{tmp}/nosuch.mp4"], ["nosuch.mp4", "no such file"]),
        (["--record", "{tmp}/none/out.mp4"], ["out.mp4", "does not exist"]),
        (["--record", "{tmp}/out.txt"], ["out.txt", "recordings are"]),
    ],
    ids=["missing-source", "record-folder-missing", "record-not-a-video"],
)
def test_the_window_is_not_opened_on_a_wrong_file(tmp_path, args, fragments) -> None:
    # One line and exit 2 on the terminal, as for annotate; the window never opens (were it
    # to, it would run until the timeout).
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", *(a.format(tmp=tmp_path) for a in args)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("posecam: "), done.stderr
    assert all(fragment in lines[0] for fragment in fragments), lines[0]


def test_cameras_and_streams_are_left_to_the_window_and_files_checked(tmp_path) -> None:
    from desktop_app.cli import check_window_source
    from desktop_app.errors import InputError

    for source in ("0", "1", "rtsp://camera.local/stream", "http://127.0.0.1:8080/video"):
        check_window_source(source)  # opened (or not) in the window, which says why
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not a video: the window says so")
    check_window_source(str(clip))
    check_window_source(f"file://{clip}")
    for missing in (tmp_path / "none.mp4", clip / "inside.mp4"):
        with pytest.raises(InputError, match=str(missing)):
            check_window_source(str(missing))
