"""Check from Linux what can be checked of the Windows app without a Windows machine.

1. Every runtime dependency, at the version installed here (what CI tested), has a wheel for
   64-bit Windows: pip resolves PoseCam's dependencies for win_amd64 with those versions pinned,
   without downloading the wheels (`pip install --dry-run --report`), so Windows' own
   dependency markers are followed too.
2. What build.spec's Windows branch names exists: the icon, and the native library MediaPipe
   loads through ctypes (mediapipe/tasks/c/libmediapipe.dll), looked for in MediaPipe's
   Windows wheel itself.

Prints one line per check and exits 1 if any failed. Needs the network (PyPI).

    python tools/check_windows.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = "win_amd64"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
# The native library build.spec collects, as the Windows wheel names it.
MEDIAPIPE_DLL = "mediapipe/tasks/c/libmediapipe.dll"


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    if match is None:
        raise ValueError(f"cannot read a name from {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def runtime_requirements() -> list[str]:
    """PoseCam's runtime dependencies, as the installed package declares them (its extras,
    such as the test tools, left out)."""
    return [r for r in metadata.requires("posecam") or [] if "extra ==" not in r]


def installed_versions() -> dict[str, str]:
    return {_name(d.metadata["Name"]): d.version for d in metadata.distributions()}


def resolve_for_windows(requirements: list[str], pins: dict[str, str], work: Path) -> list[dict]:
    """What pip would install on 64-bit Windows: one report entry per package."""
    constraints = work / "constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
    report = work / "report.json"
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
        "--only-binary=:all:", "--platform", PLATFORM, "--python-version", PYTHON,
        "--target", str(work / "target"), "--report", str(report), "-c", str(constraints),
        *requirements,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "pip failed")
    return json.loads(report.read_text())["install"]


def mediapipe_wheel_names(version: str, work: Path) -> list[str]:
    """The file names inside MediaPipe's Windows wheel (downloaded for this: about 50 MB)."""
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
        "--platform", PLATFORM, "--python-version", PYTHON, "-d", str(work),
        f"mediapipe=={version}",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    (wheel,) = work.glob("mediapipe-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def main() -> int:
    ok = True

    def check(passed: bool, what: str) -> None:
        nonlocal ok
        ok &= passed
        print(f"{'PASS' if passed else 'FAIL'}  {what}")

    here = installed_versions()
    requirements = runtime_requirements()
    with tempfile.TemporaryDirectory(prefix="posecam-windows-") as folder:
        work = Path(folder)
        try:
            # Pinned: every package installed here that Windows may need, at its version.
            plan = resolve_for_windows(requirements, here, work)
        except RuntimeError as exc:
            check(False, f"dependencies resolve for {PLATFORM} at the versions tested: {exc}")
            return 1
        for entry in sorted(plan, key=lambda e: _name(e["metadata"]["name"])):
            name, version = _name(entry["metadata"]["name"]), entry["metadata"]["version"]
            wheel = entry["download_info"]["url"].rsplit("/", 1)[-1]
            platform_tag = wheel.rsplit("-", 1)[-1].removesuffix(".whl")
            fits = platform_tag in (PLATFORM, "any") and wheel.endswith(".whl")
            same = here.get(name) == version
            note = "" if same else f" (tested here: {here.get(name, 'not installed')})"
            check(fits and same, f"{name} {version}: {wheel}{note}")
        check((ROOT / "resources" / "icons" / "posecam.ico").is_file(), "the Windows icon exists")
        names = mediapipe_wheel_names(here["mediapipe"], work / "wheel")
        check(MEDIAPIPE_DLL in names, f"MediaPipe's Windows wheel holds {MEDIAPIPE_DLL}")
        check(
            any(n.startswith("mediapipe/tasks/c/") and n.endswith(".py") for n in names),
            "and the module mediapipe.tasks.c that build.spec keeps as a hidden import",
        )
    print("Windows checks:", "all passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
