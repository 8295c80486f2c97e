"""Reading and writing still images as RGB uint8, whatever their depth or channels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from desktop_app.errors import InputError, OutputError, reason

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jp2", ".pgm", ".ppm", ".pnm"}
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


def read_image(path: str | Path) -> np.ndarray:
    """Read a still image as RGB uint8, or raise InputError naming the file and the problem."""
    path = Path(path)
    check_readable_file(path)
    # np.fromfile + imdecode instead of imread: imread cannot open non-ASCII paths on Windows.
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise InputError(path, f"cannot read ({reason(exc)})") from None
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise InputError(path, "not an image PoseCam can read (damaged or unknown format)")
    try:
        return to_rgb8(image)
    except ValueError as exc:
        raise InputError(path, str(exc)) from None


def write_image(path: str | Path, rgb: np.ndarray) -> None:
    """Write an RGB image; the format follows the file name's suffix."""
    path = Path(path)
    ok, encoded = cv2.imencode(path.suffix or ".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OutputError(path, f"cannot encode an image as {path.suffix or '(no suffix)'}")
    try:
        encoded.tofile(str(path))
    except OSError as exc:
        raise OutputError(path, f"cannot write ({reason(exc)})") from None


def check_readable_file(path: Path) -> None:
    """Raise InputError for the common ways a named input is not there to read."""
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a folder, not a file")
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty")
