"""`posecam annotate` on a phone video: the annotated video and the keypoints are in the
upright picture, as the phone showed it."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from tests.media.test_rotation import _clip
from tests.test_annotate_cli import probe, run


def test_a_phone_video_is_annotated_upright(
    astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    upright = np.ascontiguousarray(astronaut[:, 96:416])  # portrait, 320 x 512
    # Held upright, a phone stores the picture a quarter turn clockwise and asks for it to be
    # turned back counterclockwise on display.
    phone = _clip(tmp_path / "phone.mp4", np.ascontiguousarray(np.rot90(upright, -1)), 90)
    out, keypoints = tmp_path / "out.mp4", tmp_path / "k.csv"
    code, _, err = run(capsys, phone, "-o", out, "--keypoints", keypoints)
    assert code == 0, err
    assert probe(out)[3] == (320, 512)
    with open(keypoints, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["person"] == "0" and r["frame"] == "0"]
    where = {r["name"]: (float(r["x"]), float(r["y"])) for r in rows}
    # Head above shoulders, in the upright picture's pixels.
    assert where["nose"][1] < where["left_shoulder"][1] - 20
    assert where["nose"][1] < where["right_shoulder"][1] - 20
    assert all(0 <= where[name][0] < 320 for name in ("nose", "left_shoulder", "right_shoulder"))
