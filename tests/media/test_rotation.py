"""Phone videos: the picture is stored as the sensor reads it and the file says how to turn it
for display. Frames come out upright, at the upright size. Clips are real, written here with
the display matrix a phone writes."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from desktop_app.media.sources import VideoFileSource, open_source


def _clip(
    path: Path, stored: np.ndarray, degrees: int, hflip: bool = False, frames: int = 5
) -> Path:
    """A clip of the `stored` picture whose display matrix turns it `degrees` counterclockwise
    (then mirrors it, with `hflip`), as `ffmpeg -display_rotation` writes it."""
    height, width = stored.shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30, options={"crf": "12"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.set_display_rotation(degrees, hflip=hflip)
        for _ in range(frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(stored, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def upright() -> np.ndarray:
    """A portrait photo of a person (scikit-image's astronaut, cropped to 192 x 128)."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[::2, ::2][32:224, 64:192])


# How a phone held each way stores the upright picture, and the counterclockwise turn its
# display matrix asks for to show it upright again.
PHONE_HOLDS = {
    "portrait": (lambda up: np.rot90(up, -1), 90),
    "portrait upside down": (lambda up: np.rot90(up, 1), 270),
    "landscape upside down": (lambda up: np.rot90(up, 2), 180),
}


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
@pytest.mark.parametrize("hold", list(PHONE_HOLDS))
def test_a_phone_video_comes_out_upright(
    hold: str, suffix: str, upright: np.ndarray, tmp_path: Path
) -> None:
    store, degrees = PHONE_HOLDS[hold]
    stored = np.ascontiguousarray(store(upright))
    path = _clip(tmp_path / f"phone{suffix}", stored, degrees)
    with av.open(str(path)) as container:
        # The file really is stored turned, and says so.
        first = next(container.decode(video=0))
        assert (first.width, first.height) == (stored.shape[1], stored.shape[0])
        assert first.rotation % 360 == degrees
    with VideoFileSource(path) as source:
        assert source.size == (upright.shape[1], upright.shape[0])
        assert (source.rotation, source.mirrored) == (degrees, False)
        frames = list(source)
    assert len(frames) == 5
    for frame in frames:
        assert frame.rgb.shape == upright.shape and frame.rgb.flags.c_contiguous
        error = np.abs(frame.rgb.astype(int) - upright.astype(int)).mean()
        assert error < 4.0, f"not upright: mean difference {error:.1f} grey levels"


def test_a_mirrored_display_matrix_is_mirrored_too(upright: np.ndarray, tmp_path: Path) -> None:
    # A front camera may store a mirror image; the matrix then mirrors it back.
    path = _clip(tmp_path / "selfie.mp4", np.ascontiguousarray(upright[:, ::-1]), 0, hflip=True)
    with VideoFileSource(path) as source:
        assert (source.rotation, source.mirrored) == (0, True)
        rgb = next(iter(source)).rgb
    assert np.abs(rgb.astype(int) - upright.astype(int)).mean() < 4.0


def test_a_video_without_a_turn_is_left_alone(upright: np.ndarray, tmp_path: Path) -> None:
    path = _clip(tmp_path / "plain.mp4", upright, 0)
    with open_source(path) as source:
        assert (source.rotation, source.mirrored) == (0, False)
        assert source.size == (upright.shape[1], upright.shape[0])
        rgb = next(iter(source)).rgb
    assert np.abs(rgb.astype(int) - upright.astype(int)).mean() < 4.0


def _photo(path: Path, stored: np.ndarray, orientation: int) -> Path:
    """`stored` written as a photo whose EXIF says to show it turned by `orientation` (1-8)."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(stored).save(
        path, exif=exif.tobytes(), **({"quality": 95} if path.suffix == ".jpg" else {})
    )
    return path


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_photo_comes_out_as_its_exif_orientation_turns_it(
    orientation: int, suffix: str, upright: np.ndarray, tmp_path: Path
) -> None:
    # Every viewer turns a photo as its EXIF orientation says; PoseCam showed phone photos
    # sideways (OpenCV reads pictures unchanged, which keeps depth and transparency but skips
    # the turn). Pillow's exif_transpose is the independent judge of what "turned" means.
    from PIL import Image, ImageOps

    path = _photo(tmp_path / f"photo{suffix}", upright, orientation)
    with Image.open(path) as image:
        expected = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    with open_source(path) as source:
        rgb = next(iter(source)).rgb
        assert source.size == (expected.shape[1], expected.shape[0])
        turned = (source.rotation, source.mirrored) != (0, False)
    assert rgb.shape == expected.shape
    assert np.abs(rgb.astype(int) - expected.astype(int)).max() <= 1
    assert turned == (orientation != 1)


def test_a_portrait_phone_photo_shows_the_person_upright(
    upright: np.ndarray, tmp_path: Path
) -> None:
    # A phone held upright stores the sensor's landscape picture and tags it 6: turn 90 degrees
    # clockwise to show.
    path = _photo(tmp_path / "phone.png", np.ascontiguousarray(np.rot90(upright, 1)), 6)
    with open_source(path) as source:
        assert (source.rotation, source.mirrored) == (270, False)
        rgb = next(iter(source)).rgb
    assert np.array_equal(rgb, upright)


def test_a_large_webp_photo_is_turned_too(tmp_path: Path) -> None:
    # A WebP's EXIF comes after its picture: in a photo of a few megabytes, far past the
    # header PoseCam reads for the size.
    from PIL import Image, ImageOps

    noise = np.random.default_rng(0).integers(0, 256, (900, 1200, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "large.webp"
    Image.fromarray(noise).save(path, exif=exif.tobytes(), lossless=True)
    assert path.stat().st_size > 2 << 20
    with Image.open(path) as image:
        expected = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    with open_source(path) as source:
        assert (source.rotation, source.mirrored) == (270, False)
        assert np.array_equal(next(iter(source)).rgb, expected)
