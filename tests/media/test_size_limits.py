"""Pictures too large to hold are refused in one line before they are decoded: images by the
size in their header, videos by the size their stream declares. Every file is real, made here
(the huge ones compress to almost nothing)."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_app.errors import InputError
from desktop_app.media.images import MAX_PIXELS, check_picture_size, image_size, read_image
from desktop_app.media.sources import ImageSource, VideoFileSource
from tests.test_annotate_cli import assert_one_line_error, run


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _blank_png(path: Path, width: int, height: int) -> Path:
    """A valid black-and-white PNG of any size, compressed a row at a time (a 20000 x 20000
    one is 50 kB)."""
    row = b"\x00" + bytes((width + 7) // 8)  # filter byte, then 1 bit a pixel
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize(
    "suffix", [".png", ".jpg", ".bmp", ".tif", ".webp", ".ppm", ".pgm", ".jp2"]
)
def test_the_header_reader_agrees_with_the_encoders(suffix: str) -> None:
    picture = np.zeros((37, 53, 3), np.uint8)
    picture[5:20, 5:30] = 200
    ok, encoded = cv2.imencode(suffix, picture[:, :, 0] if suffix == ".pgm" else picture)
    assert ok
    assert image_size(encoded.tobytes()) == (53, 37)


def test_a_lossless_webp_header_is_read_too() -> None:
    ok, encoded = cv2.imencode(
        ".webp", np.zeros((37, 53, 3), np.uint8), [cv2.IMWRITE_WEBP_QUALITY, 101]
    )
    assert ok and encoded.tobytes()[12:16] == b"VP8L"
    assert image_size(encoded.tobytes()) == (53, 37)


def test_a_png_header_claiming_40000_square_is_one_line(tmp_path: Path) -> None:
    # Only the header: the decoder would fail or try to allocate 4.8 GB.
    path = tmp_path / "claims.png"
    header = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IEND", b""))
    with pytest.raises(InputError) as caught:
        ImageSource(path)
    message = str(caught.value)
    assert "claims.png" in message and "40000 x 40000" in message
    assert "1600.0 megapixels" in message and f"{MAX_PIXELS // 10**6} megapixels" in message


def test_a_jpeg_header_claiming_40000_square_is_one_line(tmp_path: Path) -> None:
    _, encoded = cv2.imencode(".jpg", np.full((48, 64, 3), 128, np.uint8))
    data = bytearray(encoded.tobytes())
    frame = data.index(b"\xff\xc0")  # baseline start of frame: length, precision, height, width
    data[frame + 5 : frame + 9] = struct.pack(">HH", 40000, 40000)
    path = tmp_path / "claims.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"claims\.jpg: image is 40000 x 40000 pixels"):
        read_image(path)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc")
def test_a_real_20000_square_png_is_refused_without_decoding_it(tmp_path: Path) -> None:
    path = _blank_png(tmp_path / "huge.png", 20000, 20000)
    assert path.stat().st_size < 1_000_000
    # Decoding it takes 400 MB as grey, 1.2 GB as RGB; refusing it takes nothing. A fresh
    # interpreter, so that its peak memory (VmHWM: getrusage's would include this
    # process's, inherited across fork) is this read's alone.
    script = (
        "import re, sys\n"
        "from desktop_app.errors import InputError\n"
        "from desktop_app.media.sources import open_source\n"
        "try:\n"
        "    open_source(sys.argv[1])\n"
        "except InputError as exc:\n"
        "    print(exc)\n"
        "status = open('/proc/self/status').read()\n"
        "print(re.search(r'VmHWM:\\s*(\\d+) kB', status).group(1))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    message, peak_kb = done.stdout.splitlines()
    assert "huge.png: image is 20000 x 20000 pixels (400.0 megapixels)" in message
    peak_mb = int(peak_kb) / 1024
    assert peak_mb < 400, f"peak {peak_mb:.0f} MB: the image was decoded"


def test_the_limit_itself_is_allowed() -> None:
    check_picture_size("edge.png", 7072, 7070)  # 49.999 megapixels
    with pytest.raises(InputError, match="7072 x 7071"):
        check_picture_size("edge.png", 7072, 7071)


def _video(path: Path, width: int, height: int) -> Path:
    """One black frame of `width` x `height` in H.264, written by a separate interpreter so
    that the encoder's few hundred MB are not left in this one."""
    script = (
        "import sys, av\n"
        "path, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])\n"
        "with av.open(path, 'w') as out:\n"
        "    options = {'preset': 'ultrafast', 'threads': '1', 'rc-lookahead': '0'}\n"
        "    stream = out.add_stream('libx264', rate=30, options=options)\n"
        "    stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'\n"
        "    frame = av.VideoFrame(width, height, 'yuv420p')\n"
        "    for plane in frame.planes:\n"
        "        plane.update(bytes(plane.buffer_size))\n"
        "    for packet in [*stream.encode(frame), *stream.encode()]:\n"
        "        out.mux(packet)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path), str(width), str(height)], check=True)
    return path


def test_a_video_above_the_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    # 8704 x 5760 = 50.1 MP; 8K (7680 x 4320, 33 MP) is read.
    path = _video(tmp_path / "16k.mp4", 8704, 5760)
    with pytest.raises(InputError) as caught:
        VideoFileSource(path)
    message = str(caught.value)
    assert "16k.mp4: video is 8704 x 5760 pixels (50.1 megapixels)" in message
    assert "up to 50 megapixels" in message


def test_annotate_refuses_a_huge_image_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _blank_png(tmp_path / "poster.png", 12000, 9000)
    code, _, err = run(capsys, path, "-o", tmp_path / "out.png")
    assert code == 2
    assert_one_line_error(err, "poster.png", "12000 x 9000", "108.0 megapixels", "up to 50")
    assert not (tmp_path / "out.png").exists()
