"""The real window on a real X display (Xvfb, Qt's xcb platform): offscreen tests cannot see
a missing xcb library or OpenCV's Qt 5 plugin path steering Qt 6. Starts `posecam --source
CLIP`, takes a screenshot, checks the skeleton is drawn, then stops it with SIGTERM.

Needs Debian's xvfb and imagemagick (CI installs them); skips without them. Set
POSECAM_SCREENSHOT=FILE to keep the screenshot.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from desktop_app.media.images import read_image
from tests.ui.conftest import start_app

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("import")),
    reason="Xvfb and ImageMagick's import are not installed",
)


@pytest.fixture
def x_display(tmp_path: Path):
    for number in range(90, 120):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            break
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    yield f":{number}"
    server.terminate()
    server.wait(5)


def test_the_window_draws_a_skeleton_on_a_real_display(x_display, short_clip, tmp_path) -> None:
    app = start_app(tmp_path, "--source", str(short_clip), platform="xcb", DISPLAY=x_display)
    shot = tmp_path / "window.png"
    try:
        red_pixels = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and app.poll() is None:
            time.sleep(1.0)
            subprocess.run(
                ["import", "-display", x_display, "-window", "root", str(shot)],
                check=True,
                capture_output=True,
            )
            rgb = read_image(shot).astype(int)
            # The default joints are pure red dots; nothing else on screen is that red.
            red = (rgb[..., 0] > 220) & (rgb[..., 1] < 40) & (rgb[..., 2] < 40)
            red_pixels = int(red.sum())
            if red_pixels > 50:
                break
        assert app.poll() is None, app.communicate()[1][-2000:]
        assert red_pixels > 50, "no skeleton joints on screen"
    finally:
        if app.poll() is None:
            app.send_signal(signal.SIGTERM)
        try:
            _, stderr = app.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            app.kill()
            pytest.fail("the window did not close within 10 s of SIGTERM")
    keep = os.environ.get("POSECAM_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
    assert app.returncode == 0, stderr[-2000:]
    assert (tmp_path / "settings.json").exists(), "settings were not saved on SIGTERM"
    assert "Traceback" not in stderr, stderr[-2000:]
    assert np.asarray(read_image(shot)).shape[:2] == (900, 1400)
