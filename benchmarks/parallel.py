"""`posecam annotate --jobs 2` against a serial run (`--jobs 1`) on every shared clip: the same
frames and person ids? How far apart are the drawn landmarks, before the first seam between
segments and after it? And how far is each from the lag-free reference of benchmarks/trust.py
(MediaPipe in IMAGE mode on every frame, smoothed with a centred window), which favours
neither run?

Distances are side-matched as in trust.py: a skeleton with its left and right legs swapped
draws the same lines, and MediaPipe swaps them in side views. Prints numbers only.

    python benchmarks/parallel.py [--clips NAME ...] [--num-poses 1 2] [--mediapipe-tracking]

With one person annotate finds them afresh in every frame by default, which keeps no history,
so the runs should agree to the pixel; `--mediapipe-tracking` measures what MediaPipe's own
following of one person does at the seams.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from trust import Reference, _distance, _side_matched, build_reference
from trust_data import all_clips, load_or_record

from desktop_app.annotate import AnnotateOptions, annotate
from desktop_app.core.model import load_default_model
from desktop_app.media.parallel import segment_starts_ms
from desktop_app.media.sources import VideoFileSource
from testsupport.outputs import people_by_frame


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", nargs="*", default=[])
    parser.add_argument("--num-poses", nargs="*", type=int, default=[1, 2])
    parser.add_argument(
        "--mediapipe-tracking",
        action="store_true",
        help="as posecam annotate --mediapipe-tracking: MediaPipe follows one person",
    )
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "posecam-bench")
    args = parser.parse_args()
    model = load_default_model()
    clips = [c for c in all_clips(args.clips) if c.path is not None]
    print(
        "clip, people wanted, jobs used, frames and ids the same; drawn landmarks' distance "
        "serial-parallel in px (side-matched): median / p95 / max, before the first seam and "
        "after it; mean distance from the lag-free reference in % of the person's size, "
        "serial / parallel"
    )
    args.cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for clip in clips:
            assert clip.path is not None
            det = load_or_record(clip, model, args.cache)
            ref = build_reference(det)
            for n in args.num_poses:
                runs = {}
                for jobs in (1, 2):
                    csv = Path(tmp) / f"{clip.name}-{n}-{jobs}.csv"
                    summary = annotate(
                        AnnotateOptions(
                            input=clip.path,
                            output=Path(tmp) / f"{clip.name}-{n}-{jobs}.mp4",
                            keypoints=csv,
                            num_poses=n,
                            jobs=jobs,
                            audio=False,
                            find_every_frame=not args.mediapipe_tracking,
                        ),
                        model=model,
                    )
                    runs[jobs] = (summary, people_by_frame(csv))
                (serial, a), (parallel, b) = runs[1], runs[2]
                same = serial.frames == parallel.frames and all(
                    set(a.get(f, {})) == set(b.get(f, {})) for f in set(a) | set(b)
                )
                with VideoFileSource(clip.path) as source:
                    starts = segment_starts_ms(source.duration_s or 0.0, 2)
                seam = int(np.searchsorted(det.times_ms, starts[1])) if len(starts) > 1 else None
                print(
                    f"{clip.name:38s} n{n} jobs {parallel.jobs} same {'yes' if same else 'NO'}  "
                    + _distances(a, b, ref, seam)
                )
    return 0


def _distances(
    a: dict[int, dict[int, np.ndarray]],
    b: dict[int, dict[int, np.ndarray]],
    ref: Reference,
    seam: int | None,
) -> str:
    """Serial `a` against parallel `b`, and both against the reference, as printed."""
    before: list[float] = []
    after: list[float] = []
    off_ref: dict[str, list[float]] = {"serial": [], "parallel": []}
    for f in sorted(set(a) & set(b)):
        for pid in set(a[f]) & set(b[f]):
            pa, pb = a[f][pid], b[f][pid]
            d = float(np.nanmax(np.linalg.norm(_side_matched(pb, pa) - pa, axis=1)))
            (before if seam is None or f < seam else after).append(d)
        if f < len(ref.present) and ref.present[f] and len(a[f]) == len(b[f]) == 1:
            for name, people in (("serial", a[f]), ("parallel", b[f])):
                points = _side_matched(next(iter(people.values())), ref.points[f])
                off_ref[name].append(_distance(points, ref, f) * 100)
    parts = []
    for name, values in (("before", before), ("after", after)):
        if values:
            v = np.array(values)
            parts.append(f"{name} {np.median(v):.2f}/{np.percentile(v, 95):.2f}/{v.max():.1f}")
        else:
            parts.append(f"{name} -")
    if off_ref["serial"]:
        parts.append(
            f"reference {np.mean(off_ref['serial']):.2f}% / {np.mean(off_ref['parallel']):.2f}%"
        )
    return "  ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
