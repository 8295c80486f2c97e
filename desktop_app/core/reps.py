"""Counting repetitions of an exercise from one joint angle, with hysteresis.

The angle has two thresholds. Below `down_deg` the person is in the bottom position ("down"),
above `up_deg` at the top ("up"); between the two nothing changes, so noise around one threshold
cannot flip the stage back and forth. A new stage must also hold for `min_stage_s` before it
counts, which stops a single wild frame from making a stage. A repetition is counted when the
person comes back up past `up_deg` after reaching `down_deg`, having started from the top: a
half squat that never reaches the bottom does not count, nor does a descent that is not
finished. Frames where the joints are not seen (core.skeleton.SEEN_VISIBILITY, the one rule
for every angle) are skipped: nothing is counted on guessed joints.

For a biceps curl "down" means the elbow is bent (the angle is small) and "up" that the arm is
straight; the counting is the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from desktop_app.core.tracking import TrackedPerson


class Stage(str, Enum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class Exercise:
    """What to count. Angles in degrees, times in seconds."""

    name: str
    #: The joint angles followed (see core.angles); the mean of those that are seen is used.
    angles: tuple[str, ...]
    #: At or below this the person is at the bottom.
    down_deg: float
    #: At or above this the person is at the top.
    up_deg: float
    #: How long a new stage must hold before it counts.
    min_stage_s: float = 0.15
    #: The name people see ("Squats"); the key `name` if empty.
    title: str = ""
    #: The joints followed, in words ("knees"), shown beside the title in the settings.
    joints: str = ""

    @property
    def label(self) -> str:
        """How the window names the exercise in its settings: "Squats (knees)"."""
        title = self.title or self.name
        return f"{title} ({self.joints})" if self.joints else title

    def __post_init__(self) -> None:
        if not self.down_deg < self.up_deg:
            raise ValueError(
                f"{self.name}: down ({self.down_deg}) must be below up ({self.up_deg})"
            )


#: The presets of `--exercise`. Thresholds are knee or elbow angles in degrees.
EXERCISES: dict[str, Exercise] = {
    "squat": Exercise(
        "squat", ("left_knee", "right_knee"), 110.0, 160.0, title="Squats", joints="knees"
    ),
    "pushup": Exercise(
        "pushup", ("left_elbow", "right_elbow"), 100.0, 150.0, title="Push-ups", joints="elbows"
    ),
    "curl": Exercise(
        "curl", ("left_elbow", "right_elbow"), 70.0, 140.0, title="Biceps curls", joints="elbows"
    ),
}


@dataclass
class RepCounter:
    """Counts one person's repetitions from their angle over time."""

    exercise: Exercise
    count: int = 0
    stage: Stage = Stage.UNKNOWN
    #: The angle last used, in degrees (NaN if the joints were not seen).
    angle_deg: float = math.nan
    _candidate: Stage = Stage.UNKNOWN
    _candidate_since_s: float = 0.0
    _reached_bottom: bool = False
    _started_at_top: bool = False

    def update(self, angle_deg: float, time_s: float) -> Stage:
        """Take the angle at `time_s` (NaN when not seen); returns the stage."""
        self.angle_deg = angle_deg
        if math.isnan(angle_deg):
            return self.stage
        e = self.exercise
        if angle_deg <= e.down_deg:
            zone = Stage.DOWN
        elif angle_deg >= e.up_deg:
            zone = Stage.UP
        else:
            zone = self.stage  # between the thresholds: hysteresis, no change
        if zone == self.stage:
            self._candidate = zone
            return self.stage
        if zone != self._candidate:
            self._candidate, self._candidate_since_s = zone, time_s
        if time_s - self._candidate_since_s >= e.min_stage_s:
            self._enter(zone)
        return self.stage

    def _enter(self, stage: Stage) -> None:
        if stage == Stage.UP:
            if self._reached_bottom and self._started_at_top:
                self.count += 1
            self._started_at_top = True
            self._reached_bottom = False
        elif stage == Stage.DOWN and self._started_at_top:
            self._reached_bottom = True
        self.stage = stage

    def reset(self) -> None:
        self.count = 0
        self.stage = self._candidate = Stage.UNKNOWN
        self._reached_bottom = self._started_at_top = False


def exercise_angle(exercise: Exercise, angles: dict[str, float]) -> float:
    """The exercise's angle from one person's joint angles (TrackedPerson.angles): the mean
    of those it follows that are seen."""
    values = [angles[name] for name in exercise.angles if not math.isnan(angles[name])]
    return float(np.mean(values)) if values else math.nan


@dataclass
class RepTracker:
    """A RepCounter per tracked person (by track id), so people's counts never mix."""

    exercise: Exercise
    counters: dict[int, RepCounter] = field(default_factory=dict)

    def update(self, people: list[TrackedPerson], time_ms: float) -> None:
        for person in people:
            counter = self.counters.setdefault(person.id, RepCounter(self.exercise))
            # A person shown where predicted (not seen this frame) is not measured.
            angle = math.nan if person.coasting else exercise_angle(self.exercise, person.angles)
            counter.update(angle, time_ms / 1000.0)

    def counts(self) -> dict[int, int]:
        return {pid: c.count for pid, c in sorted(self.counters.items())}

    def reset(self) -> None:
        self.counters.clear()
