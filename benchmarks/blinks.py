"""How often the drawn skeleton's joints blink: each landmark's visibility crossing the
drawing threshold (0.5), per second of clip, with one person wanted.

    python benchmarks/blinks.py [--clips NAME ...] [--cache DIR]

For each clip of benchmarks/trust.py (its cached detections), prints the crossings per second
of the window's default (found in every frame, `kalman`), the window with MediaPipe following
the person (`--mediapipe-tracking`, here without the fresh look), and MediaPipe's output as it
is (`none`, whose visibilities MediaPipe low-passes itself). A joint whose visibility hovers at
the threshold makes its bones come and go. Prints numbers only; not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trust import run_smoother
from trust_data import all_clips, load_or_record

from desktop_app.core.model import load_default_model
from desktop_app.core.skeleton import SEEN_VISIBILITY


def crossings_per_s(drawn: list[list[tuple[int, np.ndarray]]], seconds: float) -> float:
    """Landmarks going from shown to hidden or back between consecutive frames where the
    person is drawn, per second."""
    crossings, before = 0, None
    for people in drawn:
        if not people:
            before = None
            continue
        shown = people[0][1][:, 3] >= SEEN_VISIBILITY
        if before is not None:
            crossings += int((shown != before).sum())
        before = shown
    return crossings / seconds if seconds > 0 else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", nargs="*", default=(), help="only these clips (names)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "posecam-bench")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    model = load_default_model()
    print("| clip | found in every frame | MediaPipe following | none |")
    print("|---|---|---|---|")
    for clip in all_clips(args.clips):
        det = load_or_record(clip, model, args.cache)
        seconds = float(det.times_ms[-1] - det.times_ms[0]) / 1000.0
        rates = [
            crossings_per_s(
                run_smoother(det, mode, 1, 0.5, 0, find_every_frame=afresh).drawn, seconds
            )
            for mode, afresh in (("kalman", True), ("kalman", False), ("none", False))
        ]
        print(f"| {clip.name} | " + " | ".join(f"{r:.1f}" for r in rates) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
