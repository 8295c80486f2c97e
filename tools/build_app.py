"""Build PoseCam's application folder with PyInstaller, then smoke-test the built program.

    python tools/build_app.py [--skip-build] [--dist DIR]

Builds `build.spec` into DIR/PoseCam (default: dist/PoseCam), then, with the built program and
nothing from this checkout:
1. `PoseCam sample-clip` writes a clip, and `PoseCam annotate` turns it into an annotated video
   and keypoints (frame counts checked);
2. `PoseCam serve --port 0` serves its page and annotates that clip over real HTTP, and
   stops on SIGTERM;
3. under Xvfb (if installed), `PoseCam --source CLIP` opens the window, shows the skeleton
   (checked on a screenshot), and quits cleanly on SIGTERM; the time from launch to the first
   skeleton on screen is measured.
Prints the folder's size (unpacked and zipped), its largest parts and that time. Exits 1 if
any check fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tools import xvfb  # noqa: E402


def folder_size_mb(folder: Path) -> float:
    # Links (PyInstaller makes some on Linux) point at files already counted.
    files = [f for f in folder.rglob("*") if f.is_file() and not f.is_symlink()]
    return sum(f.stat().st_size for f in files) / 1e6


def largest_parts(folder: Path, count: int = 8) -> list[tuple[str, float]]:
    """The biggest entries of the folder's `_internal` (a package, a library), in MB."""
    inside = folder / "_internal"
    parts = [
        (p.name, folder_size_mb(p) if p.is_dir() else p.stat().st_size / 1e6)
        for p in inside.iterdir()
        if not p.is_symlink()
    ]
    return sorted(parts, key=lambda part: part[1], reverse=True)[:count]


def zip_size_mb(folder: Path) -> float:
    """The size of the folder as people pass it on: zipped (deflate, the default level)."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = shutil.make_archive(
            str(Path(tmp) / folder.name), "zip", folder.parent, folder.name
        )
        return Path(archive).stat().st_size / 1e6


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def check(ok: bool, what: str, detail: str = "") -> bool:
    print(f"{'PASS' if ok else 'FAIL'}  {what}" + (f"\n{detail}" if detail and not ok else ""))
    return ok


def frame_count(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def smoke_annotate(program: Path, work: Path) -> bool:
    clip, out, points = work / "clip.mp4", work / "clip_annotated.mp4", work / "clip.csv"
    made = run([str(program), "sample-clip", str(clip), "--seconds", "3"])
    if not check(made.returncode == 0 and clip.exists(), "sample-clip", made.stderr[-2000:]):
        return False
    done = run([str(program), "annotate", str(clip), "-o", str(out), "--keypoints", str(points)])
    ok = check(done.returncode == 0, "annotate exits 0", done.stderr[-2000:])
    ok &= check(out.exists() and frame_count(out) == frame_count(clip), "annotated video")
    rows = points.read_text().count("\n") if points.exists() else 0
    return ok & check(rows > frame_count(clip), f"keypoints ({rows} lines)")


def smoke_window(program: Path, work: Path) -> tuple[bool, float | None]:
    if not xvfb.available():
        print("SKIP  window check: Xvfb and ImageMagick are not installed")
        return True, None
    clip = work / "clip.mp4"
    with xvfb.virtual_display() as display:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        env.pop("WAYLAND_DISPLAY", None)
        env["XDG_CONFIG_HOME"] = str(work / "config")
        env["XDG_STATE_HOME"] = str(work / "state")
        started = time.monotonic()
        app = subprocess.Popen(
            [str(program), "--source", str(clip), "--settings", str(work / "settings.json")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first_frame_s = None
        try:
            while time.monotonic() - started < 60 and app.poll() is None:
                if xvfb.red_joint_pixels(xvfb.screenshot(display, work / "window.png")) > 50:
                    first_frame_s = time.monotonic() - started
                    break
                time.sleep(0.1)
            alive = app.poll() is None
            app.send_signal(signal.SIGTERM)
            _, stderr = app.communicate(timeout=15)
        finally:
            if app.poll() is None:
                app.kill()
    ok = check(alive, "window opens on a real X display", stderr[-2000:])
    ok &= check(first_frame_s is not None, "skeleton drawn on screen")
    ok &= check(app.returncode == 0, "quits cleanly on SIGTERM", stderr[-2000:])
    return ok, first_frame_s


def smoke_serve(program: Path, work: Path) -> bool:
    """`PoseCam serve --port 0`: the page (read from beside its module, so build.spec must
    carry it) and an annotated photo come back over real HTTP; SIGTERM stops it."""
    import json
    import urllib.request

    from testsupport.http import multipart, start_serve

    print(f"$ {program} serve --port 0", flush=True)
    server, base = start_serve([str(program), "serve", "--port", "0"])
    try:
        if not check(bool(base), "serve prints its address"):
            return False
        with urllib.request.urlopen(base + "/", timeout=60) as answer:
            page = answer.read().decode()
        ok = check("<title>PoseCam" in page and "/api/jobs" in page, "serve: the page")
        body, kind = multipart((work / "clip.mp4").read_bytes(), "clip.mp4")
        upload = urllib.request.Request(base + "/api/jobs", body, {"Content-Type": kind})
        with urllib.request.urlopen(upload, timeout=120) as answer:
            job_url = base + json.load(answer)["url"]
        deadline = time.monotonic() + 300
        state = "queued"
        while state not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
            with urllib.request.urlopen(job_url, timeout=60) as answer:
                job = json.load(answer)
            state = job["state"]
        ok &= check(state == "done", f"serve: a clip annotated ({state})", str(job.get("error")))
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        return ok & check(server.returncode == 0, f"serve stops on SIGTERM ({server.returncode})")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-build", action="store_true", help="test an existing build")
    parser.add_argument("--dist", type=Path, default=REPO / "dist")
    args = parser.parse_args()
    if not args.skip_build:
        built = subprocess.run(
            [sys.executable, "-m", "PyInstaller", str(REPO / "build.spec"), "--noconfirm",
             "--distpath", str(args.dist), "--workpath", str(REPO / "build")],
            cwd=REPO,
        )  # fmt: skip
        if built.returncode != 0:
            print("FAIL  pyinstaller build.spec")
            return 1
    folder = args.dist / "PoseCam"
    program = folder / ("PoseCam-cli.exe" if sys.platform.startswith("win") else "PoseCam")
    if not check(program.exists(), f"built program {program}"):
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ok = smoke_annotate(program, work)
        ok &= smoke_serve(program, work) if ok else False
        window_ok, first_frame_s = smoke_window(program, work) if ok else (False, None)
        ok &= window_ok
    unpacked, zipped = folder_size_mb(folder), zip_size_mb(folder)
    print(f"bundle: {folder} {unpacked:.0f} MB unpacked, {zipped:.0f} MB zipped")
    print(
        "largest parts: " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in largest_parts(folder))
    )
    if first_frame_s is not None:
        print(f"launch to first skeleton on screen: {first_frame_s:.1f} s")
    print("all checks passed" if ok else "some checks failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
