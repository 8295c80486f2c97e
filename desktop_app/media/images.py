"""Reading and writing still images as RGB uint8, whatever their depth or channels.

Pictures above `MAX_PIXELS` are refused, images and video frames alike, before they are
decoded: an image's size is read from its header, so a small file that claims to be huge
(a 1 MB PNG of 20000 x 20000 pixels) is one line, not gigabytes of memory.
"""

from __future__ import annotations

import stat
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_app.core.closeable import Closeable
from desktop_app.errors import InputError, OutputError, reason

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jp2", ".pgm", ".ppm", ".pnm"}
)


# The largest picture PoseCam reads: 50 megapixels, e.g. 8660 x 5770. 8K video (7680 x 4320)
# is 33, a phone's photo 12 to 50. Each frame is held several times over on its way through
# the pipeline (decoded, RGB, drawn, encoded), about 150 MB a copy at this size; a 200 MP
# photo would need gigabytes. Larger pictures can be scaled down first (any image editor, or
# ffmpeg -vf scale=-2:4320 for a video); pose estimation gains nothing from more pixels.
MAX_PIXELS = 50_000_000


def check_picture_size(path: str | Path, width: int, height: int, what: str = "image") -> None:
    """Raise InputError if a `width` x `height` picture is above `MAX_PIXELS`."""
    if width * height > MAX_PIXELS:
        raise InputError(
            path,
            f"{what} is {width} x {height} pixels ({width * height / 1e6:.1f} megapixels); "
            f"PoseCam reads pictures of up to {MAX_PIXELS / 1e6:.0f} megapixels, so scale it "
            "down first",
        )


def is_image_path(path: str | Path) -> bool:
    """True when the name says it is a still image."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def to_rgb8(image: np.ndarray, *, channel_order: str = "bgr") -> np.ndarray:
    """Any OpenCV-decoded image as RGB uint8 (h, w, 3).

    Grey images are repeated into three channels; 16-bit and float images are scaled to 8 bits;
    transparent pixels are laid over white, because what sits under a transparent pixel is
    often arbitrary and a person drawn on a transparent background is seen on white.
    """
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype in (np.float32, np.float64):
        image = np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ValueError(f"unsupported pixel type {image.dtype}")
    if image.ndim == 2:
        image = image[:, :, None]
    channels = image.shape[2]
    if channels == 1:
        return np.ascontiguousarray(np.repeat(image, 3, axis=2))
    if channels == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        colour = image[:, :, :3].astype(np.float32)
        image = (colour * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
        channels = 3
    if channels != 3:
        raise ValueError(f"unsupported number of channels: {channels}")
    if channel_order == "bgr":
        return cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(image[:, :, :3])


@dataclass(frozen=True)
class Upright:
    """How to turn a stored picture so that it shows as its file asks: a video's display
    matrix (phones), a photo's EXIF orientation (cameras and phones)."""

    transpose: bool
    flip_rows: bool
    flip_columns: bool

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        if self.transpose:
            rgb = rgb.transpose(1, 0, 2)
        if self.flip_rows:
            rgb = rgb[::-1]
        if self.flip_columns:
            rgb = rgb[:, ::-1]
        return np.ascontiguousarray(rgb)

    @property
    def rotation_and_mirror(self) -> tuple[int, bool]:
        """The same turn said as people say it: mirrored left to right or not, then turned
        counterclockwise by 0, 90, 180 or 270 degrees."""
        return _TURNS[self.transpose, self.flip_rows, self.flip_columns]


_TURNS = {
    (False, False, False): (0, False),
    (False, True, True): (180, False),
    (False, False, True): (0, True),
    (False, True, False): (180, True),
    (True, True, False): (90, False),
    (True, False, True): (270, False),
    (True, False, False): (90, True),
    (True, True, True): (270, True),
}


#: EXIF's orientations 2-8 (1 is upright) as the turn that puts the picture upright.
EXIF_TURNS = {
    2: Upright(transpose=False, flip_rows=False, flip_columns=True),
    3: Upright(transpose=False, flip_rows=True, flip_columns=True),
    4: Upright(transpose=False, flip_rows=True, flip_columns=False),
    5: Upright(transpose=True, flip_rows=False, flip_columns=False),
    6: Upright(transpose=True, flip_rows=False, flip_columns=True),
    7: Upright(transpose=True, flip_rows=True, flip_columns=True),
    8: Upright(transpose=True, flip_rows=True, flip_columns=False),
}


def read_image(path: str | Path) -> np.ndarray:
    """Read a still image as RGB uint8, upright, or raise InputError naming the file and the
    problem (read_upright_image)."""
    return read_upright_image(path)[0]


def read_upright_image(path: str | Path) -> tuple[np.ndarray, Upright | None]:
    """Read a still image as RGB uint8 and turn it upright as its EXIF orientation asks
    (phones and cameras store the sensor's picture and say how to turn it; every viewer does),
    with the turn made (None for none); or raise InputError naming the file and the problem."""
    path = Path(path)
    check_readable_file(path)
    # np.fromfile + imdecode instead of imread: imread cannot open non-ASCII paths on Windows.
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise InputError(path, f"cannot read ({reason(exc)})") from None
    size = image_size(data[:_HEADER_BYTES].tobytes())
    if size is not None:
        check_picture_size(path, *size)
    try:
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error:
        # OpenCV refuses some damaged files, and pictures above its own limit (a gigapixel)
        # in formats whose header `image_size` does not read.
        image = None
    if image is None:
        raise InputError(path, "not an image PoseCam can read (damaged or unknown format)")
    check_picture_size(path, image.shape[1], image.shape[0])
    try:
        rgb = to_rgb8(image)
    except ValueError as exc:
        raise InputError(path, str(exc)) from None
    # Read unchanged (depth and transparency kept), OpenCV turns a TIFF as it asks but no
    # JPEG, PNG or WebP: those are turned here. The whole file is searched: a WebP's EXIF
    # comes after its picture.
    upright = EXIF_TURNS.get(exif_orientation(data.data))
    if upright is None:
        return rgb, None
    return (rgb if _is_tiff(data.data) else upright.apply(rgb)), upright


def write_image(path: str | Path, rgb: np.ndarray) -> None:
    """Write an RGB image; the format follows the file name's suffix."""
    path = Path(path)
    ok, encoded = cv2.imencode(path.suffix or ".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OutputError(path, f"cannot encode an image as {path.suffix or '(no suffix)'}")
    try:
        # Not ndarray.tofile: on a full disk it reports "N requested and 0 written" instead
        # of the system's reason.
        with open(path, "wb") as file:
            file.write(encoded.tobytes())
    except OSError as exc:
        raise OutputError(path, f"cannot write ({reason(exc)})") from None


class ImageFileWriter(Closeable):
    """The one picture of an image input, annotated, with a video writer's interface, so a
    Recorder writes images and videos alike. Each `write` replaces the picture."""

    codec_name: str | None = None

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.frames_written = 0

    def write(self, rgb: np.ndarray, time_ms: float) -> None:
        write_image(self.path, rgb)
        self.frames_written += 1

    @property
    def bytes_written(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def sync(self) -> None:
        """Nothing to push: each picture is written whole."""

    def abandon(self) -> None:
        """Nothing to cut back: a picture is written whole or not at all."""


def check_readable_file(path: Path) -> None:
    """Raise InputError for the common ways a named input is not there to read."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as exc:
        # Inside a folder the user may not enter, say: Path.exists() raises there too.
        raise InputError(path, f"cannot be read ({reason(exc)})") from None
    if stat.S_ISDIR(status.st_mode):
        raise InputError(path, "is a folder, not a file")
    if status.st_size == 0:
        raise InputError(path, "file is empty")


# Enough of a file's start to hold the header of every format `image_size` reads (a JPEG's
# size comes after its EXIF block, which holds a thumbnail of up to 64 kB).
_HEADER_BYTES = 1 << 20


def image_size(header: bytes) -> tuple[int, int] | None:
    """(width, height) from the start of an image file, without decoding it: PNG, JPEG,
    BMP, WebP, TIFF, PNM and JPEG 2000. None for other formats, or a header that is cut off
    or does not say."""
    try:
        for reader in (_png, _jpeg, _bmp, _webp, _tiff, _pnm, _jpeg2000):
            size = reader(header)
            if size is not None:
                return size
    except (struct.error, ValueError, IndexError):
        return None
    return None


def _png(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# Start-of-frame markers, which carry a JPEG's size (C4, C8 and CC are other markers).
_JPEG_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> tuple[int, int] | None:
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 9 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            at += 2
            continue
        if marker in _JPEG_FRAME_MARKERS:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return (width, height) if height else None  # 0: given later, in a DNL marker
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    return None


def _bmp(data: bytes) -> tuple[int, int] | None:
    if data[:2] != b"BM":
        return None
    (header_size,) = struct.unpack("<I", data[14:18])
    if header_size == 12:  # OS/2 bitmap
        width, height = struct.unpack("<HH", data[18:22])
    else:
        width, height = struct.unpack("<ii", data[18:26])
    return abs(width), abs(height)  # a negative height means rows stored top down


def _webp(data: bytes) -> tuple[int, int] | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def _tiff(data: bytes) -> tuple[int, int] | None:
    found = _tiff_tags(data, (256, 257))  # ImageWidth, ImageLength
    if found is not None and 256 in found and 257 in found:
        return found[256], found[257]
    return None


#: A TIFF structure's first four bytes, and the byte order they say its numbers are in.
_TIFF_BYTE_ORDERS = {b"II*\x00": "<", b"MM\x00*": ">"}


def _tiff_tags(data: bytes | memoryview, wanted: tuple[int, ...]) -> dict[int, int] | None:
    """The `wanted` SHORT or LONG tags of a TIFF structure's first directory (a TIFF file, or
    the EXIF data of a JPEG, PNG or WebP), or None if `data` is no TIFF structure."""
    order = _TIFF_BYTE_ORDERS.get(bytes(data[:4]))
    if order is None:
        return None
    (directory,) = struct.unpack(order + "I", data[4:8])
    (entries,) = struct.unpack(order + "H", data[directory : directory + 2])
    found: dict[int, int] = {}
    for at in range(directory + 2, directory + 2 + 12 * entries, 12):
        tag, kind = struct.unpack(order + "HH", data[at : at + 4])
        if tag in wanted and kind in (3, 4):  # SHORT or LONG
            fmt = order + ("H" if kind == 3 else "I")
            found[tag] = struct.unpack(fmt, data[at + 8 : at + 8 + struct.calcsize(fmt)])[0]
    return found


_EXIF_ORIENTATION = 0x0112


def _is_tiff(data: bytes | memoryview) -> bool:
    return bytes(data[:4]) in _TIFF_BYTE_ORDERS


def exif_orientation(data: bytes | memoryview) -> int:
    """The EXIF orientation (1-8; 1 is upright) of a JPEG, PNG, WebP or TIFF file's bytes; 1
    when it says none or cannot be read."""
    try:
        exif = _exif_of(data)
        found = _tiff_tags(exif, (_EXIF_ORIENTATION,)) if exif else None
    except (struct.error, ValueError, IndexError):
        return 1
    value = (found or {}).get(_EXIF_ORIENTATION, 1)
    return value if 1 <= value <= 8 else 1


def _exif_of(data: bytes | memoryview) -> bytes | memoryview | None:
    """The EXIF data (a TIFF structure) of a JPEG, PNG, WebP or TIFF file, if any. Each walk
    steps over whole segments or chunks, so a large file costs a few reads."""
    if data[:2] == b"\xff\xd8":  # JPEG: segments up to the picture data, EXIF in APP1
        at = 2
        while at + 4 <= len(data) and data[at] == 0xFF and data[at + 1] != 0xDA:
            if data[at + 1] == 0xFF:
                at += 1  # a fill byte before a marker
                continue
            (length,) = struct.unpack(">H", data[at + 2 : at + 4])
            if data[at + 1] == 0xE1 and data[at + 4 : at + 10] == b"Exif\x00\x00":
                return data[at + 10 : at + 2 + length]
            at += 2 + length
        return None
    if data[:8] == b"\x89PNG\r\n\x1a\n":  # PNG: an eXIf chunk, before or after the picture
        at = 8
        while at + 8 <= len(data):
            length, kind = struct.unpack(">I4s", data[at : at + 8])
            if kind == b"eXIf":
                return data[at + 8 : at + 8 + length]
            at += 12 + length
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":  # WebP: an EXIF chunk, after the picture
        at = 12
        while at + 8 <= len(data):
            kind, length = struct.unpack("<4sI", data[at : at + 8])
            if kind == b"EXIF":
                exif = data[at + 8 : at + 8 + length]
                return exif[6:] if exif[:6] == b"Exif\x00\x00" else exif
            at += 8 + length + (length & 1)
        return None
    return data if _is_tiff(data) else None


def _pnm(data: bytes) -> tuple[int, int] | None:
    if data[:1] != b"P" or data[1:2] not in b"123456":
        return None
    numbers: list[int] = []
    for line in data[2:256].split(b"\n"):
        numbers += [int(word) for word in line.split(b"#")[0].split()]
        if len(numbers) >= 2:
            return numbers[0], numbers[1]
    return None


def _jpeg2000(data: bytes) -> tuple[int, int] | None:
    if data[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n":
        at = data.find(b"ihdr")
        if at < 0:
            return None
        height, width = struct.unpack(">II", data[at + 4 : at + 12])
        return width, height
    if data[:4] == b"\xff\x4f\xff\x51":  # a bare codestream: SOC, then SIZ
        grid_width, grid_height, left, top = struct.unpack(">IIII", data[8:24])
        return grid_width - left, grid_height - top
    return None
