"""Uploaded files and the jobs that annotate them: a bounded queue, one or two worker threads
running `desktop_app.annotate.annotate` (the same processing as `posecam annotate`), and a
private folder whose files are deleted a while after each job ends.

No name a user sends is ever part of a path: each job lives in a folder named by a random id,
its files have fixed names, and the upload's suffix comes from what its bytes are.
"""

from __future__ import annotations

import csv
import json
import re
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app.annotate import AnnotateOptions, AnnotateSummary, annotate
from desktop_app.core.angles import ANGLE_NAMES
from desktop_app.core.model import PoseModel
from desktop_app.core.skeleton import LANDMARK_NAMES
from desktop_app.errors import InputError, PoseCamError, with_notes
from desktop_app.media.images import check_picture_size, image_size
from desktop_app.media.keypoints import CSV_COLUMNS, read_json_keypoints
from desktop_app.media.sources import ImageSource, VideoFileSource

# Image formats by their first bytes -> the suffix the stored copy gets (annotate tells an
# image from a video by its suffix). Anything else is tried as a video.
_IMAGE_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, ".png"),
    (b"\xff\xd8", 0, ".jpg"),
    (b"BM", 0, ".bmp"),
    (b"WEBP", 8, ".webp"),
    (b"II*\x00", 0, ".tif"),
    (b"MM\x00*", 0, ".tif"),
    (b"\x00\x00\x00\x0cjP  ", 0, ".jp2"),
    (b"P5", 0, ".pgm"),
    (b"P6", 0, ".ppm"),
)
_HEADER_BYTES = 1 << 20

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class QueueFull(Exception):
    """Every place in the queue is taken."""


def display_name(name: str | None) -> str:
    """The upload's own name, for showing only: its last part, printable, at most 100
    characters ("upload" when nothing is left)."""
    text = re.split(r"[/\\]", name or "")[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] not in "CZ" or c == " ")
    text = text.strip(" .")[:100]
    return text or "upload"


def download_stem(display: str) -> str:
    """A file-name stem for downloads made of ASCII letters, digits, '.', '_' and '-'."""
    stem = display.rsplit(".", 1)[0] if "." in display else display
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:60]
    return stem or "upload"


@dataclass
class Job:
    """One upload and what became of it."""

    id: str
    folder: Path
    input: Path
    name: str
    kind: str  # "image" or "video"
    size_bytes: int
    num_poses: int
    smoothing: str
    exercise: str | None
    state: str = QUEUED
    frames_done: int = 0
    frames_total: int | None = None
    error: str | None = None
    summary: AnnotateSummary | None = None
    #: Fixed names (annotated.mp4, keypoints.csv, ...) -> the files in the job's folder.
    files: dict[str, Path] = field(default_factory=dict)
    reps_rows: list[dict[str, str]] = field(default_factory=list)
    ended_at: float | None = None

    @property
    def progress(self) -> float | None:
        if self.state == DONE:
            return 1.0
        if self.frames_total:
            return min(self.frames_done / self.frames_total, 1.0)
        return 0.0 if self.state == QUEUED else None

    def public_error(self, exc: BaseException) -> str:
        """The one-line reason with the private folder's paths replaced by the upload's name."""
        text = with_notes(exc).replace(str(self.input), self.name)
        return text.replace(str(self.folder) + "/", "")


def _suffix_by_content(header: bytes) -> str | None:
    for magic, at, suffix in _IMAGE_MAGIC:
        if header[at : at + len(magic)] == magic:
            return suffix
    return None


class JobRunner:
    """Keeps uploads in a private folder and annotates them on `workers` threads, at most
    `queue_size` waiting; a job's files are deleted `keep_minutes` after it ends."""

    def __init__(
        self,
        model: PoseModel,
        *,
        workers: int = 1,
        queue_size: int = 8,
        keep_minutes: float = 60.0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.model = model
        self.keep_s = keep_minutes * 60.0
        self.log = log or (lambda line: None)
        # mkdtemp makes the folder readable by its owner only (mode 0700).
        self.root = Path(tempfile.mkdtemp(prefix="posecam-serve-"))
        self.queue_size = queue_size
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._waiting: deque[Job] = deque()
        self._paused = False
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, name=f"posecam-serve-{i}", daemon=True)
            for i in range(workers)
        ]
        self._threads.append(
            threading.Thread(target=self._sweep, name="posecam-serve-sweep", daemon=True)
        )
        for thread in self._threads:
            thread.start()

    # Taking uploads in

    def new_folder(self) -> tuple[str, Path]:
        """A fresh job id and its private folder."""
        job_id = secrets.token_hex(16)
        folder = self.root / job_id
        folder.mkdir(mode=0o700)
        return job_id, folder

    def check_upload(self, upload: Path, name: str) -> tuple[Path, str]:
        """Look at what `upload` holds, give it its suffix and open it as annotate would;
        returns the stored file and "image" or "video". Raises InputError (naming `name`,
        not the stored file) when it is not an image or a video PoseCam reads."""
        if upload.stat().st_size == 0:
            raise InputError(name, "file is empty")
        with open(upload, "rb") as f:
            header = f.read(_HEADER_BYTES)
        size = image_size(header)
        suffix = _suffix_by_content(header) if size else None
        stored = upload.with_name("input" + (suffix or ".video"))
        upload.rename(stored)
        try:
            if size and suffix:
                check_picture_size(stored, *size)
                ImageSource(stored).close()
            else:
                VideoFileSource(stored).close()
        except PoseCamError as exc:
            raise InputError(name, getattr(exc, "problem", str(exc))) from None
        return stored, ("image" if suffix else "video")

    def discard(self, folder: Path) -> None:
        """Delete an upload that was refused."""
        shutil.rmtree(folder, ignore_errors=True)

    def submit(self, job: Job) -> None:
        """Queue `job`; QueueFull when there is no room (its folder is then removed)."""
        with self._changed:
            if len(self._waiting) >= self.queue_size:
                shutil.rmtree(job.folder, ignore_errors=True)
                raise QueueFull
            self._waiting.append(job)
            self._jobs[job.id] = job
            self._changed.notify()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    @property
    def running(self) -> int:
        with self._lock:
            return sum(job.state == RUNNING for job in self._jobs.values())

    # Holding the workers (between jobs) and stopping

    def pause(self) -> None:
        """Let no worker start another job until resume(); jobs running go on."""
        with self._changed:
            self._paused = True

    def resume(self) -> None:
        with self._changed:
            self._paused = False
            self._changed.notify_all()

    def close(self) -> None:
        """Stop taking jobs and delete every file (a job still running fails)."""
        with self._changed:
            self._stopping.set()
            self._changed.notify_all()
        shutil.rmtree(self.root, ignore_errors=True)

    def remove_expired(self, now: float | None = None) -> int:
        """Forget the jobs that ended more than keep_minutes ago and delete their files."""
        now = time.time() if now is None else now
        with self._lock:
            old = [
                job
                for job in self._jobs.values()
                if job.ended_at is not None and now - job.ended_at >= self.keep_s
            ]
            for job in old:
                del self._jobs[job.id]
        for job in old:
            shutil.rmtree(job.folder, ignore_errors=True)
        return len(old)

    def _sweep(self) -> None:
        every_s = min(max(self.keep_s / 4, 1.0), 60.0)
        while not self._stopping.wait(every_s):
            self.remove_expired()

    # The work

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(
                    lambda: self._stopping.is_set() or (self._waiting and not self._paused)
                )
                if self._stopping.is_set():
                    return
                job = self._waiting.popleft()
                job.state = RUNNING
            self._run(job)

    def _run(self, job: Job) -> None:
        output = job.folder / ("annotated.mp4" if job.kind == "video" else "annotated.png")
        if job.kind == "image" and job.input.suffix == ".jpg":
            output = output.with_suffix(".jpg")
        keypoints_json = job.folder / "keypoints.json"
        options = AnnotateOptions(
            input=job.input,
            output=output,
            keypoints=keypoints_json,
            smoothing=job.smoothing,
            num_poses=job.num_poses,
            exercise=job.exercise,
        )

        def progress(done: int, total: int | None) -> None:
            job.frames_done, job.frames_total = done, total

        try:
            summary = annotate(options, progress, self.model)
            files = {output.name: summary.output}
            if summary.keypoints is not None:
                files["keypoints.json"] = summary.keypoints
                csv_path = job.folder / "keypoints.csv"
                write_keypoints_csv(summary.keypoints, csv_path)
                files["keypoints.csv"] = csv_path
            if summary.reps_table is not None:
                files["reps.csv"] = summary.reps_table
                with open(summary.reps_table, newline="", encoding="utf-8") as f:
                    job.reps_rows = list(csv.DictReader(f))
            job.summary, job.files = summary, files
            if summary.stopped_early is not None:
                job.error = job.public_error(summary.stopped_early)
            job.state = DONE
        except Exception as exc:
            job.error = job.public_error(exc)
            job.state = FAILED
        finally:
            job.ended_at = time.time()
            self.log(json.dumps(log_entry(job), separators=(",", ":")))


def log_entry(job: Job) -> dict[str, Any]:
    """What one job's log line says."""
    summary = job.summary
    entry: dict[str, Any] = {
        "event": "job",
        "id": job.id,
        "file": job.name,
        "size_bytes": job.size_bytes,
        "state": job.state,
        "frames": summary.frames if summary else job.frames_done,
    }
    if summary is not None and summary.frames:
        entry["ms_per_frame"] = round(summary.seconds * 1000.0 / summary.frames, 1)
    if summary is not None and summary.reps is not None:
        entry["exercise"] = summary.exercise
        entry["reps"] = {str(pid): n for pid, n in summary.reps.items()}
    if job.error:
        entry["error"] = job.error
    return entry


def write_keypoints_csv(keypoints_json: Path, path: Path) -> None:
    """The CSV form of a JSON keypoints file (media.keypoints' columns), for spreadsheets."""
    data = read_json_keypoints(keypoints_json)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(CSV_COLUMNS)
        for frame in data["frames"]:
            for person in frame["persons"]:
                angles = [person["angles"].get(n) for n in ANGLE_NAMES]
                angles += [person["angles_3d"].get(n) for n in ANGLE_NAMES]
                for i, point in enumerate(person["landmarks"]):
                    row = [frame["frame"], frame["time_ms"], person["id"], int(person["seen"])]
                    row += [i, LANDMARK_NAMES[i]]
                    row += [point[k] for k in ("x", "y", "z", "visibility", "raw_x", "raw_y")]
                    out.writerow(["" if v is None else v for v in row + angles])
