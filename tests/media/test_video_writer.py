from pathlib import Path

import av
import numpy as np
import pytest

from desktop_app.errors import OutputError
from desktop_app.media.video_writer import VideoWriter, available_codec


def read_back(path: Path) -> tuple[str, int, float, tuple[int, int], str, list[float]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [float(f.pts * f.time_base) for f in container.decode(stream)]
        ctx = stream.codec_context
        return ctx.name, len(times), float(stream.average_rate), (ctx.width, ctx.height), \
            ctx.pix_fmt, times  # fmt: skip


def gradient(width: int, height: int, shade: int) -> np.ndarray:
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = shade
    rgb[..., 1] = np.linspace(0, 255, width, dtype=np.uint8)
    return rgb


def test_h264_yuv420p_with_the_frames_and_rate(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with VideoWriter(path, fps=24000 / 1001) as writer:
        for i in range(48):
            writer.write(gradient(321, 241, i * 5), i * 1001 / 24.0)
    assert writer.codec_name == "libx264"
    codec, count, rate, size, pix_fmt, _ = read_back(path)
    assert codec == "h264" and pix_fmt == "yuv420p"
    assert count == 48
    assert rate == pytest.approx(23.976, abs=0.01)
    assert size == (322, 242)  # odd sizes padded to even, as yuv420p needs


def test_frames_keep_their_own_uneven_times(tmp_path: Path) -> None:
    path = tmp_path / "uneven.mp4"
    times_ms = [0.0, 40.0, 70.0, 150.0, 151.0, 300.0]
    with VideoWriter(path, fps=30) as writer:
        for i, t in enumerate(times_ms):
            writer.write(gradient(64, 48, i * 30), t)
    *_, times = read_back(path)
    assert np.allclose(np.array(times) * 1000, times_ms, atol=0.1)


def test_falls_back_when_the_preferred_encoder_is_missing(tmp_path: Path) -> None:
    assert available_codec(["no-such-encoder"]) is None
    path = tmp_path / "fallback.mp4"
    with VideoWriter(path, fps=30, codecs=("no-such-encoder", "mpeg4")) as writer:
        for i in range(10):
            writer.write(gradient(64, 48, i * 20), i * 1000 / 30)
    assert writer.codec_name == "mpeg4"
    codec, count, *_ = read_back(path)
    assert codec == "mpeg4" and count == 10


def test_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"missing/out\.mp4: cannot write a video here"):
        VideoWriter(tmp_path / "missing" / "out.mp4", fps=30)
