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
"reps"). "rotated_deg" and "mirrored" say how the pictures were turned upright (see
`keypoints_header`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from desktop_app.core.angles import ANGLE_NAMES
from desktop_app.core.closeable import Closeable
from desktop_app.core.skeleton import LANDMARK_NAMES
from desktop_app.core.tracking import TrackedPerson
from desktop_app.errors import InputError, OutputError, reason

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
    """Base of the keypoint file writers."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._file: TextIO | None = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise OutputError(self.path, f"cannot write here ({reason(exc)})") from None

    def write(self, frame: int, time_ms: float, people: Iterable[TrackedPerson]) -> None:
        raise NotImplementedError

    def _finish(self, file: TextIO) -> None:
        """Write whatever closes the file's structure."""

    def close(self) -> None:
        """Complete and close the file. Safe to call twice."""
        if self._file is None:
            return
        file, self._file = self._file, None
        try:
            self._finish(file)
        finally:
            file.close()

    def _checked_file(self) -> TextIO:
        if self._file is None:
            raise ValueError(f"{self.path} is already closed")
        return self._file


class CsvKeypointsWriter(KeypointsWriter):
    """One row per frame x person x landmark.

    Each frame's rows reach the file in one write: a process killed between frames (SIGKILL,
    a power cut) leaves whole rows only, never a torn one."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._rows = io.StringIO()
        self._csv = csv.writer(self._rows)
        self._csv.writerow(CSV_COLUMNS)
        self._write_rows()

    def _write_rows(self) -> None:
        text = self._rows.getvalue()
        self._rows.seek(0)
        self._rows.truncate()
        try:
            file = self._checked_file()
            file.write(text)
            file.flush()
        except OSError as exc:
            raise OutputError(self.path, f"cannot write ({reason(exc)})") from None

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
        self._write_rows()


#: Where the frames start in a JSON keypoints file; one frame a line follows.
_FRAMES_START = '"frames": [\n'


class JsonKeypointsWriter(KeypointsWriter):
    """A header, then one line per frame inside the `frames` list."""

    def __init__(self, path: str | Path, header: Mapping[str, Any]) -> None:
        super().__init__(path)
        head = json.dumps(dict(header), indent=1)
        # Open the object, keep the header's fields, and start the frames list; close() ends it.
        self._checked_file().write(head[:-2].rstrip() + ",\n " + _FRAMES_START)
        self._first = True
        self._summary: dict[str, Any] = {}

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
        file = self._checked_file()
        try:
            file.write(("  " if self._first else ",\n  ") + json.dumps(entry))
            file.flush()
        except OSError as exc:
            raise OutputError(self.path, f"cannot write ({reason(exc)})") from None
        self._first = False

    def _finish(self, file: TextIO) -> None:
        tail = "".join(f",\n {json.dumps(k)}: {json.dumps(v)}" for k, v in self._summary.items())
        file.write(f"\n ]{tail}\n}}\n")


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
) -> dict[str, Any]:
    """What a JSON keypoints file says about where its numbers came from.

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
