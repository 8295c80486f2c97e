"""A video file's sound, carried into the annotated video.

The input is opened a second time, for its first audio stream alone, and read as the video is
written: before each frame the video writer muxes the sound up to that frame's time, so the
file is interleaved in time order and at most one packet (or one decoded frame) of sound is
held in memory, however long the clip.

Frames' times count from the video's first frame (media.sources); the sound is put on the same
clock, counted from the video stream's start time, so the two stay together whatever the
container's own times start at.

Codecs the output container holds and players play (AAC, MP3, Opus, ...) are copied packet for
packet, never decoded; others (PCM, ...) are encoded to AAC with FFmpeg's own encoder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer

from desktop_app.core.closeable import Closeable

#: Codecs copied as they are into each container (FFmpeg's names): those its players play.
#: Anything else is encoded to AAC.
COPIED_CODECS = {
    "mp4": frozenset({"aac", "mp3", "opus", "ac3", "eac3", "flac", "alac"}),
    "mov": frozenset({"aac", "mp3", "ac3", "eac3", "alac"}),
    "matroska": frozenset({"aac", "mp3", "opus", "vorbis", "ac3", "eac3", "flac", "alac"}),
}
#: Containers whose files say where sound starts (an MP4 edit list, written by the video
#: writer's delay_moov), so sound may start before the first frame: AAC's priming samples, or
#: a packet that began before the video did. Matroska is given none before 0, as its muxer
#: would otherwise shift the whole file, video too.
STARTS_BEFORE_ZERO = frozenset({"mp4", "mov"})

# FFmpeg's AAC encoder puts 1024 samples of its own before the sound (its packets start at
# -1024); where no edit list can hide them, the sound is fed from 1024 samples in, so that it
# still plays at its own time, after 21-23 ms of that encoder's silence.
_AAC_PRIMING_SAMPLES = 1024
_AAC_BITS_PER_CHANNEL = 64_000


class AudioInput(Closeable):
    """The first audio stream of a video file, read on demand. `open_audio` makes one."""

    def __init__(self, path: Path, container: InputContainer, stream: AudioStream) -> None:
        self.path = path
        self._container = container
        self.stream = stream
        # The codec's own name ("mp3"), not its decoder's ("mp3float").
        self.codec_name = stream.codec_context.codec.canonical_name
        self.sample_rate = stream.codec_context.sample_rate or stream.rate or 48000
        self.channels = stream.codec_context.channels or 1
        self.time_base: Fraction = stream.time_base or Fraction(1, self.sample_rate)
        # Where the video's first frame is, in the sound's time base: its time zero.
        self.origin = _video_origin(container, self.time_base)
        #: Set when the sound could not be read to its end (damage): what went wrong.
        self.problem: str | None = None
        self._packets = self._read()

    def _read(self) -> Iterator[av.Packet]:
        try:
            for packet in self._container.demux(self.stream):
                if packet.size and packet.pts is not None:
                    yield packet
        except av.error.FFmpegError as exc:
            # Damage, or the file cut short: the sound ends here; the video says why.
            self.problem = f"its sound stops early ({exc.strerror or exc})"

    def next_packet(self) -> av.Packet | None:
        """The next packet in file order (its own time base), or None at the end."""
        return next(self._packets, None)

    def close(self) -> None:
        self._container.close()


def open_audio(path: str | Path) -> AudioInput | None:
    """The sound of the video at `path`, or None if it has none FFmpeg can read."""
    path = Path(path)
    try:
        container = av.open("file:" + str(path.absolute()), mode="r", metadata_errors="replace")
    except av.error.FFmpegError:
        return None
    streams = container.streams.audio
    if not streams or streams[0].codec_context is None or not streams[0].codec_context.channels:
        # No sound, or sound in a codec this FFmpeg cannot decode (and so cannot describe).
        container.close()
        return None
    return AudioInput(path, container, streams[0])


def _video_origin(container: InputContainer, time_base: Fraction) -> int:
    """The video's first frame's time, in `time_base` ticks: the time zero of both."""
    if container.streams.video:
        video = container.streams.video[0]
        if video.start_time is not None and video.time_base:
            return round(video.start_time * video.time_base / time_base)
    if container.start_time is not None:
        return round(Fraction(container.start_time, av.time_base) / time_base)
    return 0


@dataclass(frozen=True)
class SoundKept:
    """What became of the input's sound in the output."""

    input_codec: str
    output_codec: str
    copied: bool

    def __str__(self) -> str:
        if self.copied:
            return f"{self.input_codec} copied"
        return f"{self.input_codec} as {self.output_codec}"


class AudioTrack:
    """The sound stream of an output file, fed from an AudioInput up to each frame's time.

    Made by the video writer before anything is muxed. `until(end_s)` gives the packets due
    before `end_s` (seconds from the first frame), in time order, ready to mux; `finish(end_s)`
    the rest up to there, the encoder's last packets included. Problems reading or encoding
    the sound end it quietly (`problem` says what); they never stop the video.
    """

    def __init__(
        self, source: AudioInput, container: OutputContainer, container_format: str
    ) -> None:
        self._source = source
        self._negative_ok = container_format in STARTS_BEFORE_ZERO
        copy = source.codec_name in COPIED_CODECS.get(container_format, frozenset())
        if source.codec_name == "aac" and not source.stream.codec_context.extradata:
            # AAC in ADTS frames (an MPEG-TS file): MP4 and Matroska need it repacked, so it is
            # encoded again instead.
            copy = False
        self.problem: str | None = None
        self._ended = False
        self._held: av.Packet | None = None
        self._decoded: Iterator[AudioFrame] = iter(())
        self._held_frame: AudioFrame | None = None
        if copy:
            self.stream = container.add_stream_from_template(source.stream)
            self.kept = SoundKept(source.codec_name, source.codec_name, copied=True)
            self._start_s = Fraction(0)
        else:
            aac_rates = av.codec.Codec("aac", "w").audio_rates or ()
            rate = source.sample_rate if source.sample_rate in aac_rates else 48000
            layout = "mono" if source.channels == 1 else "stereo"
            stream = container.add_stream("aac", rate=rate, layout=layout)
            stream.codec_context.bit_rate = _AAC_BITS_PER_CHANNEL * stream.codec_context.channels
            stream.time_base = Fraction(1, rate)
            self.stream = stream
            self.kept = SoundKept(source.codec_name, "aac", copied=False)
            self._start_s = (
                Fraction(0) if self._negative_ok else Fraction(_AAC_PRIMING_SAMPLES, rate)
            )
        self._copy = copy

    def until(self, end_s: float) -> Iterator[av.Packet]:
        """The packets that start before `end_s`, in order."""
        if self._ended:
            return
        if self._copy:
            yield from self._copied_until(end_s)
        else:
            yield from self._encoded_until(end_s, cut=False)

    def finish(self, end_s: float) -> Iterator[av.Packet]:
        """The packets up to `end_s` and, when encoding, what the encoder still holds: the
        sound ends within a packet of `end_s` (encoded sound exactly there)."""
        if not self._ended:
            if self._copy:
                yield from self._copied_until(end_s)
            else:
                yield from self._encoded_until(end_s, cut=True)
        self._ended = True
        if not self._copy:
            yield from self._encode(None)

    def _seconds(self, ticks: int) -> Fraction:
        return (ticks - self._source.origin) * self._source.time_base

    def _copied_until(self, end_s: float) -> Iterator[av.Packet]:
        source = self._source
        while True:
            packet = self._held or source.next_packet()
            self._held = None
            if packet is None:
                self._end(source.problem)
                return
            if packet.pts is None:
                continue
            start_s = self._seconds(packet.pts)
            if start_s >= end_s:
                self._held = packet
                return
            end_s_of_packet = start_s + (packet.duration or 0) * source.time_base
            if start_s < 0 and (not self._negative_ok or end_s_of_packet <= 0):
                continue  # all before the first frame, or a container that cannot start early
            packet.dts = packet.pts if packet.dts is None else packet.dts
            packet.pts -= source.origin
            packet.dts -= source.origin
            packet.stream = self.stream
            packet.time_base = source.time_base
            yield packet

    def _encoded_until(self, end_s: float, cut: bool) -> Iterator[av.Packet]:
        while True:
            frame = self._held_frame or self._next_frame()
            self._held_frame = None
            if frame is None:
                self._end(self._source.problem)
                return
            if frame.pts is None:
                continue
            rate = frame.sample_rate
            start_s = self._seconds(frame.pts)
            if start_s >= end_s:
                self._held_frame = frame
                return
            first = max(0, round((self._start_s - start_s) * rate))
            last = frame.samples
            if cut:
                last = min(last, round((Fraction(end_s) - start_s) * rate))
            if first >= last:
                continue
            if first or last < frame.samples:
                frame = _samples(frame, first, last)
            frame.pts = round(start_s * rate) + first
            frame.time_base = Fraction(1, rate)
            frame.sample_rate = rate
            yield from self._encode(frame)

    def _next_frame(self) -> AudioFrame | None:
        while True:
            frame = next(self._decoded, None)
            if frame is not None:
                if frame.pts is None:
                    continue
                return frame
            packet = self._source.next_packet()
            if packet is None:
                return None
            try:
                self._decoded = iter(self._source.stream.decode(packet))
            except av.error.FFmpegError:
                continue  # a damaged packet: a moment of silence, as players give

    def _encode(self, frame: AudioFrame | None) -> list[av.Packet]:
        try:
            packets = self.stream.encode(frame)
        except (av.error.FFmpegError, ValueError) as exc:
            self._end(f"its sound could not be encoded ({exc})")
            return []
        # No encoder packet starts before 0 where the container cannot say so (see _start_s).
        return [p for p in packets if self._negative_ok or p.pts is None or p.pts >= 0]

    def _end(self, problem: str | None) -> None:
        self._ended = True
        self.problem = self.problem or problem


def _samples(frame: AudioFrame, first: int, last: int) -> AudioFrame:
    """Samples `first` to `last` of `frame`, as a frame of their own."""
    data = frame.to_ndarray()
    if frame.format.is_planar:
        data = data[:, first:last]
    else:
        channels = len(frame.layout.channels)
        data = data[:, first * channels : last * channels]
    part = AudioFrame.from_ndarray(data.copy(), format=frame.format.name, layout=frame.layout.name)
    part.sample_rate = frame.sample_rate
    return part


def close_quietly(audio: AudioInput | None) -> None:
    if audio is not None:
        with contextlib.suppress(av.error.FFmpegError, OSError):
            audio.close()


__all__ = ["COPIED_CODECS", "AudioInput", "AudioTrack", "SoundKept", "close_quietly", "open_audio"]
