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

from desktop_app.core.model import PoseModel, load_default_model
from desktop_app.core.pose import PersonPose, PoseEstimator, PoseSettings, RunningMode
from desktop_app.core.smoothing import make_smoother
from desktop_app.media.images import read_image
from desktop_app.media.sources import VideoFileSource
from desktop_app.media.synthetic import KnownMotion, known_motion_frames, sample_photo

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
LIMBS = [11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]
SEEN = 0.5


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
    height, width = photo.shape[:2]
    # The canvas is as tall as the photo and wider, so the person can sweep sideways by about
    # one body width per second and zoom slowly, without being cut at the photo's edges.
    canvas = (int(width * 1.6) // 2 * 2, height // 2 * 2)
    body_width = np.ptp(truth_photo[truth_photo[:, 3] > SEEN, 0])
    motion = KnownMotion(
        photo_size=(width, height),
        canvas_size=canvas,
        fps=30.0,
        seconds=seconds,
        sweep_px=min(0.3 * width, 1.0 * body_width * 3.0 / (2 * np.pi)),
        sweep_period_s=3.0,
        zoom_start=0.9,
        zoom_end=1.0,
    )
    frames = list(known_motion_frames(photo, motion, noise_grey_levels=3.0, jpeg_quality=85))
    times, people = detect_sequence(model, frames, num_poses)
    truth = np.array([motion.carry(truth_photo[:, :2], i) for i in range(len(frames))])
    # Usable truth: landmarks the model sees in the photo and that lie inside it (a portrait's
    # hips and knees are guesses below the frame, not ground truth).
    inside = (
        (truth_photo[:, 0] >= 0)
        & (truth_photo[:, 0] < width)
        & (truth_photo[:, 1] >= 0)
        & (truth_photo[:, 1] < height)
    )
    mask = (truth_photo[:, 3] > SEEN) & inside
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


def smooth_track(rec: Recording, smoothing: str, strength: float, num_poses: int, **kw):
    """The smoothed landmarks of the main person per frame (NaN where absent), and the
    smoother's cost per person per frame in milliseconds."""
    smoother = make_smoother(smoothing, strength, max_people=num_poses, **kw)
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


def jitter_px(track: np.ndarray) -> float:
    points = track[:, LIMBS, :2]
    seen = track[:, LIMBS, 3] >= SEEN
    second = points[2:] - 2 * points[1:-1] + points[:-2]
    ok = seen[2:] & seen[1:-1] & seen[:-2] & np.isfinite(second).all(axis=2)
    return float(np.sqrt(np.mean(np.sum(second[ok] ** 2, axis=1))))


def error_and_lag(track: np.ndarray, rec: Recording) -> tuple[float, int]:
    assert rec.truth is not None and rec.truth_mask is not None
    mask = rec.truth_mask

    def rmse(shift: int) -> float:
        n = len(track)
        if shift >= 0:
            a, b = track[shift:, mask, :2], rec.truth[: n - shift, mask]
        else:
            a, b = track[:shift, mask, :2], rec.truth[-shift:, mask]
        d = np.sum((a - b) ** 2, axis=2)
        return float(np.sqrt(np.nanmean(d)))

    lag = min(range(-5, 6), key=rmse)
    return rmse(0), lag


def evaluate(recs: list[Recording], smoothing: str, strength: float, num_poses: int, **kw):
    rows = {}
    costs = []
    for rec in recs:
        track, cost_ms = smooth_track(rec, smoothing, strength, num_poses, **kw)
        costs.append(cost_ms)
        if rec.kind == "still":
            rows[rec.name] = {"jitter": jitter_px(track)}
        else:
            error, lag = error_and_lag(track, rec)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter clips")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "posecam-bench")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    model = load_default_model()
    for num_poses in (1, 2):
        recs = load_or_record(model, num_poses, args.quick, args.cache)
        base, _ = evaluate(recs, "none", 0.0, num_poses)
        print(f"\n=== --num-poses {num_poses} " + "=" * 60)
        print(f"{'clip':36s} {'none jit':>9s} {'kalman':>7s} {'1euro':>7s}"
              f" {'none err':>9s} {'kalman':>7s} {'1euro':>7s}  lag n/k/1")  # fmt: skip
        kal, kal_cost = evaluate(recs, "kalman", 0.5, num_poses)
        euro, euro_cost = evaluate(recs, "oneeuro", 0.5, num_poses)
        for rec in recs:
            b, k, e = base[rec.name], kal[rec.name], euro[rec.name]
            line = f"{rec.name[:36]:36s} {b['jitter']:9.2f} {k['jitter']:7.2f} {e['jitter']:7.2f}"
            if "error" in b:
                line += f" {b['error']:9.2f} {k['error']:7.2f} {e['error']:7.2f}"
                line += f"  {b['lag']}/{k['lag']}/{e['lag']}"
            print(line)
        for name, result, cost in (("kalman", kal, kal_cost), ("oneeuro", euro, euro_cost)):
            j, err, lag = ratios(result, base)
            print(f"{name:8s} default: worst jitter ratio {j:.2f}, worst error ratio {err:.2f}, "
                  f"worst lag {lag} frames, cost {cost:.3f} ms per person per frame")  # fmt: skip
        print("trade-off (worst jitter ratio / worst error ratio / worst lag):")
        for name in ("kalman", "oneeuro"):
            points = []
            for strength in (0.1, 0.3, 0.5, 0.7, 0.9, 1.0):
                result, _ = evaluate(recs, name, strength, num_poses)
                j, err, lag = ratios(result, base)
                points.append(f"s={strength:.1f}: {j:.2f}/{err:.2f}/{lag}")
            print(f"  {name:8s} " + "  ".join(points))
    return 0


if __name__ == "__main__":
    sys.exit(main())
