"""`posecam annotate` with several files or a folder: the files share the cores (several at
once, each with its share of pose models), one progress count covers them all, and a file
that fails is reported and skipped while the others go on.

Qt-free; the command line prints what `annotate_files` reports.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from desktop_app.annotate import (
    AnnotateOptions,
    AnnotateSummary,
    annotate,
    default_output_path,
    files_written,
)
from desktop_app.core.model import PoseModel
from desktop_app.errors import InputError, OutputError, PoseCamError, add_note, reason
from desktop_app.media.images import IMAGE_SUFFIXES, is_image_path
from desktop_app.media.keypoints import KEYPOINT_SUFFIXES
from desktop_app.media.sources import VIDEO_SUFFIXES, VideoFileSource
from desktop_app.media.video_writer import VIDEO_OUTPUT_SUFFIXES


def files_in(paths: Sequence[Path]) -> list[Path]:
    """The files to annotate: each file named, and the videos and pictures directly inside
    each folder named (sorted; PoseCam's own outputs, NAME_posecam.*, left out)."""
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(
            p
            for p in path.iterdir()
            if p.is_file()
            and p.suffix.lower() in (*VIDEO_SUFFIXES, *IMAGE_SUFFIXES)
            and not p.stem.endswith(("_posecam", "_posecam.partial"))
        )
        if not found:
            raise InputError(path, "is a folder with no videos or pictures in it")
        files += found
    return files


def options_for(
    file: Path, template: AnnotateOptions, keypoints_suffix: str | None
) -> AnnotateOptions:
    """`template` for one of several files: outputs named after the file, in the folder
    `template.output` names (beside the file without it), and keypoints likewise in the folder
    `template.keypoints` names, with `keypoints_suffix` (.csv or .json)."""
    output = default_output_path(file)
    if template.output is not None:
        output = template.output / output.name
    keypoints = None
    if template.keypoints is not None and keypoints_suffix is not None:
        keypoints = template.keypoints / f"{file.stem}_posecam{keypoints_suffix}"
    return replace(template, input=file, output=output, keypoints=keypoints)


def output_key(path: Path) -> str:
    """What makes two output paths one file: the same place once `..` and symbolic links are
    followed, and on Windows and macOS (whose usual file systems ignore letter case) the same
    letters in either case."""
    try:
        where = path.resolve()
    except (OSError, RuntimeError):
        # A loop of symbolic links (RuntimeError before Python 3.13, OSError since): compare
        # the spelled-out path; writing there fails later with a clear message.
        where = Path(os.path.normpath(path.absolute()))
    key = os.path.normcase(str(where))
    return key.casefold() if sys.platform in ("win32", "darwin") else key


def check_distinct(files: Sequence[AnnotateOptions]) -> None:
    """Two files whose outputs would be one file (the same file given twice, by any spelling,
    or x.mp4 from two folders written to one --output folder) are refused before anything
    starts: one would replace the other. So is an output, or the partial name it is written
    under first, that is another input of the run (x.mp4 and x_posecam.mp4 given together):
    with --overwrite, annotating x would replace it before its turn."""
    inputs = {output_key(options.input): options.input for options in files}
    seen: dict[str, Path] = {}
    for options in files:
        for path in files_written(options):
            key = output_key(path)
            if key in inputs:
                raise OutputError(
                    path,
                    f"would be written for {options.input}, but it is also an input of this "
                    "run; annotate it separately, or name another --output folder",
                )
            if key in seen:
                raise OutputError(
                    path,
                    f"would be written for both {seen[key]} and {options.input}; give each "
                    "file once, or annotate folders with files of the same name separately",
                )
            seen[key] = options.input


#: Endings of the files annotate reads and writes: a missing folder so named is not made.
_FILE_SUFFIXES = {*VIDEO_SUFFIXES, *VIDEO_OUTPUT_SUFFIXES, *IMAGE_SUFFIXES, *KEYPOINT_SUFFIXES}


def check_folder(path: Path | None, what: str) -> None:
    """With several inputs, `--output` and `--keypoints` name folders. One that is not there
    will be made (make_folder) in a folder that exists, unless its name ends like a file's
    annotate writes: `-o out.mp4` with several inputs is more likely a slip."""
    if path is None:
        return
    try:
        if path.is_dir():
            return
        made_here = path.parent.is_dir() and not path.exists()
    except OSError as exc:  # in a folder the user may not enter (Python 3.11 raises there)
        raise OutputError(path, f"cannot be reached ({reason(exc)})") from None
    if not made_here or path.suffix.lower() in _FILE_SUFFIXES:
        raise OutputError(path, f"with several inputs, {what} names a folder, which must exist")


def make_folder(path: Path | None) -> None:
    """Make the folder `path` (checked with check_folder) if it is not there yet."""
    if path is None or path.is_dir():
        return
    try:
        path.mkdir()
    except OSError as exc:
        raise OutputError(path, f"folder cannot be made ({reason(exc)})") from None


@dataclass(frozen=True)
class FileDone:
    """How one file went: its summary, or the problem that stopped it."""

    input: Path
    summary: AnnotateSummary | None = None
    problem: PoseCamError | None = None


def frames_in(file: Path) -> int:
    """How many frames a file holds, as its container says (1 for a picture, 0 when it does
    not say or cannot be opened: annotating it will report why)."""
    if is_image_path(file):
        return 1
    try:
        with VideoFileSource(file) as source:
            return source.frame_count or 0
    except PoseCamError:
        return 0


def annotate_files(
    files: Sequence[AnnotateOptions],
    jobs: int,
    model: PoseModel,
    progress: Callable[[int, int | None], None] | None = None,
    done: Callable[[FileDone], None] | None = None,
    check_stop: Callable[[], None] | None = None,
) -> list[FileDone]:
    """Annotate each of `files`, several at once when `jobs` allows: min(jobs, files) at a
    time, each with jobs // that many pose models. `progress(frames done, frames in all)` and
    `done(file)` are called from the files' threads as work goes on (the caller serialises
    its output). Ctrl+C in the caller's thread, or a KeyboardInterrupt that `progress` or
    `check_stop` raises (`check_stop` is called as each file is counted and started), stops
    every file, each keeping its frames done so far; the KeyboardInterrupt raised then carries
    notes saying where they are."""
    check = check_stop or (lambda: None)
    at_once = max(1, min(jobs, len(files)))
    each = [replace(options, jobs=max(1, jobs // at_once)) for options in files]
    totals = []
    for options in each:
        check()
        totals.append(frames_in(options.input))
    total = sum(totals) or None
    counted = [0] * len(each)
    lock = threading.Lock()
    stop = threading.Event()
    waiting: queue.Queue[int] = queue.Queue()
    for k in range(len(each)):
        waiting.put(k)
    results: list[FileDone | None] = [None] * len(each)
    interrupted: list[KeyboardInterrupt] = []
    faults: list[Exception] = []

    def count(k: int) -> Callable[[int, int | None], None]:
        # Each file is stopped once: called again while it writes the frames it holds, this
        # must not raise again, or those frames would be lost.
        stopping = False

        def frames_done(frames: int, _total: int | None) -> None:
            nonlocal stopping
            if stop.is_set() and not stopping:
                stopping = True
                raise KeyboardInterrupt
            with lock:
                counted[k] = frames
                if progress is not None:
                    try:
                        progress(sum(counted), total)
                    except KeyboardInterrupt:
                        # A stop asked for through the progress: every file stops now.
                        stopping = True
                        stop.set()
                        raise

        return frames_done

    def work(finished: threading.Event) -> None:
        try:
            take_files()
        finally:
            finished.set()

    def take_files() -> None:
        while not stop.is_set():
            try:
                k = waiting.get_nowait()
            except queue.Empty:
                return
            try:
                check()
                outcome = FileDone(each[k].input, summary=annotate(each[k], count(k), model))
            except PoseCamError as exc:
                outcome = FileDone(each[k].input, problem=exc)
            except KeyboardInterrupt as exc:
                # Ctrl+C here (stop set by the caller's thread), or a stop that a progress
                # callback raised in this thread: either way every file stops.
                interrupted.append(exc)
                stop.set()
                return
            except Exception as exc:  # a fault of ours: stop all, raised in the caller
                faults.append(exc)
                stop.set()
                return
            results[k] = outcome
            if done is not None:
                try:
                    with lock:
                        done(outcome)
                except Exception as exc:  # reporting failed (a closed pipe): stop all
                    faults.append(exc)
                    stop.set()
                    return

    finished = [threading.Event() for _ in range(at_once)]
    threads = [
        threading.Thread(target=work, args=(flag,), name=f"posecam-file-{k}", daemon=True)
        for k, flag in enumerate(finished)
    ]

    def notes_of_stopped_files(exc: BaseException) -> None:
        # Where each stopped file's frames were kept: said once, on what the caller gets.
        for stopped in interrupted:
            for note in getattr(stopped, "__notes__", []):
                add_note(exc, note)

    try:
        for thread in threads:
            thread.start()
        # Waits with a timeout let Ctrl+C reach this thread while the files run. Events, not
        # Thread.join: a join that Ctrl+C interrupts can later return while its thread still
        # runs (seen here on Python 3.11: a file's frames were kept but never reported).
        for flag in finished:
            while not flag.wait(0.2):
                pass
    except BaseException as exc:
        # Ctrl+C, or a thread that could not start (the system out of threads): the files
        # already running stop where they are and say where their frames are.
        stop.set()
        for thread, flag in zip(threads, finished, strict=True):
            # A thread kept from starting sets no flag; one that started sees `stop`.
            if thread.ident is not None:
                flag.wait()
        notes_of_stopped_files(exc)
        raise
    if faults:
        notes_of_stopped_files(faults[0])
        raise faults[0]
    if interrupted:
        # Stopped from a file's thread (its progress callback): raised here, as Ctrl+C is.
        stopped = KeyboardInterrupt()
        notes_of_stopped_files(stopped)
        raise stopped
    return [r for r in results if r is not None]


__all__ = [
    "FileDone",
    "annotate_files",
    "check_distinct",
    "check_folder",
    "files_in",
    "frames_in",
    "make_folder",
    "options_for",
    "output_key",
]
