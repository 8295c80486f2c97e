"""Damaged and cut-short video files: decoded past like FFmpeg's own tools do, every complete
frame kept, and what was lost said. Every file is a real clip made here and damaged by editing
its bytes."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from desktop_app.errors import InputError
from desktop_app.media.sources import VideoFileSource

FRAMES = 300

# (suffix, codec, muxer options): MP4 as phones and downloads have it (index first, so a cut
# file still opens), Matroska as OBS records it, WebM as browsers record it (no length
# declared, sizes left open), AVI.
CONTAINERS = {
    "mp4": ("mp4", "libx264", {"movflags": "faststart"}),
    "mkv": ("mkv", "libx264", {}),
    "webm": ("webm", "libvpx-vp9", {}),
    "webm-live": ("webm", "libvpx-vp9", {"live": "1"}),
    "avi": ("avi", "libx264", {}),
}


def _clip(
    path: Path,
    photo: np.ndarray,
    codec: str,
    muxer_options: dict[str, str],
    frames: int = FRAMES,
) -> Path:
    """A 30 fps clip of `photo` sliding sideways (B-frames where the codec has them)."""
    small = np.ascontiguousarray(photo[::2, ::2])
    with av.open(str(path), "w", options=muxer_options) as out:
        options = {"deadline": "realtime", "cpu-used": "8"} if "vpx" in codec else {}
        stream = out.add_stream(codec, rate=30, options=options)
        stream.width, stream.height, stream.pix_fmt = 256, 256, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.roll(small, 4 * i, axis=1), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="module", params=list(CONTAINERS))
def clip(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from skimage import data

    suffix, codec, options = CONTAINERS[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    return _clip(folder / f"clip.{suffix}", data.astronaut(), codec, options)


def _read(path: Path) -> tuple[list[float], VideoFileSource]:
    with VideoFileSource(path) as source:
        times = [frame.time_ms for frame in source]
    return times, source


def _damaged(clip: Path, tmp_path: Path, edit) -> Path:
    data = bytearray(clip.read_bytes())
    edit(data)
    damaged = tmp_path / f"damaged{clip.suffix}"
    damaged.write_bytes(bytes(data))
    return damaged


def test_an_intact_clip_reads_whole_and_reports_no_damage(clip: Path) -> None:
    times, source = _read(clip)
    assert len(times) == FRAMES
    assert source.damage is None


@pytest.mark.parametrize("suffix", ["mkv", "webm"])
@pytest.mark.parametrize(
    "ticks",
    [
        pytest.param([5 * 30 + i for i in range(60)], id="starts-at-5s"),
        pytest.param(list(itertools.accumulate([1, 2, 3] * 30)), id="variable-rate"),
    ],
)
def test_a_whole_matroska_file_is_whole_however_its_times_run(
    tmp_path: Path, suffix: str, ticks: list[int]
) -> None:
    # Matroska declares a duration, not a count of frames, and counts it from time 0: a file
    # whose times start at 5 s was called cut short, and one whose frames come 1-3 thirtieths
    # of a second apart was said to have lost frames.
    path = tmp_path / f"clip.{suffix}"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libvpx-vp9" if suffix == "webm" else "libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 30)
        for i, tick in enumerate(ticks):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), 2 * i % 256, np.uint8), "rgb24")
            frame.pts, frame.time_base = tick, Fraction(1, 30)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    times, source = _read(path)
    assert len(times) == len(ticks)
    assert source.damage is None
    expected = [(t - ticks[0]) * 1000.0 / 30.0 for t in ticks]
    assert np.allclose(times, expected, atol=1.0)


def test_zeroed_bytes_part_way_are_decoded_past_and_counted(clip: Path, tmp_path: Path) -> None:
    # 2000 zero bytes 15 % into the file: FFmpeg's tools skip what they cannot decode and go on.
    def zero(data: bytearray) -> None:
        at = len(data) * 15 // 100
        data[at : at + 2000] = bytes(2000)

    times, source = _read(_damaged(clip, tmp_path, zero))
    damage = source.damage
    assert damage is not None, "damage went unreported"
    assert damage.frames_lost > 0
    # Every frame of the file either came out or is counted as lost (a lower bound in a file
    # that declares no length).
    if damage.lost_counted:
        assert abs(len(times) + damage.frames_lost - FRAMES) <= 2
    else:
        assert len(times) + damage.frames_lost <= FRAMES
    # Not stopped at the damage: the frames after it come out too, in time order.
    assert times[-1] > 9000.0
    assert all(b > a for a, b in itertools.pairwise(times))
    if clip.suffix in (".mp4", ".avi"):
        # The index finds every frame after the damage: only the damaged ones are lost.
        assert len(times) >= FRAMES - 20
    # Where: 15 % into the bytes is early in the clip.
    assert damage.first_time_ms is not None and damage.first_time_ms < 5000.0
    assert "video is damaged" in str(damage) and "could not be decoded" in str(damage)


@pytest.mark.parametrize("fraction", [0.3, 0.55, 0.8])
def test_a_cut_short_file_keeps_every_complete_frame_and_says_it_is_cut(
    clip: Path, tmp_path: Path, fraction: float
) -> None:
    cut_at = int(clip.stat().st_size * fraction)
    # The frames whose data lies wholly before the cut, from the intact file's own index.
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        complete = sum(
            1
            for packet in container.demux(stream)
            if packet.size and packet.pos is not None and packet.pos + packet.size <= cut_at
        )
    cut = tmp_path / f"cut{clip.suffix}"
    cut.write_bytes(clip.read_bytes()[:cut_at])
    frames = 0
    with pytest.raises(InputError, match="ends early") as caught, VideoFileSource(cut) as source:
        for _ in source:
            frames += 1
    assert "cut short" in str(caught.value) and cut.name in str(caught.value)
    assert caught.value.frames_read == frames
    # None lost before the cut: not even the B-frames a multi-threaded decoder holds back.
    assert frames == complete


def test_an_mp4_cut_before_its_index_is_named_as_cut_short(tmp_path: Path) -> None:
    from skimage import data

    # A plain MP4 has its index (the moov box) at the end: cut short, nothing can be read.
    whole = _clip(tmp_path / "whole.mp4", data.astronaut(), "libx264", {})
    cut = tmp_path / "phone.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(InputError, match=r"phone\.mp4: video ends before its index") as caught:
        VideoFileSource(cut)
    assert "cut short" in str(caught.value) and "\n" not in str(caught.value)


def test_a_video_whose_every_frame_is_damaged_is_one_error(tmp_path: Path) -> None:
    from skimage import data

    whole = _clip(tmp_path / "whole.mp4", data.astronaut(), "libx264", {"movflags": "faststart"})
    contents = bytearray(whole.read_bytes())
    # Zero the picture data (the mdat box) and keep the index: every packet is there, and
    # none decodes.
    mdat = contents.index(b"mdat") + 4
    contents[mdat:] = bytes(len(contents) - mdat)
    ruined = tmp_path / "ruined.mp4"
    ruined.write_bytes(bytes(contents))
    with pytest.raises(InputError, match=r"ruined\.mp4: video cannot be decoded") as caught:
        _read(ruined)
    assert caught.value.frames_read == 0


def test_an_unknown_codec_is_one_error(tmp_path: Path) -> None:
    from skimage import data

    whole = _clip(tmp_path / "whole.avi", data.astronaut(), "libx264", {})
    # AVI names its codec with a fourcc; one FFmpeg does not know leaves no decoder.
    unknown = tmp_path / "unknown.avi"
    unknown.write_bytes(whole.read_bytes().replace(b"H264", b"QQQQ"))
    with pytest.raises(InputError, match=r"unknown\.avi: video is in a codec FFmpeg cannot"):
        VideoFileSource(unknown)


def test_a_title_in_a_broken_encoding_does_not_stop_the_file(tmp_path: Path) -> None:
    path = tmp_path / "titled.mkv"
    with av.open(str(path), "w") as out:
        out.metadata["title"] = "TITLE-MARKER"
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for _ in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    contents = path.read_bytes()
    assert contents.count(b"TITLE-MARKER") == 1
    # Same length, so the file's structure is untouched: only the text is not UTF-8.
    path.write_bytes(contents.replace(b"TITLE-MARKER", b"TITLE\xff\xfe\xc3(ARK"))
    times, source = _read(path)
    assert len(times) == 10 and source.damage is None
