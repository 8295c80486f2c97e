"""Frame sources: a camera, a video file, a still image, a network stream, and a video file
paced like a live camera.

Every source yields `Frame`s (RGB uint8, time in milliseconds from the source's start, index)
and is closed explicitly or used as a context manager.
"""

from __future__ import annotations

import ipaddress
import itertools
import math
import os
import re
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

import av
import cv2

from desktop_app.core.closeable import Closeable
from desktop_app.core.frame import Frame
from desktop_app.errors import InputError, reason
from desktop_app.media.images import (
    Upright,
    check_picture_size,
    check_readable_file,
    is_image_path,
    read_upright_image,
)

# How far short of its declared length a file may end before we call it cut off, where the
# length is an estimate (a duration, not a count of frames): a small shortfall is normal there.
_TRUNCATION_SLACK_FRAMES = 2
# Where the container counts its frames (MP4's sample table, AVI's header) the count is exact:
# a file with even one frame fewer was cut (the fuzzer found cuts of the last 2-3 frames
# passing as "1 frame damaged, the rest was read"). Half a frame allows for rounding of times.
_EXACT_SLACK_FRAMES = 0
_EXACT_SLACK_S_IN_FRAMES = 0.5


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
    #: Set by a file source after its last frame when it decoded past damage; None otherwise.
    damage: Damage | None = None
    #: How the stored pictures were turned to come out upright, as the file asks (phone
    #: videos): mirrored left to right or not, then turned counterclockwise by 0, 90, 180 or
    #: 270 degrees. Frames, sizes and so keypoints are all in the upright picture.
    rotation: int = 0
    mirrored: bool = False
    #: Set by a file source once a frame's time was not its stored one (none stored, or
    #: repeated or going back and moved on): a part read alone (`frames_from`) would time
    #: frames otherwise. Never set by sources whose times are not read from a file.
    times_made_up: bool = False

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class VideoFileSource(FrameSource):
    """A video file decoded with PyAV (FFmpeg) straight to RGB.

    Times come from the file's own presentation timestamps, so variable-frame-rate files
    keep their real timing. Damage is decoded past as FFmpeg's own tools do: a packet that
    cannot be decoded is skipped and counted, and after the last frame `damage` says how many
    frames were lost or patched up, and where. A file that ends before the length its
    container declares (cut short), or whose container cannot be read past some point, raises
    `InputError` with `frames_read` set, after yielding every frame before the break.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        check_readable_file(self.path)
        try:
            # Tags are only shown, never needed: a title in a broken encoding must not stop a run.
            # "file:" and an absolute path: FFmpeg reads a name such as "concat:a.mp4",
            # "subfile:..." or "tcp:/host:1?listen=1" (a folder "tcp:") as a protocol, not a file.
            self._container = av.open(
                "file:" + str(self.path.absolute()), mode="r", metadata_errors="replace"
            )
        except av.error.FFmpegError as exc:
            if _mp4_without_index(self.path):
                raise InputError(
                    self.path,
                    "video ends before its index (the moov box) is complete, and an MP4 "
                    "cannot be read without it: the file is cut short, or its recording was "
                    "never finished",
                ) from None
            raise InputError(
                self.path, f"not a video PoseCam can read ({_ffmpeg_reason(exc)})"
            ) from None
        try:
            self._open_video()
        except BaseException:
            self._container.close()
            raise

    def _open_video(self) -> None:
        if not self._container.streams.video:
            raise InputError(self.path, "has no video stream")
        self._stream = self._container.streams.video[0]
        codec = self._stream.codec_context
        if codec is None:
            # An unknown fourcc, or a codec this FFmpeg was built without.
            raise InputError(self.path, "video is in a codec FFmpeg cannot decode")
        # Refuse pictures too large to hold before decoding any.
        check_picture_size(self.path, codec.width, codec.height, "video")
        # Let FFmpeg decode on several threads; decoding is a large share of a frame's cost.
        self._stream.thread_type = "AUTO"
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.fps = float(rate) if rate else None
        # AVI stores no presentation times; FFmpeg's guesses come out scrambled when the
        # video has B-frames. AVI is constant-rate by design, so frame times follow the rate.
        self._times_from_rate = "avi" in self._container.format.name.split(",")
        self._matroska = "matroska" in self._container.format.name.split(",")
        self._declared = _declared_length(self._container, self._stream, self.fps)
        self.frame_count = self._declared.frames if self._declared else None
        #: How long the container says the video is, in seconds, if it says.
        self.duration_s = self._declared.seconds if self._declared else None
        # The first frame is decoded now: it carries the display matrix, which says how the
        # pictures are turned and so the size they come out at.
        self._reading = _Reading()
        self._frames = self._decoded_frames(self._reading)
        self._first = next(self._frames, None)
        width, height = codec.width, codec.height
        self._upright: Upright | None = None
        if self._first is not None:
            width, height = self._first.width, self._first.height
            check_picture_size(self.path, width, height, "video")
            self._upright = _upright_from(self._first)
        if self._upright is not None:
            self.rotation, self.mirrored = self._upright.rotation_and_mirror
            if self._upright.transpose:
                width, height = height, width
        self.size = (width, height)

    def __iter__(self) -> Iterator[Frame]:
        reading, upright = self._reading, self._upright
        frames: Iterator[av.VideoFrame] = self._frames
        if self._first is not None:
            frames, self._first = itertools.chain([self._first], self._frames), None
        start_pts: int | None = None
        time_base: Fraction = self._stream.time_base or Fraction(1, 1000)
        last_time_ms = 0.0
        frame_ms = 1000.0 / self.fps if self.fps else 1000.0 / 30.0
        for index, av_frame in enumerate(frames):
            pts = av_frame.pts
            if pts is None or self._times_from_rate:
                self.times_made_up = True
                time_ms = index * frame_ms
            else:
                if start_pts is None:
                    start_pts = pts
                time_ms = _time_ms(pts, start_pts, time_base)
            if index and time_ms - last_time_ms > _GAP_FRAMES * frame_ms:
                # Frames missing here, or a pause in a variable-rate file: counted only if
                # something else shows that the file is damaged.
                reading.note_gap(
                    index, last_time_ms, round((time_ms - last_time_ms) / frame_ms) - 1
                )
            if index and time_ms <= last_time_ms:
                # A damaged or odd file can repeat or reorder times; keep time moving forward.
                time_ms = last_time_ms + frame_ms
                self.times_made_up = True
            if av_frame.is_corrupt:
                reading.frames_damaged += 1
                reading.note_damage(index, time_ms)
            last_time_ms = time_ms
            reading.frames_out, reading.last_time_ms = index + 1, time_ms
            rgb = av_frame.to_ndarray(format="rgb24")
            if upright is not None:
                rgb = upright.apply(rgb)
            yield Frame(rgb=rgb, time_ms=time_ms, index=index)
        self._finish(reading)

    @property
    def seekable(self) -> bool:
        """True when `frames_from` can start part way and give the times a whole pass gives:
        times come from the file's own timestamps (not AVI's counted ones), and no frame has
        been taken from this source yet."""
        first = self._first
        return first is not None and first.pts is not None and not self._times_from_rate

    def frames_from(self, start_ms: float, until_ms: float = math.inf) -> Iterator[Frame]:
        """The frames presented from `start_ms` to before `until_ms` (times as a whole pass
        gives them), decoded from the keyframe before `start_ms`. Needs `seekable`; use a
        source of its own for this, not iterated before or after.

        Meant for reading parts of a healthy file on several threads at once: a frame whose
        time a whole pass would move (a damaged file's repeated or reordered times) is given
        with its stored time, so a caller comparing times sees it missing. `index` is -1 (the
        count of frames before it is not known without reading them). Frames before the first
        complete picture after the seek (which refer to pictures before the keyframe) are
        dropped by FFmpeg and so missing too."""
        start_pts = self._first.pts if self._first is not None else None
        if not self.seekable or start_pts is None:
            raise ValueError(f"{self.name}: cannot start part way through this file")
        upright = self._upright
        stream = self._stream
        time_base: Fraction = stream.time_base or Fraction(1, 1000)
        self._first = None
        target = start_pts + math.floor(Fraction(start_ms) / 1000 / time_base)
        try:
            self._container.seek(target, stream=stream, backward=True, any_frame=False)
            for packet in self._container.demux(stream):
                for av_frame in stream.decode(packet):
                    if av_frame.pts is None:
                        continue
                    time_ms = _time_ms(av_frame.pts, start_pts, time_base)
                    if time_ms >= until_ms:
                        return
                    if time_ms < start_ms:
                        continue
                    rgb = av_frame.to_ndarray(format="rgb24")
                    if upright is not None:
                        rgb = upright.apply(rgb)
                    yield Frame(rgb=rgb, time_ms=time_ms, index=-1)
        except av.error.FFmpegError as exc:
            raise InputError(self.path, f"video is damaged ({_ffmpeg_reason(exc)})") from None

    def _decoded_frames(self, reading: _Reading) -> Iterator[av.VideoFrame]:
        """Every frame that can be decoded, in order; `reading` counts what could not be.

        One packet is held back: the last packet of a file cut short is incomplete, and
        handing it to the decoder (which decodes on several threads) loses the complete frames
        decoded just before it.
        """
        stream = self._stream
        held: av.Packet | None = None
        try:
            for packet in self._container.demux(stream):
                if not packet.size:
                    continue  # the end-of-file marker: the decoder is flushed below
                reading.note_packet(packet)
                if held is not None:
                    yield from self._decode(held, reading)
                held = packet
        except av.error.FFmpegError as exc:
            reading.read_error = _ffmpeg_reason(exc)
        if held is not None:
            if held.is_corrupt:
                reading.undecodable += 1
                reading.note_damage(reading.frames_out, reading.last_time_ms)
            else:
                yield from self._decode(held, reading)
        yield from self._decode(None, reading)

    def _decode(self, packet: av.Packet | None, reading: _Reading) -> list[av.VideoFrame]:
        try:
            return self._stream.decode(packet)
        except av.error.FFmpegError as exc:
            # FFmpeg's tools log this and go on with the next packet; so do we.
            reading.undecodable += 1
            reading.first_error = reading.first_error or _ffmpeg_reason(exc)
            reading.note_damage(reading.frames_out, reading.last_time_ms)
            return []

    def _finish(self, reading: _Reading) -> None:
        """After the last frame: raise if the file was cut short, else set `damage`."""
        decoded = reading.frames_out
        declared = self._declared
        if reading.read_error is not None:
            raise InputError(
                self.path,
                f"video is damaged: stopped at frame {decoded} ({reading.read_error})",
                frames_read=decoded,
            )
        matroska = _follow_matroska(self.path) if self._matroska else None
        reached_s = self._cut_short_at_s(reading, declared) if declared else None
        if reached_s is not None or matroska == "cut":
            # Matroska's elements also show a cut where no length is declared (a browser's
            # recording, one whose recorder crashed).
            if declared is not None and reached_s is not None:
                where = (
                    f"frame {decoded} of {declared.frames} ({_clock(reached_s * 1000.0)} of "
                    f"{_clock(declared.seconds * 1000.0)})"
                )
            else:
                where = f"frame {decoded} ({_clock(reading.last_time_ms)})"
            why = "the file is cut short" if matroska == "cut" else "file cut short?"
            raise InputError(
                self.path, f"video ends early: stopped at {where}; {why}", frames_read=decoded
            )
        if not decoded and reading.undecodable:
            raise InputError(
                self.path,
                f"video cannot be decoded: all {_frames(reading.undecodable)} are damaged"
                + (f" ({reading.first_error})" if reading.first_error else ""),
                frames_read=0,
            )
        lost = reading.undecodable
        if lost:
            # Frames that refer to an undecodable one may be dropped without an error of their
            # own; with damage seen, every packet that gave no frame counts as lost.
            lost = max(lost, reading.packets - decoded)
        counted = True
        # A length that is only a duration times the rate is no count of frames: a whole
        # variable-rate file has fewer. Its shortfall counts only where damage was seen.
        damage_seen = bool(lost or reading.frames_damaged) or matroska == "damaged"
        if (
            declared is not None
            and (declared.counted or damage_seen)
            and declared.frames - reading.packets > declared.slack_frames
        ):
            # The file covers its whole length with fewer frames than it should: packets the
            # demuxer lost finding its way again after damage (Matroska skips the rest of a
            # damaged cluster, AVI a damaged chunk).
            lost += declared.frames - reading.packets
            if reading.first_gap is not None:
                reading.note_damage(*reading.first_gap)
        elif matroska == "damaged":
            # No length to count against, but the demuxer had to skip damage. Every frame lost,
            # skipped or undecodable, leaves a jump in time, unless it was among the last.
            lost, counted = max(lost, reading.gap_frames, 1), False
            if reading.first_gap is not None:
                reading.note_damage(*reading.first_gap)
        if lost or reading.frames_damaged:
            first_frame, first_time_ms = reading.first_damage or (None, None)
            self.damage = Damage(
                lost, reading.frames_damaged, first_frame, first_time_ms, lost_counted=counted
            )

    def _cut_short_at_s(self, reading: _Reading, declared: _DeclaredLength) -> float | None:
        """Where the packets read end, in seconds, if that is short of the declared length."""
        if self._times_from_rate:
            # AVI times are counted, not stored, so frames lost in the middle look the same
            # as frames missing at the end; but a cut AVI also lost its index, at the end.
            if declared.frames - reading.packets <= declared.slack_frames or declared.indexed:
                return None
            return reading.packets / self.fps if self.fps else 0.0
        reached_s = reading.reached_s(self._stream, declared.start_pts)
        if reached_s is None or reached_s >= declared.seconds - declared.slack_s:
            return None
        return reached_s

    def close(self) -> None:
        self._container.close()


def _time_ms(pts: int, start_pts: int, time_base: Fraction) -> float:
    """A frame's time in milliseconds from the first frame's, from its timestamp: one formula
    for a whole pass and a pass started part way (`frames_from`), so that they agree exactly."""
    return float((pts - start_pts) * time_base) * 1000.0


# A jump in frame times of more than this many frame intervals marks frames missing there.
_GAP_FRAMES = 2.5


def _upright_from(frame: av.VideoFrame) -> Upright | None:
    """The turn a decoded frame's display matrix asks for; None if it asks for none.

    FFmpeg's matrix [[a, b, u], [c, d, v], [x, y, w]] takes a stored pixel (p, q) to
    (a p + c q, b p + d q) on screen (plus a shift that keeps it in view). Phones store
    their pictures as the sensor reads them and set this matrix to a quarter turn.
    """
    data = frame.side_data.get("DISPLAYMATRIX")
    raw = bytes(data) if isinstance(data, av.buffer.Buffer) else b""
    if len(raw) != 36:
        return None
    a, b, _, c, d, _, _, _, _ = struct.unpack("=9i", raw)
    if abs(a) + abs(d) >= abs(b) + abs(c):
        upright = Upright(transpose=False, flip_rows=d < 0, flip_columns=a < 0)  # x'=ap, y'=dq
    else:
        upright = Upright(transpose=True, flip_rows=b < 0, flip_columns=c < 0)  # x'=cq, y'=bp
    return upright if upright.rotation_and_mirror != (0, False) else None


@dataclass(frozen=True)
class Damage:
    """What was wrong with a video file that was decoded to its end anyway."""

    #: Frames of the file that never came out: undecodable, or skipped by the demuxer.
    frames_lost: int
    #: Frames that came out with decoding errors, patched up by the decoder.
    frames_damaged: int
    #: Where the first damage is: the index of the first frame after it, and the time in the
    #: video where it starts; None when only the count shows frames missing.
    first_frame: int | None
    first_time_ms: float | None
    #: False when `frames_lost` is a lower bound: the file declares no length to count against.
    lost_counted: bool = True

    def __str__(self) -> str:
        parts = []
        if self.frames_lost:
            at_least = "" if self.lost_counted else "at least "
            parts.append(f"{at_least}{_frames(self.frames_lost)} could not be decoded")
        if self.frames_damaged:
            parts.append(f"{_frames(self.frames_damaged)} came out damaged")
        where = ""
        if self.first_frame is not None and self.first_time_ms is not None:
            where = f", the first at {_clock(self.first_time_ms)} (frame {self.first_frame})"
        return f"video is damaged: {' and '.join(parts)}{where}; the rest was read"


@dataclass(frozen=True)
class _DeclaredLength:
    """How long a file's container says its video is."""

    frames: int
    seconds: float
    #: The pts the declared length counts from (in the stream's time base).
    start_pts: int | None
    #: How far short of it a complete file may end: declared lengths are estimates.
    slack_s: float
    slack_frames: int
    #: False when the file's index covers fewer frames than its header declares (AVI).
    indexed: bool = True
    #: True when the container counts the frames (MP4, AVI); False when `frames` is its
    #: duration times the frame rate, which a variable-rate file does not keep to.
    counted: bool = True


def _declared_length(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, fps: float | None
) -> _DeclaredLength | None:
    """The video's length as its container declares it, or None if it does not.

    MP4 counts the frames and times the stream; AVI's header counts the frames and FFmpeg
    times the stream from the index at the end; Matroska and WebM give the whole file's
    duration, which the sound may make a little longer than the picture.
    """
    frame_s = 1.0 / fps if fps else None
    slack_frames = _TRUNCATION_SLACK_FRAMES
    if stream.frames and frame_s and "avi" in container.format.name.split(","):
        frames = int(stream.frames)
        time_base = stream.time_base
        indexed_s = float(stream.duration * time_base) if stream.duration and time_base else 0.0
        # The index's duration is counted from the same frames: within half a frame.
        indexed = indexed_s >= (frames - _EXACT_SLACK_S_IN_FRAMES) * frame_s
        return _DeclaredLength(
            frames,
            frames * frame_s,
            None,
            _EXACT_SLACK_S_IN_FRAMES * frame_s,
            _EXACT_SLACK_FRAMES,
            indexed,
        )
    if stream.duration and stream.time_base:
        seconds = float(stream.duration * stream.time_base)
        if stream.frames:
            # Counted frames: exact.
            slack_frames = _EXACT_SLACK_FRAMES
            slack_s = _EXACT_SLACK_S_IN_FRAMES * (frame_s or 0.04)
            return _DeclaredLength(int(stream.frames), seconds, stream.start_time, slack_s, 0)
        frames = round(seconds / frame_s) if frame_s else 0
        slack_s = slack_frames * (frame_s or 0.04)
        return _DeclaredLength(
            frames, seconds, stream.start_time, slack_s, slack_frames, counted=False
        )
    if container.duration and container.duration > 0 and frame_s:
        seconds = container.duration / av.time_base
        start_pts = None
        if container.start_time is not None and stream.time_base:
            start_pts = round(container.start_time / av.time_base / stream.time_base)
            if "matroska" in container.format.name.split(","):
                # Matroska's duration is the time its last frame ends, counted from 0, not
                # from the first frame (MPEG-TS's is the length): a file whose times start
                # at 5 s is that much shorter than its duration says.
                seconds -= max(container.start_time / av.time_base, 0.0)
        slack_s = slack_frames * frame_s
        if len(container.streams) > 1:
            slack_s = max(slack_s, _CONTAINER_SLACK_S)
        return _DeclaredLength(
            round(seconds / frame_s),
            seconds,
            start_pts,
            slack_s,
            round(slack_s / frame_s),
            counted=False,
        )
    return None


# Stream lengths are exact to a frame or two; a container's duration also covers its sound,
# which may run on a little after the picture.
_CONTAINER_SLACK_S = 0.5


class _Reading:
    """What one pass over a video file met, for `VideoFileSource` to report at its end."""

    def __init__(self) -> None:
        self.packets = 0
        self.undecodable = 0
        self.frames_damaged = 0
        self.frames_out = 0
        self.last_time_ms = 0.0
        self.read_error: str | None = None
        self.first_error: str | None = None
        self.first_damage: tuple[int, float] | None = None
        self.first_gap: tuple[int, float] | None = None
        self.gap_frames = 0
        self._end_pts: int | None = None

    def note_packet(self, packet: av.Packet) -> None:
        self.packets += 1
        stamp = packet.pts if packet.pts is not None else packet.dts
        if stamp is not None:
            end = stamp + (packet.duration or 0)
            self._end_pts = end if self._end_pts is None else max(self._end_pts, end)

    def note_damage(self, frame: int, time_ms: float) -> None:
        if self.first_damage is None or frame < self.first_damage[0]:
            self.first_damage = (frame, time_ms)

    def note_gap(self, frame: int, time_ms: float, frames_missing: int) -> None:
        self.gap_frames += frames_missing
        if self.first_gap is None:
            self.first_gap = (frame, time_ms)

    def reached_s(self, stream: av.video.stream.VideoStream, start_pts: int | None) -> float | None:
        """How far into the video the packets read reached, in seconds, or None if unknown."""
        if self._end_pts is None or not stream.time_base:
            return None
        return float((self._end_pts - (start_pts or 0)) * stream.time_base)


_MATROSKA_SEGMENT, _MATROSKA_CLUSTER = 0x18538067, 0x1F43B675


def _follow_matroska(path: Path) -> Literal["cut", "damaged"] | None:
    """Follow a Matroska or WebM file's elements by their sizes from the start: "cut" if the
    file stops inside one, "damaged" if the chain breaks (the demuxer had to search for the
    next cluster, losing frames), None if they fit the file. Reads a few bytes per frame."""
    try:
        with open(path, "rb") as f:
            end = f.seek(0, 2)
            at = 0
            while at < end:
                f.seek(at)
                head = f.read(12)
                ident_bytes = _ebml_length(head, 0)
                size_bytes = _ebml_length(head, ident_bytes) if 0 < ident_bytes <= 4 else 0
                if ident_bytes + size_bytes > len(head) and size_bytes > 0:
                    return "cut"  # the file ends inside an element's header
                if not size_bytes or size_bytes > 8:
                    return "damaged"
                ident = int.from_bytes(head[:ident_bytes], "big")
                size_field = head[ident_bytes : ident_bytes + size_bytes]
                size = int.from_bytes(size_field, "big") & ((1 << (7 * size_bytes)) - 1)
                data = at + ident_bytes + size_bytes
                unknown_size = size == (1 << (7 * size_bytes)) - 1
                if not unknown_size and data + size > end:
                    return "cut"
                # Step into the segment and its clusters, whose blocks (a frame each) show
                # damage inside a cluster: the demuxer skips the rest of it, and a length
                # declared as a duration cannot tell those lost frames from a variable rate.
                # Step over everything else.
                step_in = ident in (_MATROSKA_SEGMENT, _MATROSKA_CLUSTER)
                at = data if step_in else data + size
    except OSError:
        return None
    return None


def _ebml_length(data: bytes, at: int) -> int:
    """How many bytes the EBML variable-length number at `at` takes: 1-8, 0 if invalid, or 9
    if `data` ends before its first byte."""
    if at >= len(data):
        return 9
    return 9 - data[at].bit_length() if data[at] else 0


def _mp4_without_index(path: Path) -> bool:
    """True for an MP4 or MOV that ends before the end of its moov box, which indexes the
    frames: a recording or download cut short."""
    try:
        with open(path, "rb") as f:
            end = f.seek(0, 2)
            at = 0
            while at + 8 <= end:
                f.seek(at)
                head = f.read(16)
                size, kind = int.from_bytes(head[:4], "big"), head[4:8]
                if at == 0 and kind != b"ftyp":
                    return False
                if size == 1 and len(head) == 16:
                    size = int.from_bytes(head[8:16], "big")
                elif size == 0:
                    size = end - at
                if size < 8:
                    return False
                if kind == b"moov":
                    return at + size > end
                at += size
            # Ran past the end, or stopped at it, without an index.
            return at > 0
    except OSError:
        return False


def _frames(count: int) -> str:
    return f"{count} frame" + ("" if count == 1 else "s")


def _clock(time_ms: float) -> str:
    """A time in a file as people read it: 0:07.25, 12:03.00."""
    minutes, seconds = divmod(max(time_ms, 0.0) / 1000.0, 60.0)
    return f"{int(minutes)}:{seconds:05.2f}"


class ImageSource(FrameSource):
    """A still image as a single frame at time 0."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self._rgb, upright = read_upright_image(self.path)
        if upright is not None:
            self.rotation, self.mirrored = upright.rotation_and_mirror
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
        check_stream_url(url)
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
        self.rotation, self.mirrored = inner.rotation, inner.mirrored

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
        self.damage = self.inner.damage

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


# A scheme of two letters or more: "C://clip.mp4" is a Windows path.
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+://")

#: What a camera or a streaming server speaks. FFmpeg knows many more protocols, and some read
#: local files or other programs' data (concat, subfile, file, pipe, data, fd), reach other
#: kinds of server (ftp, gopher, smb) or wrap others (crypto, cache, tee): none is a camera.
STREAM_PROTOCOLS = ("rtsp", "rtsps", "http", "https", "rtmp", "rtmps", "srt", "udp", "tcp")

_OPENCV_OPTIONS = "OPENCV_FFMPEG_CAPTURE_OPTIONS"


def check_stream_url(url: str) -> None:
    """Raise InputError unless `url` is a camera or stream address PoseCam may open.

    Why: the address may come from a file dropped on the window, the "Open a stream" dialog or
    the settings file's last source, and FFmpeg does more with an address than connect to a
    camera. With a `listen` option (tcp://0.0.0.0:9000?listen=1, any protocol, any case,
    percent-encoded or not, even after a "#": FFmpeg reads options from the first "?") or SRT's
    mode=listener or mode=rendezvous it opens a port and waits for anyone to connect, and other
    protocols read local files or other servers. So only `STREAM_PROTOCOLS` pass, with no
    listen option, with a host that is a machine to connect to rather than this computer's
    "any address" (0.0.0.0, ::, none), and with no spaces (librtmp reads options after one;
    a line break would add HTTP headers). The options OpenCV passes to FFmpeg from the
    OPENCV_FFMPEG_CAPTURE_OPTIONS variable may not listen either.

    Receiving UDP (udp://239.0.0.1:5000 from a multicast camera, udp://camera:5000) still has
    FFmpeg open the address's port for the camera's packets, as RTSP over UDP does for its RTP
    packets: that is how pictures arrive over UDP, and nothing there accepts a connection.
    """
    # Named in messages with any line break shown as \n, so that a message stays one line.
    shown = "".join(char if char.isprintable() else repr(char)[1:-1] for char in url)
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    protocols = f"{', '.join(STREAM_PROTOCOLS[:-1])} and {STREAM_PROTOCOLS[-1]}"
    if not rest:
        raise InputError(shown, f"is not a stream address; PoseCam opens {protocols} addresses")
    if scheme not in STREAM_PROTOCOLS:
        raise InputError(
            shown,
            f"{scheme} is not a camera or stream protocol; PoseCam opens {protocols} addresses",
        )
    if any(char.isspace() or not char.isprintable() for char in url):
        raise InputError(shown, "a stream address has no spaces or control characters")
    options = rest.partition("?")[2]
    for _ in range(3):  # undo percent-encoding, even when done twice over
        options = unquote(options)
    if "listen" in options.lower():
        raise _listening(shown, "a listen option")
    if scheme == "srt":
        for option in re.split(r"[&?#;]", options):
            name, _, value = option.partition("=")
            if name.strip().lower() == "mode" and value.strip().lower() not in ("", "caller"):
                raise _listening(shown, f"SRT mode={value.strip()}")
    host = _host(rest)
    if not host:
        raise InputError(shown, "names no camera or server to connect to (no host)")
    if _is_any_address(host):
        raise InputError(
            shown,
            f"{host} is not a camera's address but any address of this computer, where a "
            "program waits for others to connect; give the camera's or server's address",
        )
    opencv_options = os.environ.get(_OPENCV_OPTIONS, "").lower()
    if "listen" in opencv_options or "rendezvous" in opencv_options:
        raise InputError(
            shown,
            f"the FFmpeg options in {_OPENCV_OPTIONS} ask to wait for connections; PoseCam "
            "never listens, so remove that option",
        )


def _listening(url: str, what: str) -> InputError:
    return InputError(
        url,
        f"asks to wait for connections ({what}); PoseCam connects to a camera or server and "
        "never listens for one",
    )


def _host(rest: str) -> str:
    """The host of an address after its "scheme://", split as FFmpeg splits it."""
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    authority = authority.rpartition("@")[2]
    if authority.startswith("["):
        return authority[1:].partition("]")[0]
    return authority.partition(":")[0]


def _is_any_address(host: str) -> bool:
    """True for an address that means every interface of this computer: what a server binds
    to, and no camera's address. Reads the short forms FFmpeg's resolver accepts ("0")."""
    try:
        return not any(socket.inet_aton(host))
    except OSError:
        pass
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_unspecified or bool(mapped and mapped.is_unspecified)


#: What the window's open dialog offers as videos (any file FFmpeg reads opens; these are the
#: ones people have: phones, cameras, OBS, browsers, screen recorders).
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".ts", ".wmv")


def stream_address(text: str) -> bool:
    """True when `text` is a stream's address (`rtsp://...`), not a file (`file://` is one)."""
    return bool(_URL.match(text)) and not text.lower().startswith("file://")


def file_path(text: str) -> Path:
    """The file `text` names: a path, or a `file://` address."""
    return Path(text[len("file://") :] if text.lower().startswith("file://") else text)


def open_source(spec: str | Path) -> FrameSource:
    """A source from what a user types: a camera index, a URL, an image or a video file."""
    text = str(spec)
    if text.isdigit():
        return CameraSource(int(text))
    if stream_address(text):
        return StreamSource(text)
    path = file_path(text)
    if is_image_path(path):
        return ImageSource(path)
    return VideoFileSource(path)


def _ffmpeg_reason(exc: av.error.FFmpegError) -> str:
    # FFmpeg capitalises like a sentence; inside our message it reads better in lower case.
    return reason(exc).lower()


__all__ = [
    "STREAM_PROTOCOLS",
    "VIDEO_SUFFIXES",
    "CameraSource",
    "Damage",
    "FrameSource",
    "ImageSource",
    "LoopedSource",
    "PacedSource",
    "StreamSource",
    "VideoFileSource",
    "camera_backend",
    "check_stream_url",
    "file_path",
    "open_source",
    "stream_address",
]
