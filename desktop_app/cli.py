"""The `posecam` command: the window (`posecam [--source S] [--record OUT.mp4]`),
`posecam annotate` (headless), `posecam serve` (a local web page), `posecam exercise` (teach,
list, remove) and `posecam sample-clip`.

Every problem a user can fix is reported as one line naming the file and the problem, with
exit code 2; never a traceback. Anything unforeseen is one line and exit code 2 too, with its
traceback in the log file (app_log). No file is replaced without --overwrite, and outputs are
written under a partial name and moved into place only when complete.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from desktop_app import __version__
from desktop_app.core import limits
from desktop_app.core.angles import ANGLE_NAMES
from desktop_app.core.limits import Limits
from desktop_app.core.reps import EXERCISES, Exercise
from desktop_app.core.smoothing import (
    DEFAULT_SMOOTHING,
    DEFAULT_STRENGTH,
    LOOK_AHEAD_ONE_PERSON_S,
    LOOK_AHEAD_S,
    SMOOTHING_CHOICES,
)
from desktop_app.errors import OutputError, PoseCamError, add_note, reason, with_notes

if TYPE_CHECKING:
    from desktop_app.annotate import AnnotateOptions, AnnotateSummary
    from desktop_app.media.sources import VideoFileSource

EXIT_OK = 0
EXIT_USER_ERROR = 2
#: Standard output's reader went away, as a shell reports a pipe's writer killed by SIGPIPE.
EXIT_READER_GONE = 128 + 13


# The most people `--num-poses` may ask for; the window's People box offers the same 1-10.


def _named(text: str) -> str:
    """An argument type for a file, folder or source: any text but an empty one, which Path
    would read as the current folder (an unset variable in `posecam annotate "$CLIP"` would
    annotate every video there)."""
    if not text or text.lower() == "file://":
        raise argparse.ArgumentTypeError(f"{text!r} names no file")
    return text


def _file(text: str) -> Path:
    return Path(_named(text))


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    # float() takes "nan" and "inf"; no option of ours means either.
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    return value


def _within(allowed: Limits, unit: str = "") -> Callable[[str], float]:
    """An argument type: a finite number within `allowed` (core/limits.py)."""

    def number(text: str) -> float:
        value = _number(text)
        if value not in allowed:
            raise argparse.ArgumentTypeError(f"{text} is not {allowed.describe()}{unit}")
        return value

    return number


_confidence = _within(limits.CONFIDENCE)
_strength = _within(limits.SMOOTHING_STRENGTH)
_look_ahead = _within(limits.LOOK_AHEAD_S, " s")
_degrees = _within(limits.ANGLE_DEG, " degrees")


def _number_of_people(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value not in limits.PEOPLE:
        raise argparse.ArgumentTypeError(f"{text} is not {limits.PEOPLE.describe()}")
    return value


# The longest sample clip: an hour (108,000 frames) is already far more than a demo needs.
LONGEST_SAMPLE_S = 3600.0


def _clip_seconds(text: str) -> float:
    value = _number(text)
    if not 0.0 < value <= LONGEST_SAMPLE_S:
        raise argparse.ArgumentTypeError(
            f"{text} must be more than 0 and at most {LONGEST_SAMPLE_S:g} seconds"
        )
    return value


class _Parser(argparse.ArgumentParser):
    """Reports a wrong argument in one line, as every other problem is, instead of argparse's
    usage block followed by the error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"posecam: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="posecam",
        description="Draw a steady human pose skeleton over video, offline on the CPU.",
    )
    parser.add_argument("--version", action="version", version=f"PoseCam {__version__}")
    parser.add_argument(
        "--source",
        type=_named,
        metavar="SOURCE",
        help="open the window on a camera number (0, 1, ...), a video or image file, or a "
        "stream URL (default: the default camera)",
    )
    parser.add_argument(
        "--record", type=_file, metavar="OUT.mp4", help="start recording to OUT.mp4 at once"
    )
    parser.add_argument(
        "--settings",
        type=_file,
        metavar="FILE",
        help="read and save the window's settings in FILE instead of the user's config folder",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    annotate = commands.add_parser(
        "annotate",
        help="draw skeletons onto a video file or image and export keypoints",
        description=(
            "Draw skeletons onto a video file or an image. A video gives an H.264 MP4 with "
            "the same frames and frame rate; an image gives an image of the same size."
        ),
    )
    # Read as text: a Path would fold a stream address's "//" before it could be recognised.
    annotate.add_argument(
        "input",
        nargs="+",
        type=_named,
        help="video file or image; or several, or folders (their videos and pictures), "
        "annotated several at once as --jobs allows",
    )
    annotate.add_argument(
        "-o",
        "--output",
        type=_file,
        help="annotated video (.mp4) or image; default: INPUT_posecam.mp4 beside the input. "
        "With several inputs: the folder to write them to (made if not there)",
    )
    annotate.add_argument(
        "--keypoints",
        type=_file,
        metavar="FILE",
        help="also write keypoints to FILE.csv or .json. With several inputs: the folder to "
        "write each one's NAME_posecam.csv to",
    )
    annotate.add_argument(
        "--smoothing",
        choices=SMOOTHING_CHOICES,
        default=DEFAULT_SMOOTHING,
        help="landmark smoothing; none keeps MediaPipe's output as it is (default: %(default)s)",
    )
    annotate.add_argument(
        "--smoothing-strength",
        type=_strength,
        default=DEFAULT_STRENGTH,
        metavar="S",
        help="0 (off) to 1 (steadiest) (default: %(default)s)",
    )
    annotate.add_argument(
        "--look-ahead",
        type=_look_ahead,
        metavar="S",
        help="seconds of video kalman smoothing sees past each frame before drawing it, so "
        "that the skeleton keeps up with fast moves and holds still ones steady (at least 1 "
        f"frame, at most 12); 0 smooths as the window does (default: {LOOK_AHEAD_ONE_PERSON_S:g}"
        f" with one person, {LOOK_AHEAD_S:g} with more or with --mediapipe-tracking; at most "
        f"{limits.LOOK_AHEAD_S.high:g})",
    )
    annotate.add_argument(
        "--mediapipe-tracking",
        action="store_true",
        help="with one person: let MediaPipe follow them from frame to frame and smooth them "
        'with its own filter first, as the window does with "Find the person in every '
        'frame" off, instead of finding them afresh in every frame: faster, but the skeleton '
        "lags more and can stay on a wrong pose for up to half a second (no effect with "
        "--smoothing none, which is MediaPipe's own output, or with --num-poses 2 or more)",
    )
    annotate.add_argument(
        "--num-poses",
        type=_number_of_people,
        default=1,
        metavar="N",
        help=f"most people to find in a frame, {limits.PEOPLE.low:g}-{limits.PEOPLE.high:g} "
        "(default: %(default)s)",
    )
    annotate.add_argument(
        "--model", type=_file, metavar="PATH", help="another pose landmarker .task bundle"
    )
    annotate.add_argument(
        "--min-confidence",
        type=_confidence,
        default=0.5,
        metavar="F",
        help="detection and tracking confidence, 0-1 (default: %(default)s)",
    )
    annotate.add_argument(
        "--overwrite", action="store_true", help="replace output files that already exist"
    )
    annotate.add_argument(
        "--exercise",
        metavar="NAME",
        help="count repetitions of this exercise and print them per person: a preset ("
        + ", ".join(EXERCISES)
        + "), one taught with 'posecam exercise teach', or custom: give --angle, --down, --up",
    )
    annotate.add_argument(
        "--angle", choices=ANGLE_NAMES, help="with --exercise custom: the joint angle to follow"
    )
    annotate.add_argument(
        "--down", type=_degrees, metavar="DEG", help="with --exercise custom: bottom threshold"
    )
    annotate.add_argument(
        "--up", type=_degrees, metavar="DEG", help="with --exercise custom: top threshold"
    )
    annotate.add_argument(
        "--show-angles",
        action="store_true",
        help="write each person's joint angles (degrees) beside the joints, as the window does",
    )
    annotate.add_argument(
        "--no-count",
        action="store_true",
        help="with --exercise: leave the large repetition count off the picture (the count "
        "still goes into the keypoints)",
    )
    annotate.add_argument(
        "--jobs",
        type=_jobs,
        default=default_jobs(),
        metavar="N",
        help="pose models searching parts of a video at once, each on a core of its own "
        "(default: one core fewer than this computer lets PoseCam use, %(default)s, leaving "
        "one for reading, drawing and writing the video); 1 reads the video in one pass",
    )
    annotate.add_argument(
        "--no-audio",
        action="store_true",
        help="leave the video's sound out (by default it is copied, or encoded to AAC where "
        "the output's container needs it)",
    )

    _add_exercise_commands(commands)
    _add_serve_command(commands)

    sample = commands.add_parser(
        "sample-clip",
        help="write a short demo clip (a photo moving) to try PoseCam without a camera",
    )
    sample.add_argument("output", type=_file, help="where to write the clip (.mp4)")
    sample.add_argument(
        "--seconds",
        type=_clip_seconds,
        default=4.0,
        help=f"length, at most {LONGEST_SAMPLE_S:g} (default: %(default)g)",
    )
    sample.add_argument(
        "--overwrite", action="store_true", help="replace the file if it already exists"
    )
    return parser


def _add_exercise_commands(commands: argparse._SubParsersAction) -> None:
    exercise = commands.add_parser(
        "exercise",
        help="teach PoseCam an exercise by showing it; list or remove taught exercises",
        description=(
            "Teach PoseCam an exercise from a clip of 2-3 repetitions: it picks the joint "
            "angle that swings most and most regularly, sets its thresholds from the range "
            "shown, and saves the exercise for annotate --exercise NAME and the window."
        ),
    )
    actions = exercise.add_subparsers(dest="action", metavar="ACTION", required=True)
    teach = actions.add_parser(
        "teach",
        help="learn an exercise from 2-3 repetitions in a clip",
        description="Learn an exercise from 2-3 repetitions, from rest to rest, in a clip.",
    )
    teach.add_argument("clip", type=_file, help="a video file showing the exercise")
    teach.add_argument("--name", required=True, help="what to call it (letters, digits, _ -)")
    teach.add_argument(
        "--start", type=_seconds, metavar="S", help="where the repetitions start, in seconds"
    )
    teach.add_argument(
        "--end", type=_seconds, metavar="S", help="where they end, in seconds (default: the end)"
    )
    teach.add_argument("--title", help="the name shown on the picture (default: from NAME)")
    teach.add_argument(
        "--overwrite", action="store_true", help="replace a taught exercise of the same name"
    )
    actions.add_parser("list", help="the presets and the taught exercises")
    remove = actions.add_parser("remove", help="forget a taught exercise")
    remove.add_argument("name", help="the taught exercise's name")


def _add_serve_command(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve",
        help="a local web page that annotates photos and clips, e.g. filmed on a phone",
        description=(
            "Serve a web page (and a JSON API) that annotates uploaded photos and clips as "
            "posecam annotate does. Only this computer can open it unless --host 0.0.0.0 is "
            "given. See docs/serve.md."
        ),
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; 0.0.0.0 lets phones on this network in (default: "
        "%(default)s, this computer only)",
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    serve.add_argument(
        "--keep-minutes",
        type=_positive,
        default=60.0,
        metavar="M",
        help="delete each upload and its results M minutes after it is done (default: %(default)g)",
    )
    serve.add_argument(
        "--max-upload-mb",
        type=_positive,
        default=500.0,
        metavar="MB",
        help="largest file accepted (default: %(default)g)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        choices=(1, 2),
        default=1,
        help="files annotated at once (default: %(default)s)",
    )
    serve.add_argument(
        "--queue-size",
        type=_queue_size,
        default=8,
        metavar="N",
        help="files that may wait; more are refused as busy (default: %(default)s)",
    )


def _whole_number(text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text} is not between {low} and {high}")
    return value


def usable_cores() -> int:
    """The processor cores this process may run on (fewer than the machine's under a CPU
    affinity mask, as containers and job managers set)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Windows or macOS
        return os.cpu_count() or 1


def default_jobs() -> int:
    """Pose models for `annotate` by default: one per core but one. Reading, drawing and
    writing the video take about half a core beside each model's core on a 2-core machine;
    there a second model measured no faster (docs/performance.md)."""
    return max(1, usable_cores() - 1)


def _jobs(text: str) -> int:
    return _whole_number(text, 1, 64)


def _port(text: str) -> int:
    return _whole_number(text, 0, 65535)


def _queue_size(text: str) -> int:
    return _whole_number(text, 1, 1000)


def _positive(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not more than 0")
    return value


def _seconds(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is before the clip's start")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    from desktop_app.app_log import route_output

    route_output()
    stop = _Stop()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        code = _command(args, stop, argv)
        # What is still buffered is written now, where a failure can be told.
        _flush_standard_output()
        return code
    except PoseCamError as exc:
        print(f"posecam: {with_notes(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt as exc:
        # An interrupted annotate run notes where the frames done so far are kept.
        kept = with_notes(exc)
        print(f"posecam: interrupted{'; ' + kept if kept else ''}", file=sys.stderr)
        return stop.exit_code
    except BrokenPipeError:
        # Standard output's reader has gone (`posecam exercise list | head -3`): nothing more
        # can be said to it, and not being heard is no error of ours. PoseCam writes to no
        # other pipe. Its unwritten lines go nowhere, or Python's flush at exit would complain
        # of the same pipe once more.
        _drop_standard_output()
        return EXIT_READER_GONE
    except Exception as exc:
        return _unexpected(exc, argv)
    finally:
        # Whatever ended the command, nothing is left for Python's flush at exit to fail on
        # (it would print its own complaint and change the exit code to 120).
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            _drop_standard_output()


def _command(args: argparse.Namespace, stop: _Stop, argv: Sequence[str] | None) -> int:
    if args.command == "annotate":
        # A real command line stays deaf to more stops once one came: a second Ctrl+C must
        # not break the message or the exit that follow the finishing.
        with _stopped_once_by_ctrl_c_or_sigterm(stop, deaf_after_a_stop=argv is None):
            return _annotate(args, stop)
    if args.command == "sample-clip":
        return _sample_clip(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "exercise":
        return _exercise_command(args)
    return _window(args)


def _say(text: str) -> None:
    """Print a line of a command's output to standard output."""
    with _writing_standard_output():
        print(text)


def _flush_standard_output() -> None:
    with _writing_standard_output():
        sys.stdout.flush()


@contextlib.contextmanager
def _writing_standard_output() -> Iterator[None]:
    """Where standard output was sent cannot take it (`posecam exercise list > /dev/full`, a
    file on a full disk): OutputError, the user's redirection to fix, not a fault of ours;
    what it still holds is dropped (_drop_standard_output). A reader that has gone
    (BrokenPipeError) is main's to end quietly."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        _drop_standard_output()
        raise OutputError(None, f"cannot write to standard output: {reason(exc)}") from exc


def _drop_standard_output() -> None:
    """Send what standard output still holds nowhere: nothing more can be written to where it
    goes, and Python's flush at exit would otherwise fail on it once more."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _unexpected(exc: Exception, argv: Sequence[str] | None) -> int:
    # A fault of ours, not the user's: one line here, the traceback in the log for a report.
    print(
        f"posecam: unexpected error: {_one_line(exc)} ({_log_unexpected(exc, argv)})",
        file=sys.stderr,
    )
    return EXIT_USER_ERROR


class _Stop:
    """A Ctrl+C or SIGTERM, asked for by the signal handler and acted on by the run: at its
    next frame (`check`, from the progress callback), it raises KeyboardInterrupt, once.

    The handler does not raise itself: a signal is handled wherever Python happens to be, and
    annotate spends much of its time freeing MediaPipe's images, whose finalizer is where an
    exception is printed and dropped ("Exception ignored in ... __del__"). A stop raised
    there was lost, and every later one ignored: the run went on to its end."""

    def __init__(self) -> None:
        #: The number of the first stop signal that came, or None.
        self.signal: int | None = None
        self._acted = False

    def check(self) -> None:
        if self.signal is not None and not self._acted:
            self._acted = True
            raise KeyboardInterrupt

    @property
    def exit_code(self) -> int:
        """What a shell expects of a process stopped by the signal: 128 plus its number."""
        return 128 + (self.signal or 2)


@contextlib.contextmanager
def _stopped_once_by_ctrl_c_or_sigterm(
    stop: _Stop, deaf_after_a_stop: bool = False
) -> Iterator[None]:
    """Let SIGTERM (a system shutting down, a job manager, `kill`) stop annotate as Ctrl+C
    does: the frames done so far are finished into playable files, which the message names.
    Only the first stops it: pressed again while the files are being finished, Ctrl+C would
    break off the finishing itself (a traceback, a writer closed under the encoder).

    deaf_after_a_stop: once a stop came, leave further ones ignored after the block too (the
    process is about to print its message and exit); otherwise the old handlers return."""
    import signal

    stops = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])

    def interrupt(signum: int, frame: object) -> None:
        if stop.signal is None:
            stop.signal = signum

    before = {each: signal.getsignal(each) for each in stops}
    for each in stops:
        signal.signal(each, interrupt)
    try:
        yield
    finally:
        if deaf_after_a_stop and stop.signal is not None:
            before = {each: signal.SIG_IGN for each in stops}
        for each, handler in before.items():
            signal.signal(each, handler)


def _log_unexpected(exc: BaseException, argv: Sequence[str] | None) -> str:
    """Save the traceback to PoseCam's log file (app_log); says where it went."""
    from desktop_app.app_log import log_unexpected

    return log_unexpected(exc, " ".join(["posecam", *(sys.argv[1:] if argv is None else argv)]))


def _one_line(exc: BaseException, most_chars: int = 300) -> str:
    message = " ".join(str(exc).split())
    if len(message) > most_chars:
        message = message[: most_chars - 3] + "..."
    # The notes (where the frames done so far are kept) matter most: never cut them off.
    what = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return "; ".join([what, *getattr(exc, "__notes__", [])])


def check_window_source(source: str) -> None:
    """A file that is not there (or cannot be reached) is told on the terminal, as a wrong
    --record is; a camera, a stream, or a file whose content is wrong, in the window, which
    offers to open another."""
    from desktop_app.media.images import check_readable_file
    from desktop_app.media.sources import file_path, stream_address

    if not source.isdigit() and not stream_address(source):
        check_readable_file(file_path(source))


def _window(args: argparse.Namespace) -> int:
    from desktop_app.media.video_writer import VIDEO_OUTPUT_SUFFIXES
    from desktop_app.ui.app import run_window

    if args.source is not None:
        check_window_source(args.source)
    record: Path | None = args.record
    if record is not None:
        if record.suffix.lower() not in VIDEO_OUTPUT_SUFFIXES:
            raise OutputError(record, f"recordings are {', '.join(VIDEO_OUTPUT_SUFFIXES)} files")
        if record.exists():
            raise OutputError(record, "already exists; choose another name")
        if not record.parent.is_dir():
            raise OutputError(record, f"folder {record.parent} does not exist")
    return run_window(args.source, record, args.settings)


def _annotate(args: argparse.Namespace, stop: _Stop) -> int:
    from desktop_app.annotate import AnnotateOptions, annotate
    from desktop_app.errors import InputError
    from desktop_app.media.sources import check_stream_url, file_path, stream_address
    from desktop_app.progress import TerminalProgress

    for text in args.input:
        if stream_address(text):
            check_stream_url(text)  # one that would listen is refused as such
            raise InputError(
                text,
                "is a stream's address; posecam annotate reads video files and images "
                "(to watch a stream, open it in the window: posecam --source ADDRESS)",
            )
    inputs = [file_path(text) for text in args.input]
    options = AnnotateOptions(
        input=inputs[0],
        output=args.output,
        keypoints=args.keypoints,
        smoothing=args.smoothing,
        smoothing_strength=args.smoothing_strength,
        look_ahead_s=args.look_ahead,
        find_every_frame=not args.mediapipe_tracking,
        num_poses=args.num_poses,
        model=args.model,
        min_confidence=args.min_confidence,
        overwrite=args.overwrite,
        exercise=_exercise(args),
        show_angles=args.show_angles,
        show_count=not args.no_count,
        audio=not args.no_audio,
        jobs=args.jobs,
    )
    stop.check()
    if len(inputs) > 1 or inputs[0].is_dir():
        return _annotate_several(inputs, options, stop)
    bar: TerminalProgress | None = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        stop.check()
        if bar is None:
            bar = TerminalProgress(sys.stderr, total)
        bar.update(done)

    try:
        summary = annotate(options, progress)
    finally:
        if bar is not None:
            bar.finish()
    return _report(summary)


def _report(summary: AnnotateSummary) -> int:
    """Print what an annotate run did; the exit code it calls for. What goes to standard
    error is said even if standard output fails (OutputError once it is said)."""
    try:
        _say(summary.describe())
    finally:
        code = _report_problems(summary)
    return code


def _report_problems(summary: AnnotateSummary) -> int:
    if summary.damage is not None:
        # Everything that could be read was: the run succeeded, but the user should know.
        print(f"posecam: {summary.input}: {summary.damage}", file=sys.stderr)
    if summary.sound_problem is not None and summary.stopped_early is None:
        print(f"posecam: {summary.input}: {summary.sound_problem}", file=sys.stderr)
    if summary.stopped_early is not None:
        print(
            f"posecam: {summary.stopped_early}; the {summary.frames} frames before it were "
            f"written to {summary.output}"
            + (f" and {summary.keypoints}" if summary.keypoints else ""),
            file=sys.stderr,
        )
        return EXIT_USER_ERROR
    return EXIT_OK


def _annotate_several(inputs: list[Path], template: AnnotateOptions, stop: _Stop) -> int:
    """Several files or folders: outputs named after each file (in the --output and
    --keypoints folders when given), several files at once, one progress bar, a line per
    file as it finishes; a file that fails is reported and the others go on."""
    from desktop_app.batch import (
        FileDone,
        annotate_files,
        check_distinct,
        check_folder,
        files_in,
        make_folder,
        options_for,
    )
    from desktop_app.core.model import load_default_model, load_model
    from desktop_app.progress import TerminalProgress

    check_folder(template.output, "--output")
    check_folder(template.keypoints, "--keypoints")
    files = files_in(inputs)
    keypoints_suffix = ".csv" if template.keypoints is not None else None
    each = [options_for(file, template, keypoints_suffix) for file in files]
    check_distinct(each)
    model = load_model(template.model) if template.model else load_default_model()
    # Made once the inputs and the model are known to be fine: a refused run leaves no folder.
    make_folder(template.output)
    make_folder(template.keypoints)
    stop.check()
    bar = TerminalProgress(sys.stderr, None, "frames")
    codes: list[int] = []
    #: Standard output failed: the files still running and waiting are annotated all the same
    #: (what they write is what the user asked for); it is said once, at the end.
    unheard: list[OutputError] = []

    def progress(done: int, total: int | None) -> None:
        stop.check()  # in one file's thread: annotate_files then stops them all at once
        bar.total = total
        bar.update(done)

    def finished(file: FileDone) -> None:
        bar.finish()
        if file.summary is not None:
            try:
                _say(file.summary.describe())
            except OutputError as exc:
                unheard.append(exc)
            codes.append(_report_problems(file.summary))
        elif file.problem is not None:
            print(f"posecam: {with_notes(file.problem)}", file=sys.stderr)
            codes.append(EXIT_USER_ERROR)

    try:
        annotate_files(each, template.jobs, model, progress, finished, stop.check)
    finally:
        bar.finish()
    failed = sum(code != EXIT_OK for code in codes)
    _say(
        f"{len(files)} {'file' if len(files) == 1 else 'files'}: {len(files) - failed} annotated"
        + (f", {failed} with problems (above)" if failed else "")
    )
    if unheard:
        raise unheard[0]
    return EXIT_USER_ERROR if failed else EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from desktop_app.serve import create_app, run

    app = create_app(
        max_upload_mb=args.max_upload_mb,
        keep_minutes=args.keep_minutes,
        workers=args.workers,
        queue_size=args.queue_size,
    )
    run(app, args.host, args.port)
    return EXIT_OK


def _exercise(args: argparse.Namespace) -> str | Exercise | None:
    from desktop_app.core.exercises import find_exercise

    if args.no_count and args.exercise is None:
        # Said, as below: without an exercise no count is drawn, so the option does nothing.
        raise PoseCamError(None, "--no-count goes with --exercise")
    if (args.exercise or "").lower() != "custom":
        given = [f"--{k}" for k in ("angle", "down", "up") if getattr(args, k) is not None]
        if given:
            # Said, not silently ignored: the user expects them to count.
            verb = "goes" if len(given) == 1 else "go"
            raise PoseCamError(None, f"{', '.join(given)} {verb} with --exercise custom only")
        return None if args.exercise is None else find_exercise(args.exercise)
    if args.angle is None or args.down is None or args.up is None:
        raise PoseCamError(None, "--exercise custom needs --angle, --down and --up")
    if not 0 <= args.down < args.up <= 180:
        raise PoseCamError(None, f"--down {args.down:g} must be below --up {args.up:g}, 0-180")
    return Exercise(args.angle, (args.angle,), down_deg=args.down, up_deg=args.up)


def _exercise_command(args: argparse.Namespace) -> int:
    from desktop_app.core import exercises

    if args.action == "teach":
        return _teach(args)
    if args.action == "remove":
        path = exercises.remove_exercise(args.name)
        _say(f"removed {args.name} ({path})")
        return EXIT_OK
    saved, problems = exercises.saved_exercises()
    for key, exercise in [*EXERCISES.items(), *saved.items()]:
        kind = "preset" if key in EXERCISES else "taught"
        _say(f"{key:16} {kind:7} {_describe_exercise(exercise)}")
    for problem in problems:
        print(f"posecam: {problem}", file=sys.stderr)
    if not saved:
        _say(f"(no taught exercises in {exercises.exercises_folder()})")
    return EXIT_OK


def _describe_exercise(exercise: Exercise) -> str:
    """ "Squats: knees (left_knee, right_knee), down 110 / up 160 degrees, starts up"."""
    angles = ", ".join(exercise.angles)
    return (
        f"{exercise.title or exercise.name}: {exercise.joints or angles} ({angles}), "
        f"down {exercise.down_deg:g} / up {exercise.up_deg:g} degrees, "
        f"starts {exercise.starts.value}"
    )


def _teach(args: argparse.Namespace) -> int:
    """Run the pipeline over the demonstration as annotate would, and learn from it."""
    from desktop_app.annotate import AnnotateOptions
    from desktop_app.core.exercises import (
        check_exercises_folder,
        check_name,
        check_name_free,
        check_title,
        save_exercise,
    )
    from desktop_app.core.model import load_default_model
    from desktop_app.core.pipeline import PosePipeline
    from desktop_app.core.teach import TeachError, teach
    from desktop_app.errors import InputError
    from desktop_app.media.images import check_readable_file, is_image_path
    from desktop_app.media.sources import VideoFileSource
    from desktop_app.progress import TerminalProgress

    clip: Path = args.clip
    start_s: float = args.start if args.start is not None else 0.0
    end_s: float = args.end if args.end is not None else math.inf
    if end_s <= start_s:
        raise PoseCamError(None, f"--end {end_s:g} must be after --start {start_s:g}")
    # Everything that can be checked before the slow part is.
    check_name(args.name)
    check_title(args.title or "")
    target = check_exercises_folder() / f"{args.name}.json"
    check_name_free(args.name)
    if target.exists() and not args.overwrite:
        raise OutputError(target, "already exists (use --overwrite to replace it)")
    check_readable_file(clip)
    if is_image_path(clip):
        raise InputError(clip, "is a picture; teach from a video of 2-3 repetitions")
    settings = AnnotateOptions(input=clip).pipeline_settings()
    frames = []
    last_s = 0.0
    with VideoFileSource(clip) as source, PosePipeline(load_default_model(), settings) as pipe:
        bar = TerminalProgress(sys.stderr, _frames_to_read(source, end_s))
        try:
            for read, frame in enumerate(source, start=1):
                last_s = frame.time_ms / 1000.0
                if last_s > end_s:
                    break
                if last_s >= start_s:
                    frames.append((last_s, pipe.process(frame, draw_in_place=True).people))
                bar.update(read)
        finally:
            bar.finish()
    if not frames:
        raise InputError(clip, f"has no frames after {start_s:g} s (it ends at {last_s:.1f} s)")
    try:
        lesson = teach(args.name, frames, title=args.title or "")
    except TeachError as exc:
        raise InputError(clip, f"{frames[0][0]:.1f}-{frames[-1][0]:.1f} s: {exc}") from None
    chosen = lesson.chosen
    taught_from = {
        "clip": clip.name,
        "start_s": round(frames[0][0], 3),
        "end_s": round(frames[-1][0], 3),
        "repetitions_shown": lesson.reps_shown,
        "swing_deg": round(chosen.swing_deg, 1),
        "regularity": round(chosen.regularity, 2),
    }
    path = save_exercise(lesson.exercise, overwrite=args.overwrite, taught_from=taught_from)
    _say(f"taught {args.name} from {clip.name}, {frames[0][0]:.1f}-{frames[-1][0]:.1f} s:")
    _say(f"  counts on: {_describe_exercise(lesson.exercise)}")
    _say(
        f"  shown: {chosen.low_deg:.0f} to {chosen.high_deg:.0f} degrees (swing "
        f"{chosen.swing_deg:.0f}, regularity {chosen.regularity:.2f}, a repetition every "
        f"{chosen.period_s:.1f} s)"
    )
    others = ", ".join(f"{s.candidate.joints} {s.score:.0f}" for s in lesson.runners_up)
    _say(f"  score {chosen.score:.0f}; next best: {others or 'none'}")
    _say(f"  repetitions counted in the demonstration: {lesson.reps_shown}")
    if lesson.reps_shown == 0:
        print(
            "posecam: no whole repetition was counted in the demonstration: check the "
            "thresholds above, or teach again from rest to rest (--start, --end)",
            file=sys.stderr,
        )
    _say(f"saved to {path}; count with: posecam annotate VIDEO --exercise {args.name}")
    return EXIT_OK


def _frames_to_read(source: VideoFileSource, end_s: float) -> int | None:
    """How many frames of `source` teaching reads to reach `end_s`, if that can be known."""
    if source.frame_count is None:
        return None
    if source.fps and math.isfinite(end_s):
        return min(source.frame_count, math.ceil(end_s * source.fps) + 1)
    return source.frame_count


def _sample_clip(args: argparse.Namespace) -> int:
    from desktop_app.media.synthetic import write_sample_clip
    from desktop_app.media.video_writer import move_into_place, partial_path

    output: Path = args.output
    if output.suffix.lower() != ".mp4":
        raise OutputError(output, "sample clip must end in .mp4")
    if output.is_dir():
        raise OutputError(output, "is a folder; give a file name")
    if not output.parent.is_dir():
        raise OutputError(output, f"folder {output.parent} does not exist")
    if output.exists() and not args.overwrite:
        raise OutputError(output, "already exists (use --overwrite to replace it)")
    # Written under a partial name and moved into place when complete, as annotate does: a
    # failed run leaves an earlier file as it was.
    partial = partial_path(output)
    if partial.is_dir():
        raise OutputError(partial, f"is a folder; {output.name} is written here first")
    if (partial.exists() or partial.is_symlink()) and not args.overwrite:
        raise OutputError(
            partial,
            "already exists (left by a run that stopped part way?); move it away or use "
            "--overwrite to replace it",
        )
    try:
        frames = write_sample_clip(partial, seconds=args.seconds)
    except BaseException as exc:
        # Stopped before the first frame: leave no empty file to stand in the next run's way.
        if partial.exists() and partial.stat().st_size == 0:
            partial.unlink()
        if isinstance(exc, OutputError) and exc.path == str(partial):
            # The file asked for is the one the user knows: the partial name is ours.
            problem = OutputError(output, exc.problem)
            if partial.exists():
                add_note(problem, f"what was written is in {partial}")
            raise problem from None
        raise
    if frames == 0:
        partial.unlink(missing_ok=True)
        raise PoseCamError(None, f"--seconds {args.seconds:g} is shorter than one frame")
    move_into_place(partial, output)
    _say(f"wrote {output}: {frames} frames of a sample photo moving")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
