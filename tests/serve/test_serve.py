"""`posecam serve` end to end: a real server on a free port, real HTTP, real MediaPipe, files
made here from the Grace Hopper photo and a short clip."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest

from desktop_app import __version__
from desktop_app.core.model import PoseModel
from desktop_app.media.images import write_image
from desktop_app.serve import create_app, serve_in_thread
from desktop_app.serve.jobs import JobRunner
from testsupport.http import multipart

# A guard against a hang, not a measurement: a job on the test files takes seconds.
LONGEST_WAIT_S = 300.0


class Server:
    def __init__(self, model: PoseModel, **options: Any) -> None:
        self.log: list[str] = []
        self.app = create_app(model=model, log=self.log.append, **options)
        self.runner: JobRunner = self.app.extensions["posecam"]
        self.http = serve_in_thread(self.app)
        self.url = f"http://127.0.0.1:{self.http.server_port}"

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.runner.close()

    def request(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        req = urllib.request.Request(self.url + path, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def get_json(self, path: str) -> tuple[int, Any]:
        status, body = self.request(path)
        return status, json.loads(body)

    def upload(self, content: bytes, filename: str, **fields: str) -> tuple[int, Any]:
        body, content_type = multipart(content, filename, fields)
        status, answer = self.request("/api/jobs", body, {"Content-Type": content_type})
        return status, json.loads(answer)

    def finished(self, job_id: str) -> dict[str, Any]:
        give_up = time.monotonic() + LONGEST_WAIT_S
        while time.monotonic() < give_up:
            status, job = self.get_json(f"/api/jobs/{job_id}")
            assert status == 200
            if job["state"] in ("done", "failed"):
                return job
            assert 0.0 <= (job["progress"] or 0.0) <= 1.0
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not end")


@pytest.fixture(scope="module")
def server(model: PoseModel) -> Iterator[Server]:
    # A queue of one, so that the full queue is easy to reach.
    running = Server(model, queue_size=1, max_upload_mb=20, keep_minutes=60)
    yield running
    running.close()


@pytest.fixture(scope="module")
def photo_jpeg(tmp_path_factory: pytest.TempPathFactory, grace_hopper: np.ndarray) -> bytes:
    path = tmp_path_factory.mktemp("photo") / "hopper.jpg"
    write_image(path, grace_hopper)
    return path.read_bytes()


def count_frames(data: bytes) -> tuple[str, int]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return stream.codec_context.name, sum(1 for _ in container.decode(stream))


def test_an_image_is_annotated_with_keypoints_and_repetitions(
    server: Server, photo_jpeg: bytes, grace_hopper: np.ndarray
) -> None:
    status, answer = server.upload(photo_jpeg, "hopper.jpg", exercise="squat", num_poses="2")
    assert status == 202, answer
    job = server.finished(answer["id"])
    assert job["state"] == "done" and job["error"] is None
    assert job["kind"] == "image" and job["name"] == "hopper.jpg" and job["progress"] == 1.0
    result = job["result"]
    assert result["frames"] == 1 and result["frames_with_person"] == 1
    assert result["exercise"] == "squat" and result["reps"] == {"0": 0}
    assert set(result["files"]) == {"annotated.jpg", "keypoints.json", "keypoints.csv", "reps.csv"}

    status, annotated = server.request(result["files"]["annotated.jpg"])
    assert status == 200
    picture = cv2.imdecode(np.frombuffer(annotated, np.uint8), cv2.IMREAD_COLOR)
    assert picture.shape == grace_hopper.shape
    # The skeleton is drawn: the picture is not the photo as it was.
    assert np.abs(picture[..., ::-1].astype(int) - grace_hopper).mean() > 0.5

    status, keypoints = server.get_json(result["files"]["keypoints.json"])
    assert status == 200 and len(keypoints["frames"]) == 1
    person = keypoints["frames"][0]["persons"][0]
    status, table = server.request(result["files"]["keypoints.csv"])
    rows = list(csv.DictReader(io.StringIO(table.decode())))
    assert len(rows) == 33
    assert float(rows[0]["x"]) == pytest.approx(person["landmarks"][0]["x"])
    status, reps = server.request(result["files"]["reps.csv"])
    assert status == 200 and reps.decode().startswith("person,")

    status, _ = server.request(result["files"]["annotated.jpg"] + "?download=1")
    assert status == 200
    [line] = [json.loads(entry) for entry in server.log if answer["id"] in entry]
    assert line["file"] == "hopper.jpg" and line["frames"] == 1 and line["reps"] == {"0": 0}
    assert line["size_bytes"] == len(photo_jpeg) and line["ms_per_frame"] > 0


def test_a_clip_gives_an_h264_video_with_every_frame(server: Server, short_clip: Path) -> None:
    data = short_clip.read_bytes()
    status, answer = server.upload(data, "clip.mp4")
    assert status == 202, answer
    job = server.finished(answer["id"])
    assert job["state"] == "done", job
    result = job["result"]
    _, input_frames = count_frames(data)
    assert result["frames"] == input_frames
    assert result["reps"] is None and "reps.csv" not in result["files"]
    assert result["sound"] is None and result["sound_problem"] is None  # the clip is silent
    status, video = server.request(result["files"]["annotated.mp4"])
    assert status == 200
    assert count_frames(video) == ("h264", input_frames)
    status, keypoints = server.get_json(result["files"]["keypoints.json"])
    assert len(keypoints["frames"]) == input_frames


def test_a_file_that_is_not_a_picture_is_refused_in_one_line(server: Server) -> None:
    status, answer = server.upload(b"this is not a video at all" * 10, "notes.mp4")
    assert status == 400
    message = answer["error"]
    assert message.startswith("notes.mp4: not a video PoseCam can read")
    assert "\n" not in message and str(server.runner.root) not in message
    status, answer = server.upload(b"", "empty.jpg")
    assert status == 400 and answer["error"] == "empty.jpg: file is empty"
    # Nothing of them is kept.
    assert not any(folder for folder in server.runner.root.iterdir() if not any(folder.iterdir()))


def test_wrong_options_are_refused(server: Server, photo_jpeg: bytes) -> None:
    for fields, words in [
        ({"exercise": "flying"}, "no exercise called 'flying'"),
        ({"num_poses": "0"}, "num_poses must be between 1 and 10"),
        ({"smoothing": "magic"}, "smoothing must be one of"),
    ]:
        status, answer = server.upload(photo_jpeg, "hopper.jpg", **fields)
        assert status == 400 and words in answer["error"]


def test_a_file_above_the_limit_is_413(model: PoseModel) -> None:
    small = Server(model, max_upload_mb=0.01)
    try:
        status, answer = small.upload(b"\xff\xd8" + bytes(20_000), "big.jpg")
        assert status == 413
        assert answer["error"] == "the file is larger than the 0.01 MB this server takes"
        assert list(small.runner.root.iterdir()) == []
    finally:
        small.close()


def test_healthz(server: Server) -> None:
    status, health = server.get_json("/healthz")
    assert status == 200
    assert health["model_loaded"] is True and health["version"] == __version__
    assert health["queue_length"] == 0


def test_a_full_queue_answers_503(server: Server, photo_jpeg: bytes) -> None:
    server.runner.pause()
    try:
        status, held = server.upload(photo_jpeg, "first.jpg")
        assert status == 202
        assert server.get_json("/healthz")[1]["queue_length"] == 1
        assert server.get_json(f"/api/jobs/{held['id']}")[1]["state"] == "queued"
        status, answer = server.upload(photo_jpeg, "second.jpg")
        assert status == 503
        assert answer["error"].startswith("busy: 1 files are already waiting")
    finally:
        server.runner.resume()
    assert server.finished(held["id"])["state"] == "done"


def test_names_never_become_paths(server: Server, photo_jpeg: bytes, tmp_path: Path) -> None:
    target = tmp_path / "planted.jpg"
    status, answer = server.upload(photo_jpeg, f"../../../..{target}")
    assert status == 202
    job = server.finished(answer["id"])
    assert job["name"] == "planted.jpg" and not target.exists()
    folder = server.runner.root / answer["id"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "annotated.jpg",
        "input.jpg",
        "keypoints.csv",
        "keypoints.json",
    ]
    for path in [
        f"/api/jobs/{answer['id']}/files/..%2Finput.jpg",
        f"/api/jobs/{answer['id']}/files/input.jpg",
        f"/api/jobs/{answer['id']}/files/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/jobs/..%2F..%2Fetc/files/passwd",
    ]:
        assert server.request(path)[0] == 404
    status, answer = server.upload(photo_jpeg, "..\\..\\a\tb\x7fc<script>.jpg")
    assert status == 202
    assert server.finished(answer["id"])["name"] == "abc<script>.jpg"


def test_files_are_private_and_deleted_after_keep_minutes(
    server: Server, photo_jpeg: bytes
) -> None:
    assert server.runner.root.stat().st_mode & 0o777 == 0o700
    _, answer = server.upload(photo_jpeg, "hopper.jpg")
    job = server.finished(answer["id"])
    folder = server.runner.root / answer["id"]
    assert folder.stat().st_mode & 0o777 == 0o700
    assert server.runner.remove_expired(now=time.time() + 59 * 60) == 0
    assert server.runner.remove_expired(now=time.time() + 61 * 60) >= 1
    assert not folder.exists()
    assert server.request(job["result"]["files"]["annotated.jpg"])[0] == 404
    assert server.get_json(f"/api/jobs/{answer['id']}")[0] == 404


def test_the_page_is_one_offline_file(server: Server) -> None:
    status, page = server.request("/")
    assert status == 200
    text = page.decode()
    assert "<video" not in text or "createElement" in text
    assert "http://" not in text and "https://" not in text
    status, options = server.get_json("/api/options")
    assert "squat" in options["exercises"] and options["default_smoothing"] in options["smoothing"]


def test_the_command_serves_until_stopped(tmp_path: Path) -> None:
    """`posecam serve --port 0` as a user runs it: it says where, answers, and on SIGTERM
    stops and deletes its folder."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("PoseCam is serving on http://127.0.0.1:"), first
        url = first.split()[4]
        with urllib.request.urlopen(url + "healthz", timeout=60) as response:
            assert json.loads(response.read())["model_loaded"] is True
        [folder] = list(tmp_path.glob("posecam-serve-*"))
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert not folder.exists()
    assert err == ""


def test_a_bad_port_is_one_line() -> None:
    process = subprocess.run(
        [sys.executable, "-m", "desktop_app", "serve", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert process.stderr.strip().startswith("posecam: argument --port: 70000 is not between")


def test_a_port_in_use_is_one_line_and_leaves_no_folder(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.run(
            [sys.executable, "-m", "desktop_app", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
    assert process.returncode == 2
    [line] = process.stderr.splitlines()
    assert line.startswith(f"posecam: cannot listen on 127.0.0.1 port {port}: ")
    assert list(tmp_path.iterdir()) == []
