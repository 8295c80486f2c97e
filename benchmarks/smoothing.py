"""Jitter, error and lag of PoseCam's smoothing against MediaPipe's raw output.

    python benchmarks/smoothing.py [--quick] [--cache DIR]

Measures, for `--num-poses 1` (MediaPipe smooths with its own One Euro filter) and
`--num-poses 2` (MediaPipe smooths nothing):

* jitter: RMS of the second difference of limb landmark positions (11-16, 23-28, those
  visible), in pixels, on people standing still;
* error: RMSE in pixels against ground truth on known-motion clips (a real photo moved along
  a known path with sensor-like noise; the truth is the unmoved photo's landmarks carried
  through the known transform; landmarks visible in the photo only);
* lag: the frame shift that minimises that RMSE.

The pose model runs once per clip (cached); the smoothers then run on the recorded
detections, so trade-off curves over their parameters cost little. Prints numbers only.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_app.core.filters import KalmanSettings, OneEuroSettings
from desktop_app.core.model import PoseModel, load_default_model
from desktop_app.core.pose import PersonPose, PoseEstimator, PoseSettings, RunningMode
from desktop_app.core.smoothing import make_smoother
from desktop_app.media.images import read_image
from desktop_app.media.sources import VideoFileSource
from desktop_app.media.synthetic import KnownMotion, known_motion_frames, sample_photo

# testsupport/ sits at the top of the checkout and is not installed with the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testsupport.ground_truth import body_sweep, carry, usable_truth
from testsupport.smoothing_metrics import error_and_lag, jitter_px

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
# The targets of the smoothing issue, per --num-poses: (jitter ratio, error ratio, lag frames).
TARGETS = {1: (0.5, 1.05, 1), 2: (0.3, 1.0, 1)}
Settings = KalmanSettings | OneEuroSettings | None


@dataclass
class Recording:
    """A clip's raw detections: per frame, the people MediaPipe found, and the frame time."""

    name: str
    kind: str  # "still" or "motion"
    times_ms: list[float]
    people: list[list[PersonPose]]
    #: For known motion: (frames, 33, 2) true positions and the (33,) mask of usable ones.
    truth: np.ndarray | None = None
    truth_mask: np.ndarray | None = None
    fps: float = 30.0
    extra: dict[str, float] = field(default_factory=dict)


def detect_sequence(model: PoseModel, frames, num_poses: int) -> tuple[list, list]:
    times, people = [], []
    with PoseEstimator(model, PoseSettings(num_poses=num_poses)) as estimator:
        for frame in frames:
            times.append(frame.time_ms)
            people.append(estimator.estimate(frame.rgb, frame.time_ms))
    return times, people


def still_photo_truth(model: PoseModel, photo: np.ndarray) -> np.ndarray:
    with PoseEstimator(model, mode=RunningMode.IMAGE) as estimator:
        people = estimator.estimate(photo)
    if len(people) != 1:
        raise RuntimeError("expected one person in the photo")
    return people[0].landmarks_px


def known_motion_recording(
    model: PoseModel, name: str, photo: np.ndarray, num_poses: int, seconds: float
) -> Recording:
    truth_photo = still_photo_truth(model, photo)
    motion = body_sweep(photo.shape[1], photo.shape[0], truth_photo, seconds)
    frames = list(known_motion_frames(photo, motion, noise_grey_levels=3.0, jpeg_quality=85))
    times, people = detect_sequence(model, frames, num_poses)
    truth = np.array([carry(motion, truth_photo[:, :2], i) for i in range(len(frames))])
    mask = usable_truth(truth_photo, photo.shape[1], photo.shape[0])
    return Recording(name, "motion", times, people, truth, mask)


def still_photo_recording(
    model: PoseModel, name: str, photo: np.ndarray, num_poses: int, seconds: float
) -> Recording:
    motion = KnownMotion(
        photo_size=(photo.shape[1], photo.shape[0]),
        canvas_size=(photo.shape[1] // 2 * 2, photo.shape[0] // 2 * 2),
        fps=30.0,
        seconds=seconds,
        sweep_px=0.0,
        zoom_start=1.0,
        zoom_end=1.0,
    )
    frames = known_motion_frames(photo, motion, noise_grey_levels=3.0, jpeg_quality=85)
    times, people = detect_sequence(model, frames, num_poses)
    return Recording(name, "still", times, people)


def video_recording(
    model: PoseModel, path: Path, num_poses: int, max_seconds: float | None
) -> Recording:
    with VideoFileSource(path) as source:
        frames = [f for f in source if max_seconds is None or f.time_ms < max_seconds * 1000.0]
        fps = source.fps or 30.0
    times, people = detect_sequence(model, frames, num_poses)
    return Recording(path.name, "still", times, people, fps=fps)


def build_recordings(model: PoseModel, num_poses: int, quick: bool) -> list[Recording]:
    seconds = 3.0 if quick else 6.0
    recordings = []
    photos: list[tuple[str, np.ndarray]] = []
    yoga = SHARED / "mediapipe_reference" / "yoga_warrior_beach_1000x667.jpg"
    skier = SHARED / "images_gt" / "coco" / "000000000785.jpg"
    for path in (yoga, skier):
        if path.exists():
            photos.append((path.stem, read_image(path)))
    photos.append(("grace_hopper", sample_photo()))
    try:
        from skimage import data

        photos.append(("astronaut", np.ascontiguousarray(data.astronaut())))
    except ImportError:
        pass
    for name, photo in photos:
        recordings.append(known_motion_recording(model, name, photo, num_poses, seconds))
    still_photo = photos[0]
    recordings.append(
        still_photo_recording(model, f"{still_photo[0]} still", still_photo[1], num_poses, 3.0)
    )
    taiji = SHARED / "videos" / "taiji_frontal_720p.mp4"
    drink = SHARED / "videos" / "drink_water_still_far_1080p.avi"
    if taiji.exists():
        recordings.append(video_recording(model, taiji, num_poses, 2.0))
    if drink.exists():
        recordings.append(video_recording(model, drink, num_poses, None))
    return recordings


def smooth_track(
    rec: Recording, smoothing: str, strength: float, num_poses: int, settings: Settings = None
):
    """The smoothed landmarks of the main person per frame (NaN where absent), and the
    smoother's cost per person per frame in milliseconds."""
    smoother = make_smoother(smoothing, strength, max_people=num_poses, settings=settings)
    out = np.full((len(rec.times_ms), 33, 4), np.nan)
    previous: np.ndarray | None = None
    spent, count = 0.0, 0
    for i, (t, people) in enumerate(zip(rec.times_ms, rec.people, strict=True)):
        started = time.perf_counter()
        tracked = smoother.update(people, t)
        spent += time.perf_counter() - started
        count += max(len(people), 1)
        if not tracked:
            continue
        if rec.truth is not None:
            target = rec.truth[i]
        elif previous is not None:
            target = previous[:, :2]
        else:
            target = tracked[0].landmarks_px[:, :2]
        best = min(
            tracked,
            key=lambda p: np.nanmean(np.linalg.norm(p.landmarks_px[:, :2] - target, axis=1)),
        )
        out[i] = best.landmarks_px
        previous = best.landmarks_px
    return out, spent / max(count, 1) * 1000.0


def evaluate(
    recs: list[Recording],
    smoothing: str,
    strength: float,
    num_poses: int,
    settings: Settings = None,
):
    rows = {}
    costs = []
    for rec in recs:
        track, cost_ms = smooth_track(rec, smoothing, strength, num_poses, settings)
        costs.append(cost_ms)
        if rec.kind == "still":
            rows[rec.name] = {"jitter": jitter_px(track)}
        else:
            assert rec.truth is not None and rec.truth_mask is not None
            error, lag = error_and_lag(track, rec.truth, rec.truth_mask)
            rows[rec.name] = {"error": error, "lag": lag, "jitter": jitter_px(track)}
    return rows, statistics.mean(costs)


def ratios(result: dict, baseline: dict) -> tuple[float, float, int]:
    """Worst-case jitter ratio (still clips), worst error ratio and worst lag (motion)."""
    jitter = max(
        result[k]["jitter"] / baseline[k]["jitter"] for k in result if "error" not in result[k]
    )
    error = max(result[k]["error"] / baseline[k]["error"] for k in result if "error" in result[k])
    lag = max(result[k]["lag"] for k in result if "error" in result[k])
    return jitter, error, lag


def load_or_record(model: PoseModel, num_poses: int, quick: bool, cache: Path) -> list[Recording]:
    import pickle

    key = hashlib.sha256(f"{model.sha256}-{num_poses}-{quick}-v1".encode()).hexdigest()[:16]
    path = cache / f"smoothing-{key}.pickle"
    # Plain tuples and arrays only, so the cache reads back whichever script wrote it.
    if path.exists():
        return [
            Recording(
                name,
                kind,
                times,
                [[PersonPose(lm, w) for lm, w in f] for f in people],
                truth,
                mask,
                fps,
            )
            for name, kind, times, people, truth, mask, fps in pickle.loads(path.read_bytes())
        ]
    recordings = build_recordings(model, num_poses, quick)
    plain = [
        (
            r.name,
            r.kind,
            r.times_ms,
            [[(p.landmarks_px, p.world_m) for p in f] for f in r.people],
            r.truth,
            r.truth_mask,
            r.fps,
        )
        for r in recordings
    ]
    path.write_bytes(pickle.dumps(plain))
    return recordings


Point = tuple[float, float, int, str]  # jitter ratio, error ratio, lag, settings


def pareto_front(points: list[Point]) -> list[Point]:
    """The points no other point beats on both jitter and error, by rising jitter."""
    front: list[Point] = []
    for point in sorted(points):
        if not front or point[1] < front[-1][1]:
            front.append(point)
    return front


def one_euro_grid() -> list[OneEuroSettings]:
    return [
        OneEuroSettings(min_cutoff_hz=cutoff, beta=beta, speed_cutoff_hz=speed_cutoff)
        for cutoff in (0.1, 0.2, 0.4, 0.7, 1.0, 1.5, 2.5, 4.0, 7.0, 12.0)
        for beta in (0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0)
        for speed_cutoff in (1.0, 3.0, 10.0)
    ]


def report(recs: list[Recording], num_poses: int) -> bool:
    """Print one --num-poses section; True when every target holds."""
    base, _ = evaluate(recs, "none", 0.0, num_poses)
    kal, kal_cost = evaluate(recs, "kalman", 0.5, num_poses)
    euro, euro_cost = evaluate(recs, "oneeuro", 0.5, num_poses)
    print(f"\n=== --num-poses {num_poses} " + "=" * 60)
    print("jitter and error in pixels; lag in frames (none/kalman/oneeuro), all at defaults")
    print(f"{'clip':36s} {'none jit':>9s} {'kalman':>7s} {'1euro':>7s}"
          f" {'none err':>9s} {'kalman':>7s} {'1euro':>7s}  lag n/k/1")  # fmt: skip
    for rec in recs:
        b, k, e = base[rec.name], kal[rec.name], euro[rec.name]
        line = f"{rec.name[:36]:36s} {b['jitter']:9.2f} {k['jitter']:7.2f} {e['jitter']:7.2f}"
        if "error" in b:
            line += f" {b['error']:9.2f} {k['error']:7.2f} {e['error']:7.2f}"
            line += f"  {b['lag']}/{k['lag']}/{e['lag']}"
        print(line)
    print("ratios to none: the worst clip's jitter ratio (still clips), error ratio and lag")
    kal_j, kal_e, kal_lag = ratios(kal, base)
    for name, result, cost in (("kalman", kal, kal_cost), ("oneeuro", euro, euro_cost)):
        j, err, lag = ratios(result, base)
        print(f"  {name:8s} default: jitter {j:.2f}, error {err:.2f}, lag {lag} frames;"
              f" {cost:.3f} ms per person per frame")  # fmt: skip

    print("trade-off of kalman over strength (jitter / error / lag):")
    points = []
    for strength in (0.1, 0.3, 0.5, 0.7, 0.9, 1.0):
        j, err, lag = ratios(evaluate(recs, "kalman", strength, num_poses)[0], base)
        points.append(f"s={strength:.1f}: {j:.2f}/{err:.2f}/{lag}")
    print("  " + "  ".join(points))

    euro_points = []
    for settings in one_euro_grid():
        j, err, lag = ratios(evaluate(recs, "oneeuro", 0.5, num_poses, settings)[0], base)
        label = (
            f"min_cutoff {settings.min_cutoff_hz:g} Hz, beta {settings.beta:g},"
            f" speed_cutoff {settings.speed_cutoff_hz:g} Hz"
        )
        euro_points.append((j, err, lag, label))
    front = pareto_front(euro_points)
    print(f"trade-off of oneeuro: the best of {len(euro_points)} settings (jitter / error / lag):")
    shown = [p for p in front if p[1] < 2.0]
    if len(shown) > 12:  # every other setting differs in the second decimal only
        shown = [shown[round(i)] for i in np.linspace(0, len(shown) - 1, 12)]
    for j, err, lag, label in shown:
        print(f"  {j:.2f}/{err:.2f}/{lag}  {label}")

    target_j, target_e, target_lag = TARGETS[num_poses]
    # One Euro tuned on this data: the steadiest setting within the error target (or, if
    # none is, the one with the least error).
    within = [p for p in euro_points if p[1] <= target_e]
    tuned = min(within) if within else min(euro_points, key=lambda p: p[1])
    beaten_by = [p for p in euro_points if p[0] < kal_j and p[1] < kal_e]
    checks = [
        (f"kalman jitter {kal_j:.2f} <= {target_j}", kal_j <= target_j),
        (f"kalman error {kal_e:.2f} <= {target_e}", kal_e <= target_e),
        (f"kalman lag {kal_lag} <= {target_lag} frame", kal_lag <= target_lag),
        (
            f"kalman at least as steady and as accurate as tuned oneeuro"
            f" ({tuned[0]:.2f}/{tuned[1]:.2f}, {tuned[3]})",
            kal_j <= tuned[0] and kal_e <= tuned[1],
        ),
        (f"no oneeuro setting beats kalman on both ({len(beaten_by)} do)", not beaten_by),
    ]
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return all(ok for _, ok in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter clips")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "posecam-bench")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    model = load_default_model()
    if not SHARED.exists():
        print(f"note: {SHARED} is absent: only the photos installed with the dependencies")
    passed = True
    for num_poses in (1, 2):
        recs = load_or_record(model, num_poses, args.quick, args.cache)
        passed &= report(recs, num_poses)
    print("\nall targets hold" if passed else "\nsome targets do not hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
