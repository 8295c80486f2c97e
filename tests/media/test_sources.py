from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_app.errors import InputError
from desktop_app.media.sources import (
    ImageSource,
    PacedSource,
    VideoFileSource,
    open_source,
)


def test_video_file_frames_times_and_rate(short_clip: Path) -> None:
    with VideoFileSource(short_clip) as source:
        assert source.fps == pytest.approx(30.0)
        assert source.size == (640, 480)
        assert source.frame_count == 30
        frames = list(source)
    assert [f.index for f in frames] == list(range(30))
    assert np.allclose([f.time_ms for f in frames], np.arange(30) * 1000 / 30, atol=0.5)
    assert frames[0].rgb.shape == (480, 640, 3) and frames[0].rgb.dtype == np.uint8
    assert frames[0].rgb.flags.c_contiguous


def test_paced_source_releases_frames_at_the_file_rate(short_clip: Path) -> None:
    # A fake clock makes the pacing exact and instant to test.
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    released = []
    with PacedSource(VideoFileSource(short_clip), clock=lambda: now[0], sleep=sleep) as paced:
        assert paced.is_live
        for frame in paced:
            released.append(now[0] - 100.0)
            assert frame.index == len(released) - 1
    assert np.allclose(released, np.arange(30) / 30.0, atol=1e-3)
    assert sum(waits) == pytest.approx(29 / 30.0, abs=1e-3)


def test_open_source_picks_the_kind(short_clip: Path, tmp_path: Path) -> None:
    image = tmp_path / "still.png"
    cv2.imwrite(str(image), np.zeros((10, 12, 3), np.uint8))
    with open_source(str(short_clip)) as source:
        assert isinstance(source, VideoFileSource)
    with open_source(image) as source:
        assert isinstance(source, ImageSource) and source.size == (12, 10)
    with pytest.raises(InputError, match="no such file"):
        open_source(tmp_path / "missing.mp4")


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("alpha", lambda: np.dstack([np.full((40, 30, 3), 200, np.uint8),
                                     np.full((40, 30), 128, np.uint8)])),
        ("16bit", lambda: np.full((40, 30, 3), 40000, np.uint16)),
        ("grey", lambda: np.full((40, 30), 90, np.uint8)),
    ],
)  # fmt: skip
def test_images_of_any_depth_become_rgb8(kind: str, make, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.png"
    cv2.imwrite(str(path), make())
    (frame,) = list(ImageSource(path))
    assert frame.rgb.shape == (40, 30, 3) and frame.rgb.dtype == np.uint8
    expected = {"alpha": 228, "16bit": 40000 >> 8, "grey": 90}[kind]
    assert abs(int(frame.rgb[0, 0, 0]) - expected) <= 1


def test_avi_with_b_frames_gets_evenly_spaced_times(astronaut: np.ndarray, tmp_path: Path) -> None:
    # AVI keeps no presentation times; FFmpeg's guesses come out of order with B-frames.
    import av

    path = tmp_path / "clip.avi"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"bf": "2"})
        stream.width, stream.height, stream.pix_fmt = 256, 256, "yuv420p"
        small = np.ascontiguousarray(astronaut[::2, ::2])
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.roll(small, 5 * i, axis=1), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with VideoFileSource(path) as source:
        times = [f.time_ms for f in source]
    assert np.allclose(times, np.arange(20) * 40.0)
