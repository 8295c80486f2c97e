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

A write that fails (a full disk, a removed drive) stops the recording: what was written stays
playable, `problem` says what happened in one line, and further frames are refused.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.core.tracking import TrackedPerson
from desktop_app.errors import OutputError, PoseCamError, reason
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
    ) -> None:
        """`replace`: the caller has made sure existing files at `paths` may be replaced.
        `times_from_zero`: the files' times start at the first frame's (a live session);
        otherwise they are the frames' own times (a file's)."""
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
            else VideoWriter(paths.video, fps, preset=preset, crash_safe=True)
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
            self._close_writers()
            raise
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=queue_frames)
        self._first_time_ms: float | None = None
        self._last_time_ms = 0.0
        self.dropped_frames = 0
        self.frames_written = 0
        #: What stopped the writing (a full disk, a removed drive), in one line, and as raised.
        self.problem: str | None = None
        self.error: PoseCamError | None = None
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
        if self._closed or self.problem is not None:
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
    def codec_name(self) -> str | None:
        """The annotated video's codec ("libx264"); None for a picture."""
        return self._video.codec_name

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
                if self.problem is not None:
                    continue  # drain after a failure, so close() never waits on a full queue
                try:
                    self._write(item)
                    if time.monotonic() - last_sync >= _SYNC_INTERVAL_S:
                        last_sync = time.monotonic()
                        for writer in (self._video, self._raw):
                            if writer is not None:
                                writer.sync()
                except PoseCamError as exc:
                    self.problem, self.error = str(exc), exc
                    self._abandon_writers()
        finally:
            self._close_writers()

    def _write(self, item: _Item) -> None:
        self._video.write(item.annotated, item.time_ms)
        if self._raw is not None and item.raw is not None:
            self._raw.write(item.raw, item.time_ms)
        if self._keypoints is not None:
            self._keypoints.write(item.index, item.time_ms, item.people)
        self.frames_written += 1

    def _abandon_writers(self) -> None:
        for video in (self._video, self._raw):
            if video is not None:
                video.abandon()
        if self._keypoints is not None:
            with contextlib.suppress(PoseCamError, OSError):
                self._keypoints.close()

    def _close_writers(self) -> None:
        for writer in (self._video, self._raw, self._keypoints):
            if writer is None:
                continue
            try:
                writer.close()
            except PoseCamError as exc:
                # The file is as complete as the disk allowed; keep the first reason.
                self.problem, self.error = self.problem or str(exc), self.error or exc
            except OSError as exc:
                failed = OutputError(writer.path, f"cannot finish ({reason(exc)})")
                self.problem, self.error = self.problem or str(failed), self.error or failed


__all__ = ["Recorder", "RecordingPaths", "RecordingStatus"]
