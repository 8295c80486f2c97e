"""The input's sound in the annotated video: copied where the container takes it, encoded to AAC
where not, in step with the frames, and no threat to the crash-safe cut. Real clips made here
with PyAV (the sample photo and a sine sweep), real FFmpeg, no mocks."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from desktop_app.errors import OutputError
from desktop_app.media.audio import AudioInput, open_audio
from desktop_app.media.recorder import Recorder, RecordingPaths
from desktop_app.media.sources import VideoFileSource
from desktop_app.media.video_writer import VideoWriter
from tests.media.test_keypoints import tracked
from tests.media.test_writers_disk_full import flat
from testsupport.outputs import assert_keypoints_match_video, decoded_times_s
from testsupport.small_disk import fill, small_disk
from testsupport.sound import decoded_sound, lag_and_correlation, write_clip_with_sound

_RATE = 48000


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sound")


def clip(folder: Path, name: str, audio_codec: str = "aac", **kwargs: float) -> Path:
    path = folder / name
    if not path.exists():
        write_clip_with_sound(path, audio_codec, **kwargs)  # type: ignore[arg-type]
    return path


@pytest.fixture
def audio_of() -> Iterator[list[AudioInput]]:
    """Opened inputs, closed after the test."""
    opened: list[AudioInput] = []
    yield opened
    for audio in opened:
        audio.close()


def annotate_like(source_clip: Path, out: Path, audio: AudioInput | None, frames: int = 0) -> int:
    """Write the clip's own frames at their own times, as `posecam annotate` does (all of them,
    or the first `frames`). Returns the frames written."""
    with (
        VideoFileSource(source_clip) as source,
        VideoWriter(out, source.fps or 30.0, crash_safe=True, audio=audio) as writer,
    ):
        for frame in source:
            writer.write(frame.rgb, frame.time_ms)
            if writer.frames_written == frames:
                break
        return writer.frames_written


def stream_codecs(path: Path) -> list[tuple[str, str]]:
    with av.open(str(path)) as container:
        return [(s.type, s.codec_context.codec.canonical_name) for s in container.streams]


def sound_span_s(path: Path) -> tuple[float, float]:
    """When the decoded sound starts and ends, in seconds."""
    start_s, rate, samples = decoded_sound(path)
    return start_s, start_s + len(samples) / rate


@pytest.mark.parametrize(
    ("input_name", "audio_codec", "suffix", "kept"),
    [
        ("aac.mp4", "aac", ".mp4", "aac copied"),
        ("aac.mp4", "aac", ".mov", "aac copied"),
        ("aac.mp4", "aac", ".mkv", "aac copied"),
        ("pcm.mov", "pcm_s16le", ".mp4", "pcm_s16le as aac"),
        ("pcm.mkv", "pcm_s16le", ".mp4", "pcm_s16le as aac"),
        ("pcm.mkv", "pcm_s16le", ".mkv", "pcm_s16le as aac"),
        ("opus.mkv", "libopus", ".mp4", "opus copied"),
        ("mp3.mkv", "libmp3lame", ".mp4", "mp3 copied"),
    ],
)
def test_the_sound_plays_in_step_with_the_frames(
    clips: Path, tmp_path: Path, audio_of: list[AudioInput], input_name: str, audio_codec: str,
    suffix: str, kept: str,
) -> None:  # fmt: skip
    source_clip = clip(clips, input_name, audio_codec)
    audio = open_audio(source_clip)
    assert audio is not None
    audio_of.append(audio)
    out = tmp_path / f"out{suffix}"
    with (
        VideoFileSource(source_clip) as source,
        VideoWriter(out, 30.0, crash_safe=True, audio=audio) as writer,
    ):
        for frame in source:
            writer.write(frame.rgb, frame.time_ms)
    assert str(writer.sound) == kept and writer.sound_problem is None
    out_codec = kept.split()[-1] if " as " in kept else kept.split()[0]
    assert stream_codecs(out) == [("video", "h264"), ("audio", out_codec)]
    video_s = decoded_times_s(out)
    assert len(video_s) == 30
    start_s, end_s = sound_span_s(out)
    # As long as the video (30 frames of 1/30 s), to within one packet of sound (some codecs'
    # own lead-in samples show before 0, or, in Matroska, take the first packet's place).
    assert abs(start_s) < 0.025 and abs(end_s - 1.0) < 0.025, (start_s, end_s)
    # The same sound at the same time, to the sample; within a ms where times are kept in
    # whole ms (Matroska, hence the Opus input). And not silence.
    in_start_s, rate, expected = decoded_sound(source_clip)
    got_start_s, got_rate, got = decoded_sound(out)
    assert got_rate == rate == _RATE
    lag_ms, correlation = lag_and_correlation(expected, in_start_s, got, got_start_s, rate)
    whole_ms = suffix == ".mkv" or input_name.endswith(".mkv")
    assert abs(lag_ms) <= (1.0 if whole_ms else 0.0), lag_ms
    assert correlation > (0.999 if "copied" in kept else 0.97), correlation
    assert np.sqrt(np.mean(got[2400:26400] ** 2)) > 0.3  # a sine of amplitude 0.5: rms 0.35


def test_sound_that_starts_late_starts_late_in_the_output_too(
    clips: Path, tmp_path: Path, audio_of: list[AudioInput]
) -> None:
    source_clip = clip(clips, "late.mp4", sound_starts_s=0.25, sound_seconds=0.5)
    audio = open_audio(source_clip)
    assert audio is not None
    audio_of.append(audio)
    out = tmp_path / "out.mp4"
    assert annotate_like(source_clip, out, audio) == 30
    # Where the input's sound is (0.25 s, less the encoder's 1024 samples it did not hide).
    in_start_s, in_end_s = sound_span_s(source_clip)
    assert 0.2 < in_start_s < 0.3
    assert sound_span_s(out) == (in_start_s, in_end_s)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_video_that_ends_early_takes_its_sound_no_further(
    clips: Path, tmp_path: Path, audio_of: list[AudioInput], suffix: str
) -> None:
    """The input broke after 10 frames (or frames were lost at its end): the sound stops with
    the last frame, not at the end of the input's sound."""
    audio = open_audio(clip(clips, "aac.mp4"))
    assert audio is not None
    audio_of.append(audio)
    out = tmp_path / f"out{suffix}"
    assert annotate_like(clip(clips, "aac.mp4"), out, audio, frames=10) == 10
    video_end_s = decoded_times_s(out)[-1] + 1 / 30
    _, end_s = sound_span_s(out)
    assert video_end_s - 0.025 < end_s < video_end_s + 0.025, (end_s, video_end_s)


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
@pytest.mark.parametrize("sound_seconds", [1.0, 0.4])
def test_a_cut_back_with_sound_plays_exactly_the_frames_it_says(
    clips: Path, tmp_path: Path, suffix: str, sound_seconds: float
) -> None:
    """What the cut after a failed write relies on, with sound in the fragments (sound that
    lasts the whole video, and sound that ends before it): each mark holds exactly the frames
    it counts, and the file cut there plays both streams."""
    source_clip = clip(clips, f"sound{sound_seconds}.mp4", sound_seconds=sound_seconds, seconds=2.0)

    def cut_back(path: Path, most_frames: int) -> int:
        """60 frames with the sound, then abandoned: the frames kept."""
        with open_audio(source_clip) as audio:  # type: ignore[union-attr]
            writer = VideoWriter(path, 30.0, crash_safe=True, audio=audio)
            for i in range(60):
                writer.write(flat(i), i * 1000.0 / 30.0)
            return writer.abandon(most_frames)

    # Either side of each fragment's end (15 frames each), and within one.
    for most_frames in (0, 14, 15, 16, 29, 31, 47):
        path = tmp_path / f"cut{most_frames}{suffix}"
        kept = cut_back(path, most_frames)
        assert most_frames - 15 < kept <= most_frames and path.exists() == (kept > 0)
        if kept:
            assert len(decoded_times_s(path)) == kept
            start_s, end_s = sound_span_s(path)
            # As far as the fragment goes (up to its next frame), or to the sound's own end.
            assert start_s < 0.025 and end_s < kept / 30 + 0.025
            assert end_s > min(kept / 30, sound_seconds) - 0.025


def test_no_sound_no_audio_input(tmp_path: Path, short_clip: Path) -> None:
    assert open_audio(short_clip) is None


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB file system of its own."""
    with small_disk(tmp_path / "small") as folder:
        yield folder


def test_a_recording_with_sound_on_a_disk_that_fills_keeps_both_to_the_same_end(
    clips: Path, disk: Path
) -> None:
    source_clip = clip(clips, "long.mp4", seconds=4.0, size=(320, 240))
    fill(disk, leave_bytes=900_000)
    paths = RecordingPaths(disk / "rec.mp4", keypoints=disk / "rec.csv")
    with open_audio(source_clip) as audio:  # type: ignore[union-attr]
        recorder = Recorder(
            paths, 30.0, {"source": "test"}, wait_when_full=True, times_from_zero=False,
            audio=audio,
        )  # fmt: skip
        for i in range(120):
            noisy = np.random.default_rng(i).integers(0, 256, (240, 320, 3), dtype=np.uint8)
            if not recorder.submit(i, i * 1000.0 / 30.0, noisy, None, [tracked(0, i)]):
                break
        recorder.close()
    assert isinstance(recorder.error, OutputError)
    assert "No space left on device" in str(recorder.error)
    kept = assert_keypoints_match_video(paths.video, paths.keypoints)  # type: ignore[arg-type]
    assert 0 < kept < 120 and kept == recorder.frames_kept
    start_s, end_s = sound_span_s(paths.video)
    assert start_s < 0.002 and kept / 30 - 0.025 < end_s < kept / 30 + 0.025, (kept, end_s)


_WRITE_UNTIL_KILLED = """
import sys
import numpy as np
from desktop_app.media.audio import open_audio
from desktop_app.media.video_writer import VideoWriter
audio = open_audio(sys.argv[1])
writer = VideoWriter(sys.argv[2], 30.0, crash_safe=True, audio=audio)
for i in range(10**6):
    rgb = np.random.default_rng(i).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    writer.write(rgb, i * 1000.0 / 30.0)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGKILL on Windows")
@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_video_with_sound_killed_outright_plays_both_to_its_last_fragment(
    clips: Path, tmp_path: Path, suffix: str
) -> None:
    source_clip = clip(clips, "long.mp4", seconds=4.0, size=(320, 240))
    out = tmp_path / f"killed{suffix}"
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITE_UNTIL_KILLED, str(source_clip), str(out)],
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        # About 40 KB a frame of noise: some fragments, and the sound still going.
        while not (out.exists() and out.stat().st_size > 2_000_000):
            assert child.poll() is None, "the writer ended before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        child.kill()
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    video_s = decoded_times_s(out)
    assert 15 <= len(video_s) < 120
    start_s, end_s = sound_span_s(out)
    video_end_s = video_s[-1] + 1 / 30
    assert start_s < 0.025 and video_end_s - 0.55 < end_s < video_end_s + 0.55, (end_s, video_end_s)
