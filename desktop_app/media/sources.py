"""Frame sources: a camera, a video file, a still image, a network stream, and a video file
paced like a live camera.

Every source yields `Frame`s (RGB uint8, time in milliseconds from the source's start, index)
and is closed explicitly or used as a context manager.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2

from desktop_app.core.closeable import Closeable
from desktop_app.core.frame import Frame
from desktop_app.errors import InputError, reason
from desktop_app.media.images import check_readable_file, is_image_path, read_image

# How far short of its declared length a file may end before we call it cut off. Containers'
# declared frame counts are estimates, so a small shortfall is normal.
_TRUNCATION_SLACK_FRAMES = 2


class FrameSource(Closeable):
    """Base of all sources: iterate for frames; `close()` releases the file or device."""

    #: What to call the source in messages: a file name, "camera 0", a URL.
    name: str = ""
    #: Nominal frames per second; None if the source does not say.
    fps: float | None = None
    #: (width, height) in pixels; None until known.
    size: tuple[int, int] | None = None
    #: How many frames a file holds, if the container says; None for live sources.
    frame_count: int | None = None
    #: True for cameras and streams, which produce frames in real time.
    is_live: bool = False

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class VideoFileSource(FrameSource):
    """A video file decoded with PyAV (FFmpeg) straight to RGB.

    Times come from the file's own presentation timestamps, so variable-frame-rate files
    keep their real timing. If the file breaks part way, iteration raises `InputError`
    with `frames_read` set, after yielding every frame before the break.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        check_readable_file(self.path)
        try:
            self._container = av.open(str(self.path), mode="r")
        except av.error.FFmpegError as exc:
            raise InputError(
                self.path, f"not a video PoseCam can read ({_ffmpeg_reason(exc)})"
            ) from None
        if not self._container.streams.video:
            self._container.close()
            raise InputError(self.path, "has no video stream")
        self._stream = self._container.streams.video[0]
        # Let FFmpeg decode on several threads; decoding is a large share of a frame's cost.
        self._stream.thread_type = "AUTO"
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.fps = float(rate) if rate else None
        self.size = (self._stream.codec_context.width, self._stream.codec_context.height)
        self.frame_count = self._declared_frame_count()
        # AVI stores no presentation times; FFmpeg's guesses come out scrambled when the
        # video has B-frames. AVI is constant-rate by design, so frame times follow the rate.
        self._times_from_rate = "avi" in self._container.format.name.split(",")

    def _declared_frame_count(self) -> int | None:
        if self._stream.frames:
            return int(self._stream.frames)
        if self._stream.duration and self._stream.time_base and self.fps:
            seconds = float(self._stream.duration * self._stream.time_base)
            return round(seconds * self.fps)
        return None

    def __iter__(self) -> Iterator[Frame]:
        start_pts: int | None = None
        time_base: Fraction = self._stream.time_base or Fraction(1, 1000)
        index = 0
        last_time_ms = 0.0
        frame_ms = 1000.0 / self.fps if self.fps else 1000.0 / 30.0
        for av_frame, error in self._decoded_frames():
            if error is not None:
                what = "file ends early (cut short?)" if error == "end of file" else error
                raise InputError(
                    self.path,
                    f"video is damaged: stopped at frame {index} ({what})",
                    frames_read=index,
                )
            assert av_frame is not None
            pts = av_frame.pts
            if pts is None or self._times_from_rate:
                time_ms = index * frame_ms
            else:
                if start_pts is None:
                    start_pts = pts
                time_ms = float((pts - start_pts) * time_base) * 1000.0
            if index and time_ms <= last_time_ms:
                # A damaged or odd file can repeat or reorder times; keep time moving forward.
                time_ms = last_time_ms + frame_ms
            last_time_ms = time_ms
            yield Frame(rgb=av_frame.to_ndarray(format="rgb24"), time_ms=time_ms, index=index)
            index += 1
        expected = self.frame_count
        if expected is not None and index < expected - _TRUNCATION_SLACK_FRAMES:
            raise InputError(
                self.path,
                f"video ends early: stopped at frame {index} of {expected} (file cut short?)",
                frames_read=index,
            )

    def _decoded_frames(self) -> Iterator[tuple[av.VideoFrame | None, str | None]]:
        """Decoded frames, then (None, reason) if the file breaks.

        Packets are decoded one by one so that a broken packet still lets the frames the
        decoder already holds (it keeps a few while decoding on several threads) come out.
        """
        stream = self._stream
        error: str | None = None
        try:
            # demux() ends with an empty packet that flushes the decoder on a clean end.
            for packet in self._container.demux(stream):
                try:
                    yield from ((f, None) for f in stream.decode(packet))
                except av.error.FFmpegError as exc:
                    error = _ffmpeg_reason(exc)
                    break
        except av.error.FFmpegError as exc:
            error = _ffmpeg_reason(exc)
        if error is not None:
            # Broken part way: flush by hand to get the frames the decoder was holding.
            with contextlib.suppress(av.error.FFmpegError):
                yield from ((f, None) for f in stream.decode(None))
        if error is not None:
            yield None, error

    def close(self) -> None:
        self._container.close()


class ImageSource(FrameSource):
    """A still image as a single frame at time 0."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self._rgb = read_image(self.path)
        self.size = (int(self._rgb.shape[1]), int(self._rgb.shape[0]))
        self.frame_count = 1

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(rgb=self._rgb, time_ms=0.0, index=0)


def camera_backend() -> int:
    """OpenCV's capture backend that works best for webcams on this operating system."""
    if sys.platform.startswith("win"):
        return cv2.CAP_MSMF
    if sys.platform == "darwin":
        return cv2.CAP_AVFOUNDATION
    return cv2.CAP_V4L2


class _OpenCvCaptureSource(FrameSource):
    """Shared reading loop of cameras and streams: frames are timed by the clock on arrival."""

    is_live = True

    def __init__(self, capture: cv2.VideoCapture, name: str) -> None:
        self._capture = capture
        self.name = name
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and fps > 0 else None
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.size = (width, height) if width and height else None

    def __iter__(self) -> Iterator[Frame]:
        started = time.monotonic()
        index = 0
        while True:
            ok, bgr = self._capture.read()
            captured = time.monotonic()
            if not ok or bgr is None:
                if index == 0:
                    raise InputError(self.name, "gives no pictures (busy, or not a camera?)")
                raise InputError(
                    self.name, f"stopped sending pictures after frame {index}", frames_read=index
                )
            yield Frame(
                rgb=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB),
                time_ms=(captured - started) * 1000.0,
                index=index,
            )
            index += 1

    def close(self) -> None:
        self._capture.release()


class CameraSource(_OpenCvCaptureSource):
    """A webcam by OpenCV index, with an optional requested size and frame rate."""

    def __init__(
        self,
        index: int,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        backend: int | None = None,
    ) -> None:
        capture = cv2.VideoCapture(index, camera_backend() if backend is None else backend)
        name = f"camera {index}"
        if not capture.isOpened():
            capture.release()
            raise InputError(name, "cannot be opened (not connected, or used by another program)")
        if width and height:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            capture.set(cv2.CAP_PROP_FPS, fps)
        super().__init__(capture, name)


class StreamSource(_OpenCvCaptureSource):
    """A network stream (RTSP, HTTP MJPEG, ...) such as an IP camera or a phone camera app."""

    def __init__(self, url: str) -> None:
        capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
        if not capture.isOpened():
            capture.release()
            raise InputError(url, "cannot open the stream (wrong address, or not reachable)")
        super().__init__(capture, url)


class PacedSource(FrameSource):
    """A video file released at its own frame rate, as a webcam would deliver it.

    PoseCam's tests and benchmarks use it in place of a camera. Frames keep the file's
    timestamps; `speed` 2.0 plays twice as fast. `clock` and `sleep` are injectable so that
    a caller can drive the pacing from its own clock.
    """

    is_live = True

    def __init__(
        self,
        inner: FrameSource,
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.inner = inner
        self.speed = speed
        self._clock = clock
        self._sleep = sleep
        self.name = inner.name
        self.fps = inner.fps
        self.size = inner.size
        self.frame_count = inner.frame_count

    def __iter__(self) -> Iterator[Frame]:
        started: float | None = None
        for frame in self.inner:
            if started is None:
                started = self._clock() - frame.time_ms / 1000.0 / self.speed
            due = started + frame.time_ms / 1000.0 / self.speed
            wait_s = due - self._clock()
            if wait_s > 0:
                self._sleep(wait_s)
            yield frame

    def close(self) -> None:
        self.inner.close()


class LoopedSource(FrameSource):
    """A video file played over and over, its frames retimed to exactly `fps`, for `seconds`
    in all (None: without end). A stand-in for a long camera session in benchmarks."""

    def __init__(self, path: str | Path, fps: float, seconds: float | None = None) -> None:
        self.path, self.fps, self.seconds = Path(path), fps, seconds
        self._rate = fps
        with VideoFileSource(self.path) as probe:
            self.name, self.size = probe.name, probe.size

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while True:
            with VideoFileSource(self.path) as source:
                for frame in source:
                    time_ms = index * 1000.0 / self._rate
                    if self.seconds is not None and time_ms > self.seconds * 1000.0:
                        return
                    new_scene = frame.index == 0 and index > 0
                    yield Frame(rgb=frame.rgb, time_ms=time_ms, index=index, new_scene=new_scene)
                    index += 1


_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def open_source(spec: str | Path) -> FrameSource:
    """A source from what a user types: a camera index, a URL, an image or a video file."""
    text = str(spec)
    if text.isdigit():
        return CameraSource(int(text))
    if _URL.match(text) and not text.lower().startswith("file://"):
        return StreamSource(text)
    path = Path(text[len("file://") :] if text.lower().startswith("file://") else text)
    if is_image_path(path):
        return ImageSource(path)
    return VideoFileSource(path)


def _ffmpeg_reason(exc: av.error.FFmpegError) -> str:
    # FFmpeg capitalises like a sentence; inside our message it reads better in lower case.
    return reason(exc).lower()


__all__ = [
    "CameraSource",
    "FrameSource",
    "ImageSource",
    "LoopedSource",
    "PacedSource",
    "StreamSource",
    "VideoFileSource",
    "camera_backend",
    "open_source",
]
