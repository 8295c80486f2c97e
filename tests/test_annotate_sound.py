"""`posecam annotate` keeps the video's sound: copied (AAC), or encoded to AAC (PCM), in step
with the frames; `--no-audio` leaves it out; a clip cut short takes its sound no further than
its last frame. Clips made here with PyAV: the sample photo and a sine sweep."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from desktop_app.cli import main
from testsupport.outputs import decoded_times_s
from testsupport.sound import decoded_sound, lag_and_correlation, write_clip_with_sound


@pytest.fixture(scope="module")
def aac_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sound") / "aac.mp4"
    write_clip_with_sound(path, "aac")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["annotate", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def streams(path: Path) -> list[tuple[str, str]]:
    with av.open(str(path)) as container:
        return [(s.type, s.codec_context.name) for s in container.streams]


def assert_same_sound(source: Path, out: Path, *, least_correlation: float) -> None:
    """`out` has the sound of `source`, as long as its video and at the same times."""
    video_end_s = decoded_times_s(out)[-1] + 1 / 30
    start_s, rate, got = decoded_sound(out)
    assert abs(start_s) < 0.002
    assert abs(start_s + len(got) / rate - video_end_s) < 0.025
    in_start_s, in_rate, expected = decoded_sound(source)
    assert rate == in_rate
    lag_ms, correlation = lag_and_correlation(expected, in_start_s, got, start_s, rate)
    assert lag_ms == 0.0 and correlation > least_correlation, (lag_ms, correlation)


def test_the_sound_is_copied_and_the_summary_says_so(
    aac_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    code, stdout, err = run(capsys, aac_clip, "-o", out)
    assert code == 0 and err == "", err
    assert f"annotated -> {out} (libx264, with sound: aac copied)" in stdout
    assert streams(out) == [("video", "h264"), ("audio", "aac")]
    assert len(decoded_times_s(out)) == 30
    assert_same_sound(aac_clip, out, least_correlation=0.999)


@pytest.mark.parametrize("suffix", [".mov", ".mkv"])
def test_pcm_sound_is_encoded_to_aac_for_the_mp4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    clip = tmp_path / f"pcm{suffix}"
    write_clip_with_sound(clip, "pcm_s16le")
    out = tmp_path / "out.mp4"
    code, stdout, err = run(capsys, clip, "-o", out)
    assert code == 0 and err == "", err
    assert "(libx264, with sound: pcm_s16le as aac)" in stdout
    assert streams(out) == [("video", "h264"), ("audio", "aac")]
    assert_same_sound(clip, out, least_correlation=0.97)


def test_no_audio_leaves_the_sound_out(
    aac_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    code, stdout, err = run(capsys, aac_clip, "-o", out, "--no-audio")
    assert code == 0 and err == "", err
    assert "with sound" not in stdout and f"annotated -> {out} (libx264)" in stdout
    assert streams(out) == [("video", "h264")]


def test_a_video_without_sound_gives_one_without(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    code, stdout, _ = run(capsys, short_clip, "-o", out)
    assert code == 0 and "with sound" not in stdout
    assert streams(out) == [("video", "h264")]


def test_a_clip_cut_short_takes_its_sound_no_further_than_its_last_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A recording never finished (Matroska cut part way), whose sound was written ahead of its
    frames: the frames before the cut are kept with their sound, which ends with them."""
    whole = tmp_path / "whole.mkv"
    write_clip_with_sound(whole, "pcm_s16le", seconds=3.0, sound_ahead_s=1.0)
    data = whole.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out.mp4"
    code, stdout, err = run(capsys, cut, "-o", out)
    assert code == 2 and "video ends early" in err and "with sound: pcm_s16le as aac" in stdout
    partial = tmp_path / "out.partial.mp4"
    video_s = decoded_times_s(partial)
    assert 10 < len(video_s) < 80
    video_end_s = video_s[-1] + 1 / 30
    cut_start_s, cut_rate, cut_sound = decoded_sound(cut)
    assert cut_start_s == 0.0 and len(cut_sound) / cut_rate > video_end_s + 0.5
    start_s, rate, sound = decoded_sound(partial)
    assert abs(start_s) < 0.002
    assert abs(start_s + len(sound) / rate - video_end_s) < 0.025
