"""How long `posecam --version` and `posecam --help` take, as a user types them, and how long
the window takes to appear and to show its first skeleton for a user who never ran PoseCam.

    python benchmarks/startup.py [--runs 5]

Runs the installed `posecam` command (falling back to `python -m desktop_app`) `--runs` times
each and prints the median wall time in seconds against the targets (0.3 s and 0.5 s). Then,
where Xvfb and ImageMagick are installed, starts the window on a virtual display with a sample
clip as its source, each run with a fresh home, config, state and cache folder (so nothing is
cached: no settings, no Matplotlib font cache), and prints the median time to the first
screenshot with the window on it and to the first with a skeleton's red joints (targets 1.5 s
and 3 s). Prints numbers only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGETS_S = {"--version": 0.3, "--help": 0.5}
WINDOW_TARGETS_S = {"window shown": 1.5, "first skeleton": 3.0}
REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    command = [shutil.which("posecam") or ""] if shutil.which("posecam") else [
        sys.executable, "-m", "desktop_app",
    ]  # fmt: skip
    for flag, target_s in TARGETS_S.items():
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([*command, flag], capture_output=True, check=True)
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        verdict = "PASS" if median <= target_s else "FAIL"
        print(f"posecam {flag:10s} median {median:.3f} s over {args.runs} runs"
              f" (target {target_s} s): {verdict}")  # fmt: skip
    sys.path.insert(0, str(REPO))
    from tools import xvfb

    if not xvfb.available():
        print("window: not measured (Xvfb and ImageMagick are not installed)")
        return 0
    runs: dict[str, list[float]] = {name: [] for name in WINDOW_TARGETS_S}
    for _ in range(args.runs):
        for name, seconds in window_start(command, xvfb).items():
            runs[name].append(seconds)
    for name, target_s in WINDOW_TARGETS_S.items():
        if len(runs[name]) < args.runs:
            print(f"{name:15s} not reached within 60 s in some runs: {runs[name]}")
            continue
        median = statistics.median(runs[name])
        verdict = "PASS" if median <= target_s else "FAIL"
        print(f"{name:15s} median {median:.2f} s over {args.runs} runs, fresh user"
              f" (target {target_s} s): {verdict}")  # fmt: skip
    return 0


def window_start(command: list[str], xvfb: Any) -> dict[str, float]:
    """Seconds from starting the window to the first screenshot showing it, and to the first
    showing a skeleton's joints, for a user with nothing of PoseCam's on disk yet."""
    reached: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, xvfb.virtual_display() as display:
        work = Path(tmp)
        clip = work / "clip.mp4"
        subprocess.run([*command, "sample-clip", str(clip)], capture_output=True, check=True)
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", HOME=str(work / "home"))
        env.pop("WAYLAND_DISPLAY", None)
        for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR"):
            env.pop(name, None)
        (work / "home").mkdir()
        blank = xvfb.screenshot(display, work / "blank.png")
        started = time.monotonic()
        app = subprocess.Popen(
            [*command, "--source", str(clip)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while time.monotonic() - started < 60 and app.poll() is None:
                shot = xvfb.screenshot(display, work / "window.png")
                now = time.monotonic() - started
                if "window shown" not in reached and (shot != blank).any(axis=2).sum() > 10_000:
                    reached["window shown"] = now
                if xvfb.red_joint_pixels(shot) > 50:
                    reached["first skeleton"] = now
                    break
                time.sleep(0.05)
        finally:
            app.terminate()
            try:
                app.wait(timeout=15)
            except subprocess.TimeoutExpired:
                app.kill()
    return reached


if __name__ == "__main__":
    sys.exit(main())
