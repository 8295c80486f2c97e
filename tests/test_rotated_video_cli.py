"""`posecam annotate` on a phone video: the annotated video and the keypoints are in the
upright picture, as the phone showed it."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from desktop_app.media.keypoints import read_json_keypoints
from desktop_app.media.sources import VideoFileSource
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


@pytest.mark.parametrize(("degrees", "hflip"), [(90, False), (270, True), (0, False)])
def test_the_keypoints_say_how_the_picture_was_turned(
    degrees: int,
    hflip: bool,
    astronaut: np.ndarray,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stored = np.ascontiguousarray(astronaut[::2, ::2][:, 48:208])  # 160 x 256
    # The display matrix turns, then mirrors; the header says it as people do, mirrored
    # first, then turned: the same as turning the other way round.
    phone = _clip(tmp_path / "phone.mp4", stored, degrees, hflip=hflip, frames=2)
    keypoints = tmp_path / "k.json"
    code, _, err = run(capsys, phone, "-o", tmp_path / "out.mp4", "--keypoints", keypoints)
    assert code == 0, err
    header = read_json_keypoints(keypoints)
    expected_deg = (-degrees) % 360 if hflip else degrees
    assert (header["rotated_deg"], header["mirrored"]) == (expected_deg, hflip)
    # The words describe the turn that was made: mirroring the stored picture (if said), then
    # rotating it counterclockwise by rotated_deg gives the picture that was analysed, whose
    # size the header gives.
    said = np.rot90(stored[:, ::-1] if header["mirrored"] else stored, header["rotated_deg"] // 90)
    with VideoFileSource(phone) as source:
        analysed = next(iter(source)).rgb
    assert analysed.shape == said.shape
    assert np.abs(analysed.astype(int) - said).mean() < 10  # coding loss; a wrong turn: 100
    assert (header["width"], header["height"]) == (said.shape[1], said.shape[0])
