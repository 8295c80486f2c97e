"""Person identities across frames, and a smoothing filter per person.

Detections are matched to tracks by the Hungarian method on the mean distance between a
track's predicted landmarks and a detection's, measured in person-sizes so that the gate
means the same for near and far people. Before that, what the model says is checked:

* two detections on one body (most of their landmarks on top of each other) become one, the
  more confident; the pose model with `num_poses >= 2` sometimes finds one person twice;
* a detection whose limbs are far longer or shorter than its track's own history (parts of
  two people in one skeleton, a limb snapped onto the background) is not taken for that
  track; if the track keeps seeing such shapes, it restarts. Only limb lengths relative to the
  body are judged, never orientation: a flip or a handstand keeps its limb lengths;
* a person whose left and right limbs the model swapped for a few frames is swapped back when
  the swapped assignment fits the track's prediction far better.

A track nobody continued is not drawn as if seen: it stays where it was last seen, fading out
over `fade_s`, and may be picked up again until `max_coast_s`. A detection nobody claims starts
a new track with the lowest free id, so a lone person keeps id 0 even after leaving and coming
back. Time going backwards or jumping ahead (a loop, a seek, a new source) restarts all tracks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Protocol

import numpy as np

from desktop_app.core.angles import image_angles, world_angles
from desktop_app.core.frame import PersonPose
from desktop_app.core.skeleton import LANDMARK_INDEX, LANDMARK_NAMES, SEEN_VISIBILITY

# Visibility above which a landmark counts when measuring a person's size and position.
_SEEN = SEEN_VISIBILITY

#: Each landmark's mirror image: left <-> right (the nose and others map to themselves).
MIRROR = np.array(
    [
        LANDMARK_INDEX.get(
            name.replace("left", "@").replace("right", "left").replace("@", "right"), i
        )
        for i, name in enumerate(LANDMARK_NAMES)
    ]
)
#: Bones whose lengths, relative to the person's size, make a skeleton's shape: upper arms,
#: forearms, thighs, shins, and the two sides of the trunk.
SHAPE_BONES = np.array(
    [(11, 13), (13, 15), (12, 14), (14, 16), (23, 25), (25, 27), (24, 26), (26, 28),
     (11, 23), (12, 24)]
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class TrackedPerson:
    """A person in one frame after tracking and smoothing."""

    #: Stable across frames while the person stays in view.
    id: int
    #: (33, 4) x_px, y_px, z, visibility after smoothing (see core.pose for the spaces).
    landmarks_px: np.ndarray
    #: (33, 4) as the model gave them, before smoothing; all NaN while coasting.
    raw_landmarks_px: np.ndarray
    #: (33, 3) world landmarks in metres, as the model gave them last.
    world_m: np.ndarray
    #: True when the person was not detected in this frame (shown where last seen, fading).
    coasting: bool = False
    #: How strongly to draw the person, 0-1: 1 when seen, fading while coasting.
    opacity: float = 1.0
    #: Gives `landmarks_px` as the frames since revise them, or None when they cannot
    #: (core.filters.KalmanLandmarkFilter.revisable); None when nothing can revise them.
    revise: Callable[[], np.ndarray | None] | None = field(default=None, repr=False)

    def revised(self) -> TrackedPerson:
        """This person with the landmarks the frames since give them (itself if none)."""
        better = self.revise() if self.revise is not None else None
        if better is None:
            return self
        return replace(self, landmarks_px=better, revise=None)

    @property
    def drawn(self) -> bool:
        """Whether the person appears in the picture at all."""
        return self.opacity > 0.0

    # Angles are worked out once per person and frame, here, and read by everything that
    # needs them (the rep counter, the drawing, the keypoint files), so the angle drawn, the
    # angle counted and the angle written are the same number under the same visibility rule.
    @cached_property
    def angles(self) -> dict[str, float]:
        """Joint angles in the picture, in degrees (core.angles), NaN where not seen."""
        return image_angles(self.landmarks_px)

    @cached_property
    def angles_3d(self) -> dict[str, float]:
        """Joint angles from the world landmarks, in degrees, NaN where not seen."""
        return world_angles(self.world_m, self.landmarks_px[:, 3])


class LandmarkFilter(Protocol):
    """One person's landmark filter (see core.filters)."""

    @property
    def started(self) -> bool: ...

    def reset(self) -> None: ...

    def step(self, landmarks: np.ndarray | None, time_s: float, size_px: float) -> np.ndarray: ...

    def predicted_xy(self, time_s: float) -> np.ndarray: ...

    def revisable(self) -> Callable[[], np.ndarray | None] | None: ...


@dataclass(frozen=True)
class TrackingSettings:
    """How people are followed from frame to frame."""

    #: How long a person who is no longer detected may still be picked up again, in seconds.
    max_coast_s: float = 0.5
    #: How long a person who is no longer detected fades out where last seen, in seconds.
    fade_s: float = 0.15
    #: Largest mean landmark distance, as a fraction of the person's size, for a detection
    #: to continue a track rather than start a new one.
    match_distance: float = 0.6
    #: At most this many people are tracked at once (the pose model's `num_poses`).
    max_people: int = 1
    #: Two detections are one person when at least half their commonly seen landmarks lie
    #: within this fraction of the person's size of each other.
    duplicate_distance: float = 0.12
    #: A limb more than this factor longer than its track's usual length, relative to the
    #: person's size, makes the detection implausible for that track.
    shape_tolerance: float = 2.0
    #: A detection nobody claimed whose trunk centre lies within this fraction of the
    #: person's size of a just-lost track's takes that track over (same id, filter restarted).
    resume_distance: float = 0.5
    #: After this many implausible detections in a row the track restarts with the new shape.
    implausible_restart: int = 3
    #: The swapped left/right assignment is taken when its distance to the prediction is
    #: below this fraction of the unswapped one.
    swap_ratio: float = 0.5
    #: A gap between frames longer than this, in seconds, or time going backwards, restarts
    #: all tracks (a seek, a loop, a new source).
    max_gap_s: float = 1.0
    #: The people followed keep their places while they coast (until `max_coast_s`), and
    #: newcomers wait: for a pose stage that looks for more people than are wanted (one
    #: person found afresh in every frame, core.pipeline), where someone else in view is
    #: always a candidate. Without it, one frame where the person followed is missed would
    #: hand their skeleton, and their id, to that someone else. When more newcomers than
    #: places remain, the largest (the nearest the camera) come first.
    newcomers_wait: bool = False

    def with_people(self, max_people: int) -> TrackingSettings:
        return replace(self, max_people=max_people)


#: Ids only, for `--smoothing none`: what is drawn is exactly what the model said (no
#: coasting, no merging, no shape checks, no left/right correction).
RAW_TRACKING = TrackingSettings(
    max_coast_s=0.0,
    fade_s=0.0,
    duplicate_distance=0.0,
    resume_distance=0.0,
    shape_tolerance=math.inf,
    implausible_restart=1,
    swap_ratio=0.0,
)


def person_size_px(landmarks: np.ndarray) -> float:
    """The larger side of the box around the person's seen landmarks, in pixels."""
    seen = landmarks[:, 3] >= _SEEN
    points = landmarks[seen, :2] if seen.sum() >= 4 else landmarks[:, :2]
    span = points.max(axis=0) - points.min(axis=0)
    return float(max(span.max(), 1.0))


def bone_lengths(landmarks: np.ndarray, size_px: float) -> np.ndarray:
    """Lengths of SHAPE_BONES relative to `size_px`, NaN where an end is not seen."""
    a, b = landmarks[SHAPE_BONES[:, 0]], landmarks[SHAPE_BONES[:, 1]]
    lengths = np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1]) / size_px
    seen = (a[:, 3] >= _SEEN) & (b[:, 3] >= _SEEN)
    return np.where(seen, lengths, np.nan)


def _cheapest_assignment(cost: np.ndarray) -> tuple[list[int], list[int]]:
    """Rows and columns paired so that the total cost is least: the Hungarian method (Kuhn and
    Munkres, with row and column potentials), for any shape; min(rows, cols) pairs, sorted by
    row. Written here rather than taken from SciPy: ten people a side take 0.1 ms in Python
    (two, 6 microseconds), and the packaged app need not carry SciPy."""
    if cost.shape[0] > cost.shape[1]:
        cols, rows = _cheapest_assignment(cost.T)
        pairs = sorted(zip(rows, cols, strict=True))
        return [r for r, _ in pairs], [c for _, c in pairs]
    n_rows, n_cols = cost.shape
    # Potentials (u for rows, v for columns) keep every reduced cost cost - u - v >= 0; a row
    # is added at a time along the cheapest path of reduced costs. Column 0 is a virtual
    # start: owner[c] is the row (1-based, 0 for none) that column c (1-based) is paired with.
    u = [0.0] * (n_rows + 1)
    v = [0.0] * (n_cols + 1)
    owner = [0] * (n_cols + 1)
    came_from = [0] * (n_cols + 1)
    for row in range(1, n_rows + 1):
        owner[0] = row
        column = 0
        slack = [math.inf] * (n_cols + 1)
        visited = [False] * (n_cols + 1)
        while owner[column] != 0:
            visited[column] = True
            current = owner[column]
            step, nearest = math.inf, 0
            for c in range(1, n_cols + 1):
                if visited[c]:
                    continue
                reduced = float(cost[current - 1, c - 1]) - u[current] - v[c]
                if reduced < slack[c]:
                    slack[c], came_from[c] = reduced, column
                if slack[c] < step:
                    step, nearest = slack[c], c
            for c in range(n_cols + 1):
                if visited[c]:
                    u[owner[c]] += step
                    v[c] -= step
                else:
                    slack[c] -= step
            column = nearest
        # Walk the path back, shifting each column to the row that reached it.
        while column != 0:
            previous = came_from[column]
            owner[column] = owner[previous]
            column = previous
    pairs = sorted((owner[c] - 1, c - 1) for c in range(1, n_cols + 1) if owner[c] != 0)
    return [r for r, _ in pairs], [c for _, c in pairs]


_TRUNK = [11, 12, 23, 24]


def _trunk_centre(landmarks: np.ndarray) -> np.ndarray:
    """The middle of the seen shoulders and hips (of all seen landmarks if none is seen)."""
    seen = landmarks[_TRUNK, 3] >= _SEEN
    if seen.any():
        return landmarks[_TRUNK][seen, :2].mean(axis=0)
    everything = landmarks[:, 3] >= _SEEN
    return landmarks[everything if everything.any() else slice(None), :2].mean(axis=0)


def confidence(person: PersonPose) -> float:
    """Mean visibility of a detection's landmarks: how sure the model is of it."""
    return float(np.mean(person.landmarks_px[:, 3]))


def drop_duplicates(people: list[PersonPose], distance: float) -> list[PersonPose]:
    """The detections with every second detection of one body removed (the more confident
    one is kept). `distance` is a fraction of the larger person's size."""
    ordered = sorted(people, key=confidence, reverse=True)
    kept: list[PersonPose] = []
    for person in ordered:
        if not any(_same_body(person, other, distance) for other in kept):
            kept.append(person)
    return kept


def _same_body(a: PersonPose, b: PersonPose, distance: float) -> bool:
    la, lb = a.landmarks_px, b.landmarks_px
    both = (la[:, 3] >= _SEEN) & (lb[:, 3] >= _SEEN)
    if both.sum() < 4:
        both = np.ones(len(la), bool)
    size = max(person_size_px(la), person_size_px(lb))
    close = np.hypot(*(la[both, :2] - lb[both, :2]).T) <= distance * size
    return bool(close.mean() >= 0.5)


# The two sides of the trunk (shoulder to hip) among SHAPE_BONES.
_TRUNK_BONES = [8, 9]


def _distance(track: _Track, predicted_xy: np.ndarray, landmarks: np.ndarray) -> float:
    """Mean distance of the detection's seen landmarks from where the track expects them
    (`predicted_xy`, (33, 2) pixels), in the track's person-sizes."""
    seen = landmarks[:, 3] >= _SEEN
    if seen.sum() < 4:
        seen = np.ones(len(landmarks), bool)
    distance = np.linalg.norm(landmarks[seen, :2] - predicted_xy[seen], axis=1).mean()
    return float(distance / track.size_px)


# Frames of bone lengths a track remembers, and how many a bone needs before it is judged.
_BONE_HISTORY = 300
_BONE_SAMPLES = 30


def _ninetieth_percentile(history: np.ndarray) -> np.ndarray:
    """Per column of `history`, the 90th percentile of its finite values (linear between the
    two nearest ranks, as NumPy's default), NaN for a column with none. Sorting once is 30
    times quicker than np.nanpercentile, which loops over the columns in Python: that loop
    was most of the tracking cost per frame."""
    ordered = np.sort(history, axis=0)  # NaN sorts last
    count = np.isfinite(history).sum(axis=0)
    rank = 0.9 * np.maximum(count - 1, 0)
    below = np.floor(rank).astype(int)
    above = np.minimum(below + 1, np.maximum(count - 1, 0))
    columns = np.arange(history.shape[1])
    low, high = ordered[below, columns], ordered[above, columns]
    usual = low + (rank - below) * (high - low)
    return np.where(count > 0, usual, np.nan)


@dataclass
class _Track:
    id: int
    filter: LandmarkFilter
    size_px: float
    last_seen_s: float
    raw: np.ndarray
    world_m: np.ndarray
    shown: np.ndarray
    #: Recent bone lengths relative to size, one row per frame (NaN where not seen).
    bone_history: list[np.ndarray] = field(default_factory=list)
    implausible_in_row: int = 0


class PersonTracker:
    """Follows up to `max_people` people and smooths each with its own filter."""

    def __init__(
        self,
        name: str,
        make_filter: Callable[[], LandmarkFilter],
        settings: TrackingSettings | None = None,
    ) -> None:
        self.name = name
        self.make_filter = make_filter
        self.settings = settings or TrackingSettings()
        self._tracks: list[_Track] = []
        self._last_time_s: float | None = None

    def reset(self) -> None:
        self._tracks = []
        self._last_time_s = None

    def update(self, people: list[PersonPose], time_ms: float) -> list[TrackedPerson]:
        time_s = time_ms / 1000.0
        s = self.settings
        if self._last_time_s is not None and not 0 < time_s - self._last_time_s <= s.max_gap_s:
            self._tracks = []
        self._last_time_s = time_s
        people = drop_duplicates(people, s.duplicate_distance)
        # Where each track expects its person now: computed once, used by every comparison.
        predicted = [t.filter.predicted_xy(time_s) for t in self._tracks]
        people = [self._unswapped(p, predicted) for p in people]
        matches, rejected = self._match(people, predicted)
        matched_tracks = {t for t, _ in matches}
        matched_people = {p for _, p in matches} | rejected
        # Tracks nobody continued fade, and may be picked up until max_coast_s; beyond
        # max_people the stalest go first, so a lone person who jumps is not shown twice.
        coasting = [
            t
            for i, t in enumerate(self._tracks)
            if i not in matched_tracks and time_s - t.last_seen_s <= s.max_coast_s
        ]
        new_people = [p for i, p in enumerate(people) if i not in matched_people]
        resumed = self._resume(coasting, new_people)
        # Newcomers who wait (newcomers_wait) take no place from the people coasting.
        waiting = 0 if s.newcomers_wait else len(new_people)
        room = max(s.max_people - len(matches) - len(resumed) - waiting, 0)
        if s.newcomers_wait:
            new_people.sort(key=lambda p: person_size_px(p.landmarks_px), reverse=True)
        coasting.sort(key=lambda t: t.last_seen_s, reverse=True)
        keep_coasting = coasting[:room]

        out: list[TrackedPerson] = []
        tracks: list[_Track] = []
        for ti, pi in matches:
            track = self._tracks[ti]
            out.append(self._measure(track, people[pi], time_s))
            tracks.append(track)
        for track, person in resumed:
            # The same body, but too far from the prediction to smooth towards: start its
            # filter again rather than show a second skeleton beside a fading one.
            track.filter.reset()
            track.bone_history.clear()
            out.append(self._measure(track, person, time_s))
            tracks.append(track)
        for track in keep_coasting:
            track.filter.step(None, time_s, track.size_px)
            out.append(self._coasting(track, time_s))
            tracks.append(track)
        used_ids = {t.id for t in tracks}
        for person in new_people[: max(s.max_people - len(tracks), 0)]:
            new_id = next(i for i in range(len(used_ids) + 1) if i not in used_ids)
            used_ids.add(new_id)
            track = self._new_track(new_id, person, time_s)
            out.append(self._measure(track, person, time_s))
            tracks.append(track)
        self._tracks = tracks
        return sorted(out, key=lambda p: p.id)

    def _resume(
        self, coasting: list[_Track], new_people: list[PersonPose]
    ) -> list[tuple[_Track, PersonPose]]:
        """Unclaimed detections whose trunk lies on a track that was just lost take that
        track over (removed from both lists): one body keeps one id and one skeleton."""
        resumed = []
        for person in list(new_people):
            centre = _trunk_centre(person.landmarks_px)
            distances = [
                float(np.hypot(*(centre - _trunk_centre(t.shown)))) / t.size_px for t in coasting
            ]
            if distances and min(distances) <= self.settings.resume_distance:
                track = coasting.pop(int(np.argmin(distances)))
                new_people.remove(person)
                resumed.append((track, person))
        return resumed

    def _new_track(self, track_id: int, person: PersonPose, time_s: float) -> _Track:
        return _Track(
            id=track_id,
            filter=self.make_filter(),
            size_px=person_size_px(person.landmarks_px),
            last_seen_s=time_s,
            raw=person.landmarks_px,
            world_m=person.world_m,
            shown=person.landmarks_px,
        )

    def _measure(self, track: _Track, person: PersonPose, time_s: float) -> TrackedPerson:
        size = person_size_px(person.landmarks_px)
        # The size sets the filter's noise levels; let it follow slowly so they stay steady.
        track.size_px = size if not track.filter.started else 0.8 * track.size_px + 0.2 * size
        track.bone_history.append(bone_lengths(person.landmarks_px, track.size_px))
        del track.bone_history[:-_BONE_HISTORY]
        smoothed = track.filter.step(person.landmarks_px, time_s, track.size_px)
        track.last_seen_s = time_s
        track.raw = person.landmarks_px
        track.world_m = person.world_m
        track.shown = smoothed
        return TrackedPerson(
            track.id,
            smoothed,
            person.landmarks_px,
            person.world_m,
            revise=track.filter.revisable(),
        )

    def _coasting(self, track: _Track, time_s: float) -> TrackedPerson:
        s = self.settings
        unseen_s = time_s - track.last_seen_s
        opacity = max(0.0, 1.0 - unseen_s / s.fade_s) if s.fade_s > 0 else 0.0
        return TrackedPerson(
            id=track.id,
            landmarks_px=track.shown,
            raw_landmarks_px=np.full_like(track.raw, math.nan),
            world_m=track.world_m,
            coasting=True,
            opacity=opacity,
        )

    def _implausible(self, track: _Track, person: PersonPose) -> bool:
        """Whether the detection's shape cannot be the track's person.

        Two tests, on limb lengths relative to the person's size, never on orientation (a
        flip or a handstand keeps its lengths):

        * a limb far longer than the track has ever shown it: a limb pointing at the camera
          looks short (foreshortening), but no limb looks longer than it is (parts of two
          people, a limb snapped onto the background). "Usual" is the 90th percentile of the
          track's recent lengths, judged once a bone has been seen often enough;
        * a trunk side that halves or doubles since the last frame: a body folding onto
          itself between two frames is the model's mistake, a real bend takes longer.
        """
        bones = bone_lengths(person.landmarks_px, track.size_px)
        if track.bone_history:
            last = track.bone_history[-1][_TRUNK_BONES]
            now = bones[_TRUNK_BONES]
            both = np.isfinite(last) & np.isfinite(now) & (last > 0.02)
            ratio = now[both] / last[both]
            if np.any((ratio < 0.5) | (ratio > 2.0)):
                return True
        if len(track.bone_history) < _BONE_SAMPLES:
            return False
        history = np.array(track.bone_history)
        known = np.isfinite(history).sum(axis=0) >= _BONE_SAMPLES
        if not known.any():
            return False
        usual = _ninetieth_percentile(history)
        judged = np.isfinite(bones) & known & (usual > 0.02)
        return bool(np.any(bones[judged] > self.settings.shape_tolerance * usual[judged]))

    def _unswapped(self, person: PersonPose, predicted: list[np.ndarray]) -> PersonPose:
        """The detection with left and right swapped back, if its nearest track says so."""
        if not self._tracks:
            return person
        plain = [
            _distance(t, xy, person.landmarks_px)
            for t, xy in zip(self._tracks, predicted, strict=True)
        ]
        best = int(np.argmin(plain))
        if plain[best] > self.settings.match_distance:
            return person
        mirrored = person.landmarks_px[MIRROR]
        swapped = _distance(self._tracks[best], predicted[best], mirrored)
        if swapped < self.settings.swap_ratio * plain[best] and plain[best] > 0.1:
            return PersonPose(landmarks_px=mirrored, world_m=person.world_m[MIRROR])
        return person

    def _match(
        self, people: list[PersonPose], predicted: list[np.ndarray]
    ) -> tuple[list[tuple[int, int]], set[int]]:
        """(track, detection) pairs, and the detections rejected as implausible for the track
        they are nearest (they start no track of their own either)."""
        if not self._tracks or not people:
            return [], set()
        cost = np.array(
            [
                [_distance(t, xy, p.landmarks_px) for p in people]
                for t, xy in zip(self._tracks, predicted, strict=True)
            ]
        )
        rows, cols = _cheapest_assignment(cost)
        matches, rejected = [], set()
        for r, c in zip(rows, cols, strict=True):
            if cost[r, c] > self.settings.match_distance:
                continue
            track = self._tracks[r]
            if self._implausible(track, people[c]):
                track.implausible_in_row += 1
                if track.implausible_in_row < self.settings.implausible_restart:
                    rejected.add(int(c))
                    continue
                # The shape held: it is the person's (a zoom, a new pose), not a glitch.
                track.filter.reset()
                track.bone_history.clear()
            track.implausible_in_row = 0
            matches.append((int(r), int(c)))
        return matches, rejected
