"""PoseCam's work on one frame, the same for the window and `posecam annotate`: find people,
look again for any missed, track and smooth them, measure their angles once, count
repetitions, draw. No threads, no I/O: the callers bring frames and take results.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

import cv2
import numpy as np

from desktop_app.core.closeable import Closeable
from desktop_app.core.form import Coaching, FormCoach
from desktop_app.core.frame import Frame, PersonPose
from desktop_app.core.fresh_look import FreshLook
from desktop_app.core.model import PoseModel
from desktop_app.core.pose import PoseEstimator, PoseSettings, RunningMode
from desktop_app.core.render import (
    DEFAULT_STYLE,
    CountLine,
    Style,
    draw_count_panel,
    draw_labels,
    draw_people,
)
from desktop_app.core.rep_analysis import Rep, summarise
from desktop_app.core.reps import Exercise, RepTracker
from desktop_app.core.second_look import SecondLook
from desktop_app.core.smoothing import (
    DEFAULT_SMOOTHING,
    DEFAULT_STRENGTH,
    LookAhead,
    Smoother,
    TrackedPerson,
    make_smoother,
    smooths,
)


@dataclass(frozen=True)
class PipelineSettings:
    """What the user chose that changes how frames are processed and drawn."""

    #: The most people to find (1-10).
    num_poses: int = 1
    #: Detection, presence and tracking confidence, 0-1.
    min_confidence: float = 0.5
    #: One of core.smoothing.SMOOTHING_CHOICES.
    smoothing: str = DEFAULT_SMOOTHING
    #: 0 (off) to 1 (steadiest).
    smoothing_strength: float = DEFAULT_STRENGTH
    #: Count repetitions of this exercise, or None.
    exercise: Exercise | None = None
    #: Write each person's joint angles (degrees) beside the joints.
    show_angles: bool = False
    #: With an exercise: the count, stage and last cue large on the picture (and so in
    #: recordings and `annotate`'s output), readable from across the room.
    show_count: bool = True
    #: Also make the picture as a mirror shows it (`FrameResult.shown`), with its text
    #: readable; `annotated` stays as the camera sees it, for recordings.
    mirror: bool = False
    style: Style = DEFAULT_STYLE
    #: Look again, in enlarged parts of the picture, for people the model missed while fewer
    #: than `num_poses` were found (core.second_look), and, with one person wanted, check
    #: the person followed against a fresh detection now and then (core.fresh_look). Off in
    #: IMAGE mode, which has no time.
    look_again: bool = True
    #: Frames each frame waits for before it is drawn, so that `kalman` smoothing can revise
    #: its landmarks with what followed (core.smoothing.LookAhead): a fifth or a tenth of
    #: a second's in `posecam annotate` (default_look_ahead_s), one in the window with
    #: "Look a frame ahead" (LIVE_LOOK_AHEAD_FRAMES); 0 draws each frame at once.
    look_ahead_frames: int = 0
    #: With one person wanted and PoseCam's own smoothing: find the person afresh in every
    #: frame instead of letting MediaPipe follow them (see `finds_afresh`). On by default in
    #: `posecam annotate` and in the window (settings.Settings.find_every_frame), where two pose
    #: models take turns to keep up (media.finding_ahead).
    find_every_frame: bool = False

    @property
    def finds_afresh(self) -> bool:
        """Whether the one person wanted is found afresh in every frame of a video.

        With one person wanted, MediaPipe's VIDEO mode runs its person detector once, then
        follows the person by the region their last landmarks covered and smooths them with a
        One Euro filter of its own. That following can stay on a wrong pose for as long as
        the pose keeps a person's proportions (core.fresh_look catches it only every half
        second), and its filter lags before PoseCam's smoothing adds its own. Found afresh,
        the person is detected in every frame (IMAGE mode, which keeps nothing from the last
        frame), and PoseCam's tracker follows them: independent measurements, the kind a
        Kalman filter is built for, and closer to the person on most real clips
        (docs/smoothing.md). The price is the detector's time on every frame
        (docs/performance.md). Only where PoseCam smooths: `none` (or strength 0) means
        MediaPipe's output as it is.
        """
        return (
            self.find_every_frame
            and self.num_poses == 1
            and smooths(self.smoothing, self.smoothing_strength)
        )

    @property
    def finding(self) -> tuple[object, ...]:
        """What the pose model's instances are built for (PoseFinder): settings that differ
        here need new ones, which restarts MediaPipe's following of people."""
        return (self.num_poses, self.min_confidence, self.look_again, self.finds_afresh)


#: People the pose model looks for when one is found afresh in every frame: someone else in
#: view stays a candidate, so that the tracker keeps following its person rather than
#: whoever the detector scores highest in a frame (TrackingSettings.newcomers_wait).
CANDIDATES_FOUND_AFRESH = 2


class RepState(NamedTuple):
    """One person's repetitions so far."""

    repetitions: int
    #: "up", "down" or "unknown" (core.reps.Stage).
    stage: str
    #: The angle last counted, in degrees (NaN when the joints were not seen).
    angle_deg: float
    #: The repetition counted last, measured (core.rep_analysis), or None before the first.
    last_rep: Rep | None = None


@dataclass(frozen=True, eq=False)
class FrameResult:
    """Everything PoseCam knows about one frame once it has been processed."""

    index: int
    time_ms: float
    #: The frame with skeletons drawn on it, RGB uint8.
    annotated: np.ndarray
    #: The people shown in this frame: seen now, or just lost and fading where last seen
    #: (`coasting`). Not counted as present while coasting.
    people: tuple[TrackedPerson, ...]
    #: Time spent in the pose model for this frame (both looks), in milliseconds.
    inference_ms: float
    #: With an exercise chosen: each person's repetitions so far, by person id.
    reps: Mapping[int, RepState] | None = None
    #: With an exercise chosen: the camera check and form cues (core.form).
    coaching: Coaching | None = None
    #: With `PipelineSettings.mirror`: `annotated` flipped left to right, its text drawn
    #: after the flip so that it reads (a flipped picture of text does not).
    shown: np.ndarray | None = None

    @property
    def on_screen(self) -> np.ndarray:
        """The picture as the window shows it: `shown` when mirrored, else `annotated`."""
        return self.annotated if self.shown is None else self.shown

    @property
    def people_seen(self) -> int:
        """How many people the model found in this frame (the fading ones not counted)."""
        return sum(not p.coasting for p in self.people)


def _cue_line(coaching: Coaching | None) -> str:
    """The one line of advice under the count: what the camera must change first (nothing
    else can be judged until it does), else the latest form cue ("#1: Knees out" when several
    people are coached)."""
    if coaching is None:
        return ""
    if coaching.camera:
        return coaching.camera
    if len(coaching.cues) == 1:
        return next(iter(coaching.cues.values()))
    return "  ".join(f"#{pid}: {text}" for pid, text in sorted(coaching.cues.items()))


class SceneCuts:
    """Tells when a frame starts a new scene: a loop's first pass (`Frame.new_scene`) or a cut
    in edited footage, where the picture changes all at once. Tracks must not carry over
    (a person at the left of one shot is not the person at the left of the next).

    A cut is a mean grey-level change above `threshold` (0-255) between 64x36 thumbnails of
    consecutive frames: people moving change a part of the picture, a cut changes all of it.
    """

    def __init__(self, threshold: float = 30.0) -> None:
        self.threshold = threshold
        self._previous: np.ndarray | None = None

    def is_cut(self, frame: Frame) -> bool:
        # Every 8th pixel first: a thumbnail needs no more, and it costs 0.25 ms instead of
        # 1 ms a 1080p frame.
        sparse = np.ascontiguousarray(frame.rgb[::8, ::8])
        thumb = cv2.resize(
            cv2.cvtColor(sparse, cv2.COLOR_RGB2GRAY), (64, 36), interpolation=cv2.INTER_AREA
        ).astype(np.int16)
        previous, self._previous = self._previous, thumb
        if frame.new_scene:
            return True
        if previous is None or previous.shape != thumb.shape:
            return False
        return float(np.abs(thumb - previous).mean()) > self.threshold


class Found(NamedTuple):
    """What the pose model found in one frame (`PoseFinder.find`)."""

    people: list[PersonPose]
    #: Time spent in the pose model for this frame (all its looks), in milliseconds.
    inference_ms: float
    #: The frame starts a new scene (core.pipeline.SceneCuts): tracks must not carry over.
    new_scene: bool


class PoseFinder(Closeable):
    """The pose model's share of `PosePipeline`: the people in each frame, before tracking.

    It keeps state from frame to frame (MediaPipe's tracking in VIDEO mode, when the second and
    fresh looks are due, the last frame's thumbnail for scene cuts), so it sees the frames of
    one source in order. Split from the rest so that several finders can work on different
    parts of a file at once while one pipeline tracks and draws in order (media.parallel).
    Close it (or use `with`).
    """

    def __init__(
        self, model: PoseModel, settings: PipelineSettings, mode: RunningMode = RunningMode.VIDEO
    ) -> None:
        self.settings = settings
        self._cuts = SceneCuts()
        # VIDEO mode asked for two would still follow both from frame to frame once it had
        # found two (its detector runs only while it follows fewer than it was asked for);
        # IMAGE mode detects every time.
        afresh = settings.finds_afresh and mode is RunningMode.VIDEO
        self._estimator: PoseEstimator | None = PoseEstimator(
            model,
            PoseSettings.with_confidence(
                CANDIDATES_FOUND_AFRESH if afresh else settings.num_poses, settings.min_confidence
            ),
            RunningMode.IMAGE if afresh else mode,
        )
        self._second_look: SecondLook | None = None
        self._fresh_look: FreshLook | None = None
        try:
            if settings.look_again and mode is RunningMode.VIDEO:
                self._second_look = SecondLook(model, settings.min_confidence)
                # MediaPipe's following of one person is what the fresh look checks.
                if settings.num_poses == 1 and not afresh:
                    self._fresh_look = FreshLook(model, settings.min_confidence)
        except BaseException:
            # Each part holds a landmarker (memory and a thread in MediaPipe): none may leak.
            self.close()
            raise

    @property
    def fresh_look(self) -> FreshLook | None:
        """The check of MediaPipe's one-person tracking, when it runs (for tests and logs)."""
        return self._fresh_look

    def find(self, frame: Frame, *, new_scene: bool | None = None) -> Found:
        """The people in `frame`. `new_scene`: whether it starts a new scene, told by whoever
        sees every frame where this finder sees only some (media.finding_ahead); None judges
        it here."""
        if self._estimator is None:
            raise RuntimeError("PoseFinder is closed")
        if new_scene is None:
            new_scene = self._cuts.is_cut(frame)
        if new_scene:
            for look in (self._second_look, self._fresh_look):
                if look is not None:
                    look.reset()
        started = time.perf_counter()
        found = self._estimator.estimate(frame.rgb, frame.time_ms)
        if self._fresh_look is not None:
            found = self._fresh_look.check(self._estimator, frame.rgb, frame.time_ms, found)
        if self._second_look is not None:
            wanted = self.settings.num_poses
            found += self._second_look.find(frame.rgb, frame.time_ms, found, wanted)
        return Found(found, (time.perf_counter() - started) * 1000.0, new_scene)

    def close(self) -> None:
        """Release the pose model instances. Safe to call twice."""
        for part in (self._estimator, self._second_look, self._fresh_look):
            if part is not None:
                part.close()
        self._estimator = self._second_look = self._fresh_look = None


class PosePipeline(Closeable):
    """frame -> people -> tracks -> angles and repetitions -> drawing, one call per frame.

    With `look_ahead_frames`, frames are drawn that many frames late: `process_held` takes a
    frame and gives the results now due, `flush` the rest at the end; `process` is for
    callers that show each frame at once.

    Owns its pose model instances; close it (or use `with`). `configure()` takes new settings
    between frames and rebuilds only what they change: the pose model for a new number of
    people or confidence, the smoother for a new smoothing, the counter for a new exercise.
    """

    def __init__(
        self,
        model: PoseModel,
        settings: PipelineSettings = PipelineSettings(),
        mode: RunningMode = RunningMode.VIDEO,
        *,
        load_now: bool = True,
    ) -> None:
        """`load_now=False`: build the pose model instances only when a frame comes without
        `found` (for a caller whose finders work elsewhere, which may yet need one here)."""
        self.model = model
        self.mode = mode
        self.settings = settings
        self._finder: PoseFinder | None = None
        self._closed = False
        if load_now:
            self._build_finder()
        self._smoother: Smoother = self._new_smoother()
        #: Frames waiting for the frames after them (found people and how to draw).
        self._held: LookAhead[tuple[Frame, Found, bool]] = LookAhead(settings.look_ahead_frames)
        # Frames the look-ahead gave back and not yet drawn, and results drawn and not yet
        # given: a frame leaves each only once it is in the next, so a run stopped part way
        # (Ctrl+C) loses none of them; `flush` gives them all.
        self._due: deque[tuple[tuple[Frame, Found, bool], list[TrackedPerson]]] = deque()
        self._drawn: list[FrameResult] = []
        #: The repetitions counted so far, with an exercise chosen.
        self.reps: RepTracker | None = self._new_reps()
        #: Form cues and the camera check, with an exercise chosen.
        self.coach: FormCoach | None = self._new_coach()

    # -- settings ------------------------------------------------------------------------

    def configure(self, settings: PipelineSettings) -> None:
        """Use `settings` from the next frame on."""
        old, self.settings = self.settings, settings
        # A pipeline whose frames are found elsewhere (load_now=False) has none to rebuild.
        if old.finding != settings.finding and self._finder is not None:
            self._build_finder()
        if (
            old.smoothing,
            old.smoothing_strength,
            old.num_poses,
            old.look_ahead_frames,
            old.finds_afresh,
        ) != (
            settings.smoothing,
            settings.smoothing_strength,
            settings.num_poses,
            settings.look_ahead_frames,
            settings.finds_afresh,
        ):
            self._smoother = self._new_smoother()
            # Frames still held keep what their own filters revise them to.
            self._held.frames = settings.look_ahead_frames
        if old.exercise != settings.exercise:
            self.reps = self._new_reps()
            self.coach = self._new_coach()

    def reset_reps(self) -> None:
        """Count repetitions from zero."""
        self.reps = self._new_reps()
        self.coach = self._new_coach()

    def rep_summary(self, since_s: float | None = None) -> dict[str, object] | None:
        """What the keypoint files' summary says of the repetitions, or None without an
        exercise: {"exercise": name, "reps": {person id: count}, "per_rep": [{"person": id,
        "rep": 1, "start_s": ..., "quality": "good"}, ...] (core.rep_analysis.Rep.as_dict),
        "sets": {person id: set summary}}. Plain numbers only: NaN is None. With `since_s`
        (source time, seconds), only the repetitions begun since then, timed from then
        (RepTracker.reps_since): a recording's."""
        if self.reps is None:
            return None
        reps = self.reps.all_reps() if since_s is None else self.reps.reps_since(since_s)
        return {
            "exercise": self.reps.exercise.name,
            "reps": {pid: len(person_reps) for pid, person_reps in reps.items()},
            "per_rep": [
                {"person": pid, **rep.as_dict()}
                for pid, person_reps in reps.items()
                for rep in person_reps
            ],
            "sets": {pid: summarise(person_reps).as_dict() for pid, person_reps in reps.items()},
        }

    def new_finder(self) -> PoseFinder:
        """A finder for these settings, as this pipeline's own: for a part of the same source
        searched on another thread (close it when done)."""
        return PoseFinder(self.model, self.settings, self.mode)

    @property
    def finder(self) -> PoseFinder:
        if self._closed:
            raise RuntimeError("PosePipeline is closed")
        if self._finder is None:
            self._build_finder()
            assert self._finder is not None
        return self._finder

    def _build_finder(self) -> None:
        if self._finder is not None:
            self._finder.close()
        self._finder = self.new_finder()

    def _new_smoother(self) -> Smoother:
        s = self.settings
        return make_smoother(
            s.smoothing,
            s.smoothing_strength,
            max_people=s.num_poses,
            look_ahead_frames=s.look_ahead_frames,
            newcomers_wait=s.finds_afresh,
        )

    def _new_coach(self) -> FormCoach | None:
        exercise = self.settings.exercise
        return FormCoach(exercise) if exercise is not None else None

    def _new_reps(self) -> RepTracker | None:
        exercise = self.settings.exercise
        return RepTracker(exercise) if exercise is not None else None

    # -- frames --------------------------------------------------------------------------

    def process(
        self, frame: Frame, *, draw_in_place: bool = False, found: Found | None = None
    ) -> FrameResult:
        """Run one frame and give its result. With `draw_in_place` the frame's own pixels are
        drawn on (no copy). `found`: what a finder of the same settings found in it elsewhere
        (`new_finder`), so this pipeline's own finder skips the frame; frames must still
        come in order. Not with `look_ahead_frames` (use `process_held`)."""
        if self.settings.look_ahead_frames:
            raise RuntimeError("with look_ahead_frames, frames go through process_held")
        if self._held.count or self._due or self._drawn:
            # Held under an earlier look-ahead (configure): they would come out with this one.
            raise RuntimeError("frames are still held for a look-ahead: flush them first")
        (result,) = self.process_held(frame, draw_in_place=draw_in_place, found=found)
        return result

    def process_held(
        self, frame: Frame, *, draw_in_place: bool = False, found: Found | None = None
    ) -> list[FrameResult]:
        """Take one frame (as `process`) and give the results now due, oldest first: with
        `look_ahead_frames`, that frame's of so many frames ago (none for the first ones),
        and at a scene cut every frame held. `flush` gives the rest at the end."""
        if found is None:
            found = self.finder.find(frame)
        if found.new_scene:
            # The frames before a cut are revised with what they have, before the reset
            # makes their filters forget.
            self._due.extend(self._held.flush())
            self._smoother.reset()
        people = self._smoother.update(found.people, frame.time_ms)
        self._due.extend(self._held.add((frame, found, draw_in_place), people))
        return self._hand_out()

    def flush(self) -> list[FrameResult]:
        """The results of every frame still held (none without `look_ahead_frames`)."""
        self._due.extend(self._held.flush())
        return self._hand_out()

    def _hand_out(self) -> list[FrameResult]:
        """Draw every frame due; give the results, oldest first."""
        while self._due:
            (frame, found, in_place), people = self._due[0]
            self._drawn.append(self._result(frame, found, people, in_place))
            self._due.popleft()
        out, self._drawn = self._drawn, []
        return out

    def _result(
        self, frame: Frame, found: Found, tracked: list[TrackedPerson], draw_in_place: bool
    ) -> FrameResult:
        """Count, coach and draw one frame's people (in order: each step counts on the
        frames before)."""
        people = [p for p in tracked if p.drawn]
        reps = None
        if self.reps is not None:
            self.reps.update(people, frame.time_ms)
            reps = MappingProxyType(
                {
                    pid: RepState(c.count, c.stage.value, c.angle_deg, c.last_rep)
                    for pid, c in sorted(self.reps.counters.items())
                }
            )
        coaching = None
        if self.coach is not None:
            height, width = frame.rgb.shape[:2]
            coaching = self.coach.update(people, frame.time_ms, (width, height))
        canvas = frame.rgb if draw_in_place else frame.rgb.copy()
        shown = self._draw(canvas, people, reps, coaching)
        return FrameResult(
            index=frame.index,
            time_ms=frame.time_ms,
            annotated=canvas,
            people=tuple(people),
            inference_ms=found.inference_ms,
            reps=reps,
            shown=shown,
            coaching=coaching,
        )

    def _draw(
        self,
        canvas: np.ndarray,
        people: list[TrackedPerson],
        reps: Mapping[int, RepState] | None,
        coaching: Coaching | None,
    ) -> np.ndarray | None:
        """Draw on `canvas` in place; with `mirror`, also return the mirrored picture."""
        s = self.settings
        draw_people(canvas, people, s.style, ids=False)
        # Text last, on each picture after any flip, so that it always reads.
        shown = np.ascontiguousarray(canvas[:, ::-1]) if s.mirror else None
        count_lines = []
        if reps and s.show_count and s.exercise is not None:
            several = len(reps) > 1
            count_lines = [
                CountLine(str(pid) if several else "", state.repetitions, state.stage)
                for pid, state in reps.items()
            ]
        for picture, mirrored in ((canvas, False), (shown, True)):
            if picture is None:
                continue
            draw_labels(picture, people, s.style, angles=s.show_angles, mirrored=mirrored)
            if count_lines and s.exercise is not None:
                title = s.exercise.title or s.exercise.name
                draw_count_panel(picture, title, count_lines, _cue_line(coaching))
        return shown

    def close(self) -> None:
        """Release the pose model instances. Safe to call twice."""
        self._closed = True
        if self._finder is not None:
            self._finder.close()
            self._finder = None


__all__ = [
    "Found",
    "FrameResult",
    "PipelineSettings",
    "PoseFinder",
    "PosePipeline",
    "RepState",
    "SceneCuts",
]
