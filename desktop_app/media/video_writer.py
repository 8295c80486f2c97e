"""Writing annotated video: H.264 in MP4 through PyAV, with a fallback encoder.

H.264 in yuv420p plays in browsers and in the default players of Windows and Linux. OpenCV's
wheel cannot write it; PyAV's wheel carries libx264. Where libx264 is missing (some
distribution builds of FFmpeg leave it out) the writer falls back to MPEG-4 Part 2, which
desktop players show but browsers do not; `codec_name` says which one was used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, cast

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


def partial_path(path: str | Path) -> Path:
    """Where a file to be written to `path` is made first: `clip.mp4` -> `clip.partial.mp4`
    beside it (the same folder, so that moving it into place is one atomic rename; the suffix
    kept, so that a run stopped part way leaves a file that players and readers still open).
    """
    path = Path(path)
    return path.with_name(f"{path.stem}.partial{path.suffix}")


def move_into_place(partial: Path, path: Path) -> None:
    """Replace `path` by the finished `partial` file in one step, so that `path` holds either
    what it held before or the whole new file, never a part of it."""
    try:
        os.replace(partial, path)
    except OSError as exc:
        raise OutputError(path, f"cannot move {partial.name} into place ({reason(exc)})") from None


#: The video files PoseCam writes, by suffix, and FFmpeg's name for each container.
CONTAINERS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"}
#: Suffixes an annotated video or a recording may have.
VIDEO_OUTPUT_SUFFIXES = tuple(CONTAINERS)


def _container_format(path: Path) -> str:
    return CONTAINERS.get(path.suffix.lower(), "mp4")


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
        crash_safe: bool = False,
        threads: int = 1,
    ) -> None:
        self.path = Path(path)
        self.crash_safe = crash_safe
        self._threads = threads
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
        self._file: BinaryIO | None = None
        # Bytes of the file that end on a complete fragment (crash-safe files only).
        self._complete_bytes = 0
        try:
            # FFmpeg only touches the file when the first frame arrives; create it now so
            # that a folder that cannot be written is reported before any work is done.
            if crash_safe:
                # Fragmented MP4: a header with no index up front, then self-contained
                # fragments, each starting at a keyframe. A file cut off at any point (a
                # killed process, a power cut) plays up to its last complete fragment.
                self._file = open(self.path, "wb")  # noqa: SIM115 (closed in close())
                container_format = _container_format(self.path)
                # Matroska is cut-off-safe as it is; MP4 and MOV need fragments.
                # flush_packets: each finished fragment goes straight to the file, so the file
                # always ends on a fragment boundary, which abandon() can return to.
                options = {"flush_packets": "1"}
                if container_format != "matroska":
                    options["movflags"] = "frag_keyframe+empty_moov+default_base_moof"
                self._container = av.open(
                    self._file, mode="w", format=container_format, options=options
                )
            else:
                with open(self.path, "wb"):
                    pass
                self._container = av.open(str(self.path), mode="w")
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            if self._file is not None:
                self._file.close()
            raise OutputError(self.path, f"cannot write a video here ({reason(exc)})") from None

    def _open_stream(self, container: OutputContainer, width: int, height: int) -> VideoStream:
        rate = Fraction(self.fps).limit_denominator(1001)
        stream = cast(VideoStream, container.add_stream(self.codec_name, rate=rate))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = self._time_base
        stream.codec_context.time_base = self._time_base
        # One encoding thread by default: the encoder then keeps to its own core instead of
        # competing with the pose model for both (measured: about 8 % more frames per second
        # for `posecam annotate` on 2 cores; see docs/performance.md). 0 lets FFmpeg choose.
        stream.codec_context.thread_count = self._threads
        if self.crash_safe:
            # A keyframe, hence a fragment, every half second, and no B-frames (they hold
            # frames back in the encoder): a cut-off file loses at most about a second.
            stream.codec_context.gop_size = max(1, round(self.fps / 2))
            stream.codec_context.max_b_frames = 0
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
                if self._file is not None and packet.is_keyframe:
                    # A keyframe starts a fragment: the one before it is now in the file.
                    self._file.flush()
                    self._complete_bytes = self._file.tell()
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(self.path, f"cannot write video ({reason(exc)})") from None
        self.frames_written += 1

    def sync(self) -> None:
        """Push what has been written to the disk itself (crash-safe files only), so that a
        power cut loses no more than what came after."""
        if self._file is not None and not self._file.closed:
            try:
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as exc:
                raise OutputError(self.path, f"cannot write video ({reason(exc)})") from None

    def abandon(self) -> None:
        """After a failed write (a full disk): close without finishing, and cut the file back
        to its last complete fragment, so that what was written plays cleanly."""
        container, self._container = self._container, None
        file, self._file = self._file, None
        # The disk is full or gone: closing may fail too; what is on it is what we keep.
        for step in (container.close if container else None, file.close if file else None):
            if step is not None:
                with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
                    step()
        if file is not None:
            with contextlib.suppress(OSError):
                if self.path.stat().st_size > self._complete_bytes:
                    os.truncate(self.path, self._complete_bytes)

    @property
    def bytes_written(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

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
            try:
                container.close()
            finally:
                if self._file is not None:
                    self._file.close()
