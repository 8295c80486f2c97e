"""Teach PoseCam an exercise by showing it: from the pose of 2-3 repetitions, pick the angle
that swings most and most regularly, and set its thresholds from the range shown.

Every joint angle PoseCam measures is a candidate: each left and right pair (counted as a
pair is, core.reps.exercise_angle: the mean of the sides seen alike, so a swap of the limbs
changes nothing), each single side (a one-arm curl swings one elbow only), and the trunk's lean
(a hinge). Each is scored by its swing (the 5th to 95th percentile of the angle, in degrees) times
its regularity (how alike each repetition is to the next: the correlation of the angle with
itself one repetition later, 0-1), so an angle that swings far but wanders does not win over
one that swings a little less every time. A pair is preferred to a single side unless the side
scores clearly more than every pair, as one arm alone does.

The thresholds cut the swing shown in three: within 30 % of the turning end is the turn, within
30 % of the rest end is rest, and the 40 % between is the hysteresis band, wide enough that
noise cannot cross it and later repetitions may be a little shallower than the ones shown.
The rest end is where the demonstration starts: standing for a squat, arms down for a raise
(or, if it starts mid-repetition, where it ends).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from desktop_app.core.angles import JOINT_ANGLES, TRUNK_LEAN
from desktop_app.core.exercises import check_name
from desktop_app.core.reps import Exercise, RepCounter, Stage, exercise_angle
from desktop_app.core.tracking import TrackedPerson
from desktop_app.errors import PoseCamError

#: An angle must swing at least this much to be counted on, in degrees.
MIN_SWING_DEG = 20.0
#: The share of the swing, from each end, that counts as being at that end.
END_SHARE = 0.3
#: A candidate must be measured in at least this share of the demonstration's frames.
MIN_SEEN_SHARE = 0.7
#: Repetitions are looked for between these lengths, in seconds: the quickest jumping jack, and
#: the slowest tempo repetition.
SHORTEST_REP_S, LONGEST_REP_S = 0.4, 20.0
#: A single side must score this much more than the best pair to be chosen over it.
SINGLE_SIDE_MARGIN = 1.25

_JOINT_WORDS = {"knee": "knees", "elbow": "elbows", "shoulder": "shoulders", "hip": "hips"}


class TeachError(PoseCamError):
    """The demonstration cannot be learnt from; the message says why, in one line."""

    def __init__(self, problem: str) -> None:
        super().__init__(None, problem)


@dataclass(frozen=True)
class Candidate:
    """One angle (or pair) a demonstration may be counted on."""

    angles: tuple[str, ...]
    #: In words, as the settings show it: "knees", "left elbow", "trunk lean".
    joints: str

    @property
    def is_pair(self) -> bool:
        return len(self.angles) == 2


def _candidates() -> list[Candidate]:
    out = []
    for joint, words in _JOINT_WORDS.items():
        left, right = f"left_{joint}", f"right_{joint}"
        out.append(Candidate((left, right), words))
        out += [Candidate((left,), f"left {joint}"), Candidate((right,), f"right {joint}")]
    out.append(Candidate((TRUNK_LEAN,), "trunk lean"))
    assert all(a in JOINT_ANGLES or a == TRUNK_LEAN for c in out for a in c.angles)
    return out


CANDIDATES: tuple[Candidate, ...] = tuple(_candidates())


@dataclass(frozen=True)
class Score:
    """How a candidate did on the demonstration. Degrees and seconds."""

    candidate: Candidate
    #: The share of frames in which it was measured.
    seen_share: float
    #: Its typical low and high (5th and 95th percentiles).
    low_deg: float
    high_deg: float
    #: 0-1: its correlation with itself one repetition later.
    regularity: float
    #: The length of one repetition that correlation found.
    period_s: float

    @property
    def swing_deg(self) -> float:
        return self.high_deg - self.low_deg

    @property
    def score(self) -> float:
        return self.swing_deg * max(self.regularity, 0.0)


@dataclass(frozen=True)
class Lesson:
    """What was learnt: the exercise, the candidate chosen and how it did, the runners-up, and
    how many repetitions the new exercise counts in the demonstration."""

    exercise: Exercise
    chosen: Score
    runners_up: tuple[Score, ...]
    reps_shown: int


def _angle_series(candidate: Candidate, people: Sequence[TrackedPerson | None]) -> np.ndarray:
    probe = Exercise("probe", candidate.angles, 0.0, 1.0)
    return np.array(
        [
            math.nan if p is None or p.coasting else exercise_angle(probe, p.angles, p.landmarks_px)
            for p in people
        ]
    )


def _regularity(times_s: np.ndarray, angle: np.ndarray) -> tuple[float, float]:
    """The angle's highest correlation with itself one repetition later, and that repetition's
    length, over the lengths a repetition can take (on an even time grid, gaps filled in)."""
    seen = ~np.isnan(angle)
    step_s = float(np.median(np.diff(times_s))) if len(times_s) > 1 else 0.0
    if step_s <= 0 or seen.sum() < 4:
        return 0.0, math.nan
    grid = np.arange(times_s[0], times_s[-1] + step_s / 2, step_s)
    x = np.interp(grid, times_s[seen], angle[seen])
    shortest = max(1, round(SHORTEST_REP_S / step_s))
    # A lag must leave at least a third of the demonstration to compare.
    longest = min(round(LONGEST_REP_S / step_s), len(x) - max(3, len(x) // 3))
    correlations = []
    for lag in range(shortest, longest + 1):
        a, b = x[:-lag], x[lag:]
        if a.std() < 1e-6 or b.std() < 1e-6:
            correlations.append(0.0)
            continue
        correlations.append(float(np.corrcoef(a, b)[0, 1]))
    # A repetition later the movement is back in step with itself: a peak of the correlation
    # that comes after it has fallen out of step (to 0 or below, half a repetition later).
    # Something that only drifts stays in step with itself for a while and then wanders, and
    # has no such peak; of those that qualify, the first that is nearly the highest is one
    # repetition later, not two.
    peaks = []
    lowest = math.inf
    for i in range(1, len(correlations)):
        r, previous = correlations[i], correlations[i - 1]
        lowest = min(lowest, previous)
        following = correlations[i + 1] if i + 1 < len(correlations) else -math.inf
        if lowest <= 0.0 and r >= previous and r >= following:
            peaks.append((i, r))
    highest = max((r for _, r in peaks), default=0.0)
    if highest <= 0.0:
        return 0.0, math.nan
    i, best = next((i, r) for i, r in peaks if r >= 0.9 * highest)
    best_lag = (shortest + i) * step_s
    return best, best_lag


def score(
    candidate: Candidate, times_s: np.ndarray, people: Sequence[TrackedPerson | None]
) -> Score:
    angle = _angle_series(candidate, people)
    seen = ~np.isnan(angle)
    share = float(seen.mean()) if len(angle) else 0.0
    if share < MIN_SEEN_SHARE or seen.sum() < 4:
        return Score(candidate, share, math.nan, math.nan, 0.0, math.nan)
    low, high = np.percentile(angle[seen], [5, 95])
    regularity, period = _regularity(times_s, angle)
    return Score(candidate, share, float(low), float(high), regularity, period)


def _main_person(frames: Sequence[Sequence[TrackedPerson]]) -> list[TrackedPerson | None]:
    """The person seen in most frames (a demonstration shows one; others may walk past)."""
    seen: dict[int, int] = {}
    for people in frames:
        for p in people:
            if not p.coasting:
                seen[p.id] = seen.get(p.id, 0) + 1
    if not seen:
        raise TeachError("nobody is seen in it")
    main = max(seen, key=lambda pid: seen[pid])
    return [next((p for p in people if p.id == main), None) for people in frames]


def _rest_is_high(angle: np.ndarray, low: float, high: float) -> bool:
    """Whether the demonstration starts nearer the high end (standing for a squat) than the
    low one; if its start is between the two (it began mid-repetition), where it ends."""
    seen = angle[~np.isnan(angle)]
    edge = max(1, len(seen) // 10)
    for part in (seen[:edge], seen[-edge:]):
        where = (float(np.median(part)) - low) / (high - low)
        if not END_SHARE < where < 1.0 - END_SHARE:
            return where >= 0.5
    return float(np.median(seen[:edge])) >= (low + high) / 2


def teach(
    name: str,
    frames: Sequence[tuple[float, Sequence[TrackedPerson]]],
    *,
    title: str = "",
) -> Lesson:
    """Learn the exercise `name` from `frames`: (time in seconds, the people the pipeline gave)
    for each frame of the demonstration, which should show 2-3 repetitions from rest to rest.
    Raises TeachError when nothing in it swings enough, or regularly."""
    check_name(name)
    if len(frames) < 4:
        raise TeachError("it is too short: show 2-3 whole repetitions")
    times_s = np.array([t for t, _ in frames], float)
    person = _main_person([people for _, people in frames])
    scores = [score(c, times_s, person) for c in CANDIDATES]
    usable = [s for s in scores if s.swing_deg >= MIN_SWING_DEG and s.regularity > 0]
    if not usable:
        widest = max((s.swing_deg for s in scores if not math.isnan(s.swing_deg)), default=0.0)
        raise TeachError(
            f"no joint angle swings by {MIN_SWING_DEG:g} degrees or more, regularly (the widest "
            f"swings {widest:.0f}): show 2-3 whole repetitions, the joints in the picture"
        )
    best_pair = max((s.score for s in usable if s.candidate.is_pair), default=0.0)

    def ranked(s: Score) -> float:
        # A single side must beat every pair by a clear margin: side-on, the skeleton now and
        # then swaps the limbs, which a pair's mean does not notice and a single side does.
        if s.candidate.is_pair or s.score > SINGLE_SIDE_MARGIN * best_pair:
            return s.score
        return 0.0

    usable.sort(key=ranked, reverse=True)
    chosen = usable[0]
    low, high, swing = chosen.low_deg, chosen.high_deg, chosen.swing_deg
    angle = _angle_series(chosen.candidate, person)
    starts = Stage.UP if _rest_is_high(angle, low, high) else Stage.DOWN
    exercise = Exercise(
        name,
        chosen.candidate.angles,
        down_deg=round(low + END_SHARE * swing, 1),
        up_deg=round(high - END_SHARE * swing, 1),
        title=title or name.replace("_", " ").replace("-", " ").capitalize(),
        joints=chosen.candidate.joints,
        starts=starts,
    )
    counter = RepCounter(exercise)
    for t, value in zip(times_s, angle, strict=True):
        counter.update(float(value), float(t))
    return Lesson(exercise, chosen, tuple(usable[1:4]), counter.count)
