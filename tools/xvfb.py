"""A virtual X display (Xvfb) and screenshots of it: how PoseCam's real window is checked on a
machine with no screen. Needs Debian's xvfb and imagemagick."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np


def available() -> bool:
    return bool(shutil.which("Xvfb") and shutil.which("import"))


@contextmanager
def virtual_display(width: int = 1400, height: int = 900) -> Iterator[str]:
    """Start Xvfb on a free display number; yields the DISPLAY value (":93")."""
    number = next(
        n
        for n in range(90, 160)
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists()
    )
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.05)
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(5)


def screenshot(display: str, path: Path) -> np.ndarray:
    """The whole screen as RGB uint8, also saved to `path` (PNG)."""
    subprocess.run(
        ["import", "-display", display, "-window", "root", str(path)],
        check=True,
        capture_output=True,
    )
    from desktop_app.media.images import read_image

    return read_image(path)


def red_joint_pixels(rgb: np.ndarray) -> int:
    """How many pixels have the default joint colour, pure red (nothing else on screen has)."""
    pixels = rgb.astype(int)
    red = (pixels[..., 0] > 220) & (pixels[..., 1] < 40) & (pixels[..., 2] < 40)
    return int(red.sum())
