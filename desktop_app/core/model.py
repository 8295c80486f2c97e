"""Loading a pose landmarker `.task` bundle into memory, with checks that give clear messages.

Models are handed to MediaPipe as bytes (`model_asset_buffer`): MediaPipe's own path loading
has had bugs with Windows paths.

A user's bundle (`--model`) is checked before the first frame, so that a bad one is one line
naming the file rather than a flatbuffer or RET_CHECK error from deep inside MediaPipe: a zip
of uncompressed members, each a TFLite model with the input and outputs the pose graph
expects, and then loaded once by MediaPipe itself.
"""

from __future__ import annotations

import hashlib
import io
import struct
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from desktop_app.errors import ModelError, reason

# The two members MediaPipe's PoseLandmarker looks for inside a `.task` zip.
REQUIRED_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")

# What the pose landmarker graph feeds each member (its input shape) and how many tensors it
# takes back from it; the lite, full and heavy models all agree. Anything else fails inside
# MediaPipe at the first frame with a RET_CHECK ("input_tensors.size() == 4 (5 vs. 4)").
_MEMBER_SHAPES = {
    "pose_detector.tflite": ([1, 224, 224, 3], 2),
    "pose_landmarks_detector.tflite": ([1, 256, 256, 3], 5),
}

# The heavy pose model is 30 MB; a file far larger is not a pose model, and would be read
# into memory whole.
_MAX_MODEL_BYTES = 200 * 1024 * 1024


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
        if path.stat().st_size > _MAX_MODEL_BYTES:
            raise ModelError(
                path,
                f"not a pose model ({path.stat().st_size / 2**20:.0f} MB; pose landmarker "
                f"bundles are under {_MAX_MODEL_BYTES // 2**20} MB)",
            )
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
            missing = [m for m in REQUIRED_MEMBERS if m not in members]
            if missing:
                raise ModelError(
                    path, f"not a pose landmarker bundle (missing {', '.join(missing)})"
                )
            for name in REQUIRED_MEMBERS:
                _check_member(path, bundle, name)
    except zipfile.BadZipFile:
        raise ModelError(path, "not a MediaPipe .task bundle (not a zip file)") from None
    model = PoseModel(path=path, data=data, sha256=digest)
    if expected_sha256 is None:
        # Not the bundle PoseCam ships (checked by its hash): see that MediaPipe takes it.
        _check_mediapipe_loads(model)
    return model


def _check_member(path: Path, bundle: zipfile.ZipFile, name: str) -> None:
    """Raise ModelError unless member `name` is a TFLite model the pose graph can run."""
    info = bundle.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED:
        raise ModelError(
            path,
            f"pose model bundle is compressed ({name}); MediaPipe reads only bundles whose "
            "members are stored uncompressed (zip -0)",
        )
    if info.file_size > _MAX_MODEL_BYTES:
        raise ModelError(path, f"{name} in the bundle is not a pose model (too large)")
    try:
        member = bundle.read(name)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ModelError(path, f"{name} in the bundle is damaged ({reason(exc)})") from None
    shapes = tflite_io_shapes(member)
    if shapes is None:
        raise ModelError(path, f"{name} in the bundle is not a TFLite model (damaged?)")
    inputs, outputs = shapes
    expected_input, expected_outputs = _MEMBER_SHAPES[name]
    if inputs != [expected_input] or len(outputs) != expected_outputs:
        raise ModelError(
            path,
            f"{name} in the bundle is not the model a pose landmarker needs (it takes "
            f"{_shapes(inputs)} and gives {len(outputs)} outputs; the pose graph feeds it "
            f"{_shapes([expected_input])} and reads {expected_outputs})",
        )


def _shapes(shapes: list[list[int]]) -> str:
    return " and ".join("x".join(map(str, shape)) for shape in shapes) or "no input"


def tflite_io_shapes(model: bytes) -> tuple[list[list[int]], list[list[int]]] | None:
    """The shapes of a TFLite model's inputs and outputs (of its first subgraph), read from
    its flatbuffer; None if it is not a TFLite model or is damaged."""
    if model[4:8] != b"TFL3":
        return None
    try:
        buffer = _FlatBuffer(model)
        root = buffer.table_at(0)
        subgraph = buffer.table_vector(root, 2)[0]  # Model.subgraphs
        tensors = buffer.field_vector(subgraph, 0)  # SubGraph.tensors

        def shape(index: int) -> list[int]:
            if not 0 <= index < tensors.count:
                raise _BadFlatBuffer
            return buffer.int_vector(buffer.table_at(tensors.at(index)), 0)  # Tensor.shape

        inputs = [shape(i) for i in buffer.int_vector(subgraph, 1)]  # SubGraph.inputs
        outputs = [shape(i) for i in buffer.int_vector(subgraph, 2)]  # SubGraph.outputs
    except (_BadFlatBuffer, IndexError, struct.error):
        return None
    return inputs, outputs


class _BadFlatBuffer(Exception):
    pass


@dataclass(frozen=True)
class _Vector:
    """A flatbuffer vector of 4-byte elements: `count` of them from `start`."""

    start: int
    count: int

    def at(self, index: int) -> int:
        return self.start + 4 * index


class _FlatBuffer:
    """Just enough of the flatbuffer format to walk TFLite's schema, every read bounds-checked
    (a damaged file raises _BadFlatBuffer instead of reading nonsense)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def _read(self, fmt: str, at: int) -> int:
        if at < 0 or at + struct.calcsize(fmt) > len(self.data):
            raise _BadFlatBuffer
        value: int = struct.unpack_from(fmt, self.data, at)[0]
        return value

    def table_at(self, at: int) -> int:
        """The table an offset at `at` points to."""
        return at + self._read("<I", at)

    def _field(self, table: int, index: int) -> int | None:
        vtable = table - self._read("<i", table)
        slot = 4 + 2 * index
        if slot + 2 > self._read("<H", vtable):
            return None
        offset = self._read("<H", vtable + slot)
        return table + offset if offset else None

    def field_vector(self, table: int, index: int) -> _Vector:
        field = self._field(table, index)
        if field is None:
            return _Vector(0, 0)
        start = self.table_at(field)
        count = self._read("<I", start)
        if start + 4 + 4 * count > len(self.data):
            raise _BadFlatBuffer
        return _Vector(start + 4, count)

    def table_vector(self, table: int, index: int) -> list[int]:
        vector = self.field_vector(table, index)
        return [self.table_at(vector.at(i)) for i in range(vector.count)]

    def int_vector(self, table: int, index: int) -> list[int]:
        vector = self.field_vector(table, index)
        return [self._read("<i", vector.at(i)) for i in range(vector.count)]


def _check_mediapipe_loads(model: PoseModel) -> None:
    """Build a pose landmarker from `model` and run it on a blank picture; raise ModelError,
    in one line, if MediaPipe fails. TFLite's own complaints are kept off the terminal."""
    import mediapipe as mp
    import numpy as np
    from mediapipe.tasks.python.core.base_options import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions
    from mediapipe.tasks.python.vision.core.vision_task_running_mode import (
        VisionTaskRunningMode,
    )

    from desktop_app.core.native_log import native_stderr_into

    options = PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=model.data),
        running_mode=VisionTaskRunningMode.IMAGE,
    )
    blank = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((64, 64, 3), np.uint8))
    failure: Exception | None = None
    with tempfile.TemporaryFile() as native_output:
        with native_stderr_into(native_output):
            try:
                landmarker = PoseLandmarker.create_from_options(options)
                try:
                    landmarker.detect(blank)
                finally:
                    landmarker.close()
            except OSError:
                # MediaPipe's native library is missing: not the model's fault, and
                # PoseEstimator says what to do about it.
                return
            except Exception as exc:
                failure = exc
        if failure is None:
            return
        native_output.seek(0)
        said = native_output.read().decode("utf-8", "replace")
    # TFLite's own line ("ERROR: Tensor ... has invalid sparsity parameters") says more than
    # MediaPipe's exception ("Could not build model ..."); either way, one short line.
    lines = [line.removeprefix("ERROR: ") for line in said.splitlines() if "ERROR" in line]
    detail = (lines[0] if lines else str(failure).strip().splitlines()[0]).strip()
    if len(detail) > 160:
        detail = detail[:157] + "..."
    raise ModelError(model.path, f"pose model cannot be loaded by MediaPipe ({detail})")


def load_default_model() -> PoseModel:
    """The model that ships with PoseCam, checked against its recorded hash."""
    from desktop_app.resources import default_model_path

    path = default_model_path()
    expected = read_expected_sha256(path)
    if path.exists() and expected is None:
        raise ModelError(path, "pose model has no .sha256 file beside it; reinstall PoseCam")
    return load_model(path, expected)
