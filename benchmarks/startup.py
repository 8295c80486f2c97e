"""How long `posecam --version` and `posecam --help` take, as a user types them.

    python benchmarks/startup.py [--runs 5]

Runs the installed `posecam` command (falling back to `python -m desktop_app`) `--runs` times
each and prints the median wall time in seconds against the targets (0.3 s and 0.5 s). Prints
numbers only.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

TARGETS_S = {"--version": 0.3, "--help": 0.5}


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
