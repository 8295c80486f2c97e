"""PoseCam's one output path: annotated video (or picture), optionally the raw video, and the
keypoints, written on a thread of its own. A live recording and `posecam annotate` both use it;
they differ only in what a full queue does.

Frames are handed over with `submit()`. The queue holds at most `queue_frames` frames. Live
(`wait_when_full=False`), a frame that finds it full is dropped and counted, so the view never
waits for the encoder; for a file, `submit()` waits for room, so no frame is lost. Memory is
bounded either way. Videos are crash-safe (fragmented MP4 with a keyframe every
half second, pushed to disk every second): a process killed outright, or a power cut, leaves a
file that plays up to about the last second. `close()` finalises everything; it is safe to call
twice and from any ending (stop, window closed, source ended, error).

A write that fails (a full disk, a removed drive) stops the recording at once: every file is
cut back to the frames they all hold whole (the video to its last complete fragment, the
keypoints to the same frame, never a torn row), files left with no frame are removed,
`problem` says in one line what happened and what was kept, and further frames are refused.
A folder deleted during the recording stops it too; the files, which live on while open, are
saved again (media.output_file) and `problem` says where.

Given the input's sound (`audio`, media.audio), the annotated video carries it, in the same
fragments as the frames: `posecam annotate` passes it; live recordings have none (a camera
gives no sound, and a file played as a live source is recorded silent).
"""

from __future__ import annotations

import queue
import threading
import time
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.core.tracking import TrackedPerson
from desktop_app.errors import OutputError, PoseCamError
from desktop_app.media.audio import AudioInput, SoundKept
from desktop_app.media.images import ImageFileWriter, is_image_path
from desktop_app.media.keypoints import (
    JsonKeypointsWriter,
    KeypointsWriter,
    open_keypoints_writer,
)
from desktop_app.media.video_writer import VideoWriter

# How often the files are pushed to the disk itself, in seconds.
_SYNC_INTERVAL_S = 1.0


@dataclass(frozen=True)
class RecordingPaths:
    """Where a recording goes: the annotated video, and optionally the raw video and keypoints."""

    video: Path
    raw_video: Path | None = None
    keypoints: Path | None = None

    @classmethod
    def beside(cls, video: Path, raw_video: bool, keypoints_format: str) -> RecordingPaths:
        """session.mp4 -> session_raw.mp4 and session.csv (or .json); "" for no keypoints."""
        raw = video.with_name(f"{video.stem}_raw{video.suffix}") if raw_video else None
        points = video.with_suffix(f".{keypoints_format}") if keypoints_format else None
        return cls(video, raw, points)

    def all(self) -> list[Path]:
        return [p for p in (self.video, self.raw_video, self.keypoints) if p is not None]


@dataclass(frozen=True)
class RecordingStatus:
    """How a recording is going, for the REC indicator."""

    path: Path
    #: Time from the first recorded frame to the last, in seconds.
    elapsed_s: float
    #: Size of the annotated video on disk so far, in bytes.
    video_bytes: int
    frames_written: int
    #: Frames dropped because the encoder could not keep up.
    dropped_frames: int


@dataclass(frozen=True, eq=False)
class _Item:
    index: int
    time_ms: float
    annotated: np.ndarray
    raw: np.ndarray | None
    people: Sequence[TrackedPerson]


class Recorder:
    """Encodes submitted frames to `paths` on a background thread."""

    def __init__(
        self,
        paths: RecordingPaths,
        fps: float,
        keypoints_header: Mapping[str, Any] | None = None,
        queue_frames: int = 15,
        preset: str = "veryfast",
        *,
        wait_when_full: bool = False,
        replace: bool = False,
        times_from_zero: bool = True,
        audio: AudioInput | None = None,
        encoder_threads: int = 1,
    ) -> None:
        """`replace`: the caller has made sure existing files at `paths` may be replaced.
        `times_from_zero`: the files' times start at the first frame's (a live session);
        otherwise they are the frames' own times (a file's). `audio`: the source's sound, for
        the annotated video; its times must be the frames' own (not `times_from_zero`). The
        caller closes it after `close()`. `encoder_threads`: for the annotated video
        (media.video_writer.VideoWriter's `threads`)."""
        for path in paths.all():
            if path.exists() and not replace:
                raise OutputError(path, "already exists; a recording never replaces a file")
        self.paths = paths
        self._wait_when_full = wait_when_full
        self._times_from_zero = times_from_zero
        # Opened here, on the caller's thread, so that an unwritable folder is reported at
        # once and nothing starts.
        self._video: VideoWriter | ImageFileWriter = (
            ImageFileWriter(paths.video)
            if is_image_path(paths.video)
            else VideoWriter(
                paths.video,
                fps,
                preset=preset,
                crash_safe=True,
                audio=audio,
                threads=encoder_threads,
            )
        )
        self._raw: VideoWriter | None = None
        self._keypoints: KeypointsWriter | None = None
        try:
            if paths.raw_video is not None:
                self._raw = VideoWriter(paths.raw_video, fps, preset=preset, crash_safe=True)
            if paths.keypoints is not None:
                self._keypoints = open_keypoints_writer(
                    paths.keypoints, dict(keypoints_header or {})
                )
        except PoseCamError:
            # Nothing was recorded: leave no empty files behind.
            self._cut_back(0)
            raise
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=queue_frames)
        self._first_time_ms: float | None = None
        self._last_time_ms = 0.0
        self.dropped_frames = 0
        self.frames_written = 0
        #: Frames in the files when they were finished: all written, or after a failed write
        #: as many as every file holds whole (the video up to its last complete fragment).
        self.frames_kept = 0
        #: After a problem: the files that hold those frames (saved again elsewhere, if the
        #: folder was deleted). Empty when nothing could be kept.
        self.kept_files: list[Path] = []
        #: What stopped the writing (a full disk, a removed drive, a deleted folder) and what
        #: was kept, in one line; and the error as raised.
        self.problem: str | None = None
        self.error: PoseCamError | None = None
        self._times_ms = array("d")
        self._stopped = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="posecam-recorder", daemon=True)
        self._thread.start()

    def submit(
        self,
        index: int,
        time_ms: float,
        annotated: np.ndarray,
        raw: np.ndarray | None = None,
        people: Sequence[TrackedPerson] = (),
    ) -> bool:
        """Queue one frame shown at `time_ms` (source time); False if it was dropped.

        The arrays must not change afterwards (PoseCam's frames never do). With
        `times_from_zero`, times in the file start at the first frame's, so the recording lasts
        as long as the session did.
        """
        if self._closed or self._stopped:
            return False
        if self._first_time_ms is None:
            self._first_time_ms = time_ms if self._times_from_zero else 0.0
        relative_ms = time_ms - self._first_time_ms
        item = _Item(index, relative_ms, annotated, raw, people)
        if self._wait_when_full:
            # The writer thread drains the queue even after a failure, so this never hangs.
            self._queue.put(item)
        else:
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                self.dropped_frames += 1
                return False
        self._last_time_ms = relative_ms
        return True

    @property
    def started_s(self) -> float | None:
        """The source time of the first frame submitted, in seconds (None before it): where
        a live recording's timeline starts."""
        if self._first_time_ms is None:
            return None
        # Without `times_from_zero` the files keep the source's own times.
        return self._first_time_ms / 1000.0 if self._times_from_zero else 0.0

    @property
    def codec_name(self) -> str | None:
        """The annotated video's codec ("libx264"); None for a picture."""
        return self._video.codec_name

    @property
    def sound(self) -> SoundKept | None:
        """What became of the source's sound in the annotated video, if it is there."""
        return self._video.sound if isinstance(self._video, VideoWriter) else None

    @property
    def sound_problem(self) -> str | None:
        """Why the source's sound is missing from the annotated video, or ends early."""
        return self._video.sound_problem if isinstance(self._video, VideoWriter) else None

    def status(self) -> RecordingStatus:
        return RecordingStatus(
            path=self.paths.video,
            elapsed_s=self._last_time_ms / 1000.0,
            video_bytes=self._video.bytes_written,
            frames_written=self.frames_written,
            dropped_frames=self.dropped_frames,
        )

    def close(self, summary: Mapping[str, Any] | None = None) -> None:
        """Write what is queued, finalise the files and stop the thread. Safe to call twice.

        `summary` (e.g. the exercise and its repetition counts) goes at the end of a JSON
        keypoints file, as `posecam annotate` writes it."""
        if self._closed:
            return
        self._closed = True
        if summary and isinstance(self._keypoints, JsonKeypointsWriter):
            # Read by the writer thread only when it closes the file, after the queue.
            self._keypoints.set_summary(summary)
        self._queue.put(None)  # waits for room: what was accepted is written, not dropped
        self._thread.join()

    def _run(self) -> None:
        last_sync = time.monotonic()
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                if self._stopped:
                    continue  # drain after a failure, so close() never waits on a full queue
                try:
                    self._write(item)
                    if self._vanished():
                        # Its folder was deleted: the data lives on only while the files are
                        # open. Finish them now, which saves them again (media.output_file).
                        self._stop()
                    elif time.monotonic() - last_sync >= _SYNC_INTERVAL_S:
                        last_sync = time.monotonic()
                        for writer in self._files():
                            writer.sync()
                except PoseCamError as exc:
                    self._stop(exc)
        finally:
            self._stop()

    def _write(self, item: _Item) -> None:
        self._video.write(item.annotated, item.time_ms)
        if self._raw is not None and item.raw is not None:
            self._raw.write(item.raw, item.time_ms)
        if self._keypoints is not None:
            self._keypoints.write(item.index, item.time_ms, item.people)
        self._times_ms.append(item.time_ms)
        self.frames_written += 1

    def _files(self) -> list[VideoWriter | KeypointsWriter]:
        """The writers that hold a file open while recording (a picture is written whole)."""
        writers = (self._video, self._raw, self._keypoints)
        return [w for w in writers if isinstance(w, VideoWriter | KeypointsWriter)]

    def _vanished(self) -> list[Path]:
        return [writer.path for writer in self._files() if writer.vanished()]

    def _stop(self, failure: PoseCamError | None = None) -> None:
        """End the files once: finished after a clean run, cut back to the frames they all
        hold whole after a failed write. Sets `problem` and `error` when something went wrong."""
        if self._stopped:
            return
        self._stopped = True
        # Looked at before the files are finished: saving them again makes the folder anew.
        vanished = self._vanished()
        folder_vanished = bool(vanished) and not vanished[0].parent.exists()
        if failure is None:
            failure = self._finish_videos()
        if failure is None:
            kept = self.frames_written
            if self._keypoints is not None:
                try:
                    self._keypoints.close()
                except PoseCamError as exc:
                    # Its frames are all there; only the closing bytes are missing, and
                    # read_json_keypoints reads such a file.
                    failure = exc
        else:
            kept = self._cut_back(self._whole_frames())
        self.frames_kept = kept
        recovered = [w.recovered_to for w in self._files() if w.recovered_to is not None]
        vanished = vanished or [w.path for w in self._files() if w.recovered_to is not None]
        if folder_vanished:
            failure = OutputError(
                vanished[0].parent, "the folder was deleted while being written to"
            )
        elif vanished:
            failure = OutputError(vanished[0], "was deleted while being written")
        if failure is None:
            return
        self.kept_files = self._kept_files()
        self.error = failure
        self.problem = f"{failure}; {self._what_was_kept(kept, vanished, recovered)}"

    def _finish_videos(self) -> PoseCamError | None:
        failure = None
        for video in (self._video, self._raw):
            if video is None:
                continue
            try:
                video.close()
            except PoseCamError as exc:
                # Cut back to its last complete fragment; the keypoints follow it.
                failure = failure or exc
        return failure

    def _whole_frames(self) -> int:
        """How many frames every file holds whole."""
        counts = [self.frames_written]
        for writer in (self._video, self._raw, self._keypoints):
            if isinstance(writer, VideoWriter | KeypointsWriter):
                counts.append(writer.whole_frames)
            elif writer is not None:
                counts.append(writer.frames_written)  # a picture: written whole or failed
        return min(counts)

    def _cut_back(self, most_frames: int) -> int:
        """Cut every file back to the frames the annotated video keeps (its last complete
        fragment within `most_frames`), so that the keypoints end where the video does.
        Files left with no frame are removed. Returns the frames kept."""
        if isinstance(self._video, VideoWriter):
            kept = self._video.abandon(most_frames)
        else:
            kept = min(most_frames, self._video.frames_written)
            if kept == 0:
                self._video.path.unlink(missing_ok=True)  # a picture the disk cut short
        if self._raw is not None:
            self._raw.abandon(kept)
        if self._keypoints is not None:
            self._keypoints.abandon(kept)
        return kept

    def _kept_files(self) -> list[Path]:
        """Where the kept frames are: each file where it was written, or saved again."""
        if not self.frames_kept:
            return []
        places = []
        for writer in (self._video, self._raw, self._keypoints):
            if writer is not None:
                moved = writer.recovered_to if not isinstance(writer, ImageFileWriter) else None
                places.append(moved or writer.path)
        return [path for path in places if path.exists()]

    def _what_was_kept(self, kept: int, vanished: list[Path], recovered: list[Path]) -> str:
        if kept == 0:
            return "no frame was recorded, and no file is left"
        seconds = (self._times_ms[kept - 1] - self._times_ms[0]) / 1000.0
        what = f"{kept} frames ({seconds:.1f} s)"
        if not vanished:
            return f"{what} kept in {' and '.join(map(str, self._kept_files()))}"
        if not recovered:
            return f"{what} could not be saved again (no room, or no folder to put them in)"
        return f"{what} saved again in {' and '.join(map(str, recovered))}"


__all__ = ["Recorder", "RecordingPaths", "RecordingStatus"]
