"""Nothing lost, nothing crashes: the command line never destroys a file it was not asked to
replace, refuses impossible numbers with one line, and reports the unforeseen without a
traceback. Every test works on real files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.test_annotate_cli import assert_one_line_error, run


@pytest.fixture
def clip(short_clip: Path, tmp_path: Path) -> Path:
    """A private copy of the short clip, which a test may link to and must find unharmed."""
    copy = tmp_path / "clip.mp4"
    shutil.copyfile(short_clip, copy)
    return copy


def _hard_link(target: Path, link: Path) -> None:
    try:
        os.link(target, link)
    except OSError as exc:
        pytest.skip(f"no hard links here ({exc})")


@pytest.mark.parametrize("how", ["hard link", "symbolic link", "other spelling"])
def test_output_that_is_the_input_by_another_path_is_refused(
    how: str, clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = clip.read_bytes()
    if how == "hard link":
        output = tmp_path / "annotated.mp4"
        _hard_link(clip, output)
    elif how == "symbolic link":
        output = tmp_path / "annotated.mp4"
        output.symlink_to(clip)
    else:
        (tmp_path / "sub").mkdir()
        output = tmp_path / "sub" / ".." / "clip.mp4"
    code, _, err = run(capsys, clip, "-o", output, "--overwrite")
    assert code == 2
    assert_one_line_error(err, str(output), "same file as the input")
    assert clip.read_bytes() == before


def test_keypoints_that_are_the_video_by_another_name_are_refused(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output, keypoints = tmp_path / "old.mp4", tmp_path / "old.csv"
    output.write_bytes(b"an earlier result")
    _hard_link(output, keypoints)
    code, _, err = run(capsys, clip, "-o", output, "--keypoints", keypoints, "--overwrite")
    assert code == 2
    assert_one_line_error(err, "old.csv", "same file")
    assert output.read_bytes() == b"an earlier result"
