"""Clips with sound, made here with PyAV: the sample photo moving, and a sine sweep (a sine
whose pitch glides up, so that a shift in time shows as a loss of correlation, which a steady
tone would hide by repeating itself); and the sound of a file decoded, for comparing."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from desktop_app.media.synthetic import KnownMotion, known_motion_frames, sample_photo

SWEEP_FROM_HZ = 300.0
SWEEP_TO_HZ = 1500.0


def sine_sweep(seconds: float, rate: int) -> np.ndarray:
    """A sine gliding from SWEEP_FROM_HZ to SWEEP_TO_HZ over `seconds`, amplitude 0.5."""
    t = np.arange(round(seconds * rate)) / rate
    glide = (SWEEP_TO_HZ - SWEEP_FROM_HZ) / (2.0 * seconds)
    return 0.5 * np.sin(2.0 * np.pi * (SWEEP_FROM_HZ * t + glide * t * t))


def write_clip_with_sound(
    path: Path,
    audio_codec: str = "aac",
    seconds: float = 1.0,
    fps: float = 30.0,
    rate: int = 48000,
    sound_seconds: float | None = None,
    sound_starts_s: float = 0.0,
    size: tuple[int, int] = (640, 480),
    sound_ahead_s: float = 0.0,
) -> np.ndarray:
    """Write the sample photo sweeping sideways (H.264) with a sine sweep in `audio_codec`
    (mono), muxed in time order; the container by suffix. The sound lasts `sound_seconds`
    (default: as long as the video) from `sound_starts_s`. `sound_ahead_s`: the sound is
    written that far ahead of the frames instead, as some recorders do (so a file cut short
    has sound past its last frame). Returns the sound, float in [-1, 1]."""
    photo = sample_photo()
    motion = KnownMotion(
        photo_size=(photo.shape[1], photo.shape[0]),
        canvas_size=size,
        fps=fps,
        seconds=seconds,
        sweep_px=60.0,
        sweep_period_s=seconds,
        zoom_start=0.7,
        zoom_end=0.75,
    )
    sound = sine_sweep(seconds if sound_seconds is None else sound_seconds, rate)
    # FFmpeg's interleaving would put the sound back in time order; 1 µs keeps it as written.
    options = {"max_interleave_delta": "1"} if sound_ahead_s else {}
    with av.open(str(path), "w", options=options) as container:
        video = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video_time_base = Fraction(1, 90000)
        if sound_ahead_s:
            video.options = {"tune": "zerolatency"}  # frames out as they go in
        audio = container.add_stream(audio_codec, rate=rate, layout="mono")
        sample_format = audio.codec_context.format.name
        chunk = audio.codec_context.frame_size or 1024
        starts = round(sound_starts_s * rate)
        frames = list(known_motion_frames(photo, motion))
        at = 0
        for frame in frames:
            # The sound up to this frame's time first, so the file is in time order.
            while at < len(sound) and (starts + at) / rate < frame.time_ms / 1e3 + sound_ahead_s:
                _mux_sound(container, audio, sound[at : at + chunk], starts + at, sample_format)
                at += chunk
            picture = av.VideoFrame.from_ndarray(frame.rgb, format="rgb24")
            picture.pts = round(frame.time_ms / 1000.0 / video_time_base)
            picture.time_base = video_time_base
            for packet in video.encode(picture):
                container.mux(packet)
        while at < len(sound):
            _mux_sound(container, audio, sound[at : at + chunk], starts + at, sample_format)
            at += chunk
        for stream in (video, audio):
            for packet in stream.encode(None):
                container.mux(packet)
    return sound


def _mux_sound(
    container: av.container.OutputContainer,
    stream: av.audio.stream.AudioStream,
    samples: np.ndarray,
    pts: int,
    sample_format: str,
) -> None:
    rate = stream.codec_context.sample_rate
    if sample_format.startswith("s16"):
        data = (samples * 32767).astype(np.int16)
    elif sample_format.startswith("s32"):
        data = (samples * 2147483647).astype(np.int32)
    else:
        data = samples.astype(np.float32)
    frame = av.AudioFrame.from_ndarray(data[None, :], format=sample_format, layout="mono")
    frame.sample_rate = rate
    frame.pts = pts
    frame.time_base = Fraction(1, rate)
    for packet in stream.encode(frame):
        container.mux(packet)


def decoded_sound(path: Path) -> tuple[float, int, np.ndarray]:
    """The first audio stream of `path` decoded to its end: (time of its first sample in
    seconds, samples per second, the first channel as float in [-1, 1])."""
    with av.open(str(path)) as container:
        frames = list(container.decode(container.streams.audio[0]))
    first = frames[0]
    parts = []
    for frame in frames:
        data = frame.to_ndarray()
        channels = len(frame.layout.channels)
        mono = data[0] if frame.format.is_planar else data.reshape(-1)[::channels]
        parts.append(mono.astype(np.float64))
    samples = np.concatenate(parts)
    name = first.format.name
    if name.startswith("s16"):
        samples /= 32768.0
    elif name.startswith("s32"):
        samples /= 2147483648.0
    return float(first.time or 0.0), first.sample_rate, samples


def lag_and_correlation(
    expected: np.ndarray, expected_start_s: float, got: np.ndarray, got_start_s: float, rate: int,
    seconds: float = 0.5, search_ms: float = 30.0,
) -> tuple[float, float]:  # fmt: skip
    """Compare `got` with `expected`, both placed at their own start times, over `seconds`
    from 50 ms in (past any encoder's ramp in): how far `got` is behind (ms, at the best
    match within `search_ms`), and their correlation there."""
    offset = round((got_start_s - expected_start_s) * rate)
    skip, length, search = round(0.05 * rate), round(seconds * rate), round(search_ms / 1e3 * rate)
    window = got[skip : skip + length]

    def at(lag: int) -> np.ndarray:
        start = skip + offset - lag
        return expected[start : start + len(window)]

    best = max(
        range(-search, search + 1),
        key=lambda lag: float(np.dot(at(lag), window)) if len(at(lag)) == len(window) else -1e9,
    )
    return best * 1000.0 / rate, float(np.corrcoef(at(best), window)[0, 1])


__all__ = ["decoded_sound", "lag_and_correlation", "sine_sweep", "write_clip_with_sound"]
