"""Form cues while someone exercises, and a camera check, from the skeleton alone.

Each rule belongs to an exercise (by its name), needs certain joints, and some need a camera
view: knees caving in can only be seen from the front, trunk lean, heels and hip sag only from
the side. A rule stays quiet when its view is not the one in the picture or its joints are not
seen: a wrong cue is worse than none. Each rule speaks at most once per repetition.

The camera check says in words what stops the counting from working: nobody in the picture,
the joints the exercise needs out of it, the person too small, or the wrong view for the
exercise. A state must hold for half a second before it is said, so it does not flicker.

Thresholds are from how these movements are coached, for people in general, with room for
the noise of a 2D skeleton (a few degrees, a few per cent of the body's size); they were not
fitted to any clip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from desktop_app.core.angles import TRUNK_LEAN
from desktop_app.core.reps import Exercise, exercise_angle
from desktop_app.core.skeleton import LANDMARK_INDEX, SEEN_VISIBILITY
from desktop_app.core.tracking import TrackedPerson

# How long a cue stays on the picture after it was said, in seconds.
CUE_SHOWN_S = 2.5
# How long a camera problem must last before it is said, in seconds.
_CAMERA_HOLD_S = 0.5
# How much a new view reading weighs in the running view (per frame at 30 fps, about 0.3 s).
_VIEW_EASE = 0.1
# Shoulder (or hip) breadth over torso length: about 0.7-0.9 facing the camera, under 0.2
# side-on; between, the view is unsure and view-bound rules stay quiet.
_FRONT_RATIO = 0.45
_SIDE_RATIO = 0.25
# A person smaller than this share of the picture's height (the larger side of the box
# around their joints, which a squat's bottom or a plank keeps large) is too small for the
# joints to be measured well: about 180 px in a 720p picture.
_SMALLEST_SHARE = 0.25
# Joints closer than this share of the picture's size to its edge count as out of it.
_EDGE_SHARE = 0.01

_I = LANDMARK_INDEX

#: The words for the joints an exercise needs, as the camera check says them.
_JOINT_WORDS = {
    "shoulders": ("left_shoulder", "right_shoulder"),
    "hips": ("left_hip", "right_hip"),
    "knees": ("left_knee", "right_knee"),
    "feet": ("left_ankle", "right_ankle"),
    "elbows": ("left_elbow", "right_elbow"),
    "hands": ("left_wrist", "right_wrist"),
}


@dataclass(frozen=True)
class CueEvent:
    """A cue said to one person at one moment."""

    time_s: float
    person_id: int
    #: The rule's key, e.g. "squat.knees_in".
    rule: str
    #: What is shown, e.g. "Knees out".
    text: str


@dataclass(frozen=True)
class Rule:
    """One thing to watch for in an exercise."""

    key: str
    text: str
    #: "front", "side" or "" (any view).
    view: str = ""


@dataclass(frozen=True)
class ExerciseNeeds:
    """What the camera must show for an exercise: the joints (by `_JOINT_WORDS`) and the view
    ("" for any)."""

    joints: tuple[str, ...]
    view: str = ""


#: Per exercise name: what the camera must show.
NEEDS: dict[str, ExerciseNeeds] = {
    "squat": ExerciseNeeds(("shoulders", "hips", "knees", "feet")),
    # From the front the elbows bend towards the camera and the angle cannot be seen.
    "pushup": ExerciseNeeds(("shoulders", "elbows", "hands", "hips"), view="side"),
    "curl": ExerciseNeeds(("shoulders", "elbows", "hands", "hips")),
    "lunge": ExerciseNeeds(("hips", "knees", "feet")),
    "shoulder_press": ExerciseNeeds(("shoulders", "elbows", "hands")),
    "front_raise": ExerciseNeeds(("shoulders", "elbows", "hands", "hips")),
    "jumping_jack": ExerciseNeeds(("shoulders", "hands", "hips", "feet")),
}
#: Per exercise name: its rules (the text is what the person reads).
RULES: dict[str, tuple[Rule, ...]] = {
    "squat": (
        Rule("squat.depth", "Go lower"),
        Rule("squat.knees_in", "Knees out", view="front"),
        Rule("squat.trunk_lean", "Chest up", view="side"),
        Rule("squat.heels", "Heels down", view="side"),
    ),
    "pushup": (
        Rule("pushup.depth", "Go lower"),
        Rule("pushup.hips_sag", "Hips up: keep a straight line", view="side"),
        Rule("pushup.hips_pike", "Hips down: keep a straight line", view="side"),
    ),
    "curl": (
        Rule("curl.elbow_drift", "Keep your elbows at your sides", view="side"),
        Rule("curl.swing", "Don't swing: keep your body still"),
    ),
}


def _seen(landmarks: np.ndarray, *names: str) -> bool:
    return all(
        landmarks[_I[n], 3] >= SEEN_VISIBILITY and np.isfinite(landmarks[_I[n], :2]).all()
        for n in names
    )


def _point(landmarks: np.ndarray, name: str) -> np.ndarray:
    return landmarks[_I[name], :2].astype(np.float64)


def _mid(landmarks: np.ndarray, a: str, b: str) -> np.ndarray:
    return (_point(landmarks, a) + _point(landmarks, b)) / 2.0


def view_ratio(landmarks: np.ndarray) -> float:
    """Shoulder or hip breadth over torso length in the picture (NaN when not seen): large
    facing the camera, near 0 side-on."""
    if not _seen(landmarks, "left_shoulder", "right_shoulder", "left_hip", "right_hip"):
        return math.nan
    torso = np.linalg.norm(
        _mid(landmarks, "left_shoulder", "right_shoulder")
        - _mid(landmarks, "left_hip", "right_hip")
    )
    if torso < 1.0:
        return math.nan
    breadth = max(
        np.linalg.norm(_point(landmarks, "left_shoulder") - _point(landmarks, "right_shoulder")),
        np.linalg.norm(_point(landmarks, "left_hip") - _point(landmarks, "right_hip")),
    )
    return float(breadth / torso)


def _body_size_px(landmarks: np.ndarray) -> float:
    seen = (landmarks[:, 3] >= SEEN_VISIBILITY) & np.isfinite(landmarks[:, :2]).all(axis=1)
    if seen.sum() < 4:
        return math.nan
    span = landmarks[seen, :2].max(axis=0) - landmarks[seen, :2].min(axis=0)
    return float(span.max())


def _heel_rise(landmarks: np.ndarray) -> tuple[float, float] | None:
    """How far each heel (left, right) is above its toes, as a share of the body's size; None
    unless both feet are seen."""
    size = _body_size_px(landmarks)
    if math.isnan(size) or not _seen(
        landmarks, "left_heel", "left_foot_index", "right_heel", "right_foot_index"
    ):
        return None
    left, right = (
        float(_point(landmarks, f"{side}_foot_index")[1] - _point(landmarks, f"{side}_heel")[1])
        / size
        for side in ("left", "right")
    )
    return left, right


def _side_offset(landmarks: np.ndarray, side: str) -> float:
    """How far the hip is below the shoulder-ankle line (shoulder-knee when the ankle is not
    seen), as a share of that line's length: positive below it (towards the floor), negative
    above. NaN when not seen or the body is not lying roughly level, as in a plank."""
    shoulder, hip = f"{side}_shoulder", f"{side}_hip"
    for end in (f"{side}_ankle", f"{side}_knee"):
        if _seen(landmarks, shoulder, hip, end):
            a, h, b = _point(landmarks, shoulder), _point(landmarks, hip), _point(landmarks, end)
            dx, dy = b - a
            length = math.hypot(dx, dy)
            if length < 1.0 or abs(dx) < 0.7 * length:
                return math.nan
            line_y = a[1] + (h[0] - a[0]) * dy / dx  # the picture's y grows downward
            return float((h[1] - line_y) / length)
    return math.nan


@dataclass
class _PersonForm:
    """What one person's rules remember between frames."""

    view_ratio: float = math.nan
    #: The exercise angle's lowest point since the person was last at the top, in degrees.
    lowest_deg: float = math.nan
    at_top: bool = False
    reached_bottom: bool = False
    #: Rules already said in this repetition.
    said: set[str] = field(default_factory=set)
    trunk_low_deg: float = math.nan
    trunk_high_deg: float = math.nan
    #: The last cue and when it was said.
    last_text: str = ""
    last_time_s: float = -math.inf
    #: Each heel's height above its toes while standing, as a share of the body's size.
    heel_rise_standing: tuple[float, float] | None = None
    #: Since when a rule's condition has held, in seconds (a cue needs a few frames).
    holding_since_s: dict[str, float] = field(default_factory=dict)

    @property
    def view(self) -> str:
        if math.isnan(self.view_ratio):
            return ""
        if self.view_ratio >= _FRONT_RATIO:
            return "front"
        return "side" if self.view_ratio <= _SIDE_RATIO else ""


@dataclass(frozen=True)
class Coaching:
    """What the coach has to say at one frame."""

    #: A camera problem in words ("" when the camera shows what the exercise needs).
    camera: str = ""
    #: Cues on screen now, by person id (each shown for CUE_SHOWN_S).
    cues: dict[int, str] = field(default_factory=dict)
    #: Cues said at this very frame (for a sound, and the record of the set).
    new: tuple[CueEvent, ...] = ()


class FormCoach:
    """Watches people do `exercise`: form cues per person, and the camera check."""

    # A condition must hold this long before its cue is said, in seconds: one noisy frame
    # is not a fault.
    hold_s = 0.2

    def __init__(self, exercise: Exercise) -> None:
        self.exercise = exercise
        self.rules = {rule.key: rule for rule in RULES.get(exercise.name, ())}
        self.needs = NEEDS.get(exercise.name, ExerciseNeeds(()))
        self._people: dict[int, _PersonForm] = {}
        self._camera_candidate = ""
        self._camera_since_s = 0.0
        self._camera = ""
        #: Every cue said so far, in order.
        self.said: list[CueEvent] = []

    def reset(self) -> None:
        self._people.clear()
        self.said.clear()

    def update(
        self, people: Sequence[TrackedPerson], time_ms: float, frame_size: tuple[int, int]
    ) -> Coaching:
        """Take one frame's people (`frame_size` is (width, height) in pixels)."""
        time_s = time_ms / 1000.0
        seen = [p for p in people if not p.coasting]
        new: list[CueEvent] = []
        for person in seen:
            state = self._people.setdefault(person.id, _PersonForm())
            new.extend(self._watch(person, state, time_s))
        self.said.extend(new)
        cues = {
            pid: s.last_text
            for pid, s in self._people.items()
            if s.last_text and time_s - s.last_time_s <= CUE_SHOWN_S
        }
        return Coaching(self._check_camera(seen, time_s, frame_size), cues, tuple(new))

    # -- the camera check ------------------------------------------------------------------

    def _check_camera(
        self, seen: Sequence[TrackedPerson], time_s: float, frame_size: tuple[int, int]
    ) -> str:
        problem = self._camera_problem(seen, frame_size)
        if problem != self._camera_candidate:
            self._camera_candidate, self._camera_since_s = problem, time_s
        if time_s - self._camera_since_s >= _CAMERA_HOLD_S or not problem:
            self._camera = problem
        return self._camera

    def _camera_problem(self, seen: Sequence[TrackedPerson], frame_size: tuple[int, int]) -> str:
        if not seen:
            return "Step into the picture"
        width, height = frame_size
        person = max(seen, key=lambda p: _body_size_px(p.landmarks_px) or 0.0)
        landmarks = person.landmarks_px
        margin = _EDGE_SHARE * max(width, height)
        missing = []
        for word in self.needs.joints:
            for name in _JOINT_WORDS[word]:
                x, y = landmarks[_I[name], :2]
                inside = margin <= x <= width - margin and margin <= y <= height - margin
                if landmarks[_I[name], 3] < SEEN_VISIBILITY or not inside:
                    missing.append(word)
                    break
        # Side-on, the far limb is hidden behind the near one: one of each pair is enough.
        state = self._people.get(person.id)
        if state is not None and state.view == "side":
            missing = [
                word
                for word in missing
                if not any(landmarks[_I[n], 3] >= SEEN_VISIBILITY for n in _JOINT_WORDS[word])
            ]
        if missing:
            return f"Step back: your {_and(missing)} must be in the picture"
        size = _body_size_px(landmarks)
        if not math.isnan(size) and size < _SMALLEST_SHARE * height:
            return "Come closer: you are small in the picture"
        if state is not None and self.needs.view and state.view and state.view != self.needs.view:
            side = "side-on to" if self.needs.view == "side" else "towards"
            title = (self.exercise.title or self.exercise.name).lower()
            return f"Turn {side} the camera for {title}"
        return ""

    # -- the rules -------------------------------------------------------------------------

    def _watch(self, person: TrackedPerson, state: _PersonForm, time_s: float) -> list[CueEvent]:
        landmarks = person.landmarks_px
        ratio = view_ratio(landmarks)
        if not math.isnan(ratio):
            state.view_ratio = (
                ratio
                if math.isnan(state.view_ratio)
                else state.view_ratio + _VIEW_EASE * (ratio - state.view_ratio)
            )
        e = self.exercise
        angle = exercise_angle(e, person.angles)  # cached on the person
        faults: list[str] = []
        if not math.isnan(angle):
            faults += self._range_faults(state, angle)
        angles = person.angles
        lean = angles[TRUNK_LEAN]
        if not math.isnan(lean):
            state.trunk_low_deg = np.fmin(state.trunk_low_deg, lean)
            state.trunk_high_deg = np.fmax(state.trunk_high_deg, lean)
        if not math.isnan(angle) and angle >= e.up_deg and (rise := _heel_rise(landmarks)):
            state.heel_rise_standing = rise
        near_bottom = not math.isnan(angle) and angle <= e.down_deg + 10.0
        name = e.name
        if name == "squat" and near_bottom:
            faults += self._squat_bottom_faults(landmarks, state, lean)
        elif name == "pushup":
            faults += self._pushup_faults(landmarks)
        elif name == "curl":
            faults += self._curl_faults(angles, state, angle)
        return self._say(person.id, state, faults, time_s)

    def _range_faults(self, state: _PersonForm, angle: float) -> list[str]:
        """A repetition that turned back before the bottom: "Go lower", said as the person
        comes back up. Only for exercises counted on a bend (`{name}.depth` rules)."""
        e = self.exercise
        faults = []
        if angle >= e.up_deg:
            dipped = state.lowest_deg <= e.up_deg - 0.4 * (e.up_deg - e.down_deg)
            if state.at_top and not state.reached_bottom and dipped:
                faults.append(f"{e.name}.depth")
            if not state.at_top or state.reached_bottom or dipped:
                # Back at the top after going down: the next repetition starts, and each rule
                # may speak again.
                state.said.clear()
                state.trunk_low_deg = state.trunk_high_deg = math.nan
            state.at_top, state.reached_bottom, state.lowest_deg = True, False, angle
        else:
            state.lowest_deg = float(np.fmin(state.lowest_deg, angle))
            if angle <= e.down_deg:
                state.reached_bottom = True
        return faults

    def _squat_bottom_faults(
        self, landmarks: np.ndarray, state: _PersonForm, lean: float
    ) -> list[str]:
        faults = []
        if _seen(landmarks, "left_knee", "right_knee", "left_ankle", "right_ankle"):
            knees = abs(_point(landmarks, "left_knee")[0] - _point(landmarks, "right_knee")[0])
            ankles = abs(_point(landmarks, "left_ankle")[0] - _point(landmarks, "right_ankle")[0])
            # Knees should track over the feet; closer together than 3/4 of the ankles' width
            # is the knee valgus coaches call out.
            if ankles > 0 and knees < 0.75 * ankles:
                faults.append("squat.knees_in")
        # A back squat leans some 30-45 degrees; past 55 the chest is dropping.
        if not math.isnan(lean) and lean > 55.0:
            faults.append("squat.trunk_lean")
        rise = _heel_rise(landmarks)
        # Both heels clearly higher above the toes than when standing: a camera looking down
        # puts a flat foot's heel above its toes already, and one foot's landmarks alone
        # wander by as much as a real lift.
        standing = state.heel_rise_standing
        if rise is not None and standing is not None:
            lifted = [r - r0 > 0.04 for r, r0 in zip(rise, standing, strict=True)]
            if all(lifted):
                faults.append("squat.heels")
        return faults

    def _pushup_faults(self, landmarks: np.ndarray) -> list[str]:
        offsets = [
            o for side in ("left", "right") if not math.isnan(o := _side_offset(landmarks, side))
        ]
        if not offsets:
            return []
        offset = float(np.mean(offsets))
        # A straight plank keeps the hip within a few per cent of the shoulder-ankle line.
        if offset > 0.08:
            return ["pushup.hips_sag"]
        if offset < -0.12:
            return ["pushup.hips_pike"]
        return []

    def _curl_faults(self, angles: dict[str, float], state: _PersonForm, angle: float) -> list[str]:
        faults = []
        bent = not math.isnan(angle) and angle <= self.exercise.down_deg + 20.0
        # The shoulder angle (hip-shoulder-elbow) is the upper arm's angle from the trunk: it
        # should hang along it; 35 degrees forward is the shoulder lifting the weight.
        if bent and any(angles[f"{side}_shoulder"] > 35.0 for side in ("left", "right")):
            faults.append("curl.elbow_drift")
        # The trunk rocking more than 15 degrees within one repetition is a swing.
        if state.trunk_high_deg - state.trunk_low_deg > 15.0:
            faults.append("curl.swing")
        return faults

    def _say(
        self, person_id: int, state: _PersonForm, faults: Iterable[str], time_s: float
    ) -> list[CueEvent]:
        faults = set(faults)
        for key in list(state.holding_since_s):
            if key not in faults:
                del state.holding_since_s[key]
        said = []
        for key in sorted(faults):
            rule = self.rules.get(key)
            if rule is None or key in state.said:
                continue
            if rule.view and state.view != rule.view:
                continue  # the picture cannot show this fault: stay quiet
            since = state.holding_since_s.setdefault(key, time_s)
            # "Go lower" is a judgement on a whole repetition, said at once.
            if time_s - since < self.hold_s and not key.endswith(".depth"):
                continue
            state.said.add(key)
            state.last_text, state.last_time_s = rule.text, time_s
            said.append(CueEvent(time_s, person_id, key, rule.text))
        return said


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


__all__ = [
    "CUE_SHOWN_S",
    "NEEDS",
    "RULES",
    "Coaching",
    "CueEvent",
    "ExerciseNeeds",
    "FormCoach",
    "Rule",
    "view_ratio",
]
