"""Loading a pose landmarker `.task` bundle into memory, with checks that give clear messages.

Models are handed to MediaPipe as bytes (`model_asset_buffer`): MediaPipe's own path loading
has had bugs with Windows paths.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from desktop_app.errors import ModelError, reason

# The two members MediaPipe's PoseLandmarker looks for inside a `.task` zip.
REQUIRED_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")


@dataclass(frozen=True)
class PoseModel:
    """A pose landmarker bundle held in memory."""

    path: Path
    data: bytes
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


def read_expected_sha256(model_path: Path) -> str | None:
    """The hash recorded beside a bundled model (`NAME.task.sha256`), or None if there is none."""
    hash_file = model_path.with_name(model_path.name + ".sha256")
    if not hash_file.is_file():
        return None
    text = hash_file.read_text(encoding="ascii", errors="replace").split()
    return text[0].lower() if text else None


def load_model(path: str | Path, expected_sha256: str | None = None) -> PoseModel:
    """Read and check a `.task` bundle.

    `expected_sha256`, when given, must match the file's hash; this catches a model damaged
    by a bad checkout, a partial download or a Git LFS pointer left in its place.
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(path, "pose model not found")
    if not path.is_file():
        raise ModelError(path, "pose model path is not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(path, f"cannot read the pose model ({reason(exc)})") from None
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 is not None and digest != expected_sha256.lower():
        raise ModelError(
            path,
            f"pose model is damaged (SHA-256 {digest[:12]}... expected "
            f"{expected_sha256[:12]}...); restore it from the PoseCam repository",
        )
    if not data:
        raise ModelError(path, "pose model file is empty")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            members = set(bundle.namelist())
    except zipfile.BadZipFile:
        raise ModelError(path, "not a MediaPipe .task bundle (not a zip file)") from None
    missing = [m for m in REQUIRED_MEMBERS if m not in members]
    if missing:
        raise ModelError(path, f"not a pose landmarker bundle (missing {', '.join(missing)})")
    return PoseModel(path=path, data=data, sha256=digest)


def load_default_model() -> PoseModel:
    """The model that ships with PoseCam, checked against its recorded hash."""
    from desktop_app.resources import default_model_path

    path = default_model_path()
    expected = read_expected_sha256(path)
    if path.exists() and expected is None:
        raise ModelError(path, "pose model has no .sha256 file beside it; reinstall PoseCam")
    return load_model(path, expected)
