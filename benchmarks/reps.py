"""How well does PoseCam count repetitions on real footage? Counted against counted by eye.

    python benchmarks/reps.py [--clips NAME ...] [--cache DIR] [--fresh] [--margins] [--depth]

Every clip in ../shared/data/exercise (labels.json) and the 5 fps squat clip in
../shared/data/videos runs through the real PosePipeline with the settings `posecam annotate
--exercise` uses. The pipeline's people (tracked and smoothed) are recorded once per clip and
cached, keyed by the clip's bytes, the model and the tracking's source, and the counter is then
replayed on them: the pipeline hands the counter exactly these people (RepTracker.update), so
the count is the one annotate prints. `--fresh` skips the cache and runs the whole pipeline
with the exercise set, as annotate does.

Clips of an exercise with a preset are counted with the preset. The others are counted with
an exercise taught (core/teach.py) from a window of the same clip around its first three
labelled turning points, and reported as taught. A second table counts every clip with an
exercise taught so, to show how well teaching does.

Prints per clip the exercise, the count against the label, whether it is within the honest
range and how many labelled turning points have a counted repetition turning there, then the
share of clips counted right and the total absolute error as a share of the labelled
repetitions. `--margins` counts again with each preset threshold moved.

`--depth` measures each counted repetition's depth (Rep.depth_deg, the counted angle at the
turning point) against the same angle on benchmarks/trust.py's lag-free reference (from its
cache), with annotate's defaults (what users get) and with the temporal filters turned off one
by one (DEPTH_SETUPS; each recorded once and cached like the default); see `compare_depths`.
Not a test.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# benchmarks/trust.py's lag-free reference and its cached detections (this folder is on the
# path when a benchmark runs as a script).
from trust import build_reference  # noqa: E402
from trust_data import Clip as TrustClip  # noqa: E402
from trust_data import fill_reference_gaps  # noqa: E402
from trust_data import load_or_record as load_or_record_detections  # noqa: E402

from desktop_app.annotate import AnnotateOptions  # noqa: E402
from desktop_app.core.angles import image_angles  # noqa: E402
from desktop_app.core.model import PoseModel, load_default_model  # noqa: E402
from desktop_app.core.pipeline import FrameResult, PosePipeline  # noqa: E402
from desktop_app.core.rep_analysis import Rep  # noqa: E402
from desktop_app.core.reps import (  # noqa: E402
    EXERCISES,
    Exercise,
    RepTracker,
    Stage,
    exercise_angle,
)
from desktop_app.core.smoothing import DEFAULT_SMOOTHING  # noqa: E402
from desktop_app.core.teach import Lesson, TeachError, teach  # noqa: E402
from desktop_app.core.tracking import TrackedPerson  # noqa: E402
from desktop_app.media.sources import VideoFileSource  # noqa: E402

SHARED = Path(os.environ.get("POSECAM_SHARED_DATA", REPO.parent / "shared" / "data"))
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "posecam-bench" / "reps"
_CACHE_VERSION = "reps-v1"
#: The modules whose code decides which people the counter is given; a change to any of them
#: records the clips again. pipeline.py is left out (it changes often, mostly in its drawing):
#: after a change to how it hands people on, run once with --fresh or clear the cache.
_PIPELINE_SOURCES = (
    "angles.py",
    "filters.py",
    "pipeline.py",
    "pose.py",
    "second_look.py",
    "skeleton.py",
    "smoothing.py",
    "tracking.py",
)


@dataclass(frozen=True)
class Setup:
    """What the pipeline runs with, of what a user may choose (annotate's options)."""

    smoothing: str = DEFAULT_SMOOTHING
    num_poses: int = 1

    def options(self, path: Path, exercise: Exercise | None = None) -> AnnotateOptions:
        return AnnotateOptions(
            input=path, exercise=exercise, smoothing=self.smoothing, num_poses=self.num_poses
        )

    def __str__(self) -> str:
        return f"--smoothing {self.smoothing} --num-poses {self.num_poses}"


#: `posecam annotate`'s defaults: what users get.
ANNOTATE = Setup()


@dataclass(frozen=True)
class Clip:
    """One labelled clip (a labels.json entry, or the equivalent for the 5 fps squats)."""

    name: str
    path: Path
    label: dict

    @property
    def reps(self) -> int:
        return int(self.label["reps"])

    @property
    def turns_s(self) -> list[float] | None:
        """The labelled turning point of each repetition, if labelled."""
        return self.label.get("rep_bottom_times_s")

    @property
    def acceptable(self) -> tuple[int, int]:
        low, high = self.label["reps_acceptable"]
        return int(low), int(high)

    def key(self, model: PoseModel, setup: Setup = ANNOTATE) -> str:
        digest = hashlib.sha256(f"{_CACHE_VERSION}-{model.sha256}".encode())
        if setup != ANNOTATE:  # annotate's own keeps the key it always had
            digest.update(repr(setup).encode())
        for name in _PIPELINE_SOURCES:
            digest.update((REPO / "desktop_app" / "core" / name).read_bytes())
        digest.update(self.path.read_bytes())
        return digest.hexdigest()[:16]


#: ../shared/data/README.md: "3 slow squats ... the 3rd is cut off on the way up". Two are
#: complete; the third reaches the bottom, so 2-3 is the honest range, as labels.json gives
#: 10-11 for the lunge clip whose 11th rep ends half way up.
_SQUATS_5FPS = {
    "file": "squats_frontal_portrait_5fps.mp4",
    "exercise": "squat",
    "reps": 2,
    "reps_acceptable": [2, 3],
    "rep_bottom_times_s": None,
    "view": "front",
    "notes": "3 slow squats at 5 fps, the 3rd cut off on the way up (../shared/data/README.md)",
}


def all_clips(names: list[str] | None = None) -> list[Clip]:
    labels = json.loads((SHARED / "exercise" / "labels.json").read_text())
    clips = [Clip(Path(e["file"]).stem, SHARED / "exercise" / e["file"], e) for e in labels]
    squats = SHARED / "videos" / _SQUATS_5FPS["file"]
    clips.append(Clip(squats.stem, squats, _SQUATS_5FPS))
    if names:
        clips = [c for c in clips if c.name in names]
    return clips


# -- the pipeline's people, recorded once ------------------------------------------------------


@dataclass
class Recording:
    """The people the pipeline handed on, frame by frame. Arrays are (frames, people, ...),
    padded: `ids` is -1 where a slot is empty."""

    times_ms: np.ndarray
    ids: np.ndarray
    landmarks_px: np.ndarray
    raw_landmarks_px: np.ndarray
    world_m: np.ndarray
    coasting: np.ndarray
    opacity: np.ndarray

    def people(self, index: int) -> list[TrackedPerson]:
        """Frame `index`'s people as the pipeline gave them to the counter."""
        return [
            TrackedPerson(
                id=int(self.ids[index, p]),
                landmarks_px=self.landmarks_px[index, p],
                raw_landmarks_px=self.raw_landmarks_px[index, p],
                world_m=self.world_m[index, p],
                coasting=bool(self.coasting[index, p]),
                opacity=float(self.opacity[index, p]),
            )
            for p in np.flatnonzero(self.ids[index] >= 0)
        ]

    def frames(self) -> Iterator[tuple[float, list[TrackedPerson]]]:
        for i, t in enumerate(self.times_ms):
            yield float(t), self.people(i)


def record(clip: Clip, model: PoseModel, setup: Setup = ANNOTATE) -> Recording:
    """Run the pipeline as annotate does (no exercise: counting changes nothing upstream)."""
    times: list[float] = []
    frames: list[tuple[TrackedPerson, ...]] = []
    with VideoFileSource(clip.path) as source:
        settings = setup.options(clip.path).pipeline_settings(source.fps or 30.0)
        with PosePipeline(model, settings) as pipeline:
            for results in _annotated(source, pipeline):
                times.append(results.time_ms)
                frames.append(results.people)
    most = max([len(people) for people in frames] + [1])
    shape = (len(frames), most)
    rec = Recording(
        times_ms=np.array(times),
        ids=np.full(shape, -1, np.int32),
        landmarks_px=np.full((*shape, 33, 4), np.nan, np.float32),
        raw_landmarks_px=np.full((*shape, 33, 4), np.nan, np.float32),
        world_m=np.full((*shape, 33, 3), np.nan, np.float32),
        coasting=np.zeros(shape, bool),
        opacity=np.zeros(shape, np.float32),
    )
    for f, people in enumerate(frames):
        for p, person in enumerate(people):
            rec.ids[f, p] = person.id
            rec.landmarks_px[f, p] = person.landmarks_px
            rec.raw_landmarks_px[f, p] = person.raw_landmarks_px
            rec.world_m[f, p] = person.world_m
            rec.coasting[f, p] = person.coasting
            rec.opacity[f, p] = person.opacity
    return rec


def load_or_record(clip: Clip, model: PoseModel, cache: Path, setup: Setup = ANNOTATE) -> Recording:
    path = cache / f"{clip.name}-{clip.key(model, setup)}.npz"
    if path.exists():
        with np.load(path) as data:
            return Recording(**{name: data[name] for name in data.files})
    rec = record(clip, model, setup)
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    np.savez_compressed(partial, **vars(rec))
    partial.replace(path)
    return rec


#: labels.json's words for each exercise -> the preset that counts it.
PRESET_FOR = {
    "squat": "squat",
    "lunge": "lunge",
    "shoulder press": "shoulder_press",
    "front raise": "front_raise",
    "jumping jack": "jumping_jack",
}


def preset_for(clip: Clip) -> str | None:
    words = clip.label["exercise"]
    return next((key for start, key in PRESET_FOR.items() if words.startswith(start)), None)


def replay(rec: Recording, exercise: Exercise) -> RepTracker:
    """The counter given the recorded people, as the pipeline gives them to it."""
    reps = RepTracker(exercise)
    for time_ms, people in rec.frames():
        reps.update(people, time_ms)
    return reps


def count(rec: Recording, exercise: Exercise) -> int:
    """The repetitions annotate would report, summed over the people (each clip shows one)."""
    return sum(replay(rec, exercise).counts().values())


def run_fresh(
    clip: Clip, model: PoseModel, exercise: Exercise, setup: Setup = ANNOTATE
) -> RepTracker:
    """The whole pipeline with the exercise set, as `posecam annotate --exercise` runs it."""
    with VideoFileSource(clip.path) as source:
        settings = setup.options(clip.path, exercise).pipeline_settings(source.fps or 30.0)
        with PosePipeline(model, settings) as pipeline:
            for _ in _annotated(source, pipeline):
                pass
            assert pipeline.reps is not None
            return pipeline.reps


def _annotated(source: VideoFileSource, pipeline: PosePipeline) -> Iterator[FrameResult]:
    """Each frame's result in order, as annotate takes them (looking ahead)."""
    for frame in source:
        yield from pipeline.process_held(frame, draw_in_place=True)
    yield from pipeline.flush()


#: How many labelled repetitions a taught exercise is shown.
TAUGHT_FROM_REPS = 3


def teaching_window(clip: Clip, rec: Recording) -> tuple[float, float]:
    """The first TAUGHT_FROM_REPS labelled repetitions, from half way to the turning point
    before (or the clip's start) to half way to the one after (or the clip's end), in
    seconds; the whole clip when its turning points are not labelled."""
    end_s = float(rec.times_ms[-1]) / 1000.0
    turns = clip.turns_s
    if not turns:
        return 0.0, end_s
    shown = turns[:TAUGHT_FROM_REPS]
    # The next turning point, of a whole repetition or one the clip cuts off.
    later = sorted(t for t in [*turns, *clip.label.get("partial_rep_times_s", [])] if t > shown[-1])
    after = later[0] if later else None
    start = 0.0 if len(shown) < 2 else max(0.0, shown[0] - (shown[1] - shown[0]) / 2)
    if after is not None:
        end_s = (shown[-1] + after) / 2
    return start, end_s


def taught(clip: Clip, rec: Recording) -> tuple[Lesson, tuple[float, float]]:
    """An exercise taught (core/teach.py) from the clip's teaching window, as
    `posecam exercise teach CLIP --start S --end E` teaches it."""
    start, end = teaching_window(clip, rec)
    frames = [(t / 1000.0, people) for t, people in rec.frames() if start <= t / 1000.0 <= end]
    return teach(f"taught_{clip.name[:30]}", frames), (start, end)


#: A counted repetition's turning point this close to a labelled one (labelled to about
#: +-0.3 s) is that repetition, in seconds.
SAME_TURN_S = 0.5


def turns_matched(reps: RepTracker, labelled_s: list[float] | None) -> int | None:
    """How many labelled turning points have a counted repetition turning there (each
    repetition matched once): a right count made of a false and a missed one shows here."""
    if labelled_s is None:
        return None
    turns = sorted(rep.turn_s for person in reps.all_reps().values() for rep in person)
    matched = 0
    for labelled in labelled_s:
        near = [t for t in turns if abs(t - labelled) <= SAME_TURN_S]
        if near:
            turns.remove(min(near, key=lambda t: abs(t - labelled)))
            matched += 1
    return matched


@dataclass
class Row:
    clip: Clip
    exercise: str
    how: str
    counted: int
    #: turns_matched
    matched: int | None

    @property
    def right(self) -> bool:
        low, high = self.clip.acceptable
        return low <= self.counted <= high

    @property
    def error(self) -> int:
        return abs(self.counted - self.clip.reps)

    @property
    def beyond_honest_range(self) -> int:
        """Repetitions counted beyond what the labeller would accept (0 when right)."""
        low, high = self.clip.acceptable
        return max(low - self.counted, self.counted - high, 0)


def print_table(rows: list[Row], command: str) -> None:
    print(f"`{command}`, {datetime.date.today().isoformat()}:")
    print()
    print(
        "| clip | exercise | counted with | counted | by eye (honest range) | right "
        "| at the labelled turns |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        low, high = r.clip.acceptable
        honest = f"{r.clip.reps}" + (
            f" ({low}-{high})" if (low, high) != (r.clip.reps,) * 2 else ""
        )
        print(
            f"| {r.clip.name} | {r.exercise} | {r.how} | {r.counted} | {honest} | "
            f"{'yes' if r.right else '**no**'} | "
            + ("" if r.matched is None else f"{r.matched} of {len(r.clip.turns_s or [])}")
            + " |"
        )
    labelled = sum(r.clip.reps for r in rows)
    right = sum(r.right for r in rows)
    errors = sum(r.error for r in rows)
    print()
    print(
        f"Right (within the honest range): {right} of {len(rows)} clips, "
        f"{100.0 * right / len(rows):.0f} % (target 90 %). "
        f"Total absolute error: {errors} of {labelled} labelled repetitions, "
        f"{100.0 * errors / labelled:.1f} % (target 5 %); beyond the honest ranges: "
        f"{sum(r.beyond_honest_range for r in rows)}."
    )


#: --margins: each threshold moved by this much, stricter and looser, in degrees.
MARGIN_DEG = 10.0


def moved(exercise: Exercise, turn_deg: float, rest_deg: float) -> Exercise:
    """`exercise` with its turning threshold made stricter by `turn_deg` (harder to reach)
    and its rest threshold stricter by `rest_deg`; negative is looser."""
    if exercise.starts == Stage.UP:
        down, up = exercise.down_deg - turn_deg, exercise.up_deg + rest_deg
    else:
        down, up = exercise.down_deg - rest_deg, exercise.up_deg + turn_deg
    return replace(exercise, down_deg=down, up_deg=up)


def print_margins(rows: list[tuple[Clip, Recording, Exercise]]) -> None:
    """How far the counts are from a threshold's edge: counted again with each threshold
    moved by MARGIN_DEG."""
    m = MARGIN_DEG
    print()
    print(f"Counts with one threshold moved by {m:g} degrees (stricter: harder to reach):")
    print()
    print("| clip | as set | turn stricter | turn looser | rest stricter | rest looser |")
    print("|---|---|---|---|---|---|")
    for clip, rec, exercise in rows:
        counts = [
            count(rec, moved(exercise, turn, rest))
            for turn, rest in ((0, 0), (m, 0), (-m, 0), (0, m), (0, -m))
        ]
        print(f"| {clip.name} | " + " | ".join(map(str, counts)) + " |")


# -- each repetition's depth against the lag-free reference -----------------------------------
#
# The live depth is the counted angle at the turning point as the pipeline measures it while
# the clip plays: MediaPipe finding the person (afresh in every frame with annotate's defaults;
# in VIDEO mode, following them from frame to frame and, for one person, filtering their
# landmarks, with `--smoothing none`) and then PoseCam's smoothing. The filters are causal: at
# a turning point one can lag and cut the extreme short, or, predicting from the speed, carry
# past it. The reference (benchmarks/trust.py) is MediaPipe in IMAGE mode on every frame on its
# own: no tracking, no temporal filter, nothing carried over from the frames before. Its
# landmarks are then smoothed by a centred (zero-phase) Savitzky-Golay window of about 0.2 s,
# which takes out frame-to-frame noise without moving the turning point in time and, being a
# quadratic fit, without rounding it off. It shares none of the live path's filtering, so it
# cannot lag along with it and make a lagging depth look right: where the two agree, the depth
# is in the picture. What is left between them is the filters' doing plus the 2D model's own
# noise (VIDEO and IMAGE mode place joints a little differently); DEPTH_SETUPS turns the
# filters off one by one to tell them apart.

#: benchmarks/trust.py's cache of the reference detections (trust_data.py), beside ours.
REFERENCE_CACHE = DEFAULT_CACHE.parent
#: Issue 15's target: each repetition's depth within this of the reference's, in degrees.
DEPTH_TARGET_DEG = 5.0
#: Half a millisecond: the pipeline's frame times and the reference's are the same numbers.
_SAME_TIME_S = 0.0005


@dataclass(frozen=True)
class Reference:
    """The lag-free reference person over a clip, frame by frame."""

    times_s: np.ndarray
    #: (frames, 33, 4) x_px, y_px, z, visibility: trust.py's smoothed positions with each
    #: frame's own visibility (NaN where it found nobody), so `exercise_angle` applies the
    #: live counter's rule for which sides count.
    landmarks_px: np.ndarray

    def angle(self, exercise: Exercise) -> np.ndarray:
        """The exercise's counted angle in each frame (NaN where not seen)."""
        return np.array(
            [exercise_angle(exercise, image_angles(lm), lm) for lm in self.landmarks_px]
        )


def reference_for(clip: Clip, model: PoseModel, cache: Path) -> Reference:
    """trust.py's reference for `clip`, from its cache (recorded once if absent: the pose
    model in IMAGE and VIDEO mode over every frame, minutes per clip)."""
    det = load_or_record_detections(TrustClip(clip.name, "video", path=clip.path), model, cache)
    fill_reference_gaps(det, model, cache)
    ref = build_reference(det)
    landmarks = det.reference_px.astype(float)
    landmarks[:, :, :2] = ref.points
    return Reference(det.times_ms / 1000.0, landmarks)


@dataclass(frozen=True)
class DepthPair:
    """One counted repetition's depth, live and on the reference."""

    rep: Rep
    reference_deg: float

    @property
    def difference(self) -> float:
        """Live minus reference, degrees: for a turn at a low (a squat's bottom) positive is
        shallower than the reference, for a turn at a high (a press's top) negative is."""
        return self.rep.depth_deg - self.reference_deg


def compare_depths(reps: RepTracker, exercise: Exercise, reference: Reference) -> list[DepthPair]:
    """Each counted repetition's depth against the reference's extreme of the same angle
    (the same Exercise, the same sides rule) over the repetition's own frames, from its last
    moment at rest to the first back (start_s..end_s, which hold the turning point whatever
    the lag). Repetitions the reference does not see at all are left out."""
    angle = reference.angle(exercise)
    pick = np.nanmin if exercise.turns == Stage.DOWN else np.nanmax
    pairs = []
    for person in reps.all_reps().values():
        for rep in person:
            t = reference.times_s
            within = angle[(t >= rep.start_s - _SAME_TIME_S) & (t <= rep.end_s + _SAME_TIME_S)]
            if np.isfinite(within).any():
                pairs.append(DepthPair(rep, float(pick(within))))
    return pairs


#: --depth: what users get, and what tells the lag of each temporal filter from the 2D
#: model's noise. MediaPipe filters its landmarks itself only when it looks for one person.
DEPTH_SETUPS: dict[Setup, str] = {
    ANNOTATE: "annotate's defaults, what users get: the person found afresh in every frame "
    "(MediaPipe's IMAGE mode, no filter of its own; PipelineSettings.finds_afresh), then "
    "PoseCam's Kalman smoothing",
    Setup("none"): "PoseCam's smoothing off: MediaPipe's VIDEO mode as it comes, its own "
    "filter still on",
    Setup(num_poses=2): "asking MediaPipe for up to 2 people, which turns its own filter "
    "off: PoseCam's Kalman smoothing alone",
    Setup("none", 2): "both off: MediaPipe's VIDEO mode for up to 2 people (it still tracks "
    "the person from frame to frame), no temporal filter at all",
}


def depth_summary(pairs: list[DepthPair]) -> tuple[int, int, float, float]:
    """Repetitions within DEPTH_TARGET_DEG, compared, and the mean and max error."""
    errors = [abs(p.difference) for p in pairs]
    if not errors:
        return 0, 0, math.nan, math.nan
    within = sum(e <= DEPTH_TARGET_DEG for e in errors)
    return within, len(errors), float(np.mean(errors)), max(errors)


def depth_line(pairs: list[DepthPair]) -> str:
    within, compared, mean, most = depth_summary(pairs)
    if not compared:
        return "no repetition to compare"
    return (
        f"{within} of {compared} repetitions within {DEPTH_TARGET_DEG:g} degrees of the "
        f"reference, {100.0 * within / compared:.0f} % (target 100 %); error "
        f"(|live - reference|) mean {mean:.1f}, max {most:.1f} degrees"
    )


def print_depths(rows: list[tuple[Clip, str, list[DepthPair]]]) -> None:
    print(
        "| clip | exercise | reps compared | mean error | max error "
        "| each repetition, live - reference |"
    )
    print("|---|---|---|---|---|---|")
    for clip, exercise, pairs in rows:
        _, compared, mean, most = depth_summary(pairs)
        each = " ".join(f"{p.difference:+.1f}" for p in pairs)
        print(f"| {clip.name} | {exercise} | {compared} | {mean:.1f} | {most:.1f} | {each} |")
    print()
    print(depth_line([p for _, _, pairs in rows for p in pairs]).capitalize() + ".")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", nargs="*", help="only these clips (file names without .mp4)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--fresh", action="store_true", help="run the whole pipeline, no cache")
    parser.add_argument(
        "--margins",
        action="store_true",
        help=f"also count with each threshold moved by {MARGIN_DEG:g} degrees",
    )
    parser.add_argument(
        "--depth",
        action="store_true",
        help="also compare each repetition's depth with trust.py's lag-free reference, with "
        "annotate's defaults and with the temporal filters off (target: within "
        f"{DEPTH_TARGET_DEG:g} degrees)",
    )
    parser.add_argument(
        "--reference-cache",
        type=Path,
        default=REFERENCE_CACHE,
        help="benchmarks/trust.py's cache (its --cache)",
    )
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"no shared data at {SHARED}", file=sys.stderr)
        return 2
    model = load_default_model()
    command = "python benchmarks/reps.py" + (" --fresh" if args.fresh else "")
    presets, teachings, recorded = [], [], []
    #: What each clip of the first table was counted with, for --depth.
    counted_with: list[tuple[Clip, str, Exercise, RepTracker]] = []

    def counted(
        clip: Clip, rec: Recording | None, exercise: Exercise, setup: Setup = ANNOTATE
    ) -> RepTracker:
        """Counted on the pipeline's recorded people (`rec`, or the clip's recording with
        `setup`), or with --fresh by the whole pipeline."""
        if args.fresh:
            return run_fresh(clip, model, exercise, setup)
        return replay(rec or load_or_record(clip, model, args.cache, setup), exercise)

    for clip in all_clips(args.clips):
        rec = load_or_record(clip, model, args.cache)
        key = preset_for(clip)
        what = key or clip.label["exercise"]
        lesson = None
        try:
            lesson, (start, end) = taught(clip, rec)
        except TeachError as exc:
            teachings.append(Row(clip, what, f"taught: {exc}", 0, None))
        else:
            reps = counted(clip, rec, lesson.exercise)
            how = f"taught on {lesson.exercise.joints}, {start:.1f}-{end:.1f} s"
            total = sum(reps.counts().values())
            teachings.append(Row(clip, what, how, total, turns_matched(reps, clip.turns_s)))
        if key is not None:
            reps = counted(clip, rec, EXERCISES[key])
            total = sum(reps.counts().values())
            presets.append(Row(clip, key, "preset", total, turns_matched(reps, clip.turns_s)))
            recorded.append((clip, rec, EXERCISES[key]))
            counted_with.append((clip, key, EXERCISES[key], reps))
        else:
            # No preset: counted as the user would, with one taught from the clip itself.
            presets.append(teachings[-1])
            if lesson is not None:
                counted_with.append((clip, f"{what}, taught", lesson.exercise, reps))
    print("Each clip with its preset, or where there is none taught from it:")
    print()
    print_table(presets, command)
    print()
    print(
        f"Each clip with an exercise taught from its first {TAUGHT_FROM_REPS} labelled "
        "repetitions (posecam exercise teach CLIP --start S --end E), counted over the whole "
        "clip:"
    )
    print()
    print_table(teachings, command)
    if args.margins:
        print_margins(recorded)
    if args.depth:
        print()
        print(
            f"Each repetition's depth against the lag-free reference, `{command} --depth`, "
            f"{datetime.date.today().isoformat()}, the clips counted as in the first table."
        )
        references = {
            clip.name: reference_for(clip, model, args.reference_cache) for clip, *_ in counted_with
        }
        overall: list[tuple[Setup, list[DepthPair]]] = []
        for setup, words in DEPTH_SETUPS.items():
            rows = []
            for clip, what, exercise, reps in counted_with:
                if setup != ANNOTATE:
                    reps = counted(clip, None, exercise, setup)
                pairs = compare_depths(reps, exercise, references[clip.name])
                rows.append((clip, what, pairs))
            print(f"\n`{setup}`, {words}:\n")
            print_depths(rows)
            overall.append((setup, [p for _, _, pairs in rows for p in pairs]))
        print(f"\n| pipeline | within {DEPTH_TARGET_DEG:g} degrees | mean error | max error |")
        print("|---|---|---|---|")
        for setup, pairs in overall:
            within, compared, mean, most = depth_summary(pairs)
            print(f"| `{setup}` | {within} of {compared} | {mean:.1f} | {most:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
