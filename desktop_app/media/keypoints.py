"""Keypoint files: CSV (one row per frame x person x landmark) and JSON (one entry per frame).

Both are written as frames arrive and flushed as they go, so a run that stops part way keeps
what it had. Pixels are pixels of the analysed frame; see core.pose for the coordinate spaces.

CSV columns: frame, time_ms, person, seen, landmark, name, x, y, z, visibility, raw_x, raw_y
(`x, y` after smoothing, `raw_x, raw_y` straight from the model; `seen` is 1 when the model
found the person in this frame and 0 while a person who was just lost fades out where last
seen, when `raw_x, raw_y` are empty), then the person's joint angles in degrees
(core.angles): angle_left_elbow ... angle_trunk_lean from the picture, and angle3d_left_elbow
... angle3d_trunk_lean from the world landmarks; empty where the joints are not seen. The
angles repeat on each of the person's landmark rows, so any row can be read on its own.

JSON: {"source", "width", "height", "rotated_deg", "mirrored", "fps", "model", "smoothing",
"frames": [{"frame", "time_ms", "persons": [{"id", "seen", "landmarks": [{"name", "x", "y", "z",
"visibility", "raw_x", "raw_y"}, ...], "angles": {name: degrees}, "angles_3d": {name:
degrees}}]}]}, and at the end whatever `set_summary()` added (for example "exercise" and
"reps", and "complete": false from a run stopped part way). "rotated_deg" and "mirrored" say
how the pictures were turned upright (see `keypoints_header`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from desktop_app.core.angles import ANGLE_NAMES
from desktop_app.core.closeable import Closeable
from desktop_app.core.skeleton import LANDMARK_NAMES
from desktop_app.core.tracking import TrackedPerson
from desktop_app.errors import InputError, OutputError, reason
from desktop_app.media.output_file import OutputFile

CSV_COLUMNS = (
    "frame",
    "time_ms",
    "person",
    "seen",
    "landmark",
    "name",
    "x",
    "y",
    "z",
    "visibility",
    "raw_x",
    "raw_y",
    *(f"angle_{name}" for name in ANGLE_NAMES),
    *(f"angle3d_{name}" for name in ANGLE_NAMES),
)
KEYPOINT_SUFFIXES = (".csv", ".json")


def _degrees(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 1)


def person_angles(person: TrackedPerson) -> tuple[dict[str, float], dict[str, float]]:
    """(picture angles, world angles) of a tracked person, in degrees, NaN where not seen."""
    return person.angles, person.angles_3d


def _px(value: float) -> float | None:
    # Hundredths of a pixel are far below the model's accuracy and keep files small. NaN
    # (no raw measurement while a person coasts) is written as an empty CSV field / JSON null.
    value = float(value)
    return None if math.isnan(value) else round(value, 2)


class KeypointsWriter(Closeable):
    """Base of the keypoint file writers.

    Each frame reaches the file in one write, straight to the operating system: a process
    killed between frames (SIGKILL, a power cut) leaves whole frames only. A write that fails
    (a full disk) raises OutputError; `abandon()` then cuts the file back to its last whole
    frame, or to as many frames as a companion video kept."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._out = OutputFile(self.path, "keypoints")
        self.frames_written = 0
        self._failed = False

    def write(self, frame: int, time_ms: float, people: Iterable[TrackedPerson]) -> None:
        raise NotImplementedError

    def _tail(self, complete: bool) -> str:
        """What closes the file's structure ("" for none)."""
        return ""

    def _write_frame(self, text: str) -> None:
        """Write one frame's text, whole, and count it."""
        self._write_text(text)
        self.frames_written += 1
        self._checked_file().mark(self.frames_written)

    def _write_text(self, text: str) -> None:
        try:
            self._checked_file().write(text.encode("utf-8"))
        except OSError as exc:
            self._failed = True
            raise OutputError(self.path, f"cannot write ({reason(exc)})") from None

    @property
    def whole_frames(self) -> int:
        """Frames in the file whole (all written, unless a write failed)."""
        return self._out.whole_frames

    def vanished(self) -> bool:
        """True when the file, or its folder, was deleted while it was being written."""
        return not self._out.released and self._out.vanished()

    @property
    def recovered_to(self) -> Path | None:
        """Where the file was saved again after it vanished (see media.output_file)."""
        return self._out.recovered_to

    def sync(self) -> None:
        """Push what was written to the disk itself."""
        if not self._out.released:
            try:
                self._out.sync()
            except OSError as exc:
                raise OutputError(self.path, f"cannot write ({reason(exc)})") from None

    def close(self) -> None:
        """Complete and close the file. Safe to call twice. After a failed write it ends the
        file at its last whole frame, as `abandon()` does, without raising again."""
        if self._out.released:
            return
        if self._failed:
            self.abandon()
            return
        try:
            self._write_text(self._tail(complete=True))
        finally:
            self._out.release()

    def abandon(self, most_frames: int | None = None) -> int:
        """Stop after a failed write (here or in a companion file): cut the file back to its
        first `most_frames` frames (its whole frames, by default) and end it there. A file left
        with no frame is removed. Returns the frames kept."""
        out = self._out
        if out.released:
            return out.whole_frames
        try:
            kept = out.cut_back(out.whole_frames if most_frames is None else most_frames)
        except OSError:
            kept = 0
        if kept:
            # The room just freed by the cut is usually enough for the few closing bytes; if
            # not, the file still reads up to its last whole frame (read_json_keypoints).
            with contextlib.suppress(OSError):
                out.write(self._tail(complete=False).encode("utf-8"))
        out.release(keep=kept > 0)
        self.frames_written = kept
        return kept

    def _checked_file(self) -> OutputFile:
        if self._out.released or self._failed:
            raise ValueError(f"{self.path} is closed, or an earlier write to it failed")
        return self._out


class CsvKeypointsWriter(KeypointsWriter):
    """One row per frame x person x landmark; a frame's rows are written together."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._rows = io.StringIO()
        self._csv = csv.writer(self._rows)
        self._csv.writerow(CSV_COLUMNS)
        try:
            self._write_text(self._take_rows())
        except OutputError:
            self.abandon()
            raise

    def _take_rows(self) -> str:
        text = self._rows.getvalue()
        self._rows.seek(0)
        self._rows.truncate()
        return text

    def write(self, frame: int, time_ms: float, people: Iterable[TrackedPerson]) -> None:
        rows = []
        for person in people:
            flat, solid = person_angles(person)
            angles = tuple(_degrees(flat[n]) for n in ANGLE_NAMES) + tuple(
                _degrees(solid[n]) for n in ANGLE_NAMES
            )
            for i, name in enumerate(LANDMARK_NAMES):
                x, y, z, visibility = person.landmarks_px[i, :4]
                raw_x, raw_y = person.raw_landmarks_px[i, :2]
                rows.append(
                    (
                        frame,
                        round(time_ms, 3),
                        person.id,
                        int(not person.coasting),
                        i,
                        name,
                        _px(x),
                        _px(y),
                        _px(z),
                        round(float(visibility), 4),
                        _px(raw_x),
                        _px(raw_y),
                        *angles,
                    )
                )
        self._csv.writerows(rows)
        self._write_frame(self._take_rows())


#: Where the frames start in a JSON keypoints file; one frame a line follows.
_FRAMES_START = '"frames": [\n'


class JsonKeypointsWriter(KeypointsWriter):
    """A header, then one line per frame inside the `frames` list."""

    def __init__(self, path: str | Path, header: Mapping[str, Any]) -> None:
        super().__init__(path)
        fields = "".join(f"\n {json.dumps(k)}: {json.dumps(v)}," for k, v in header.items())
        self._summary: dict[str, Any] = {}
        # Open the object, keep the header's fields, and start the frames list; close() ends
        # it. Written now, so a disk with no room is found before the first frame.
        try:
            self._write_text("{" + fields + "\n " + _FRAMES_START)
        except OutputError:
            self.abandon()
            raise

    def set_summary(self, summary: Mapping[str, Any]) -> None:
        """Fields written after the frames when the file is closed (known only at the end)."""
        self._summary = dict(summary)

    def write(self, frame: int, time_ms: float, people: Iterable[TrackedPerson]) -> None:
        entry = {
            "frame": frame,
            "time_ms": round(time_ms, 3),
            "persons": [
                {
                    "id": person.id,
                    "seen": not person.coasting,
                    "landmarks": [
                        {
                            "name": name,
                            "x": _px(person.landmarks_px[i, 0]),
                            "y": _px(person.landmarks_px[i, 1]),
                            "z": _px(person.landmarks_px[i, 2]),
                            "visibility": round(float(person.landmarks_px[i, 3]), 4),
                            "raw_x": _px(person.raw_landmarks_px[i, 0]),
                            "raw_y": _px(person.raw_landmarks_px[i, 1]),
                        }
                        for i, name in enumerate(LANDMARK_NAMES)
                    ],
                    "angles": {n: _degrees(v) for n, v in angles[0].items()},
                    "angles_3d": {n: _degrees(v) for n, v in angles[1].items()},
                }
                for person, angles in ((p, person_angles(p)) for p in people)
            ],
        }
        self._write_frame(("  " if self.frames_written == 0 else ",\n  ") + json.dumps(entry))

    def _tail(self, complete: bool) -> str:
        # A file cut back after a failed write says so, as read_json_keypoints says of a file
        # cut off by a kill; the summary (counted over frames it no longer has) is left out.
        fields = dict(self._summary) if complete else {"complete": False}
        tail = "".join(f",\n {json.dumps(k)}: {json.dumps(v)}" for k, v in fields.items())
        return f"\n ]{tail}\n}}\n"


def read_json_keypoints(path: str | Path) -> dict[str, Any]:
    """A JSON keypoints file as a dict. A file cut off part way (the process was killed, the
    power went) is read up to its last complete frame, and gets `"complete": false`: each
    frame is written as one line, so every whole line before the cut is a whole frame."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read ({reason(exc)})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        pass
    else:
        if isinstance(data, dict) and isinstance(data.get("frames"), list):
            return data
        raise InputError(path, "is not a PoseCam keypoints file (no frames)")
    head, found, rest = text.partition(_FRAMES_START)
    try:
        data = json.loads(head + '"frames": []}') if found else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise InputError(path, "is not a PoseCam keypoints file, nor the start of one")
    frames = []
    for line in rest.splitlines():
        try:
            frames.append(json.loads(line.strip().removesuffix(",")))
        except json.JSONDecodeError:
            break  # the line the cut went through, or the end of the frames
    data["frames"] = [f for f in frames if isinstance(f, dict)]
    data["complete"] = False
    return data


def keypoints_header(
    source: str,
    size: tuple[int, int] | None,
    fps: float | None,
    model_name: str,
    model_sha256: str,
    smoothing: str,
    smoothing_strength: float,
    *,
    rotated_deg: int | None,
    mirrored: bool | None,
    look_ahead_frames: int = 0,
    found_afresh: bool = False,
) -> dict[str, Any]:
    """What a JSON keypoints file says about where its numbers came from.

    `look_ahead_frames`: how many frames after each one the smoothing saw before its
    landmarks were written (core.smoothing.LookAhead). `found_afresh`: whether the people
    were detected afresh in every frame (a picture, or one person in `posecam annotate`:
    PipelineSettings.finds_afresh), or followed by MediaPipe from the last frame's
    landmarks (and, with one person, smoothed by its own filter first).

    `rotated_deg` and `mirrored` say how the source's stored pictures were turned to come out
    upright, as a phone video asks (FrameSource.rotation and .mirrored): mirrored left to right
    or not, then rotated counterclockwise by 0, 90, 180 or 270 degrees. Width, height and every
    pixel coordinate are in that upright picture, so a reader going back to the stored
    pictures knows to undo the turn. None (null in the file) when not known.
    """
    return {
        "source": source,
        "width": size[0] if size else None,
        "height": size[1] if size else None,
        "rotated_deg": rotated_deg,
        "mirrored": mirrored,
        "fps": fps,
        "model": model_name,
        "model_sha256": model_sha256,
        "smoothing": smoothing,
        "smoothing_strength": smoothing_strength,
        "smoothing_look_ahead_frames": look_ahead_frames,
        "found_afresh_every_frame": found_afresh,
    }


def open_keypoints_writer(path: str | Path, header: Mapping[str, Any]) -> KeypointsWriter:
    """A CSV or JSON writer, chosen by the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return CsvKeypointsWriter(path)
    if suffix == ".json":
        return JsonKeypointsWriter(path, header)
    raise OutputError(path, "keypoints file must end in .csv or .json")
