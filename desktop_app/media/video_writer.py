"""Writing annotated video: H.264 in MP4 through PyAV, with a fallback encoder.

H.264 in yuv420p plays in browsers and in the default players of Windows and Linux. OpenCV's
wheel cannot write it; PyAV's wheel carries libx264. Where libx264 is missing (some
distribution builds of FFmpeg leave it out) the writer falls back to MPEG-4 Part 2, which
desktop players show but browsers do not; `codec_name` says which one was used.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import NoReturn, cast

import av
import numpy as np
from av.container import OutputContainer
from av.video.stream import VideoStream

from desktop_app.core.closeable import Closeable
from desktop_app.errors import OutputError, reason
from desktop_app.media.audio import AudioInput, AudioTrack, SoundKept
from desktop_app.media.output_file import OutputFile

DEFAULT_CODECS = ("libx264", "mpeg4")
# Presentation times are stored in 1/90000 s, the usual MPEG clock: fine enough to keep any
# camera's real timing. MPEG-4 Part 2 allows no clock above 65535 ticks a second, so it gets ms.
_TIME_BASES = {"libx264": Fraction(1, 90000)}
_FALLBACK_TIME_BASE = Fraction(1, 1000)
# How often a crash-safe video starts a fragment, in ms of its own time: what a kill can lose.
_KEYFRAME_EVERY_MS = 500.0


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

    A write that fails (a full disk) raises OutputError once; nothing more is written, and
    `close()` then keeps what plays: a crash-safe file cut back to its last complete fragment,
    otherwise no file at all (an MP4 is not playable before it is finished). A file that
    holds no whole frame is removed, never left empty.

    With `audio`, the input's sound goes in too (media.audio), each packet before the first
    frame that comes after it, and ends with the last frame: fragments then hold both.
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
        audio: AudioInput | None = None,
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
        self._format = _container_format(self.path)
        self._audio_input = audio
        self._audio: AudioTrack | None = None
        self._sound_refused: str | None = None
        self._last_pts = -1
        self._last_time_ms = 0.0
        # When the last keyframe was asked for, in ms of the video's own time.
        self._last_keyframe_ms = -math.inf
        self.frames_written = 0
        self.size: tuple[int, int] | None = None
        # Crash-safe files are written through an OutputFile, which knows where each complete
        # fragment ends; `_pieces` tells which frames have reached it.
        self._out: OutputFile | None = None
        self._pieces = _Pieces(queued=audio is not None, packet_ends_a_piece=False)
        self._failed = False
        self._finished = False
        self._created = False  # a file of our own, not one that open() refused
        try:
            if crash_safe:
                # Fragmented MP4: a header with no index up front, then self-contained
                # fragments, each starting at a keyframe. A file cut off at any point (a
                # killed process, a power cut) plays up to its last complete fragment.
                # FFmpeg only touches the file when the first frame arrives; it is created now
                # so that a folder that cannot be written is reported before any work is done.
                self._out = OutputFile(self.path, "a video")
                container_format = self._format
                # flush_packets: each finished fragment goes straight to the file, so the file
                # always ends on a fragment boundary, which a failed write can return to.
                options = {"flush_packets": "1"}
                if container_format == "matroska":
                    # Matroska is cut-off-safe as it is, in clusters; one a packet, so that the
                    # file ends on a whole frame after each one (see _mux).
                    options["cluster_size_limit"] = "0"
                else:
                    # MP4 and MOV need fragments, one a keyframe.
                    options["movflags"] = "frag_keyframe+empty_moov+default_base_moof"
                    if audio is not None:
                        # The index goes out with the first fragment instead of before it, so
                        # it can say where the sound starts (an edit list: AAC's priming
                        # samples, sound that began before the first frame).
                        options["movflags"] += "+delay_moov"
                if audio is not None:
                    # FFmpeg's interleaving holds a packet only until a later one arrives
                    # (not up to 10 s when the sound ends before the video): see _Pieces.
                    options["max_interleave_delta"] = "1"
                self._pieces = _Pieces(
                    queued=audio is not None, packet_ends_a_piece=container_format == "matroska"
                )
                self._container = av.open(
                    self._out, mode="w", format=container_format, options=options
                )
            else:
                with open(self.path, "wb"):
                    self._created = True
                self._container = av.open(str(self.path), mode="w")
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            self._remove()
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
        options: dict[str, object] = {}
        if self.crash_safe:
            # A keyframe, hence a fragment, every half second of the video's own time (asked
            # for in `write`: a live recording runs at the rate frames were processed, often
            # below the source's, so counting frames would space them further apart), no
            # B-frames and no look-ahead (both hold frames back in the encoder): a cut-off file
            # then loses at most the half second under way. The GOP size is only a backstop.
            stream.codec_context.gop_size = max(1, round(self.fps * 2))
            stream.codec_context.max_b_frames = 0
            # Keyframes only there, not at scene changes too: fragments then end at the same
            # frames in every video of a recording (annotated and raw), so a failed write
            # cuts them back alike.
            options["sc_threshold"] = "0"
        if self.codec_name == "libx264":
            options.update(preset=self._preset, crf=str(self._crf))
            if self.crash_safe:
                # A keyframe asked for is an IDR frame (a fragment may start there), and no
                # frame waits in the encoder for the ones after it.
                options.update({"forced-idr": "1", "tune": "zerolatency"})
        else:
            # MPEG-4 Part 2 has no CRF: about 0.25 bit per pixel keeps skeleton lines crisp.
            stream.codec_context.bit_rate = int(width * height * self.fps * 0.25)
        stream.options = options
        self.size = (width, height)
        if self._audio_input is not None:
            try:
                self._audio = AudioTrack(self._audio_input, container, self._format)
            except (av.error.FFmpegError, ValueError) as exc:
                # A codec this container cannot hold and that cannot be encoded again: the
                # video goes on without its sound, and says so.
                self._sound_refused = f"its sound could not be kept ({reason(exc)})"
                self._pieces = _Pieces(
                    queued=False, packet_ends_a_piece=self._pieces.packet_ends_a_piece
                )
        return stream

    @property
    def sound(self) -> SoundKept | None:
        """What became of the input's sound (copied, or encoded again), if it is in the file."""
        return self._audio.kept if self._audio is not None else None

    @property
    def sound_problem(self) -> str | None:
        """Why the input's sound is missing from the file, or ends early, if it does."""
        return self._audio.problem if self._audio is not None else self._sound_refused

    def write(self, rgb: np.ndarray, time_ms: float) -> None:
        """Add one RGB uint8 frame shown at `time_ms` from the start."""
        rgb = even_size(rgb)
        if self._container is None or self._failed:
            raise ValueError(f"{self.path} is closed, or an earlier write to it failed")
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
        if self.crash_safe and time_ms - self._last_keyframe_ms >= _KEYFRAME_EVERY_MS:
            frame.pict_type = av.video.frame.PictureType.I
            self._last_keyframe_ms = time_ms
        try:
            if self._audio is not None:
                # The sound up to this frame first: packets go to the muxer in time order.
                for packet in self._audio.until(time_ms / 1000.0):
                    self._mux(self._container, packet, frame=False)
            for packet in self._stream.encode(frame):
                self._mux(self._container, packet, frame=True)
        except (av.error.FFmpegError, OSError) as exc:
            # Nothing more goes to FFmpeg after this: muxing again after a failed write can
            # crash it (a full disk once ended `posecam annotate` with SIGSEGV).
            self._failed = True
            raise OutputError(self.path, f"cannot write video ({reason(exc)})") from None
        self._last_time_ms = time_ms
        self.frames_written += 1

    def _mux(self, container: OutputContainer, packet: av.Packet, frame: bool) -> None:
        keyframe = packet.is_keyframe
        container.mux(packet)
        # PyAV has put the packet in its stream's time base, as FFmpeg's interleaving sees it.
        ticks = packet.dts if packet.dts is not None else packet.pts
        time_s = ticks * packet.time_base if ticks is not None and packet.time_base else None
        whole = self._pieces.given(time_s, frame, keyframe)
        if self._out is not None and whole is not None:
            self._out.mark(whole)

    def sync(self) -> None:
        """Push what has been written to the disk itself (crash-safe files only), so that a
        power cut loses no more than what came after."""
        if self._out is not None and not self._out.released:
            try:
                self._out.sync()
            except OSError as exc:
                raise OutputError(self.path, f"cannot write video ({reason(exc)})") from None

    @property
    def whole_frames(self) -> int:
        """Frames the file holds whole: up to its last complete fragment (crash-safe files;
        all of them once finished)."""
        if self._out is not None:
            return self._out.whole_frames
        return self.frames_written if self._finished else 0

    def vanished(self) -> bool:
        """True when the file, or its folder, was deleted while it was being written."""
        return self._out is not None and not self._out.released and self._out.vanished()

    @property
    def recovered_to(self) -> Path | None:
        """Where the file was saved again after it vanished (see media.output_file)."""
        return self._out.recovered_to if self._out is not None else None

    def abandon(self, most_frames: int | None = None) -> int:
        """Close without finishing (after a failed write, here or in a companion file), keeping
        what plays: the last complete fragment that holds at most `most_frames` frames (all
        it can, by default). A file left with no frame is removed. Returns the frames kept."""
        container, self._container = self._container, None
        if container is not None:
            _close_quietly(container)
        return self._keep(most_frames)

    def _keep(self, most_frames: int | None) -> int:
        if self._out is None:
            if not self._finished:
                self._remove()
            return self.whole_frames
        if self._out.released:
            return self.whole_frames
        most = self._out.whole_frames if most_frames is None else most_frames
        try:
            kept = self._out.cut_back(most)
        except OSError:
            kept = 0
        self._out.release(keep=kept > 0)
        return kept

    @property
    def bytes_written(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def close(self) -> None:
        """Flush the encoder and finalise the file so it plays. Safe to call twice.

        After a failed write it keeps what plays, as `abandon()` does, without raising again.
        If finishing fails (the disk fills now), the same is kept and OutputError raised."""
        if self._failed:
            self.abandon()
            return
        container, self._container = self._container, None
        if container is None:
            return
        try:
            if self._audio is not None:
                # The sound ends with the last frame's time on screen, also when the input's
                # video ended early or lost frames at its end.
                end_s = self._last_time_ms / 1000.0 + 1.0 / self.fps
                for packet in self._audio.finish(end_s):
                    self._mux(container, packet, frame=False)
            if self._stream is not None:
                for packet in self._stream.encode(None):
                    self._mux(container, packet, frame=True)
        except (av.error.FFmpegError, OSError) as exc:
            _close_quietly(container)
            self._fail_to_finish(exc)
        try:
            container.close()
        except (av.error.FFmpegError, OSError) as exc:
            self._fail_to_finish(exc)
        self._finished = True
        if self.frames_written == 0:
            self._remove()  # no frame, no file: an empty video plays nowhere
        elif self._out is not None:
            self._out.mark(self._pieces.frames)
            self._out.release()

    def _fail_to_finish(self, exc: BaseException) -> NoReturn:
        self._failed = True
        self._keep(None)
        raise OutputError(self.path, f"cannot finish the video ({reason(exc)})") from None

    def _remove(self) -> None:
        if self._out is not None:
            self._out.release(keep=False)
        elif self._created:
            with contextlib.suppress(OSError):
                self.path.unlink()


class _Pieces:
    """Which frames have reached the file, whole, as packets are muxed: what `mark` may claim.

    MP4 and MOV: a keyframe reaching the muxer starts a fragment and sends the one before it,
    with every frame before the keyframe, to the file. Matroska (`packet_ends_a_piece`, a
    cluster a packet): each packet reaching the muxer sends the ones before it to the file.

    With one stream each packet reaches the muxer as it is muxed. With sound too (`queued`),
    FFmpeg's interleaving queue passes packets on in order of time (in each stream's own time
    base, so Matroska's whole ms make ties), the video's first at equal times; with
    max_interleave_delta at 1 µs it holds a packet only until one more than 1 µs later is
    muxed. So the packets earlier than the latest muxed by more than `_MARGIN_S` have reached
    the muxer, in that order. A count may lag by a packet, never run ahead.
    """

    # 1 µs, plus 1 µs of rounding for each of the two times FFmpeg compares.
    _MARGIN_S = Fraction(3, 1_000_000)

    def __init__(self, queued: bool, packet_ends_a_piece: bool) -> None:
        self.queued = queued
        self.packet_ends_a_piece = packet_ends_a_piece
        #: Frames muxed so far.
        self.frames = 0
        # Muxed, not yet known to have reached the muxer, in FFmpeg's order: (time, 0 for a
        # frame and 1 for sound, order muxed, is a keyframe, frames muxed before it).
        self._waiting: list[tuple[Fraction, int, int, bool, int]] = []
        self._muxed = 0
        self._latest_s = Fraction(0)
        # Frames known to have reached the muxer.
        self._frames_passed = 0

    def given(self, time_s: Fraction | None, frame: bool, keyframe: bool) -> int | None:
        """Note one packet muxed. Returns how many frames the file now holds whole when it has
        just reached the end of a piece (a fragment, a cluster), else None."""
        if time_s is None:
            time_s = self._latest_s  # no time to go by: taken as the latest
        bisect.insort(
            self._waiting, (time_s, 0 if frame else 1, self._muxed, keyframe, self.frames)
        )
        self._muxed += 1
        self._latest_s = max(self._latest_s, time_s)
        if frame:
            self.frames += 1
        whole = None
        while self._waiting and self._passed(self._waiting[0][0]):
            _, stream, _, keyframe_passed, frames_before = self._waiting.pop(0)
            if self.packet_ends_a_piece:
                whole = self._frames_passed
            elif stream == 0 and keyframe_passed:
                whole = frames_before
            if stream == 0:
                self._frames_passed += 1
        return whole

    def _passed(self, time_s: Fraction) -> bool:
        return not self.queued or time_s < self._latest_s - self._MARGIN_S


def _close_quietly(container: OutputContainer) -> None:
    """Close a container after a failed write: the disk may be full or gone, so closing may
    fail too; whatever it adds after the last whole fragment is cut off afterwards."""
    with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
        container.close()
