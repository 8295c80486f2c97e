"""The repetitions table: one CSV row per repetition (core.rep_analysis.Rep), beside the
keypoints as NAME_reps.csv.

Written once, when the repetitions are known (at the end of a run), under a partial name and
moved into place whole, so the name holds either the earlier table or the whole new one. A run
stopped part way leaves the repetitions counted so far under the partial name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from desktop_app.core.rep_analysis import REP_FIELDS, Rep
from desktop_app.errors import OutputError, reason
from desktop_app.media.video_writer import move_into_place, partial_path

#: The table's columns: the person's id, then Rep.as_dict's.
REPS_TABLE_COLUMNS: tuple[str, ...] = ("person", *REP_FIELDS)


def reps_table_path(keypoints: str | Path) -> Path:
    """Where the table of `keypoints` goes: `clip.json` -> `clip_reps.csv` beside it."""
    keypoints = Path(keypoints)
    return keypoints.with_name(f"{keypoints.stem}_reps.csv")


def reps_table_text(reps: Mapping[int, Sequence[Rep]]) -> str:
    """The table as CSV text: a header, then each person's repetitions in order. An empty
    cell is a number that could not be measured (a side not seen)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPS_TABLE_COLUMNS)
    for person, person_reps in sorted(reps.items()):
        for rep in person_reps:
            row = rep.as_dict()
            writer.writerow([person, *("" if row[k] is None else row[k] for k in REP_FIELDS)])
    return out.getvalue()


def write_reps_table(
    path: str | Path, reps: Mapping[int, Sequence[Rep]], *, complete: bool = True
) -> Path:
    """Write the table of `reps` (RepTracker.all_reps(): person id -> repetitions) to `path`,
    replacing it whole; returns the path written. With `complete` False (a run stopped part
    way) it stays under its partial name, beside the other partial files, and that is
    returned. OutputError (one line naming the file) when it cannot be written."""
    path = Path(path)
    partial = partial_path(path)
    try:
        partial.write_text(reps_table_text(reps), encoding="utf-8", newline="")
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise OutputError(path, f"cannot write the repetitions table ({reason(exc)})") from None
    if not complete:
        return partial
    move_into_place(partial, path)
    return path
