"""The clip every benchmark runs on, unless told otherwise."""

from __future__ import annotations

import tempfile
from pathlib import Path

from desktop_app.media.synthetic import write_sample_clip

REPO = Path(__file__).resolve().parent.parent
#: 1280x720, 23.976 fps, a person doing taiji: real footage from ../shared (not distributed).
TAIJI_720P = REPO.parent / "shared" / "data" / "videos" / "taiji_frontal_720p.mp4"


def benchmark_clip(chosen: Path | None = None) -> Path:
    """`chosen`; else the taiji clip when ../shared is present; else a 10 s clip of the sample
    photo moving, written to a temporary folder now."""
    if chosen is not None:
        return chosen
    if TAIJI_720P.exists():
        return TAIJI_720P
    clip = Path(tempfile.mkdtemp()) / "sample.mp4"
    write_sample_clip(clip, seconds=10.0)
    return clip
