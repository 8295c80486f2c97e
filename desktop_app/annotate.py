"""`posecam annotate`: skeletons drawn onto a video file or an image, with keypoints exported.

Qt-free, so it runs headless and in the packaged app alike.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from desktop_app.core.exercises import find_exercise
from desktop_app.core.model import PoseModel, load_default_model, load_model
from desktop_app.core.pipeline import FrameResult, PipelineSettings, PosePipeline
from desktop_app.core.pose import RunningMode
from desktop_app.core.reps import Exercise
from desktop_app.core.smoothing import (
    DEFAULT_SMOOTHING,
    DEFAULT_STRENGTH,
    default_look_ahead_s,
    look_ahead_frames,
    revises,
)
from desktop_app.errors import InputError, OutputError, add_note, reason
from desktop_app.media.audio import AudioInput, SoundKept, close_quietly, open_audio
from desktop_app.media.background import read_ahead
from desktop_app.media.images import is_image_path
from desktop_app.media.keypoints import (
    KEYPOINT_SUFFIXES,
    keypoints_header,
)
from desktop_app.media.parallel import SegmentFinders, segment_starts_ms
from desktop_app.media.recorder import Recorder, RecordingPaths
from desktop_app.media.reps_table import reps_table_path, write_reps_table
from desktop_app.media.sources import Damage, ImageSource, VideoFileSource
from desktop_app.media.video_writer import (
    VIDEO_OUTPUT_SUFFIXES,
    move_into_place,
    partial_path,
)

# x264 preset for annotated videos, chosen by benchmarks/annotate.py (see docs/performance.md).
ENCODER_PRESET = "veryfast"


@dataclass(frozen=True)
class AnnotateOptions:
    """What the user asked `posecam annotate` for."""

    input: Path
    output: Path | None = None
    keypoints: Path | None = None
    smoothing: str = DEFAULT_SMOOTHING
    #: 0 (off) to 1 (steadiest).
    smoothing_strength: float = DEFAULT_STRENGTH
    num_poses: int = 1
    model: Path | None = None
    #: Detection, presence and tracking confidence threshold, 0-1.
    min_confidence: float = 0.5
    overwrite: bool = False
    #: Count repetitions of this exercise (a preset's or a taught one's name, see
    #: core.exercises.find_exercise, or an Exercise of one's own), or None.
    exercise: str | Exercise | None = None
    #: Write each person's joint angles beside the joints.
    show_angles: bool = False
    #: With an exercise: draw the count large on the picture.
    show_count: bool = True
    #: Keep the video's sound (copied, or encoded to AAC where the container needs it).
    audio: bool = True
    #: Pose models searching parts of a video at once (media.parallel), each on a core of its
    #: own; 1 searches the frames in turn with one model.
    jobs: int = 1
    #: How far ahead `kalman` smoothing looks before a frame is drawn, in seconds
    #: (core.smoothing.LookAhead); 0 draws each frame as the window would; None: the default
    #: for the people wanted (core.smoothing.default_look_ahead_s).
    look_ahead_s: float | None = None
    #: With one person wanted, find them afresh in every frame rather than let MediaPipe
    #: follow them (PipelineSettings.find_every_frame): slower, and closer to the person.
    find_every_frame: bool = True

    def pipeline_settings(self, fps: float | None = None) -> PipelineSettings:
        """The pipeline's settings; `fps`: the video's frame rate, which sets how many frames
        the look-ahead holds (None: a picture, or no look-ahead)."""
        exercise = find_exercise(self.exercise) if isinstance(self.exercise, str) else self.exercise
        # A smoothing that cannot revise what it showed gains nothing by waiting.
        waits = revises(self.smoothing, self.smoothing_strength)
        settings = PipelineSettings(
            num_poses=self.num_poses,
            min_confidence=self.min_confidence,
            smoothing=self.smoothing,
            smoothing_strength=self.smoothing_strength,
            exercise=exercise,
            show_angles=self.show_angles,
            show_count=self.show_count,
            find_every_frame=self.find_every_frame,
        )
        if not (fps and waits):
            return settings
        ahead_s = self.look_ahead_s
        if ahead_s is None:
            ahead_s = default_look_ahead_s(settings.finds_afresh)
        return replace(settings, look_ahead_frames=look_ahead_frames(ahead_s, fps))


@dataclass(frozen=True)
class AnnotateSummary:
    """What a run did."""

    input: Path
    #: Where the annotated video or image and the keypoints are: the names asked for, or their
    #: partial names (NAME.partial.mp4) when the input broke part way.
    output: Path
    keypoints: Path | None
    frames: int
    frames_with_person: int
    seconds: float
    codec: str | None
    #: Set when the input broke part way: what went wrong. The frames before it were written.
    stopped_early: InputError | None = None
    #: Set when the video was damaged but read to its end: what was lost (media.sources).
    damage: Damage | None = None
    #: With an exercise: its name and the repetitions counted per person id.
    exercise: str | None = None
    reps: dict[int, int] | None = None
    #: With an exercise: the table of repetitions (one row each), NAME_reps.csv.
    reps_table: Path | None = None
    #: The input's sound in the output: copied or encoded again; None without.
    sound: SoundKept | None = None
    #: Why the input's sound is missing from the output, or ends early there, if it does.
    sound_problem: str | None = None
    #: How many pose models searched the video at once (1: in turn).
    jobs: int = 1

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        """The one-line summary printed at the end."""
        noun = "frame" if self.frames == 1 else "frames"
        parts = [
            f"{self.input.name}: {self.frames} {noun}, {self.frames_with_person} with a person",
            f"{self.frames_per_second:.1f} frames/s"
            + (f" ({self.jobs} jobs)" if self.jobs > 1 else ""),
        ]
        about = [self.codec] if self.codec else []
        if self.sound is not None:
            about.append(f"with sound: {self.sound}")
        parts.append(f"annotated -> {self.output}" + (f" ({', '.join(about)})" if about else ""))
        if self.keypoints:
            parts.append(f"keypoints -> {self.keypoints}")
        if self.reps is not None:
            counts = [f"person {pid} reps={n}" for pid, n in self.reps.items()] or ["reps=0"]
            parts.append(f"{self.exercise}: " + ", ".join(counts))
        if self.reps_table:
            parts.append(f"repetitions -> {self.reps_table}")
        return ", ".join(parts)


def default_output_path(input_path: Path) -> Path:
    """`clip.mp4` -> `clip_posecam.mp4`; images keep their suffix."""
    suffix = input_path.suffix if is_image_path(input_path) else ".mp4"
    return input_path.with_name(f"{input_path.stem}_posecam{suffix}")


def _output_of(options: AnnotateOptions) -> Path:
    """The annotated video's or picture's path: as given, or beside the input."""
    return options.output or default_output_path(options.input)


def _reps_table_of(options: AnnotateOptions) -> Path:
    """The table of repetitions' path: beside the keypoints, or beside the output without."""
    return reps_table_path(options.keypoints or _output_of(options))


def files_written(options: AnnotateOptions) -> list[Path]:
    """Every file a run with `options` may write: its video or picture, its keypoints and its
    table of repetitions, each under its own name and first under its partial name."""
    named = [_output_of(options)]
    if options.keypoints is not None:
        named.append(options.keypoints)
    if options.exercise is not None:
        named.append(_reps_table_of(options))
    return [path for final in named for path in (final, partial_path(final))]


def _same_file(a: Path, b: Path) -> bool:
    """True when `a` and `b` name one file: the same path spelled differently, a symbolic
    link, or a hard link (which resolve() cannot see; writing to it would overwrite the other)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        # One of them does not exist (yet), so they cannot be one file.
        return False


def _check_output(path: Path, input_path: Path, overwrite: bool, allowed: tuple[str, ...]) -> None:
    if path.suffix.lower() not in allowed:
        raise OutputError(path, f"output must end in one of {', '.join(allowed)}")
    if _same_file(path, input_path):
        raise OutputError(path, "is the same file as the input; choose another name")
    if path.is_dir():
        raise OutputError(path, "is a folder; give a file name")
    parent = path.parent
    if not parent.exists():
        raise OutputError(path, f"folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(path, f"{parent} is not a folder")
    if path.exists() and not overwrite:
        raise OutputError(path, "already exists (use --overwrite to replace it)")


def _check_partial(path: Path, input_path: Path, overwrite: bool) -> None:
    """The file that becomes `path` when complete is written first under its partial name:
    that name must be free too (or --overwrite given), and not name the input."""
    partial = partial_path(path)
    held_for = f"PoseCam writes {path.name} under this name until it is complete"
    if _same_file(partial, input_path):
        raise OutputError(partial, f"is the input file; {held_for}, so choose another name")
    if partial.is_dir():
        raise OutputError(partial, f"is a folder; {held_for}, so move it away")
    if (partial.exists() or partial.is_symlink()) and not overwrite:
        raise OutputError(
            partial,
            f"already exists (left by a run that stopped part way?); {held_for}, so move it "
            "away or use --overwrite to replace it",
        )


def _probe_writable(path: Path) -> None:
    """Fail before any work if the file cannot be created, without leaving it behind."""
    existed = path.exists()
    try:
        with open(path, "ab"):
            pass
    except OSError as exc:
        raise OutputError(path, f"cannot write here ({reason(exc)})") from None
    if not existed:
        path.unlink(missing_ok=True)


def annotate(
    options: AnnotateOptions,
    progress: Callable[[int, int | None], None] | None = None,
    model: PoseModel | None = None,
) -> AnnotateSummary:
    """Annotate a video or an image. Raises PoseCamError (with a one-line message) on bad input.

    Outputs are written as NAME.partial.mp4 (or .csv, ...) beside their targets and replace
    them only when complete. If the input video breaks part way, the frames before the break
    are written and finalised so they play, under the partial names (the summary's `output` and
    `keypoints`), and the summary's `stopped_early` says what happened. If the run stops part
    way (Ctrl+C, an error), a note on the exception (`errors.with_notes`) says where the frames
    done so far are.
    """
    input_path = options.input
    image_input = is_image_path(input_path)
    output = _output_of(options)
    if image_input:
        allowed = tuple(sorted({input_path.suffix.lower(), ".png", ".jpg", ".jpeg"}))
    else:
        allowed = VIDEO_OUTPUT_SUFFIXES
    _check_output(output, input_path, options.overwrite, allowed)
    if options.keypoints is not None:
        _check_output(options.keypoints, input_path, options.overwrite, KEYPOINT_SUFFIXES)
        if _same_file(options.keypoints, output):
            raise OutputError(options.keypoints, "keypoints and video cannot be the same file")
        _probe_writable(options.keypoints)
        _check_partial(options.keypoints, input_path, options.overwrite)
    _probe_writable(output)
    _check_partial(output, input_path, options.overwrite)
    if options.exercise is not None:
        table = _reps_table_of(options)
        _check_output(table, input_path, options.overwrite, (".csv",))
        _check_partial(table, input_path, options.overwrite)

    # Open the input before loading the model so a wrong file name is reported at once.
    source = ImageSource(input_path) if image_input else VideoFileSource(input_path)
    audio: AudioInput | None = None
    try:
        if options.audio and not image_input:
            # The sound is read from a second opening of the file, as the video is written.
            audio = open_audio(input_path)
        if model is None:
            model = load_model(options.model) if options.model else load_default_model()
        mode = RunningMode.IMAGE if image_input else RunningMode.VIDEO
        # A picture has no frames after it to look ahead to.
        settings = options.pipeline_settings(None if image_input else source.fps or 30.0)
        header = keypoints_header(
            input_path.name,
            source.size,
            source.fps,
            model.name,
            model.sha256,
            options.smoothing,
            options.smoothing_strength,
            rotated_deg=source.rotation,
            mirrored=source.mirrored,
            look_ahead_frames=settings.look_ahead_frames,
            found_afresh=image_input or settings.finds_afresh,
        )
        starts = _segment_starts_ms(options, source)
        with PosePipeline(model, settings, mode, load_now=len(starts) < 2) as pipeline:
            if len(starts) < 2:
                return _run(options, source, audio, pipeline, None, output, header, progress)
            # SegmentFinders runs no more threads than there are segments.
            with SegmentFinders(input_path, starts, pipeline.new_finder, options.jobs) as finders:
                return _run(options, source, audio, pipeline, finders, output, header, progress)
    finally:
        close_quietly(audio)
        source.close()


def _write_reps(pipeline: PosePipeline, options: AnnotateOptions, *, complete: bool) -> Path:
    """The table of the repetitions counted (NAME_reps.csv), under its partial name unless
    the run is `complete`; the path written."""
    assert pipeline.reps is not None
    return write_reps_table(_reps_table_of(options), pipeline.reps.all_reps(), complete=complete)


def _segment_starts_ms(
    options: AnnotateOptions, source: ImageSource | VideoFileSource
) -> list[float]:
    """Where the parts of the video that pose models search at once start (media.parallel):
    with more than one job asked for and a video long enough to share out that can be read
    from part way. One start: the video is searched in one pass."""
    if options.jobs < 2 or not isinstance(source, VideoFileSource) or not source.seekable:
        return [0.0]
    return segment_starts_ms(source.duration_s or 0.0, options.jobs)


def _run(
    options: AnnotateOptions,
    source: ImageSource | VideoFileSource,
    audio: AudioInput | None,
    pipeline: PosePipeline,
    finders: SegmentFinders | None,
    output: Path,
    header: dict[str, object],
    progress: Callable[[int, int | None], None] | None,
) -> AnnotateSummary:
    # Both files are written under partial names beside their targets and moved into place only
    # once complete: a run that fails leaves the targets as they were (an old output that
    # --overwrite was to replace included), and one stopped part way leaves its work in files
    # whose names say that they are incomplete.
    partial_output = partial_path(output)
    partial_keypoints = partial_path(options.keypoints) if options.keypoints else None
    frames = with_person = 0
    stopped_early: InputError | None = None
    #: Whether every frame of the input was read and written.
    whole = False
    files_finished = False
    started = time.perf_counter()
    # The outputs a live recording writes, through the same Recorder: the video crash-safe (a
    # keyframe and a fragment every half second, so a run killed outright leaves a partial
    # file that plays), keypoints that stay readable, the rep summary at the end. For a file
    # no frame may be dropped, so a full queue waits; the partial names were checked (and
    # --overwrite given, if they exist) before anything started.
    outputs = Recorder(
        RecordingPaths(partial_output, keypoints=partial_keypoints),
        source.fps or 30.0,
        header,
        queue_frames=4,
        preset=ENCODER_PRESET,
        wait_when_full=True,
        replace=True,
        times_from_zero=False,
        audio=audio,
        # With pose models on every core, x264 takes what is free; alone beside one model it
        # keeps to one thread, which measured faster (docs/performance.md).
        encoder_threads=0 if finders is not None else 1,
    )

    # Results due and not yet written, oldest first: a stop part way through writing them
    # leaves the rest here, to go before the frames held for the look-ahead (no gap).
    due: deque[FrameResult] = deque()

    def write(results: list[FrameResult]) -> None:
        nonlocal frames, with_person
        due.extend(results)
        while due:
            result = due[0]
            outputs.submit(result.index, result.time_ms, result.annotated, None, result.people)
            due.popleft()
            if outputs.error is not None:
                raise outputs.error
            frames += 1
            with_person += any(not p.coasting for p in result.people)
            if progress is not None:
                progress(frames, source.frame_count)

    try:
        try:
            try:
                try:
                    # Three stages on three threads: decoding reads ahead and the outputs
                    # write behind while the pose model works on the frame between them (see
                    # media/background.py).
                    for frame in read_ahead(source, name="posecam-decode"):
                        # Each decoded frame is a fresh array: draw on it, no copy.
                        if finders is not None and source.times_made_up and finders.gave_up is None:
                            # Frames from here on may be timed apart from how the segments
                            # timed them, so a result could be another frame's: one model
                            # goes on.
                            finders.give_up("the video's frame times had to be made up")
                        found = finders.found(frame) if finders is not None else None
                        # With a look-ahead, the frames of a moment ago come out (none at
                        # first).
                        write(pipeline.process_held(frame, draw_in_place=True, found=found))
                except InputError as exc:
                    stopped_early = exc
                # The last frames, held for the look-ahead; also when the input broke.
                write(pipeline.flush())
            except BaseException:
                # Stopped part way (Ctrl+C, a fault): the frames already seen, due or held for
                # the look-ahead, are written too if that still works; the stop is what is
                # reported.
                with contextlib.suppress(Exception):
                    write(pipeline.flush())
                raise
            if stopped_early is not None and not frames:
                raise stopped_early
            whole = stopped_early is None
        finally:
            # Finalise the files whatever happened, so everything written so far stays usable.
            # After a failed write (a full disk) the Recorder has cut them back to the frames
            # they all hold whole, and removed any left with none. JSON keypoints of a run
            # stopped part way say so, as those of a run killed outright read.
            summary = pipeline.rep_summary() or {}
            outputs.close(summary if whole else {**summary, "complete": False})
            if not frames:
                # Nothing was done: leave no empty, unplayable files behind (and none that
                # would stand in the way of the next run).
                for path in (partial_output, partial_keypoints):
                    if path is not None:
                        path.unlink(missing_ok=True)
            files_finished = True
        if outputs.error is not None:
            raise outputs.error
    except BaseException as exc:
        # Stopped part way (Ctrl+C, a full disk, a fault): say where the work done so far is,
        # when the files were finished and so can be opened.
        kept = outputs.kept_files or [
            p for p in (partial_output, partial_keypoints) if p is not None and p.exists()
        ]
        if outputs.frames_kept and files_finished and kept:
            if pipeline.reps is not None:
                # The repetitions counted in those frames too; the stop, not this, is reported.
                with contextlib.suppress(Exception):
                    kept.append(_write_reps(pipeline, options, complete=False))
            where = " and ".join(map(str, kept))
            add_note(exc, f"the {outputs.frames_kept} frames annotated so far are in {where}")
        raise
    if frames == 0:
        raise InputError(options.input, "holds no frames")
    reps_table = None
    if stopped_early is None:
        move_into_place(partial_output, output)
        if partial_keypoints is not None and options.keypoints is not None:
            move_into_place(partial_keypoints, options.keypoints)
        written_output, written_keypoints = output, options.keypoints
    else:
        # What a broken input gave is kept, but it does not replace a complete earlier result.
        written_output, written_keypoints = partial_output, partial_keypoints
    if pipeline.reps is not None:
        reps_table = _write_reps(pipeline, options, complete=stopped_early is None)
    return AnnotateSummary(
        input=options.input,
        output=written_output,
        keypoints=written_keypoints,
        frames=frames,
        frames_with_person=with_person,
        seconds=time.perf_counter() - started,
        codec=outputs.codec_name,
        stopped_early=stopped_early,
        damage=source.damage if isinstance(source, VideoFileSource) else None,
        exercise=pipeline.reps.exercise.name if pipeline.reps is not None else None,
        reps=pipeline.reps.counts() if pipeline.reps is not None else None,
        reps_table=reps_table,
        sound=outputs.sound,
        sound_problem=outputs.sound_problem,
        jobs=finders.jobs if finders is not None else 1,
    )
