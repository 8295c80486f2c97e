import csv
import json
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.tracking import TrackedPerson
from desktop_app.errors import InputError, OutputError
from desktop_app.media.keypoints import CSV_COLUMNS, open_keypoints_writer, read_json_keypoints


def tracked(pid: int, offset: float) -> TrackedPerson:
    raw = np.zeros((33, 4), np.float32)
    raw[:, 0] = np.arange(33) + offset
    raw[:, 1] = 2 * np.arange(33)
    raw[:, 3] = 0.75
    smoothed = raw.copy()
    smoothed[:, 0] += 0.5
    return TrackedPerson(id=pid, landmarks_px=smoothed, raw_landmarks_px=raw,
                         world_m=np.zeros((33, 3), np.float32))  # fmt: skip


def test_csv_has_one_row_per_frame_person_landmark(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    with open_keypoints_writer(path, {}) as writer:
        writer.write(0, 0.0, [tracked(0, 10.0), tracked(1, 100.0)])
        writer.write(1, 33.333, [])
        writer.write(2, 66.667, [tracked(1, 100.0)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + 33 * 3
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert first["name"] == "nose" and first["landmark"] == "0" and first["person"] == "0"
    assert float(first["x"]) == 10.5 and float(first["raw_x"]) == 10.0
    assert float(first["visibility"]) == 0.75
    last = dict(zip(CSV_COLUMNS, rows[-1], strict=True))
    assert last["frame"] == "2" and float(last["time_ms"]) == 66.667 and last["person"] == "1"
    assert last["name"] == "right_foot_index"
    # Landmarks on a line with x = i + offset, y = 2i: every joint is straight, 180 degrees;
    # the world landmarks are all zero, so there are no 3D angles (empty, not 0).
    assert float(first["angle_left_knee"]) == pytest.approx(180.0)
    assert first["angle3d_left_knee"] == ""


def test_json_frames_with_header(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    header = {"source": "clip.mp4", "width": 640, "height": 480, "fps": 30.0, "model": "m"}
    with open_keypoints_writer(path, header) as writer:
        writer.write(0, 0.0, [tracked(3, 1.0)])
        writer.write(1, 33.3, [])
    doc = json.loads(path.read_text())
    assert {k: doc[k] for k in header} == header
    assert [f["frame"] for f in doc["frames"]] == [0, 1]
    person = doc["frames"][0]["persons"][0]
    assert person["id"] == 3 and len(person["landmarks"]) == 33
    assert set(person["landmarks"][0]) >= {"name", "x", "y", "z", "visibility"}
    assert doc["frames"][1]["persons"] == []
    assert person["angles"]["left_elbow"] == pytest.approx(180.0)
    assert person["angles_3d"]["left_elbow"] is None


def test_json_summary_comes_after_the_frames(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    with open_keypoints_writer(path, {"source": "x"}) as writer:
        writer.write(0, 0.0, [tracked(0, 1.0)])
        writer.set_summary({"exercise": "squat", "reps": {"0": 2}})
    doc = json.loads(path.read_text())
    assert doc["reps"] == {"0": 2} and doc["exercise"] == "squat" and len(doc["frames"]) == 1


def test_json_is_valid_even_with_no_frames(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    open_keypoints_writer(path, {"source": "x"}).close()
    assert json.loads(path.read_text())["frames"] == []


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"must end in \.csv or \.json"):
        open_keypoints_writer(tmp_path / "k.txt", {})


def _json_file(path: Path, frames: int) -> bytes:
    writer = open_keypoints_writer(path, {"source": "clip.mp4", "fps": 30.0})
    for i in range(frames):
        writer.write(i, i * 33.3, [tracked(0, float(i))])
    writer.close()
    return path.read_bytes()


def test_a_whole_json_file_reads_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    _json_file(path, 3)
    assert read_json_keypoints(path) == json.loads(path.read_text())


def test_a_json_file_cut_anywhere_reads_up_to_its_last_whole_frame(tmp_path: Path) -> None:
    whole = _json_file(tmp_path / "whole.json", 4)
    frames = json.loads(whole)["frames"]
    start = whole.index(b'"frames": [\n') + len(b'"frames": [\n')
    cut = tmp_path / "cut.json"
    # Where each frame's line ends: its closing brace, before the next line or the list's end.
    line_ends = [
        i + 1
        for i in range(start, len(whole))
        if whole[i : i + 1] == b"}" and whole[i + 1 : i + 3] in (b",\n", b"\n ")
    ]
    assert len(line_ends) == len(frames)
    cut = tmp_path / "cut.json"
    # Cuts from the start of the frames to the end of the last frame's line, every few bytes
    # and on each side of every line's end.
    lengths = {*range(start, line_ends[-1], 7), *(e - 1 for e in line_ends), *line_ends}
    for length in sorted(lengths):
        cut.write_bytes(whole[:length])
        data = read_json_keypoints(cut)
        assert data["complete"] is False and data["source"] == "clip.mp4"
        assert data["frames"] == frames[: sum(end <= length for end in line_ends)]


def test_not_a_keypoints_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    for text in ('{"a": 1}', "[1, 2", "hello"):
        path.write_text(text)
        with pytest.raises(InputError, match="not a PoseCam keypoints file"):
            read_json_keypoints(path)
