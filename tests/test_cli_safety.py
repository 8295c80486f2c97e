"""Nothing lost, nothing crashes: the command line never destroys a file it was not asked to
replace, refuses impossible numbers with one line, and reports the unforeseen without a
traceback. Every test works on real files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from desktop_app.cli import main
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


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--num-poses", "3000000000"),
        ("--num-poses", "11"),
        ("--num-poses", "0"),
        ("--num-poses", "-2"),
        ("--num-poses", "1.5"),
        ("--smoothing-strength", "nan"),
        ("--smoothing-strength", "inf"),
        ("--smoothing-strength", "-0.1"),
        ("--smoothing-strength", "1.01"),
        ("--min-confidence", "nan"),
        ("--min-confidence", "-inf"),
        ("--min-confidence", "2"),
        ("--down", "nan"),
        ("--down", "-5"),
        ("--up", "inf"),
        ("--up", "181"),
        ("--up", "ninety"),
    ],
)
def test_impossible_numbers_are_refused_in_one_line(
    option: str, value: str, clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out.mp4"
    with pytest.raises(SystemExit) as exit_info:
        # OPTION=VALUE, as argparse would take "-inf" on its own for an option.
        main(["annotate", str(clip), "-o", str(output), f"{option}={value}"])
    assert exit_info.value.code == 2
    assert_one_line_error(capsys.readouterr().err, option, value, "--help")
    assert not output.exists()


def test_custom_thresholds_out_of_order_are_refused(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, clip, "-o", tmp_path / "out.mp4", "--exercise", "custom",
                       "--angle", "left_knee", "--down", "150", "--up", "80")  # fmt: skip
    assert code == 2
    assert_one_line_error(err, "--down 150 must be below --up 80")


def test_an_unknown_option_is_one_line_too(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--no-such-option"])
    assert exit_info.value.code == 2
    assert_one_line_error(capsys.readouterr().err, "--no-such-option")


@pytest.mark.parametrize(
    "limits",
    [
        ("--num-poses", "10", "--smoothing-strength", "1", "--min-confidence", "0"),
        ("--num-poses", "1", "--smoothing-strength", "0", "--min-confidence", "1"),
    ],
)
def test_the_limits_themselves_are_accepted(
    limits: tuple[str, ...], clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, err = run(capsys, clip, "-o", tmp_path / "out.mp4", *limits)
    assert code == 0, err
    assert "30 frames" in stdout
