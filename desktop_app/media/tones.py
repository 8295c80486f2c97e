"""Short tones for form cues, made here as WAV files: nothing to download, nothing to ship."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE_HZ = 22050


def write_tone(path: Path, frequency_hz: float = 880.0, seconds: float = 0.15) -> Path:
    """A sine tone as 16-bit mono WAV at `path`, faded in and out over 10 ms (a hard edge
    clicks)."""
    n = max(int(SAMPLE_RATE_HZ * seconds), 1)
    t = np.arange(n) / SAMPLE_RATE_HZ
    wave_form = np.sin(2 * np.pi * frequency_hz * t)
    fade = min(int(0.01 * SAMPLE_RATE_HZ), n // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        wave_form[:fade] *= ramp
        wave_form[-fade:] *= ramp[::-1]
    samples = (wave_form * 0.5 * 32767).astype("<i2")
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(SAMPLE_RATE_HZ)
        file.writeframes(samples.tobytes())
    return path


__all__ = ["SAMPLE_RATE_HZ", "write_tone"]
