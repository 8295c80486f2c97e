"""Person identities across frames, and a smoothing filter per person.

Detections are matched to tracks by the Hungarian method on the mean distance between a
track's predicted landmarks and a detection's, measured in person-sizes so that the gate
means the same for near and far people. Unmatched tracks coast (their filter predicts) for a
bounded time, then are dropped; a detection nobody claims starts a new track with the lowest
free id, so a lone person keeps id 0 even after leaving and coming back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.optimize import linear_sum_assignment

from desktop_app.core.pose import PersonPose

# Visibility above which a landmark counts when measuring a person's size and position.
_SEEN = 0.5


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
    #: True when the person was not detected in this frame and is shown where predicted.
    coasting: bool = False


class LandmarkFilter(Protocol):
    """One person's landmark filter (see core.filters)."""

    @property
    def started(self) -> bool: ...

    def reset(self) -> None: ...

    def step(self, landmarks: np.ndarray | None, time_s: float, size_px: float) -> np.ndarray: ...

    def predicted_xy(self, time_s: float) -> np.ndarray: ...


@dataclass(frozen=True)
class TrackingSettings:
    """How people are followed from frame to frame."""

    #: How long a person who is no longer detected is still shown (predicted), in seconds.
    max_coast_s: float = 0.3
    #: Largest mean landmark distance, as a fraction of the person's size, for a detection
    #: to continue a track rather than start a new one.
    match_distance: float = 0.6
    #: At most this many people are tracked at once (the pose model's `num_poses`).
    max_people: int = 1


def person_size_px(landmarks: np.ndarray) -> float:
    """The larger side of the box around the person's seen landmarks, in pixels."""
    seen = landmarks[:, 3] >= _SEEN
    points = landmarks[seen, :2] if seen.sum() >= 4 else landmarks[:, :2]
    span = points.max(axis=0) - points.min(axis=0)
    return float(max(span.max(), 1.0))


@dataclass
class _Track:
    id: int
    filter: LandmarkFilter
    size_px: float
    last_seen_s: float
    raw: np.ndarray
    world_m: np.ndarray


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

    def reset(self) -> None:
        self._tracks = []

    def update(self, people: list[PersonPose], time_ms: float) -> list[TrackedPerson]:
        time_s = time_ms / 1000.0
        s = self.settings
        matches = self._match(people, time_s)
        matched_tracks = {t for t, _ in matches}
        matched_people = {p for _, p in matches}
        # Tracks nobody continued coast until max_coast_s; beyond max_people the stalest go
        # first, so a lone person who jumps is not shown twice.
        coasting = [
            t
            for i, t in enumerate(self._tracks)
            if i not in matched_tracks and time_s - t.last_seen_s <= s.max_coast_s
        ]
        new_people = [p for i, p in enumerate(people) if i not in matched_people]
        room = max(s.max_people - len(matches) - len(new_people), 0)
        coasting.sort(key=lambda t: t.last_seen_s, reverse=True)
        keep_coasting = coasting[:room]

        out: list[TrackedPerson] = []
        tracks: list[_Track] = []
        for ti, pi in matches:
            track = self._tracks[ti]
            out.append(self._measure(track, people[pi], time_s))
            tracks.append(track)
        for track in keep_coasting:
            smoothed = track.filter.step(None, time_s, track.size_px)
            out.append(self._result(track, smoothed, coasting=True))
            tracks.append(track)
        used_ids = {t.id for t in tracks}
        for person in new_people[: max(s.max_people - len(tracks), 0)]:
            new_id = next(i for i in range(len(used_ids) + 1) if i not in used_ids)
            used_ids.add(new_id)
            track = _Track(
                id=new_id,
                filter=self.make_filter(),
                size_px=person_size_px(person.landmarks_px),
                last_seen_s=time_s,
                raw=person.landmarks_px,
                world_m=person.world_m,
            )
            out.append(self._measure(track, person, time_s))
            tracks.append(track)
        self._tracks = tracks
        return sorted(out, key=lambda p: p.id)

    def _measure(self, track: _Track, person: PersonPose, time_s: float) -> TrackedPerson:
        size = person_size_px(person.landmarks_px)
        # The size sets the filter's noise levels; let it follow slowly so they stay steady.
        track.size_px = size if not track.filter.started else 0.8 * track.size_px + 0.2 * size
        smoothed = track.filter.step(person.landmarks_px, time_s, track.size_px)
        track.last_seen_s = time_s
        track.raw = person.landmarks_px
        track.world_m = person.world_m
        return self._result(track, smoothed, coasting=False)

    def _result(self, track: _Track, smoothed: np.ndarray, coasting: bool) -> TrackedPerson:
        raw = track.raw
        if coasting:
            raw = np.full_like(track.raw, math.nan)
        return TrackedPerson(
            id=track.id,
            landmarks_px=smoothed,
            raw_landmarks_px=raw,
            world_m=track.world_m,
            coasting=coasting,
        )

    def _match(self, people: list[PersonPose], time_s: float) -> list[tuple[int, int]]:
        if not self._tracks or not people:
            return []
        cost = np.empty((len(self._tracks), len(people)))
        for ti, track in enumerate(self._tracks):
            predicted = track.filter.predicted_xy(time_s)
            for pi, person in enumerate(people):
                lm = person.landmarks_px
                seen = lm[:, 3] >= _SEEN
                if seen.sum() < 4:
                    seen = np.ones(len(lm), bool)
                distance = np.linalg.norm(lm[seen, :2] - predicted[seen], axis=1).mean()
                cost[ti, pi] = distance / track.size_px
        rows, cols = linear_sum_assignment(cost)
        return [
            (int(r), int(c))
            for r, c in zip(rows, cols, strict=True)
            if cost[r, c] <= self.settings.match_distance
        ]
