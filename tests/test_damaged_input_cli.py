"""`posecam annotate` on damaged videos: damage in the middle is decoded past and the run
finishes; a file cut short ends with one line and exit 2, its frames kept in partial files.
Every clip is real, made here and damaged by editing its bytes."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from tests.media.test_damaged_video import _clip
from tests.test_annotate_cli import _faststart_clip, assert_one_line_error, probe, run


def test_damage_in_the_middle_is_decoded_past_and_the_run_finishes(
    astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole.mp4"
    _faststart_clip(whole, astronaut, 60)
    data = bytearray(whole.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 20000] = b"\x47" * 20000
    garbled = tmp_path / "garbled.mp4"
    garbled.write_bytes(bytes(data))
    out, keypoints = tmp_path / "out.mp4", tmp_path / "k.csv"
    code, stdout, err = run(capsys, garbled, "-o", out, "--keypoints", keypoints)
    assert code == 0, err
    # The run succeeds, and one line says what was lost and where.
    assert_one_line_error(err, "garbled.mp4", "could not be decoded")
    # It used to stop at the damage, half way; now only the damaged frames are missing.
    done = int(stdout.split(": ")[1].split(" frames")[0])
    with_person = int(stdout.split(" frames, ")[1].split(" with")[0])
    assert 45 <= done < 60
    assert probe(out)[:2] == ("h264", done)
    with open(keypoints, newline="") as f:
        frames_in_keypoints = {int(r["frame"]) for r in csv.DictReader(f)}
    assert len(frames_in_keypoints) == with_person and max(frames_in_keypoints) < done


@pytest.mark.parametrize("kind", ["mkv", "webm-live"])
def test_a_cut_short_recording_is_exit_2_with_its_frames_kept(
    kind: str, astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # OBS records Matroska; a browser records WebM with no length declared.
    suffix, codec, options = {
        "mkv": ("mkv", "libx264", {}),
        "webm-live": ("webm", "libvpx-vp9", {"live": "1"}),
    }[kind]
    whole = _clip(tmp_path / f"whole.{suffix}", astronaut, codec, options, frames=60)
    cut = tmp_path / f"recording.{suffix}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 6 // 10])
    out = tmp_path / "out.mp4"
    code, stdout, err = run(capsys, cut, "-o", out)
    assert code == 2
    assert_one_line_error(err, cut.name, "ends early", "cut short")
    done = int(stdout.split(": ")[1].split(" frames")[0])
    assert 10 < done < 60
    partial = tmp_path / "out.partial.mp4"
    assert probe(partial)[:2] == ("h264", done)
    assert not out.exists()
