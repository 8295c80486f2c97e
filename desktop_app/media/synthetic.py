"""A real photo moved over a plain canvas along a known path (a sideways sweep and a slow zoom):
the clip `posecam sample-clip` writes, for trying PoseCam without a camera or footage.

Optional sensor-like noise (Gaussian grey-level noise and JPEG re-encoding) makes the frames
behave like a camera's. The tests and benchmarks build their clips here too; the ground truth
they measure against (each frame's transform is known) is in testsupport/, outside the package.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_app.core.frame import Frame
from desktop_app.core.skeleton import SEEN_VISIBILITY
from desktop_app.media.images import read_image
from desktop_app.resources import resource_path


def sample_photo_path() -> Path:
    """matplotlib's photo of Grace Hopper (public domain), installed with PoseCam's dependencies;
    the packaged app, which leaves matplotlib out, carries the photo among its resources."""
    bundled = resource_path("sample", "grace_hopper.jpg")
    if bundled.exists():
        return bundled
    import matplotlib.cbook

    return Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def sample_photo() -> np.ndarray:
    """The sample photo as RGB uint8."""
    return read_image(sample_photo_path())


@dataclass(frozen=True)
class KnownMotion:
    """A photo's path across a canvas: where it is, and how large, at each moment."""

    photo_size: tuple[int, int]
    canvas_size: tuple[int, int]
    fps: float = 30.0
    seconds: float = 3.0
    #: Largest sideways offset of the photo's centre from the canvas centre, in canvas pixels.
    sweep_px: float = 80.0
    #: One full left-right-left sweep takes this long, in seconds.
    sweep_period_s: float = 3.0
    #: Photo scale at the start and at the end (linear in between).
    zoom_start: float = 1.0
    zoom_end: float = 1.15

    @property
    def frame_count(self) -> int:
        return round(self.seconds * self.fps)

    def time_ms(self, index: int) -> float:
        return index * 1000.0 / self.fps

    def matrix(self, index: int) -> np.ndarray:
        """The 2x3 affine transform from photo pixels to canvas pixels at frame `index`."""
        t = index / self.fps
        progress = t / self.seconds if self.seconds > 0 else 0.0
        scale = self.zoom_start + (self.zoom_end - self.zoom_start) * progress
        offset_x = self.sweep_px * math.sin(2.0 * math.pi * t / self.sweep_period_s)
        photo_w, photo_h = self.photo_size
        canvas_w, canvas_h = self.canvas_size
        tx = canvas_w / 2.0 + offset_x - scale * photo_w / 2.0
        ty = canvas_h / 2.0 - scale * photo_h / 2.0
        return np.array([[scale, 0.0, tx], [0.0, scale, ty]], dtype=np.float64)


# Used only by tests and benchmarks: it belongs in testsupport/ground_truth.py, and moves there
# once benchmarks/trust_data.py imports it from there.
def body_sweep(
    photo_width: int, photo_height: int, landmarks_px: np.ndarray, seconds: float, fps: float = 30.0
) -> KnownMotion:
    """A sideways sweep of about one body width per second with a slow zoom (0.9 to 1.0),
    for a photo whose person has `landmarks_px` (33, 4). The canvas is as tall as the photo
    and wider, so the person is never cut at the photo's edges."""
    seen = landmarks_px[:, 3] >= SEEN_VISIBILITY
    body_width = float(np.ptp(landmarks_px[seen, 0])) if seen.any() else photo_width / 3.0
    return KnownMotion(
        photo_size=(photo_width, photo_height),
        canvas_size=(int(photo_width * 1.6) // 2 * 2, photo_height // 2 * 2),
        fps=fps,
        seconds=seconds,
        # Peak speed of a sine sweep is 2 pi amplitude / period: one body width per second.
        sweep_px=min(0.3 * photo_width, body_width * 3.0 / (2 * math.pi)),
        sweep_period_s=3.0,
        zoom_start=0.9,
        zoom_end=1.0,
    )


def background_colour(photo: np.ndarray) -> tuple[int, int, int]:
    """The median colour of the photo's border, so the canvas looks like its surroundings."""
    border = np.concatenate([photo[0], photo[-1], photo[:, 0], photo[:, -1]])
    r, g, b = np.median(border, axis=0)
    return int(r), int(g), int(b)


def add_sensor_noise(
    rgb: np.ndarray, rng: np.random.Generator, noise_grey_levels: float, jpeg_quality: int | None
) -> np.ndarray:
    """Gaussian noise of `noise_grey_levels` standard deviation, then JPEG re-encoding."""
    noisy = rgb.astype(np.float32) + rng.normal(0.0, noise_grey_levels, rgb.shape)
    out: np.ndarray = np.clip(noisy + 0.5, 0, 255).astype(np.uint8)
    if jpeg_quality is not None:
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        decoded = cv2.imdecode(data, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            # Colour order does not matter for a round trip through the same codec.
            out = decoded
    return out


def known_motion_frames(
    photo: np.ndarray,
    motion: KnownMotion,
    noise_grey_levels: float = 0.0,
    jpeg_quality: int | None = None,
    seed: int = 0,
) -> Iterator[Frame]:
    """The frames of `motion` applied to `photo` (RGB), optionally with sensor-like noise."""
    rng = np.random.default_rng(seed)
    fill = background_colour(photo)
    for i in range(motion.frame_count):
        rgb = cv2.warpAffine(
            photo,
            motion.matrix(i),
            motion.canvas_size,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=fill,
        )
        if noise_grey_levels > 0 or jpeg_quality is not None:
            rgb = add_sensor_noise(rgb, rng, noise_grey_levels, jpeg_quality)
        yield Frame(rgb=rgb, time_ms=motion.time_ms(i), index=i)


def write_sample_clip(path: str | Path, seconds: float = 4.0, fps: float = 30.0) -> int:
    """Write a short H.264 clip of the sample photo moving; returns the number of frames."""
    from desktop_app.media.video_writer import VideoWriter

    photo = sample_photo()
    motion = KnownMotion(
        photo_size=(photo.shape[1], photo.shape[0]),
        canvas_size=(960, 720),
        fps=fps,
        seconds=seconds,
        sweep_px=160.0,
        sweep_period_s=seconds,
    )
    with VideoWriter(path, fps) as writer:
        for frame in known_motion_frames(photo, motion, noise_grey_levels=2.0):
            writer.write(frame.rgb, frame.time_ms)
        return writer.frames_written
