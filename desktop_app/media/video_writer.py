"""Writing annotated video: H.264 in MP4 through PyAV, with a fallback encoder.

H.264 in yuv420p plays in browsers and in the default players of Windows and Linux. OpenCV's
wheel cannot write it; PyAV's wheel carries libx264. Where libx264 is missing (some
distribution builds of FFmpeg leave it out) the writer falls back to MPEG-4 Part 2, which
desktop players show but browsers do not; `codec_name` says which one was used.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np
from av.container import OutputContainer
from av.video.stream import VideoStream

from desktop_app.core.closeable import Closeable
from desktop_app.errors import OutputError, reason

DEFAULT_CODECS = ("libx264", "mpeg4")
# Presentation times are stored in 1/90000 s, the usual MPEG clock: fine enough to keep any
# camera's real timing. MPEG-4 Part 2 allows no clock above 65535 ticks a second, so it gets ms.
_TIME_BASES = {"libx264": Fraction(1, 90000)}
_FALLBACK_TIME_BASE = Fraction(1, 1000)


def available_codec(names: Sequence[str]) -> str | None:
    """The first of `names` that this PyAV build can encode with."""
    for name in names:
        try:
            av.codec.Codec(name, "w")
        except (av.error.FFmpegError, ValueError, av.codec.codec.UnknownCodecError):
            continue
        return name
    return None


def even_size(rgb: np.ndarray) -> np.ndarray:
    """Pad an odd width or height by one repeated edge pixel: yuv420p needs even sizes."""
    height, width = rgb.shape[:2]
    pad_bottom, pad_right = height % 2, width % 2
    if not (pad_bottom or pad_right):
        return rgb
    return np.pad(rgb, ((0, pad_bottom), (0, pad_right), (0, 0)), mode="edge")


class VideoWriter(Closeable):
    """An MP4 (or MKV/MOV, by suffix) of RGB frames, each placed at its own time.

    `fps` is the nominal rate written into the file; each frame's presentation time comes from
    the `time_ms` it is written with, so uneven or dropped frames still play at real speed.
    The file is finalised by `close()` (also on leaving a `with` block, error or not).
    """

    def __init__(
        self,
        path: str | Path,
        fps: float,
        codecs: Sequence[str] = DEFAULT_CODECS,
        preset: str = "veryfast",
        crf: int = 20,
    ) -> None:
        self.path = Path(path)
        self.fps = fps if fps and fps > 0 else 30.0
        codec = available_codec(codecs)
        if codec is None:
            raise OutputError(self.path, f"no video encoder available (tried {', '.join(codecs)})")
        self.codec_name = codec
        self._preset = preset
        self._crf = crf
        self._time_base = _TIME_BASES.get(codec, _FALLBACK_TIME_BASE)
        self._stream: VideoStream | None = None
        self._container: OutputContainer | None = None
        self._last_pts = -1
        self.frames_written = 0
        self.size: tuple[int, int] | None = None
        try:
            # FFmpeg only touches the file when the first frame arrives; create it now so
            # that a folder that cannot be written is reported before any work is done.
            with open(self.path, "wb"):
                pass
            self._container = av.open(str(self.path), mode="w")
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise OutputError(self.path, f"cannot write a video here ({reason(exc)})") from None

    def _open_stream(self, container: OutputContainer, width: int, height: int) -> VideoStream:
        rate = Fraction(self.fps).limit_denominator(1001)
        stream = cast(VideoStream, container.add_stream(self.codec_name, rate=rate))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = self._time_base
        stream.codec_context.time_base = self._time_base
        if self.codec_name == "libx264":
            stream.options = {"preset": self._preset, "crf": str(self._crf)}
        else:
            # MPEG-4 Part 2 has no CRF: about 0.25 bit per pixel keeps skeleton lines crisp.
            stream.codec_context.bit_rate = int(width * height * self.fps * 0.25)
        self.size = (width, height)
        return stream

    def write(self, rgb: np.ndarray, time_ms: float) -> None:
        """Add one RGB uint8 frame shown at `time_ms` from the start."""
        rgb = even_size(rgb)
        if self._container is None:
            raise ValueError(f"{self.path} is already closed")
        if self._stream is None:
            self._stream = self._open_stream(self._container, rgb.shape[1], rgb.shape[0])
        elif (rgb.shape[1], rgb.shape[0]) != self.size:
            raise ValueError(f"frame size changed from {self.size} to {rgb.shape[1::-1]}")
        pts = round(time_ms / 1000.0 / self._time_base)
        # Containers need strictly increasing times; a repeated clock reading moves on a tick.
        pts = max(pts, self._last_pts + 1)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = pts
        frame.time_base = self._time_base
        self._last_pts = pts
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(self.path, f"cannot write video ({reason(exc)})") from None
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and finalise the file so it plays. Safe to call twice."""
        if self._container is None:
            return
        container, self._container = self._container, None
        try:
            if self._stream is not None:
                for packet in self._stream.encode(None):
                    container.mux(packet)
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(self.path, f"cannot finish the video ({reason(exc)})") from None
        finally:
            container.close()
