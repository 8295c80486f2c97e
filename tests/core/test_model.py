import hashlib
import zipfile
from pathlib import Path

import pytest

from desktop_app.core.model import (
    REQUIRED_MEMBERS,
    PoseModel,
    load_model,
    read_expected_sha256,
)
from desktop_app.errors import ModelError
from desktop_app.resources import default_model_path


def test_bundled_model_matches_its_recorded_hash(model: PoseModel) -> None:
    expected = read_expected_sha256(default_model_path())
    assert expected is not None and len(expected) == 64
    assert model.sha256 == expected == hashlib.sha256(model.path.read_bytes()).hexdigest()
    with zipfile.ZipFile(model.path) as bundle:
        assert set(REQUIRED_MEMBERS) <= set(bundle.namelist())


def test_damaged_model_is_refused_with_its_name(model: PoseModel, tmp_path: Path) -> None:
    damaged = tmp_path / "pose_landmarker_full.task"
    data = bytearray(model.data)
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"pose_landmarker_full\.task: pose model is damaged"):
        load_model(damaged, model.sha256)


def test_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "nothing.task")


def test_not_a_bundle(tmp_path: Path) -> None:
    text = tmp_path / "notes.task"
    text.write_text("hello")
    with pytest.raises(ModelError, match="not a zip"):
        load_model(text)
    other_zip = tmp_path / "other.task"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("hand_detector.tflite", b"x")
    with pytest.raises(ModelError, match=r"missing pose_detector\.tflite"):
        load_model(other_zip)
