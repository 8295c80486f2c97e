"""`--model` bundles are checked before the first frame: one line naming the file for a bundle
with the right member names but the wrong contents, never a flatbuffer or RET_CHECK error from
inside MediaPipe. Every bundle is a real zip made here from the shipped model's members."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from desktop_app.core.model import PoseModel, load_model, tflite_io_shapes
from desktop_app.errors import ModelError
from tests.test_annotate_cli import assert_one_line_error, run

DETECTOR, LANDMARKS = "pose_detector.tflite", "pose_landmarks_detector.tflite"


@pytest.fixture(scope="module")
def members(model: PoseModel) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(model.data)) as bundle:
        return {name: bundle.read(name) for name in (DETECTOR, LANDMARKS)}


def _bundle(
    path: Path, detector: bytes, landmarks: bytes, compression: int = zipfile.ZIP_STORED
) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as bundle:
        bundle.writestr(DETECTOR, detector)
        bundle.writestr(LANDMARKS, landmarks)
    return path


def _flipped(data: bytes, at: int, count: int = 64) -> bytes:
    damaged = bytearray(data)
    for offset in range(count):
        damaged[at + 97 * offset] ^= 0xFF
    return bytes(damaged)


def test_the_shipped_members_read_as_the_pose_graph_expects(members: dict[str, bytes]) -> None:
    assert tflite_io_shapes(members[DETECTOR]) == (
        [[1, 224, 224, 3]],
        [[1, 2254, 12], [1, 2254, 1]],
    )
    inputs, outputs = tflite_io_shapes(members[LANDMARKS]) or ([], [])
    assert inputs == [[1, 256, 256, 3]] and len(outputs) == 5


def test_a_repacked_bundle_of_the_shipped_members_is_accepted(
    members: dict[str, bytes], tmp_path: Path
) -> None:
    path = _bundle(tmp_path / "mine.task", members[DETECTOR], members[LANDMARKS])
    assert load_model(path).name == "mine.task"


def _cases(members: dict[str, bytes]) -> dict[str, tuple[bytes, bytes, str]]:
    detector, landmarks = members[DETECTOR], members[LANDMARKS]
    return {
        "garbage": (b"garbage" * 100, landmarks, f"{DETECTOR} in the bundle is not a TFLite"),
        "cut short": (detector[: len(detector) // 2], landmarks, "not a TFLite model"),
        "empty member": (detector, b"", f"{LANDMARKS} in the bundle is not a TFLite"),
        # Each fails at the first frame inside MediaPipe with a RET_CHECK on tensor counts.
        "swapped": (landmarks, detector, "takes 1x256x256x3 and gives 5 outputs"),
        "detector twice": (detector, detector, f"{LANDMARKS} in the bundle is not the model"),
        # Damage past the structure: TFLite refuses it when building the interpreter.
        "damaged tensors": (
            _flipped(detector, len(detector) - 40_000),
            landmarks,
            "cannot be loaded by MediaPipe",
        ),
    }


@pytest.mark.parametrize(
    "case",
    ["garbage", "cut short", "empty member", "swapped", "detector twice", "damaged tensors"],
)
def test_a_bundle_with_the_right_names_and_wrong_contents_is_one_line(
    case: str,
    members: dict[str, bytes],
    short_clip: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    detector, landmarks, problem = _cases(members)[case]
    bundle = _bundle(tmp_path / "custom.task", detector, landmarks)
    with pytest.raises(ModelError, match=r"custom\.task: ") as caught:
        load_model(bundle)
    assert problem in str(caught.value)
    capsys.readouterr()
    out = tmp_path / "out.mp4"
    code, _, err = run(capsys, short_clip, "-o", out, "--model", bundle)
    assert code == 2
    assert_one_line_error(err, "custom.task", problem)
    assert not out.exists() and not (tmp_path / "out.partial.mp4").exists()


def test_a_compressed_bundle_is_named_as_such(members: dict[str, bytes], tmp_path: Path) -> None:
    # MediaPipe only says "Expected uncompressed zip archive" at the first frame.
    path = _bundle(
        tmp_path / "zipped.task", members[DETECTOR], members[LANDMARKS], zipfile.ZIP_DEFLATED
    )
    with pytest.raises(ModelError, match=r"zipped\.task: pose model bundle is compressed"):
        load_model(path)


def test_a_huge_file_is_not_read_as_a_model(tmp_path: Path) -> None:
    path = tmp_path / "video.task"
    with open(path, "wb") as f:
        f.truncate(300 * 1024 * 1024)  # sparse: takes no disk space
    with pytest.raises(ModelError, match=r"video\.task: not a pose model \(300 MB"):
        load_model(path)
