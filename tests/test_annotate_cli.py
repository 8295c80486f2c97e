"""`posecam annotate` end to end, and every kind of bad input a user may hand it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from desktop_app.annotate import AnnotateOptions
from desktop_app.cli import main
from desktop_app.media.keypoints import CSV_COLUMNS
from desktop_app.media.sources import VideoFileSource


def probe(path: Path) -> tuple[str, int, float, tuple[int, int]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(stream))
        ctx = stream.codec_context
        return ctx.name, count, float(stream.average_rate), (ctx.width, ctx.height)


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["annotate", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("posecam: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_video_in_h264_out_with_same_frames_and_rate_plus_csv(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, keypoints = tmp_path / "annotated.mp4", tmp_path / "k.csv"
    code, stdout, err = run(capsys, short_clip, "-o", out, "--keypoints", keypoints)
    assert code == 0, err
    codec, count, rate, size = probe(out)
    assert (codec, count, size) == ("h264", 30, (640, 480))
    assert rate == pytest.approx(30.0, abs=0.01)
    assert "30 frames, 30 with a person" in stdout and "frames/s" in stdout
    assert err == ""  # not a terminal: no progress bar, and MediaPipe's chatter is kept quiet
    with open(keypoints, newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert len(rows) == 30 * 33
    assert {r["frame"] for r in rows} == {str(i) for i in range(30)}
    assert {r["person"] for r in rows} == {"0"}
    times = sorted({float(r["time_ms"]) for r in rows})
    assert np.allclose(times, np.arange(30) * 1000 / 30, atol=0.5)
    nose = [r for r in rows if r["name"] == "nose"]
    assert all(0 <= float(r["x"]) < 640 and 0 <= float(r["y"]) < 480 for r in nose)
    # Kalman smoothing is the default: positions move a little off the model's own.
    shift_px = [abs(float(r["x"]) - float(r["raw_x"])) for r in rows]
    assert 0.0 < np.median(shift_px) < 5.0


def test_smoothing_none_exports_the_models_own_positions(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keypoints = tmp_path / "k.csv"
    args = (short_clip, "-o", tmp_path / "a.mp4", "--keypoints", keypoints, "--smoothing", "none")
    assert run(capsys, *args)[0] == 0
    with open(keypoints, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 30 * 33
    assert all(r["x"] == r["raw_x"] and r["y"] == r["raw_y"] for r in rows)


def test_annotated_video_shows_the_skeleton(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "annotated.mp4"
    assert run(capsys, short_clip, "-o", out)[0] == 0
    with VideoFileSource(short_clip) as a, VideoFileSource(out) as b:
        before, after = next(iter(a)).rgb, next(iter(b)).rgb
    changed = np.abs(after.astype(int) - before.astype(int)).max(axis=2) > 60
    assert changed.sum() > 300  # bones and joints drawn, not just encoder noise
    reddish = (after[..., 0] > 180) & (after[..., 1] < 90) & (after[..., 2] < 90) & changed
    assert reddish.sum() > 20  # the default red joints


def test_json_keypoints(short_clip: Path, tmp_path: Path, capsys) -> None:
    out, keypoints = tmp_path / "a.mp4", tmp_path / "k.json"
    assert run(capsys, short_clip, "-o", out, "--keypoints", keypoints)[0] == 0
    doc = json.loads(keypoints.read_text())
    assert doc["source"] == short_clip.name
    assert (doc["width"], doc["height"]) == (640, 480)
    assert doc["fps"] == pytest.approx(30.0)
    assert doc["model"] == "pose_landmarker_full.task"
    assert len(doc["frames"]) == 30
    assert "complete" not in doc  # said only of files that are not
    frame = doc["frames"][5]
    assert frame["frame"] == 5 and frame["time_ms"] == pytest.approx(166.667, abs=0.5)
    (person,) = frame["persons"]
    assert person["id"] == 0
    assert [lm["name"] for lm in person["landmarks"]][:2] == ["nose", "left_eye_inner"]
    assert set(person["landmarks"][0]) >= {"name", "x", "y", "z", "visibility"}


def test_image_in_image_out_same_size(
    grace_hopper: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "hopper.jpg"
    cv2.imwrite(str(photo), cv2.cvtColor(grace_hopper, cv2.COLOR_RGB2BGR))
    code, stdout, err = run(capsys, photo, "--keypoints", tmp_path / "k.csv")
    assert code == 0, err
    out = tmp_path / "hopper_posecam.jpg"
    assert cv2.imread(str(out)).shape == grace_hopper.shape
    assert "1 frame, 1 with a person" in stdout
    with open(tmp_path / "k.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 33


@pytest.mark.parametrize("kind", ["alpha", "16bit", "grey"])
def test_unusual_images_are_annotated(
    kind: str, astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bgr = cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR)
    image = {
        "alpha": np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)]),
        "16bit": bgr.astype(np.uint16) * 257,
        "grey": cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY),
    }[kind]
    path = tmp_path / f"{kind}.png"
    cv2.imwrite(str(path), image)
    code, stdout, err = run(capsys, path)
    assert code == 0, err
    assert "1 with a person" in stdout
    assert cv2.imread(str(tmp_path / f"{kind}_posecam.png")).shape == (512, 512, 3)


def test_4k_image(astronaut: np.ndarray, tmp_path: Path, capsys) -> None:
    big = cv2.resize(cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR), (2160, 2160))
    frame = np.full((2160, 3840, 3), 90, np.uint8)
    frame[:, 840:3000] = big
    path = tmp_path / "uhd.png"
    cv2.imwrite(str(path), frame)
    code, stdout, err = run(capsys, path)
    assert code == 0, err
    assert "1 with a person" in stdout
    assert cv2.imread(str(tmp_path / "uhd_posecam.png")).shape == (2160, 3840, 3)


def test_missing_file(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, tmp_path / "nowhere.mp4")
    assert code == 2
    assert_one_line_error(err, "nowhere.mp4", "no such file")


def test_text_file_named_mp4(tmp_path: Path, capsys) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 50)
    code, _, err = run(capsys, fake)
    assert code == 2
    assert_one_line_error(err, "notes.mp4", "not a video")
    assert not (tmp_path / "notes_posecam.mp4").exists()


def test_empty_file(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    code, _, err = run(capsys, empty)
    assert code == 2
    assert_one_line_error(err, "empty.mp4", "empty")


def test_damaged_image(tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    code, _, err = run(capsys, broken)
    assert code == 2
    assert_one_line_error(err, "broken.png", "not an image")


def rolling_clip(
    path: Path,
    photo: np.ndarray,
    frames: int,
    step_px: int,
    stream_options: dict[str, str],
    container_options: dict[str, str] | None = None,
) -> None:
    """An H.264 clip of `photo` rolling sideways `step_px` pixels a frame, at 30 fps."""
    with av.open(str(path), "w", options=container_options or {}) as out:
        stream = out.add_stream("libx264", rate=30, options=stream_options)
        stream.width, stream.height, stream.pix_fmt = photo.shape[1], photo.shape[0], "yuv420p"
        for i in range(frames):
            shifted = np.roll(photo, step_px * i, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(shifted, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _faststart_clip(path: Path, photo: np.ndarray, frames: int) -> None:
    """An MP4 with its index at the front, as web downloads are: cutting it short leaves the
    index promising frames that are not there."""
    # A key frame every 10 frames spreads the data evenly through the file, as in real
    # footage, so that a break half way through the file is half way through the clip.
    rolling_clip(path, photo, frames, 8, {"g": "10", "bf": "0"}, {"movflags": "faststart"})


def test_video_that_breaks_half_way_keeps_what_came_before(
    astronaut: np.ndarray, tmp_path: Path, capsys
) -> None:
    # (Damage in the middle is decoded past: test_cli_safety.py.)
    whole = tmp_path / "whole.mp4"
    _faststart_clip(whole, astronaut, 60)
    data = bytearray(whole.read_bytes())
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data[: len(data) // 2]))
    out, keypoints = tmp_path / "out.mp4", tmp_path / "k.csv"
    code, stdout, err = run(capsys, broken, "-o", out, "--keypoints", keypoints)
    assert code == 2
    assert_one_line_error(err, "broken.mp4", "frame")
    stopped_at = int(err.split("frames before it")[0].split("the ")[-1])
    assert 10 < stopped_at < 50
    assert f"frame {stopped_at}" in err
    # What the broken input gave plays, under names that say it is incomplete.
    partial_out, partial_keypoints = tmp_path / "out.partial.mp4", tmp_path / "k.partial.csv"
    assert str(partial_out) in err
    codec, count, _, _ = probe(partial_out)
    assert codec == "h264" and count == stopped_at
    with open(partial_keypoints, newline="") as f:
        assert len({r["frame"] for r in csv.DictReader(f)}) == stopped_at
    assert f"{stopped_at} frames" in stdout
    assert not out.exists() and not keypoints.exists()


def test_output_folder_missing(short_clip: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, short_clip, "-o", tmp_path / "no" / "such" / "out.mp4")
    assert code == 2
    assert_one_line_error(err, "out.mp4", "does not exist")


def test_output_folder_is_a_file(short_clip: Path, tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, short_clip, "--keypoints", blocker / "k.csv")
    assert code == 2
    assert_one_line_error(err, "k.csv", "not a folder")


@pytest.mark.skipif(
    sys.platform == "win32" or getattr(__import__("os"), "geteuid", lambda: 0)() == 0,
    reason="permissions do not stop root (and differ on Windows)",
)
def test_output_folder_read_only(short_clip: Path, tmp_path: Path, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = run(capsys, short_clip, "-o", locked / "out.mp4")
    assert code == 2
    assert_one_line_error(err, "out.mp4", "cannot write")


def test_unwritable_device_path(short_clip: Path, capsys) -> None:
    # /proc refuses new files even to root, so this checks the write probe on any Linux.
    if not Path("/proc/self").exists():
        pytest.skip("no /proc here")
    code, _, err = run(capsys, short_clip, "-o", "/proc/posecam-test.mp4")
    assert code == 2
    assert_one_line_error(err, "/proc/posecam-test.mp4", "cannot write")


def test_existing_output_is_not_overwritten(short_clip: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"precious")
    code, _, err = run(capsys, short_clip, "-o", out)
    assert code == 2
    assert_one_line_error(err, "keep.mp4", "already exists", "--overwrite")
    assert out.read_bytes() == b"precious"


def test_bad_model_file(short_clip: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "my.task"
    bad.write_text("nope")
    code, _, err = run(capsys, short_clip, "-o", tmp_path / "o.mp4", "--model", bad)
    assert code == 2
    assert_one_line_error(err, "my.task", "not a zip")
    assert not (tmp_path / "o.mp4").exists()


def test_bad_arguments_are_refused_by_the_parser(short_clip: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["annotate", str(short_clip), "--min-confidence", "1.5"])
    assert exit_info.value.code == 2


def test_module_entry_point_runs_without_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", "annotate", str(tmp_path / "x.mp4")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"posecam: {tmp_path / 'x.mp4'}: no such file"


def test_sample_clip_command(tmp_path: Path, capsys) -> None:
    out = tmp_path / "sample.mp4"
    assert main(["sample-clip", str(out), "--seconds", "1"]) == 0
    codec, count, rate, _ = probe(out)
    assert codec == "h264" and count == 30 and rate == pytest.approx(30.0, abs=0.01)


def test_a_custom_exercise_needs_its_angle_and_thresholds(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.mp4"
    code, _, err = run(
        capsys, short_clip, "-o", out, "--exercise", "custom", "--angle", "left_knee"
    )
    assert code == 2
    assert_one_line_error(err, "--down")
    code, stdout, _ = run(capsys, short_clip, "-o", out, "--exercise", "custom",
                          "--angle", "left_elbow", "--down", "80", "--up", "150")  # fmt: skip
    # A photo sliding sideways does no curls.
    assert code == 0 and "left_elbow: person 0 reps=0" in stdout


def test_only_kalman_smoothing_looks_ahead_and_never_past_twelve_frames(tmp_path: Path) -> None:
    def held(fps: float | None, **options: object) -> int:
        chosen = AnnotateOptions(input=tmp_path / "x.mp4", **options)  # type: ignore[arg-type]
        return chosen.pipeline_settings(fps).look_ahead_frames

    # By default 0.2 s with one person found in every frame, 0.1 s with more or with
    # MediaPipe following the one (core.smoothing.default_look_ahead_s).
    assert held(30.0) == 6 and held(5.0) == 1 and held(240.0, look_ahead_s=0.5) == 12
    assert held(30.0, num_poses=2) == 3 and held(30.0, find_every_frame=False) == 3
    assert held(30.0, look_ahead_s=0.1) == 3
    assert held(None) == 0  # a picture
    assert held(30.0, look_ahead_s=0.0) == 0
    assert held(30.0, smoothing="none") == 0 and held(30.0, smoothing="oneeuro") == 0
    assert held(30.0, smoothing_strength=0.0) == 0


@pytest.mark.parametrize(
    "args",
    [[""], ["file://"], ["photo.jpg", "-o", ""], ["photo.jpg", "--keypoints", ""]],
    ids=["input", "file-address", "output", "keypoints"],
)
def test_an_empty_name_is_refused_not_read_as_this_folder(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    grace_hopper: np.ndarray,
    args: list[str],
) -> None:
    # `posecam annotate "$CLIP"` with CLIP unset, in a folder of pictures: Path("") is the
    # current folder, and every picture in it was annotated.
    cv2.imwrite(str(tmp_path / "photo.jpg"), grace_hopper)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as refused:
        main(["annotate", *args])
    assert refused.value.code == 2
    assert_one_line_error(capsys.readouterr().err, "names no file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.jpg"]
