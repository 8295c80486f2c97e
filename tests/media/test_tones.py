"""The cue tone is a real WAV file of the pitch and length asked for."""

from __future__ import annotations

import wave

import numpy as np

from desktop_app.media.tones import write_tone


def test_the_tone_has_its_pitch_and_length(tmp_path) -> None:
    path = write_tone(tmp_path / "cue.wav", frequency_hz=660.0, seconds=0.2)
    with wave.open(str(path)) as file:
        rate, frames = file.getframerate(), file.getnframes()
        samples = np.frombuffer(file.readframes(frames), "<i2").astype(float)
    assert abs(frames / rate - 0.2) < 0.001
    spectrum = np.abs(np.fft.rfft(samples))
    peak_hz = np.argmax(spectrum) * rate / len(samples)
    assert abs(peak_hz - 660.0) < 10.0
    # Faded in and out: no click at either end.
    assert abs(samples[0]) < 100 and abs(samples[-1]) < 100
