"""Counting repetitions of an exercise from one joint angle, with hysteresis.

The angle has two thresholds. Below `down_deg` the person is in the low position ("down"),
above `up_deg` in the high one ("up"); between the two nothing changes, so noise around one
threshold cannot flip the stage back and forth. A new stage must also hold for `min_stage_s`
before it counts, which stops a wild frame or two from making a stage, and so a repetition
takes at least two holds. A repetition is a trip from the stage it starts in (the rest: up for
a squat, down for a shoulder press) to the other (the turn) and back, and it is counted when
the person is back at rest: a half squat that never reaches the bottom does not count, nor does
a descent that is not finished, nor one that began before the person was first seen at rest
(a clip that opens mid-repetition). Frames where the joints are not seen
(core.skeleton.SEEN_VISIBILITY, the one rule for every angle) are skipped: nothing is counted
on guessed joints.

For a biceps curl "down" means the elbow is bent (the angle is small) and "up" that the arm is
straight; the counting is the same.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np

from desktop_app.core.angles import JOINT_ANGLES, TRUNK_LEAN
from desktop_app.core.rep_analysis import Rep, RepSample, measure_rep
from desktop_app.core.skeleton import LANDMARK_INDEX
from desktop_app.core.tracking import TrackedPerson


class Stage(str, Enum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class Exercise:
    """What to count. Angles in degrees, times in seconds."""

    name: str
    #: The joint angles followed (see core.angles): usually a left and right pair, combined by
    #: `exercise_angle`.
    angles: tuple[str, ...]
    #: At or below this the person is in the low position.
    down_deg: float
    #: At or above this the person is in the high position.
    up_deg: float
    #: How long a new stage must hold before it counts.
    min_stage_s: float = 0.1
    #: The name people see ("Squats"); the key `name` if empty.
    title: str = ""
    #: The joints followed, in words ("knees"), shown beside the title in the settings.
    joints: str = ""
    #: The stage a repetition starts and ends in: UP (the angle high: standing, arms
    #: straight) for squats, push-ups and curls; DOWN (the angle low: arms by the sides, the
    #: bar at the shoulders) for presses, raises and jumping jacks.
    starts: Stage = Stage.UP

    @property
    def label(self) -> str:
        """How the window names the exercise in its settings: "Squats (knees)"."""
        title = self.title or self.name
        return f"{title} ({self.joints})" if self.joints else title

    @property
    def turns(self) -> Stage:
        """The stage a repetition turns back in: the bottom of a squat, the top of a press."""
        return Stage.DOWN if self.starts == Stage.UP else Stage.UP

    def __post_init__(self) -> None:
        if not self.down_deg < self.up_deg:
            raise ValueError(
                f"{self.name}: down ({self.down_deg}) must be below up ({self.up_deg})"
            )
        if self.starts not in (Stage.UP, Stage.DOWN):
            raise ValueError(f"{self.name}: a repetition starts up or down, not {self.starts}")


_KNEES = ("left_knee", "right_knee")
_ELBOWS = ("left_elbow", "right_elbow")
_SHOULDERS = ("left_shoulder", "right_shoulder")

#: The presets of `--exercise`, in angles in the picture (the angles PoseCam draws). Their
#: thresholds come from how each movement is done and coached, for people in general, with
#: room for a 2D skeleton's error of some 10 degrees; they were not fitted to any clip. Each
#: works from the view that shows its joints bending: from the side for push-ups, lunges,
#: presses and front raises, from the front for jumping jacks, either for squats and curls.
EXERCISES: dict[str, Exercise] = {
    # Standing knees are 170-180 degrees; a parallel squat takes them to about 90, a quarter
    # squat to about 135. 110 asks for a real squat, well past a dip of the knees.
    "squat": Exercise("squat", _KNEES, 110.0, 160.0, title="Squats", joints="knees"),
    # A push-up's elbows go from straight to about 90 at the bottom.
    "pushup": Exercise("pushup", _ELBOWS, 100.0, 150.0, title="Push-ups", joints="elbows"),
    # A curl bends the elbow from straight to 30-50 degrees.
    "curl": Exercise("curl", _ELBOWS, 70.0, 140.0, title="Biceps curls", joints="elbows"),
    # Both knees bend to about 90 at the bottom of a lunge or split squat; at the top the back
    # knee often stays a little bent, so "up" asks for 150 where a squat asks for 160. The
    # mean of both knees also does not care which leg is in front, nor whether the skeleton
    # swaps them.
    "lunge": Exercise("lunge", _KNEES, 110.0, 150.0, title="Lunges", joints="knees"),
    # The bar or dumbbells at the shoulders bend the elbows to 40-90 degrees (90 with the upper
    # arms out to the sides, seen from the front); locked out overhead they are straight.
    "shoulder_press": Exercise(
        "shoulder_press",
        _ELBOWS,
        100.0,
        150.0,
        title="Shoulder presses",
        joints="elbows",
        starts=Stage.DOWN,
    ),
    # The shoulder angle (hip-shoulder-elbow) is 0-20 with the arms hanging and 90 with them
    # held straight out in front at shoulder height: "up" asks for within 20 degrees of that,
    # "down" for the arms back within 40 of the sides.
    "front_raise": Exercise(
        "front_raise",
        _SHOULDERS,
        40.0,
        70.0,
        title="Front raises",
        joints="shoulders",
        starts=Stage.DOWN,
    ),
    # A jumping jack swings the arms from the sides (0-20 degrees) to overhead (150-180); "up"
    # asks for well above shoulder height, "down" for the arms most of the way back.
    "jumping_jack": Exercise(
        "jumping_jack",
        _SHOULDERS,
        50.0,
        120.0,
        title="Jumping jacks",
        joints="shoulders",
        starts=Stage.DOWN,
    ),
}

_I = LANDMARK_INDEX
#: The landmarks each followed angle is measured from.
_ANGLE_LANDMARKS: dict[str, tuple[int, ...]] = {
    **JOINT_ANGLES,
    TRUNK_LEAN: (_I["left_shoulder"], _I["right_shoulder"], _I["left_hip"], _I["right_hip"]),
}
#: A side whose landmarks are seen this much less surely than the other side's (visibility,
#: 0-1) is left out. Seen from the side, the far limb is hidden behind the body and the model
#: guesses where it is, often with a visibility just above the "seen" line (0.5-0.8 against
#: 0.95 and more for the near limb); its angle is then a guess that would pull the mean.
#: Facing the camera both sides are seen alike and both count.
SIDE_VISIBILITY_MARGIN = 0.2


def sides_used(
    exercise: Exercise, angles: dict[str, float], landmarks_px: np.ndarray | None = None
) -> list[str]:
    """The exercise's angles that count in this frame: those seen, and with `landmarks_px`
    ((33, 4), visibility last) only those seen nearly as surely as the best-seen one."""
    seen = [name for name in exercise.angles if not math.isnan(angles[name])]
    if landmarks_px is None or len(seen) < 2:
        return seen
    sureness = {name: float(np.min(landmarks_px[list(_ANGLE_LANDMARKS[name]), 3])) for name in seen}
    best = max(sureness.values())
    return [name for name in seen if sureness[name] >= best - SIDE_VISIBILITY_MARGIN]


def exercise_angle(
    exercise: Exercise, angles: dict[str, float], landmarks_px: np.ndarray | None = None
) -> float:
    """The exercise's angle from one person's joint angles (TrackedPerson.angles): the mean
    of those it follows that are seen (see `sides_used`). The mean of a left and right pair
    stays the same when the skeleton swaps the two limbs, as it does now and then side-on."""
    values = [angles[name] for name in sides_used(exercise, angles, landmarks_px)]
    return float(np.mean(values)) if values else math.nan


def person_angle(exercise: Exercise, person: TrackedPerson) -> float:
    """The angle counted for `person` in this frame: NaN while they are not seen (shown
    where they were last, fading), else `exercise_angle` with the better-seen side rule."""
    if person.coasting:
        return math.nan
    return exercise_angle(exercise, person.angles, person.landmarks_px)


def person_sides(exercise: Exercise, person: TrackedPerson) -> tuple[float, float]:
    """The left and right angles of a two-sided exercise when both count in this frame
    (`sides_used`), else NaN."""
    if person.coasting or len(exercise.angles) != 2:
        return math.nan, math.nan
    used = sides_used(exercise, person.angles, person.landmarks_px)
    if len(used) != 2:
        return math.nan, math.nan
    left, right = exercise.angles
    return person.angles[left], person.angles[right]


#: The rest before a repetition that is kept for measuring it (its range starts from the rest
#: position's extreme), in seconds.
REST_KEPT_S = 3.0
#: Longer than this away from rest is not a repetition (sitting down, lying on the floor
#: between sets): the person must come back to rest before the next one counts. The slowest
#: tempo work takes some 20 s a repetition.
MAX_REP_S = 30.0


@dataclass
class RepCounter:
    """Counts one person's repetitions from their angle over time, and measures each one
    (core.rep_analysis)."""

    exercise: Exercise
    count: int = 0
    stage: Stage = Stage.UNKNOWN
    #: The angle last used, in degrees (NaN if the joints were not seen).
    angle_deg: float = math.nan
    #: Every repetition counted, measured, in order.
    reps: list[Rep] = field(default_factory=list)
    #: When the person was last given to the counter, in seconds (-inf before that).
    last_time_s: float = -math.inf
    _candidate: Stage = Stage.UNKNOWN
    _candidate_since_s: float = 0.0
    _reached_turn: bool = False
    _started_at_rest: bool = False
    # The frames since the rest before the current repetition, the zone each was in (UNKNOWN
    # between the thresholds or unseen), the last one at rest and the first of the candidate.
    _samples: list[RepSample] = field(default_factory=list)
    _zones: list[Stage] = field(default_factory=list)
    _rest_index: int = -1
    _candidate_index: int = 0

    @property
    def last_rep(self) -> Rep | None:
        return self.reps[-1] if self.reps else None

    def update(
        self,
        angle_deg: float,
        time_s: float,
        *,
        left_deg: float = math.nan,
        right_deg: float = math.nan,
        trunk_lean_deg: float = math.nan,
    ) -> Stage:
        """Take the angle at `time_s` (NaN when not seen); returns the stage. The sides and the
        trunk's lean, when given, are only measured (Rep), never counted on."""
        self.angle_deg = angle_deg
        self.last_time_s = time_s
        e = self.exercise
        zone = Stage.UNKNOWN
        if angle_deg <= e.down_deg:
            zone = Stage.DOWN
        elif angle_deg >= e.up_deg:
            zone = Stage.UP
        self._remember(RepSample(time_s, angle_deg, left_deg, right_deg, trunk_lean_deg), zone)
        if math.isnan(angle_deg):
            return self.stage
        if zone == Stage.UNKNOWN:
            zone = self.stage  # between the thresholds: hysteresis, no change
        if zone == self.stage:
            self._candidate = zone
            return self.stage
        if zone != self._candidate:
            self._candidate, self._candidate_since_s = zone, time_s
            self._candidate_index = len(self._samples) - 1
        if time_s - self._candidate_since_s >= e.min_stage_s:
            self._enter(zone)
        return self.stage

    def _remember(self, sample: RepSample, zone: Stage) -> None:
        rest = self.exercise.starts
        self._samples.append(sample)
        self._zones.append(zone)
        if self.stage == rest and zone == rest:
            self._rest_index = len(self._samples) - 1
        # Kept: the few seconds before the last frame at rest (the rest position, for the
        # range) and everything since, for at most MAX_REP_S.
        last_rest_s = self._samples[self._rest_index].time_s if self._rest_index >= 0 else None
        if last_rest_s is None or sample.time_s - last_rest_s > MAX_REP_S:
            if last_rest_s is not None and self.stage == self.exercise.turns:
                self._started_at_rest = False  # too long away: not a repetition
            self._rest_index, last_rest_s = -1, sample.time_s
        self._forget_before(last_rest_s - REST_KEPT_S)

    def _forget_before(self, time_s: float) -> None:
        keep = next((i for i, s in enumerate(self._samples) if s.time_s >= time_s), None)
        keep = len(self._samples) if keep is None else keep
        if keep:
            del self._samples[:keep], self._zones[:keep]
            self._rest_index = max(self._rest_index - keep, -1)
            self._candidate_index = max(self._candidate_index - keep, 0)

    def _enter(self, stage: Stage) -> None:
        if stage == self.exercise.starts:
            if self._reached_turn and self._started_at_rest:
                self.count += 1
                self.reps.append(self._measure())
            self._started_at_rest = True
            self._reached_turn = False
            # The frames from the return on are the rest before the next repetition.
            self._forget_before(self._samples[self._candidate_index].time_s)
            self._rest_index = len(self._samples) - 1
        elif self._started_at_rest:
            self._reached_turn = True
        self.stage = stage

    def _measure(self) -> Rep:
        turns = self.exercise.turns
        return measure_rep(
            self._samples,
            # With no frame at rest kept (a long pause between the thresholds), the oldest.
            start=max(self._rest_index, 0),
            end=self._candidate_index,
            turn_is_low=turns == Stage.DOWN,
            past_turn=[zone == turns for zone in self._zones],
            number=self.count,
            earlier=self.reps,
        )

    def reset(self) -> None:
        self.count = 0
        self.stage = self._candidate = Stage.UNKNOWN
        self._reached_turn = self._started_at_rest = False
        self.reps.clear()
        self._samples.clear()
        self._zones.clear()
        self._rest_index, self._candidate_index = -1, 0


@dataclass
class RepTracker:
    """A RepCounter per tracked person (by track id), so people's counts never mix."""

    exercise: Exercise
    counters: dict[int, RepCounter] = field(default_factory=dict)

    def update(self, people: Sequence[TrackedPerson], time_ms: float) -> None:
        for person in people:
            counter = self.counters.setdefault(person.id, RepCounter(self.exercise))
            left, right = person_sides(self.exercise, person)
            lean = math.nan if person.coasting else person.angles_3d[TRUNK_LEAN]
            counter.update(
                person_angle(self.exercise, person),
                time_ms / 1000.0,
                left_deg=left,
                right_deg=right,
                trunk_lean_deg=lean,
            )

    def counts(self) -> dict[int, int]:
        return {pid: c.count for pid, c in sorted(self.counters.items())}

    def all_reps(self) -> dict[int, list[Rep]]:
        """Every person's repetitions, measured, by person id."""
        return {pid: list(c.reps) for pid, c in sorted(self.counters.items())}

    def reps_since(self, since_s: float) -> dict[int, list[Rep]]:
        """Every person's repetitions that began at `since_s` or later (source time, in
        seconds), as a set of their own: numbered from 1, their times in seconds from
        `since_s`. For a recording started part way through a session: it holds the
        repetitions done while it ran, on its own timeline, and none begun before it; and the
        people it saw, not those gone before it began."""
        out: dict[int, list[Rep]] = {}
        for pid, counter in sorted(self.counters.items()):
            if counter.last_time_s < since_s:
                continue
            kept = [rep for rep in counter.reps if rep.start_s >= since_s]
            out[pid] = [
                replace(
                    rep,
                    number=number,
                    start_s=rep.start_s - since_s,
                    turn_s=rep.turn_s - since_s,
                    end_s=rep.end_s - since_s,
                )
                for number, rep in enumerate(kept, start=1)
            ]
        return out

    def reset(self) -> None:
        self.counters.clear()
