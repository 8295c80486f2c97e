"""Shared fixtures: real photos that install with the dependencies, the bundled model, and
clips synthesised from those photos. `shared_data` skips cleanly when ../shared is absent."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

# Qt must never try to reach a display in the test run; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest

from desktop_app.core.model import PoseModel, load_default_model
from desktop_app.media.synthetic import KnownMotion, known_motion_frames, sample_photo
from desktop_app.media.video_writer import VideoWriter

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("POSECAM_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def model() -> PoseModel:
    return load_default_model()


@pytest.fixture(scope="session")
def grace_hopper() -> np.ndarray:
    """matplotlib's 512x600 portrait of Grace Hopper, RGB."""
    return sample_photo()


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """scikit-image's 512x512 portrait of Eileen Collins, RGB."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not present at {SHARED_DATA}")
    return SHARED_DATA


def write_clip(
    path: Path, photo: np.ndarray, motion: KnownMotion, noise_grey_levels: float = 0.0
) -> Path:
    """Write the known-motion clip of `photo` to `path` as H.264."""
    with VideoWriter(path, motion.fps) as writer:
        for frame in known_motion_frames(photo, motion, noise_grey_levels=noise_grey_levels):
            writer.write(frame.rgb, frame.time_ms)
    return path


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory: pytest.TempPathFactory, grace_hopper: np.ndarray) -> Path:
    """A 1 s, 30 fps, 640x480 clip of the Grace Hopper photo sweeping sideways."""
    motion = KnownMotion(
        photo_size=(grace_hopper.shape[1], grace_hopper.shape[0]),
        canvas_size=(640, 480),
        fps=30.0,
        seconds=1.0,
        sweep_px=60.0,
        sweep_period_s=1.0,
        zoom_start=0.7,
        zoom_end=0.75,
    )
    return write_clip(tmp_path_factory.mktemp("clips") / "hopper.mp4", grace_hopper, motion)


@pytest.fixture
def cwd_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path
