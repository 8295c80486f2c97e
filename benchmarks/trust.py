"""Can people trust the skeleton on real footage? Deviation, jitter, rep angles and people
counts of PoseCam's tracking and smoothing, against a lag-free reference.

    python benchmarks/trust.py [--clips NAME ...] [--cache DIR] [--strength 0.5]
                               [--reference plain|mirrored]

The reference: MediaPipe's PoseLandmarker in IMAGE mode on every frame (no tracking, no
temporal filter, so no lag; frames where it finds nobody are looked at again at a low detection
confidence, so a person half out of the picture still counts), smoothed over time by a centred
Savitzky-Golay window (zero phase: noise goes down, no lag comes in). Against it, for every
clip in ../shared/data/videos and ../shared/data/exercise and known-motion sweeps of real
photos, per smoothing mode (`none`, `kalman`, `oneeuro`) and `--num-poses` 1, 2 and 3,
all in percent of the person's size:

* deviation of the drawn limb landmarks: mean, on the fastest 20 % of joint-frames, and p95;
* jitter (RMS second difference) where the person is still (every limb landmark slow);
* the counted angle at each labelled rep's turning point against the reference's (exercise
  clips), in degrees;
* people: duplicates (two skeletons on one body), ghosts (a skeleton on nobody), missed
  people, implausible skeletons, id switches.

`kalman` is drawn as the window draws it (each frame at once, or with `--window-look-ahead`
a frame ahead, as the window's "Look a frame ahead" does: `window_frames`), `annotate` as
`posecam annotate` does (`--look-ahead`: by default 0.2 s with one person, 0.1 s with more,
as `core.smoothing.default_look_ahead_s` says); each is judged on
the targets against `none`.

`--reference mirrored` builds the reference from each frame mirrored left to right instead
(trust_data.use_mirrored_reference says why): with `--num-poses` 2 or more, `none` is the plain
reference's own input to the bit, so against the plain reference `none`'s noise counts for
nothing. The mirrored view has errors of its own (at the bottom of a frontal squat its knee
angle differs from the plain view's by 10-25 degrees), so rep angles are judged against the
plain reference either way.

With `--num-poses 1` the window and `annotate` find the person afresh in every frame, as both
do by default (the detections with two wanted, of which the tracker keeps one). With
`--mediapipe-tracking` MediaPipe follows the person instead, as in the window with "Find the
person in every frame" off and in `posecam annotate --mediapipe-tracking`: the detections are
the pipeline's, MediaPipe's tracking checked by PoseCam's fresh look (core/fresh_look.py;
`--no-fresh-look` shows MediaPipe's alone). `none` is MediaPipe's output as it is either way.

The pose model runs once per clip (cached, see trust_data.py); the smoothers then run on the
recorded detections. Prints a table per clip and PASS/FAIL per target. Not a test.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.signal import find_peaks, savgol_filter

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trust_data import (
    SHARED,
    Detections,
    add_fresh_looks,
    add_second_looks,
    all_clips,
    fill_reference_gaps,
    load_or_record,
    use_mirrored_reference,
)

from desktop_app.core.angles import image_angles
from desktop_app.core.model import load_default_model
from desktop_app.core.pipeline import CANDIDATES_FOUND_AFRESH, PipelineSettings
from desktop_app.core.skeleton import SEEN_VISIBILITY
from desktop_app.core.smoothing import (
    LIVE_LOOK_AHEAD_FRAMES,
    LOOK_AHEAD_ONE_PERSON_S,
    LOOK_AHEAD_S,
    LookAhead,
    default_look_ahead_s,
    live_frames_wait,
    look_ahead_frames,
    make_smoother,
)
from desktop_app.core.tracking import TrackedPerson, person_size_px

#: Shoulders, elbows, wrists, hips, knees, ankles.
LIMBS = np.array([11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])
SEEN = SEEN_VISIBILITY
#: Limb bones whose length is checked for plausibility: upper arms, forearms, thighs, shins.
LIMB_BONES = [(11, 13), (13, 15), (12, 14), (14, 16), (23, 25), (25, 27), (24, 26), (26, 28)]
#: Each bone's mirror in LIMB_BONES: the same bone on the other side of the body.
_MIRROR_BONE = [2, 3, 0, 1, 6, 7, 4, 5]
#: A drawn person this close to the reference person (mean limb distance, in person sizes)
#: stands on them; further away it stands on nobody.
ON_PERSON = 0.35
#: Still: every limb landmark of the reference slower than this, in person sizes per second.
STILL_SPEED = 0.12
#: Which angle each exercise counts, and whether its turning point is a low or a high.
EXERCISE_ANGLE = {
    "squat": (("left_knee", "right_knee"), "low"),
    "lunge": (("left_knee", "right_knee"), "low"),
    "shoulder_press": (("left_elbow", "right_elbow"), "high"),
    "front_raise": (("left_shoulder", "right_shoulder"), "high"),
    "jumping_jack": (("left_shoulder", "right_shoulder"), "high"),
}

TARGETS = {
    "fast_ratio": 1.0,
    "p95_ratio": 1.0,
    "jitter_ratio_1": 0.5,
    "jitter_ratio_n": 0.3,
    "angle_deg": 5.0,
    "ghost_share": 0.02,
    "missed_share": 0.05,
    "cost_ms": 1.0,
}


@dataclass
class Reference:
    """The lag-free reference person per frame."""

    points: np.ndarray  # (frames, 33, 2) smoothed pixels, NaN where absent
    seen: np.ndarray  # (frames, 33) bool
    size_px: np.ndarray  # (frames,) person size, NaN where absent
    speed: np.ndarray  # (frames, 33) person sizes per second
    present: np.ndarray  # (frames,) bool
    bone_max: np.ndarray  # (len(LIMB_BONES),) longest plausible bone, in person sizes


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _fps(det: Detections) -> float:
    """The clip's frame rate, from its frames' times."""
    return 1000.0 / float(np.median(np.diff(det.times_ms))) if len(det.times_ms) > 1 else 30.0


def window_frames(det: Detections, look_ahead: bool = True) -> int:
    """Frames the window looks ahead on this clip with "Look a frame ahead" (Settings.look_ahead)
    on, as live.LiveLoop does: one, unless the next frame comes too late to wait for
    (core.smoothing.live_frames_wait; each frame is then shown at once); none with it off."""
    return LIVE_LOOK_AHEAD_FRAMES if look_ahead and live_frames_wait(_fps(det)) else 0


def annotate_frames(
    det: Detections, look_ahead_s: float | None = None, *, finds_afresh: bool
) -> int:
    """Frames `posecam annotate` looks ahead on this clip, `look_ahead_s` ahead or (None) as
    far as it does by default, finding one person afresh in every frame or not."""
    if look_ahead_s is None:
        look_ahead_s = default_look_ahead_s(finds_afresh)
    return look_ahead_frames(look_ahead_s, _fps(det))


def build_reference(det: Detections) -> Reference:
    raw = det.reference_px
    present = np.isfinite(raw[:, 0, 0])
    fps = _fps(det)
    # About 0.2 s, and never fewer than 5 frames: at 5-12 fps a shorter window would not
    # smooth at all. A quadratic fit keeps the turning points of a movement where they are.
    window = max(5, round(0.2 * fps) // 2 * 2 + 1)
    points = np.full((*raw.shape[:2], 2), np.nan)
    for start, end in _runs(present):
        chunk = raw[start:end, :, :2].astype(float)
        if end - start >= window:
            chunk = savgol_filter(chunk, window, 2, axis=0)
        points[start:end] = chunk
    sizes = np.array(
        [person_size_px(f) if ok else np.nan for f, ok in zip(raw, present, strict=True)]
    )
    speed = np.full(raw.shape[:2], np.nan)
    t_s = det.times_ms / 1000.0
    if len(raw) > 2:
        step = np.linalg.norm(points[2:] - points[:-2], axis=2) / (t_s[2:] - t_s[:-2])[:, None]
        speed[1:-1] = step / sizes[1:-1, None]
    seen = (raw[:, :, 3] >= SEEN) & present[:, None]
    lengths = []
    for a, b in LIMB_BONES:
        ok = seen[:, a] & seen[:, b]
        lengths.append(np.linalg.norm(points[ok, a] - points[ok, b], axis=1) / sizes[ok])
    # A bone is as long as its mirror on the other side of the body. Seen side on, the far
    # limb is hidden and its few seen frames are foreshortened (a picture only ever shortens a
    # bone): squat_side_02's far upper arm is seen in 2 frames, 0.04 of the person long, and a
    # 0.08 drawn on a guessed elbow was called implausible against that.
    bones = []
    for own, mirror in zip(lengths, (lengths[i] for i in _MIRROR_BONE), strict=True):
        both = np.concatenate([own, mirror])
        bones.append(np.percentile(both, 99) if len(both) else 1.0)
    return Reference(points, seen, sizes, speed, present, np.array(bones))


@dataclass
class Run:
    """What one smoothing setting drew over a clip."""

    #: Per frame: list of (id, (33, 4) landmarks) of the people drawn.
    drawn: list[list[tuple[int, np.ndarray]]]
    cost_ms: float


def run_smoother(
    det: Detections,
    smoothing: str,
    num_poses: int,
    strength: float,
    frames: int = 0,
    *,
    find_every_frame: bool = False,
) -> Run:
    """What `smoothing` draws over the clip; with `frames`, each frame drawn once that many
    more are in (core.smoothing.LookAhead: `window_frames`, `annotate_frames`).

    `find_every_frame`: as PipelineSettings.find_every_frame: with one person wanted and
    smoothing, found afresh in every frame (finds_afresh). The pipeline then detects with IMAGE
    mode, two people at most (CANDIDATES_FOUND_AFRESH), and the tracker keeps one; here that
    is the recorded VIDEO-mode detections with two wanted, which on these one-person clips are
    IMAGE mode's own (_same_as_reference), plus what the second look found looking for a
    second person, which the pipeline (looking for one) would not have searched for."""
    afresh = PipelineSettings(
        num_poses=num_poses,
        smoothing=smoothing,
        smoothing_strength=strength,
        find_every_frame=find_every_frame,
    ).finds_afresh
    found_with = CANDIDATES_FOUND_AFRESH if afresh else num_poses
    smoother = make_smoother(
        smoothing,
        strength,
        max_people=num_poses,
        look_ahead_frames=frames,
        newcomers_wait=afresh,
    )
    held: LookAhead[int] = LookAhead(frames)
    drawn: list[list[tuple[int, np.ndarray]]] = []
    spent, count = 0.0, 0

    def draw(ready: list[tuple[int, list[TrackedPerson]]]) -> None:
        drawn.extend([(p.id, p.landmarks_px) for p in people if p.drawn] for _, people in ready)

    for i, t in enumerate(det.times_ms):
        people = det.people(found_with, i)
        started = time.perf_counter()
        tracked = smoother.update(people, float(t))
        ready = held.add(i, tracked)
        spent += time.perf_counter() - started
        count += max(len(tracked), 1)
        draw(ready)
    draw(held.flush())
    return Run(drawn, spent / max(count, 1) * 1000.0)


#: The person's left and right arm and leg, each (shoulder, elbow, wrist) or (hip, knee, ankle).
_SIDES = [((11, 13, 15), (12, 14, 16)), ((23, 25, 27), (24, 26, 28))]


def _side_matched(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`points` with each pair of limbs swapped where that fits the reference better. A
    skeleton whose left and right legs are swapped draws the same lines; the model (and the
    reference) swap them in side views, and such a swap is not a deviation of the drawing."""
    out = points.copy()
    for left, right in _SIDES:
        lr = list(left) + list(right)
        rl = list(right) + list(left)
        plain = np.nansum(np.linalg.norm(points[lr, :2] - reference[lr], axis=1))
        swapped = np.nansum(np.linalg.norm(points[rl, :2] - reference[lr], axis=1))
        if swapped < plain:
            out[lr] = points[rl]
    return out


def _distance(points: np.ndarray, ref: Reference, i: int) -> float:
    """Mean distance of the reference's seen limb landmarks, in person sizes."""
    use = LIMBS[ref.seen[i, LIMBS]]
    if len(use) < 4:
        use = LIMBS
    d = np.linalg.norm(points[use, :2] - ref.points[i, use], axis=1)
    return float(np.nanmean(d) / ref.size_px[i])


@dataclass
class Scores:
    mean: float = math.nan
    fast: float = math.nan
    p95: float = math.nan
    jitter: float = math.nan
    angle_errors: list[float] = field(default_factory=list)
    duplicates: int = 0
    ghosts: int = 0
    drawn: int = 0
    missed: int = 0
    reference: int = 0
    implausible: int = 0
    id_switches: int = 0
    cost_ms: float = 0.0
    #: Per frame, the drawn person on the reference person, or None (for the still jitter,
    #: which `still_jitters` works out once every mode has run).
    main: list[np.ndarray | None] = field(default_factory=list)


def counted_angle(points: np.ndarray, exercise: str) -> float:
    names, _ = EXERCISE_ANGLE[exercise]
    angles = image_angles(points)
    values = [angles[n] for n in names if math.isfinite(angles[n])]
    return float(np.mean(values)) if values else math.nan


def turning_times_s(det: Detections, ref: Reference, exercise: str) -> list[float]:
    """The labelled turning points, or for an unlabelled exercise clip, the reference's."""
    label = det.clip.label
    if label is not None:
        return list(label["rep_bottom_times_s"])
    _, extreme = EXERCISE_ANGLE[exercise]
    angle = np.array(
        [counted_angle(_as_landmarks(ref, i), exercise) for i in range(len(ref.present))]
    )
    signal = -angle if extreme == "low" else angle
    peaks, _ = find_peaks(np.nan_to_num(signal, nan=-1e9), prominence=25)
    return [float(det.times_ms[p]) / 1000.0 for p in peaks]


def _as_landmarks(ref: Reference, i: int) -> np.ndarray:
    out = np.zeros((33, 4))
    out[:, :2] = ref.points[i]
    out[:, 3] = ref.seen[i]
    return out


def clip_exercise(det: Detections) -> str | None:
    if det.clip.label is not None:
        name = det.clip.label["exercise"]
        for key in EXERCISE_ANGLE:
            if key.replace("_", "") in name.replace("_", "").replace(" ", ""):
                return key
        return None
    return "squat" if det.clip.name.startswith("squats") else None


def score(det: Detections, ref: Reference, run: Run, angle_ref: Reference | None = None) -> Scores:
    """`run` against `ref`; rep angles against `angle_ref` (default `ref`)."""
    s = Scores(cost_ms=run.cost_ms)
    deviations, speeds = [], []
    main: list[np.ndarray | None] = []
    last_id: int | None = None
    for i, drawn in enumerate(run.drawn):
        s.drawn += len(drawn)
        if not ref.present[i]:
            s.ghosts += len(drawn)
            main.append(None)
            continue
        s.reference += 1
        distances = [(_distance(lm, ref, i), pid, lm) for pid, lm in drawn]
        on = [d for d in distances if d[0] <= ON_PERSON]
        s.ghosts += len(distances) - len(on)
        s.duplicates += len(on) > 1
        if not on:
            s.missed += 1
            main.append(None)
            continue
        _, pid, lm = min(on, key=lambda d: d[0])
        if last_id is not None and pid != last_id:
            s.id_switches += 1
        last_id = pid
        main.append(lm)
        for _, _, other in on:
            for (a, b), longest in zip(LIMB_BONES, ref.bone_max, strict=True):
                if other[a, 3] >= SEEN and other[b, 3] >= SEEN:
                    length = np.linalg.norm(other[a, :2] - other[b, :2]) / ref.size_px[i]
                    if length > 1.5 * longest:
                        s.implausible += 1
                        break
        use = LIMBS[ref.seen[i, LIMBS]]
        d = np.linalg.norm(_side_matched(lm, ref.points[i])[use, :2] - ref.points[i, use], axis=1)
        deviations.append(d / ref.size_px[i])
        speeds.append(ref.speed[i, use])
    if deviations:
        dev = np.concatenate(deviations) * 100.0
        spd = np.concatenate(speeds)
        ok = np.isfinite(dev)
        dev, spd = dev[ok], spd[ok]
        s.mean = float(dev.mean())
        s.p95 = float(np.percentile(dev, 95))
        fast = np.isfinite(spd) & (spd >= np.nanpercentile(spd, 80))
        s.fast = float(dev[fast].mean()) if fast.any() else math.nan
    s.main = main
    exercise = clip_exercise(det)
    if exercise is not None:
        s.angle_errors = _angle_errors(det, angle_ref or ref, main, exercise)
    return s


def _still_frames(ref: Reference) -> np.ndarray:
    """Frames where the person is still, by the reference alone (so every mode is judged on
    the same frames): at least 4 limb landmarks seen, each with a known speed below
    STILL_SPEED. Every one, not most: with the median (the first version) half the limbs
    could move, and a pressing arm or a hand lifting a glass counted as still (254 of the
    shoulder press's 281 frames), so jitter there measured the movement itself."""
    still = np.zeros(len(ref.present), bool)
    for i in np.flatnonzero(ref.present):
        speeds = ref.speed[i, LIMBS[ref.seen[i, LIMBS]]]
        still[i] = speeds.size >= 4 and bool(np.all(speeds < STILL_SPEED))  # NaN: not known
    return still


def _drawn(main: list[np.ndarray | None]) -> np.ndarray:
    return np.array([m is not None for m in main], bool)


def still_jitters(ref: Reference, runs: list[Scores]) -> None:
    """Set each run's still jitter, over the still frames on which every run drew the
    person, so that the ratios compare like with like."""
    frames = _still_frames(ref)
    for run in runs:
        frames &= _drawn(run.main)
    for run in runs:
        run.jitter = _still_jitter(ref, run.main, frames)


def _still_jitter(ref: Reference, main: list[np.ndarray | None], frames: np.ndarray) -> float:
    """RMS second difference of the drawn limb landmarks at the middle of three `frames` in
    a row (a second difference reaches a frame's neighbours, so they must be still and drawn
    too), % of size; NaN under 100 landmarks."""
    n = len(main)
    values = []
    for i in range(1, n - 1):
        if frames[i - 1] and frames[i] and frames[i + 1]:
            a, b, c = main[i - 1], main[i], main[i + 1]
            assert a is not None and b is not None and c is not None
            use = LIMBS[ref.seen[i, LIMBS]]
            second = a[use, :2] - 2 * b[use, :2] + c[use, :2]
            values.append((np.linalg.norm(second, axis=1) / ref.size_px[i]) ** 2)
    if sum(len(v) for v in values) < 100:
        return math.nan
    return float(np.sqrt(np.mean(np.concatenate(values))) * 100.0)


def _angle_errors(
    det: Detections, ref: Reference, main: list[np.ndarray | None], exercise: str
) -> list[float]:
    _, extreme = EXERCISE_ANGLE[exercise]
    pick = np.nanmin if extreme == "low" else np.nanmax
    errors = []
    t_s = det.times_ms / 1000.0
    for turn in turning_times_s(det, ref, exercise):
        window = np.flatnonzero(np.abs(t_s - turn) <= 0.4)
        ref_angles = [
            counted_angle(_as_landmarks(ref, i), exercise) for i in window if ref.present[i]
        ]
        drawn_angles = [counted_angle(main[i], exercise) for i in window if main[i] is not None]
        if not np.isfinite(ref_angles).any() or not np.isfinite(drawn_angles).any():
            errors.append(math.nan)
            continue
        errors.append(float(pick(drawn_angles) - pick(ref_angles)))
    return errors


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if not math.isfinite(value) else f"{value:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", nargs="*", default=(), help="only these clips (names)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "posecam-bench")
    parser.add_argument("--strength", type=float, default=0.5)
    parser.add_argument(
        "--look-ahead",
        type=float,
        metavar="S",
        help="seconds `annotate` looks ahead (default: as posecam annotate, "
        f"{LOOK_AHEAD_ONE_PERSON_S:g} with one person, {LOOK_AHEAD_S:g} with more)",
    )
    parser.add_argument("--num-poses", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument(
        "--window-look-ahead",
        action="store_true",
        help='the window\'s rows with its "Look a frame ahead" setting on (default: off)',
    )
    parser.add_argument(
        "--no-fresh-look",
        dest="fresh_look",
        action="store_false",
        help="--num-poses 1 as MediaPipe tracks, without PoseCam's fresh look (core/fresh_look.py)",
    )
    parser.add_argument(
        "--mediapipe-tracking",
        action="store_true",
        help="with one person, MediaPipe follows them instead of finding them in every frame:"
        " the window's rows with \"Find the person in every frame\" off, annotate's as"
        " `posecam annotate --mediapipe-tracking` draws them",
    )
    parser.add_argument(
        "--reference",
        choices=("plain", "mirrored"),
        default="plain",
        help="build the reference from the frames as they are or mirrored (see above)",
    )
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    if not SHARED.exists():
        print(f"note: {SHARED} is absent: only the photos installed with the dependencies")
    model = load_default_model()
    failures: list[str] = []
    costs: list[float] = []
    annotate_costs: list[float] = []
    summary: dict[str, list[tuple[str, int, Scores, Scores, float]]] = {
        "window": [],
        "annotate": [],
    }
    for clip in all_clips(args.clips):
        det = load_or_record(clip, model, args.cache)
        same = _same_as_reference(det)
        fill_reference_gaps(det, model, args.cache)
        restarts = add_fresh_looks(det, model, args.cache) if args.fresh_look else 0
        add_second_looks(det, model, args.cache)
        ref = angle_ref = build_reference(det)
        if args.reference == "mirrored":
            use_mirrored_reference(det, model, args.cache)
            ref = build_reference(det)
        print(f"\n=== {clip.name}: {len(det.times_ms)} frames, {det.width}x{det.height},"
              f" reference person in {int(ref.present.sum())}; --num-poses 2 gives the plain"
              f" reference's own landmarks in {same[0]} of {same[1]} frames; the fresh look"
              f" restarted one-person tracking {restarts} times")  # fmt: skip
        print(f"{'':14s} {'mean':>5s} {'fast':>5s} {'p95':>5s} {'jit':>5s}  {'angles (deg)':24s}"
              f" {'dup':>4s} {'ghost':>6s} {'miss':>6s} {'impl':>4s} {'ids':>3s}")  # fmt: skip
        # What a lag-free filter would score: the reference itself. Its still jitter includes
        # the noise its centred window leaves, so it is no floor; it shows how much a still
        # person still moves.
        reference_people = _reference_people(ref)
        still_frames = _still_frames(ref) & _drawn(reference_people)
        lag_free = _still_jitter(ref, reference_people, still_frames)
        still = int(still_frames.sum())
        print(f"lag-free ref   {'0.0':>5s} {'0.0':>5s} {'0.0':>5s} {_fmt(lag_free, 2):>5s}"
              f"  (the person is still in {still} frames)")  # fmt: skip
        for n in args.num_poses:
            results = {}
            # kalman as the window draws it, and as `posecam annotate` does.
            ahead = {
                "kalman": window_frames(det, args.window_look_ahead),
                "annotate": annotate_frames(
                    det,
                    args.look_ahead,
                    finds_afresh=PipelineSettings(
                        num_poses=n,
                        smoothing="kalman",
                        smoothing_strength=args.strength,
                        find_every_frame=not args.mediapipe_tracking,
                    ).finds_afresh,
                ),
            }
            for mode in ("none", "kalman", "annotate", "oneeuro"):
                smoothing = "kalman" if mode == "annotate" else mode
                run = run_smoother(
                    det,
                    smoothing,
                    n,
                    args.strength,
                    ahead.get(mode, 0),
                    # As the window and `posecam annotate` find people (`none`: as
                    # MediaPipe gives them, whatever this says).
                    find_every_frame=not args.mediapipe_tracking,
                )
                results[mode] = score(det, ref, run, angle_ref)
            still_jitters(ref, list(results.values()))
            costs.append(results["kalman"].cost_ms)
            annotate_costs.append(results["annotate"].cost_ms)
            for mode, sc in results.items():
                angles = " ".join(f"{e:+.0f}" for e in sc.angle_errors)
                print(f"n{n} {mode:10s} {_fmt(sc.mean):>5s} {_fmt(sc.fast):>5s} {_fmt(sc.p95):>5s}"
                      f" {_fmt(sc.jitter, 2):>5s}  {angles[:24]:24s} {sc.duplicates:4d}"
                      f" {sc.ghosts:3d}/{sc.drawn:<4d} {sc.missed:3d}/{sc.reference:<4d}"
                      f" {sc.implausible:4d} {sc.id_switches:3d}")  # fmt: skip
            for mode, where in (("kalman", "window"), ("annotate", "annotate")):
                failures += [
                    f"{clip.name} n{n} {where}: {f}"
                    for f in check(results[mode], results["none"], n, lag_free)
                ]
                summary[where].append((clip.name, n, results[mode], results["none"], lag_free))
    for where, rows in summary.items():
        print_summary(where, rows)
    for where, spent in (("window", costs), ("annotate", annotate_costs)):
        cost = statistics.mean(spent) if spent else math.nan
        print(f"\ntracking and smoothing ({where}): {cost:.3f} ms per person per frame")
        if not cost <= TARGETS["cost_ms"]:
            failures.append(f"cost ({where}) {cost:.3f} ms > {TARGETS['cost_ms']} ms")
    print(
        "\nFAIL:\n  " + "\n  ".join(failures) if failures else "\nPASS: every target on every clip"
    )
    return 0


def _same_as_reference(det: Detections) -> tuple[int, int]:
    """(frames where VIDEO mode with --num-poses 2 found exactly the plain reference's
    landmarks, frames where both found someone), before any gap is filled."""
    plain = det.reference_px
    video = det.video_px[2][:, 0] if 2 in det.video_px else np.full_like(plain, np.nan)
    both = np.isfinite(plain[:, 0, 0]) & np.isfinite(video[:, 0, 0])
    equal = [np.array_equal(plain[i], video[i]) for i in np.flatnonzero(both)]
    return int(sum(equal)), int(both.sum())


def _reference_people(ref: Reference) -> list[np.ndarray | None]:
    return [_as_landmarks(ref, i) if ref.present[i] else None for i in range(len(ref.present))]


def print_summary(where: str, rows: list[tuple[str, int, Scores, Scores, float]]) -> None:
    """One line per clip and --num-poses: kalman against none, as the table in docs/smoothing.md."""
    print(f"\n=== summary: kalman (default) in the {where} against none, per clip and --num-poses")
    print("| clip | people | fastest 20 % | p95 | still jitter (lag-free) | worst rep angle (deg) |"
          " duplicates | ghosts | missed | implausible | id switches |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, n, k, none, lag_free in rows:
        angles = [abs(e) for e in k.angle_errors if math.isfinite(e)]
        worst = f"{max(angles):.1f}" if angles else "-"
        print(f"| {name} | {n} | {k.fast / none.fast:.2f}x | {k.p95 / none.p95:.2f}x"
              f" | {_ratio(k.jitter, none.jitter)} ({_ratio(lag_free, none.jitter)})"
              f" | {worst} | {k.duplicates}"
              f" | {100 * k.ghosts / max(k.drawn, 1):.1f} %"
              f" | {100 * k.missed / max(k.reference, 1):.1f} %"
              f" | {k.implausible} | {k.id_switches} |")  # fmt: skip


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if math.isfinite(a) and math.isfinite(b) and b > 0 else "-"


def check(k: Scores, none: Scores, n: int, lag_free_jitter: float) -> list[str]:
    """The targets kalman misses on this clip, in words."""
    out = []
    t = TARGETS
    if k.fast > t["fast_ratio"] * none.fast:
        out.append(f"fastest-20% deviation {k.fast / none.fast:.2f}x none")
    if k.p95 > t["p95_ratio"] * none.p95:
        out.append(f"p95 deviation {k.p95 / none.p95:.2f}x none")
    limit = t["jitter_ratio_1"] if n == 1 else t["jitter_ratio_n"]
    if math.isfinite(k.jitter) and k.jitter > limit * none.jitter:
        out.append(
            f"still jitter {k.jitter / none.jitter:.2f}x none (target {limit};"
            f" the lag-free reference: {_ratio(lag_free_jitter, none.jitter)})"
        )
    bad = [e for e in k.angle_errors if not abs(e) <= t["angle_deg"]]
    if bad:
        out.append(f"rep angles off by {', '.join(f'{e:+.1f}' for e in bad)} deg")
    if k.duplicates:
        out.append(f"{k.duplicates} frames with duplicates")
    if k.implausible:
        out.append(f"{k.implausible} implausible skeletons")
    if k.ghosts > t["ghost_share"] * max(k.drawn, 1):
        out.append(f"ghosts {k.ghosts}/{k.drawn}")
    if k.missed > t["missed_share"] * max(k.reference, 1):
        out.append(f"missed {k.missed}/{k.reference}")
    if k.id_switches:
        out.append(f"{k.id_switches} id switches")
    return out


if __name__ == "__main__":
    sys.exit(main())
