"""Each repetition measured: when, how deep, how far, how fast each way, how even, how upright;
and a set's summary.

A repetition runs from the last moment the person was at rest (past the exercise's rest
threshold: a squat's `up_deg`) to the first moment back, through the turning point between (the
bottom of a squat, the top of a press): the middle of the hold where the counted angle is at
its extreme (TURN_BAND_SHARE). The times are the threshold crossings, not the very start of the
movement: a crossing is a clear moment on any repetition, while where a slow start "begins" is
a matter of taste. Angles in degrees, times in seconds of the source (a file's own clock).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

#: The sides of the counted angle differing by more than this at the turn is "uneven". In the
#: picture a body turned a little from the camera makes its two sides' angles differ too (by
#: up to some 20 degrees at the bottom of the front-on squats we measured), so only more than
#: that says something of the person.
UNEVEN_DEG = 25.0
#: A repetition whose range is less than this share of the person's own earlier ones (their
#: median, from the third repetition on) has a "short range".
SHORT_RANGE_SHARE = 0.8
#: A repetition this much quicker than the person's earlier ones (median duration) is "rushed".
RUSHED_SHARE = 0.6
#: A repetition whose angle was measured in less than this share of its frames was "partly
#: seen": its depth and times may be off.
SEEN_SHARE = 0.8
#: Samples within this share of the repetition's range of its extreme are at the turn. A
#: person who holds the bottom of a squat or the top of a press holds it only within the pose
#: model's noise (the shared shoulder press clip's holds overhead wander by 3-5 degrees, about
#: 3 % of its range), so the extreme sample is wherever the noise put it in the hold; the
#: turning point is the hold's middle, where a person watching would put it.
TURN_BAND_SHARE = 0.05


class RepSample(NamedTuple):
    """The counter's view of one frame (NaN where not seen)."""

    time_s: float
    #: The counted angle (core.reps.exercise_angle).
    angle_deg: float
    #: The left and right angles when both sides counted, else NaN.
    left_deg: float
    right_deg: float
    #: The trunk's lean from vertical, from the world landmarks: unlike the picture's, it sees
    #: a lean towards the camera, as in a squat filmed from the front.
    trunk_lean_deg: float


@dataclass(frozen=True)
class Rep:
    """One repetition, measured."""

    #: 1 for a person's first repetition.
    number: int
    #: The last moment at rest before it, the turning point (the middle of the time spent at
    #: the extreme: TURN_BAND_SHARE), the first moment back at rest.
    start_s: float
    turn_s: float
    end_s: float
    #: The counted angle at its extreme in the repetition: the bottom of a squat, the top of a
    #: press (the turning point is the middle of the hold there, within TURN_BAND_SHARE).
    depth_deg: float
    #: From the rest position before it (its extreme) to the repetition's extreme (depth_deg).
    range_deg: float
    #: Left minus right at the turning point (mean over the frames past the turning
    #: threshold); NaN unless both sides were counted.
    asymmetry_deg: float
    #: The trunk's lean from vertical at the turning point (RepSample.trunk_lean_deg).
    trunk_lean_deg: float
    #: The share of its frames in which the angle was measured, 0-1.
    seen_share: float
    #: What stands out, in words ("uneven", "short range", "rushed", "partly seen"); empty
    #: for a good repetition.
    issues: tuple[str, ...] = ()

    @property
    def time_out_s(self) -> float:
        """From rest to the turning point: the way down of a squat, up of a press."""
        return self.turn_s - self.start_s

    @property
    def time_back_s(self) -> float:
        """From the turning point back to rest."""
        return self.end_s - self.turn_s

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def quality(self) -> str:
        """ "good", or what stands out."""
        return ", ".join(self.issues) if self.issues else "good"

    def as_dict(self) -> dict[str, object]:
        """Plain numbers for JSON and CSV: seconds to 3 places, degrees to 1, None for NaN."""
        return {
            "rep": self.number,
            "start_s": _round(self.start_s, 3),
            "turn_s": _round(self.turn_s, 3),
            "end_s": _round(self.end_s, 3),
            "depth_deg": _round(self.depth_deg, 1),
            "range_deg": _round(self.range_deg, 1),
            "time_out_s": _round(self.time_out_s, 3),
            "time_back_s": _round(self.time_back_s, 3),
            "asymmetry_deg": _round(self.asymmetry_deg, 1),
            "trunk_lean_deg": _round(self.trunk_lean_deg, 1),
            "seen_share": _round(self.seen_share, 2),
            "quality": self.quality,
        }


#: The columns of Rep.as_dict, in order.
REP_FIELDS: tuple[str, ...] = (
    "rep",
    "start_s",
    "turn_s",
    "end_s",
    "depth_deg",
    "range_deg",
    "time_out_s",
    "time_back_s",
    "asymmetry_deg",
    "trunk_lean_deg",
    "seen_share",
    "quality",
)


def _round(value: float, places: int) -> float | None:
    return None if math.isnan(value) else round(value, places)


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)]


def measure_rep(
    samples: Sequence[RepSample],
    *,
    start: int,
    end: int,
    turn_is_low: bool,
    past_turn: Sequence[bool],
    number: int,
    earlier: Sequence[Rep] = (),
) -> Rep:
    """Measure the repetition from `samples[start]` (the last at rest) to `samples[end]` (the
    first back at rest); the samples before `start` are the rest before it. `past_turn` marks
    the samples beyond the turning threshold. `earlier` are the person's repetitions before
    it, for the issues that compare."""
    pick = min if turn_is_low else max
    within = range(start, end + 1)
    measured = [i for i in within if not math.isnan(samples[i].angle_deg)]
    turn = pick(measured, key=lambda i: samples[i].angle_deg)
    depth = samples[turn].angle_deg
    # The rest position's extreme just before the repetition: standing tallest, arms lowest.
    rest = _finite([s.angle_deg for s in samples[: start + 1]])
    rest_extreme = (max if turn_is_low else min)(rest) if rest else samples[start].angle_deg
    band = TURN_BAND_SHARE * abs(rest_extreme - depth)
    held = _hold(samples, turn, band, start, end)
    turn_s = (samples[held[0]].time_s + samples[held[-1]].time_s) / 2.0
    at_turn = [i for i in within if past_turn[i]] or [turn]
    differences = _finite([samples[i].left_deg - samples[i].right_deg for i in at_turn])
    leans = [(abs(samples[i].time_s - turn_s), samples[i].trunk_lean_deg) for i in at_turn]
    leans = [pair for pair in leans if not math.isnan(pair[1])]
    rep = Rep(
        number=number,
        start_s=samples[start].time_s,
        turn_s=turn_s,
        end_s=samples[end].time_s,
        depth_deg=depth,
        range_deg=abs(rest_extreme - depth),
        asymmetry_deg=statistics.fmean(differences) if differences else math.nan,
        # At the turning point, or the nearest frame past the threshold where it was seen.
        trunk_lean_deg=min(leans)[1] if leans else math.nan,
        seen_share=len(measured) / len(within),
    )
    return _with_issues(rep, earlier)


def _hold(samples: Sequence[RepSample], turn: int, band: float, start: int, end: int) -> list[int]:
    """The measured samples of the hold at the extreme `samples[turn]`: the unbroken stretch
    around it within `band` degrees of it (unseen samples do not break it, a measured one
    outside does), so that a repetition which comes back near its extreme later, after
    leaving it, does not turn in between. A NaN band (no rest seen) is the extreme alone."""
    depth = samples[turn].angle_deg

    def held(i: int) -> bool | None:
        """True in the band, False out of it, None unseen."""
        angle = samples[i].angle_deg
        return None if math.isnan(angle) else bool(abs(angle - depth) <= band)

    first = last = turn
    while first > start and held(first - 1) is not False:
        first -= 1
    while last < end and held(last + 1) is not False:
        last += 1
    return [i for i in range(first, last + 1) if held(i)] or [turn]


def _with_issues(rep: Rep, earlier: Sequence[Rep]) -> Rep:
    issues = []
    if abs(rep.asymmetry_deg) > UNEVEN_DEG:
        issues.append("uneven")
    # Against the person's own earlier repetitions, once there are two to go by: people
    # differ, and the first repetition of a set is often the odd one.
    if len(earlier) >= 2:
        if rep.range_deg < SHORT_RANGE_SHARE * statistics.median(r.range_deg for r in earlier):
            issues.append("short range")
        if rep.duration_s < RUSHED_SHARE * statistics.median(r.duration_s for r in earlier):
            issues.append("rushed")
    if rep.seen_share < SEEN_SHARE:
        issues.append("partly seen")
    return replace(rep, issues=tuple(issues))


@dataclass(frozen=True)
class SetSummary:
    """One person's set: how many repetitions, and the mean and spread (population standard
    deviation) of their depth, range and tempo."""

    reps: int
    depth_mean_deg: float
    depth_spread_deg: float
    range_mean_deg: float
    range_spread_deg: float
    time_out_mean_s: float
    time_out_spread_s: float
    time_back_mean_s: float
    time_back_spread_s: float
    #: How many repetitions had something stand out (Rep.issues).
    flagged: int

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"reps": self.reps}
        for name, value in self.__dict__.items():
            if name not in ("reps", "flagged"):
                out[name] = _round(value, 3 if name.endswith("_s") else 1)
        out["flagged"] = self.flagged
        return out


def _mean_and_spread(values: Sequence[float]) -> tuple[float, float]:
    values = _finite(values)
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.pstdev(values)


def summarise(reps: Sequence[Rep]) -> SetSummary:
    """The summary of one person's repetitions."""
    depth = _mean_and_spread([r.depth_deg for r in reps])
    span = _mean_and_spread([r.range_deg for r in reps])
    out = _mean_and_spread([r.time_out_s for r in reps])
    back = _mean_and_spread([r.time_back_s for r in reps])
    return SetSummary(len(reps), *depth, *span, *out, *back, sum(bool(r.issues) for r in reps))
