"""The repetitions table (NAME_reps.csv): one row per repetition, written whole."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from desktop_app.core.reps import EXERCISES, RepCounter
from desktop_app.errors import OutputError
from desktop_app.media.reps_table import (
    REPS_TABLE_COLUMNS,
    reps_table_path,
    write_reps_table,
)


def squats(count: int) -> RepCounter:
    counter = RepCounter(EXERCISES["squat"])
    one = [170.0] * 5 + [80.0] * 5
    for i, angle in enumerate(one * count + [170.0] * 5):
        counter.update(angle, i / 10.0, left_deg=angle - 2.0, right_deg=angle + 2.0)
    return counter


def test_one_row_per_repetition_per_person(tmp_path: Path) -> None:
    path = write_reps_table(tmp_path / "clip_reps.csv", {0: squats(2).reps, 3: squats(1).reps})
    with open(path, newline="", encoding="utf-8") as table:
        rows = list(csv.DictReader(table))
    assert tuple(rows[0]) == REPS_TABLE_COLUMNS
    assert [(r["person"], r["rep"]) for r in rows] == [("0", "1"), ("0", "2"), ("3", "1")]
    first = rows[0]
    assert float(first["depth_deg"]) == 80.0 and float(first["asymmetry_deg"]) == -4.0
    assert first["trunk_lean_deg"] == ""  # not measured: an empty cell, not "nan"
    assert first["quality"] == "good"
    assert float(first["start_s"]) < float(first["turn_s"]) < float(first["end_s"])


def test_no_repetitions_is_a_header_alone(tmp_path: Path) -> None:
    path = write_reps_table(tmp_path / "t.csv", {})
    assert path.read_text(encoding="utf-8").splitlines() == [",".join(REPS_TABLE_COLUMNS)]


def test_the_table_replaces_an_earlier_one_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("an earlier table\n" * 100, encoding="utf-8")
    write_reps_table(path, {0: squats(1).reps})
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2
    assert list(tmp_path.iterdir()) == [path]  # no partial file left


def test_a_folder_that_is_not_there_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "t.csv"
    with pytest.raises(OutputError) as caught:
        write_reps_table(path, {0: squats(1).reps})
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_the_table_sits_beside_the_keypoints() -> None:
    assert reps_table_path(Path("out/clip.json")) == Path("out/clip_reps.csv")
    assert reps_table_path("clip.keypoints.csv") == Path("clip.keypoints_reps.csv")
