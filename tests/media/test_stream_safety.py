"""Addresses and file names that FFmpeg would read as something else: a stream address that
makes it listen on a port, a protocol that is no camera's, and a local file whose name looks
like a protocol ("concat:x.mp4"). Nothing is faked: the checks run on real addresses, and
whether anything listens is seen by connecting to the port while the program runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_app.errors import InputError
from desktop_app.media.sources import (
    STREAM_PROTOCOLS,
    ImageSource,
    VideoFileSource,
    check_stream_url,
    open_source,
)
from desktop_app.media.synthetic import sample_photo
from tests.media.test_rotation import _clip
from tests.test_annotate_cli import assert_one_line_error, probe, run

# Names with ":" and "?" cannot be made on Windows.
posix_names = pytest.mark.skipif(sys.platform == "win32", reason="':' and '?' in file names")


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://192.168.1.10:554/stream1",
        "rtsp://admin:p%40ss@camera.local/h264?tcp",
        "rtsps://camera.example.com/live",
        "http://10.0.0.2:8080/video",
        "https://example.com/live/index.m3u8",
        "rtmp://server.example.com/live/key",
        "rtmps://server.example.com:443/app",
        "srt://relay.example.com:9000?mode=caller&latency=200",
        "udp://239.0.0.1:5000",
        "tcp://127.0.0.1:5000",
        "rtsp://[fe80::1%25eth0]:554/stream",
        "RTSP://Camera/stream",
    ],
)
def test_camera_and_stream_addresses_pass(url: str) -> None:
    check_stream_url(url)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("tcp://127.0.0.1:45999?listen=1", "listen"),
        ("tcp://127.0.0.1:45999?listen=2", "listen"),
        ("tcp://127.0.0.1:45999?listen", "listen"),
        ("tcp://127.0.0.1:45999?timeout=5&LISTEN=1", "listen"),
        ("tcp://127.0.0.1:45999#?listen=1", "listen"),  # FFmpeg reads from the first "?"
        ("tcp://127.0.0.1:45999?%6Cisten=1", "listen"),
        ("tcp://127.0.0.1:45999?%256Cisten=1", "listen"),
        ("tcp://camera?listen=1@127.0.0.1:45999", "listen"),
        ("http://127.0.0.1:8080/?listen=1", "listen"),
        ("https://127.0.0.1:8443/live?Listen=1", "listen"),
        ("rtmp://127.0.0.1/live?listen", "listen"),
        ("rtmp://127.0.0.1/live?rtmp_listen=1", "listen"),
        ("rtsp://127.0.0.1/live?rtsp_flags=listen", "listen"),
        ("udp://239.0.0.1:5000?listen=1", "listen"),
        ("srt://127.0.0.1:9000?mode=listener", "listen"),
        ("srt://127.0.0.1:9000?latency=20&MODE=Rendezvous", "mode=Rendezvous"),
        ("tcp://0.0.0.0:45999", "any address of this computer"),
        ("udp://0.0.0.0:5000", "any address of this computer"),
        ("rtmp://0:1935/live", "any address of this computer"),
        ("tcp://[::]:45999", "any address of this computer"),
        ("udp://[::ffff:0.0.0.0]:5000", "any address of this computer"),
        ("udp://@:5000", "no host"),
        ("tcp://:45999", "no host"),
        ("rtmp://127.0.0.1/live/key live=1", "spaces"),
        ("http://127.0.0.1/\r\nX-Header: 1", "control characters"),
    ],
)
def test_addresses_that_would_listen_are_refused_in_one_line(url: str, problem: str) -> None:
    with pytest.raises(InputError) as refused:
        check_stream_url(url)
    message = str(refused.value)
    assert problem in message
    assert "\n" not in message and "\r" not in message


@pytest.mark.parametrize(
    "scheme",
    ["ftp", "sftp", "concat", "subfile", "file", "pipe", "data", "fd", "gopher", "smb",
     "crypto", "cache", "tee", "hls", "tls", "unix", "mmsh", "rtmpt", "async", "ipfs"],
)  # fmt: skip
def test_other_protocols_are_refused_naming_the_protocol(scheme: str) -> None:
    url = f"{scheme}://127.0.0.1/clip.mp4"
    with pytest.raises(InputError) as refused:
        # open_source takes file:// as a local file's name; a stream of it is refused.
        (check_stream_url if scheme == "file" else open_source)(url)
    assert str(refused.value).startswith(f"{url}: {scheme} is not a camera or stream protocol")
    assert "rtsp" in str(refused.value)
    assert scheme not in STREAM_PROTOCOLS


def test_listen_options_for_opencv_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # OpenCV hands this variable's options to FFmpeg with every stream it opens.
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp|listen;1")
    with pytest.raises(InputError, match="OPENCV_FFMPEG_CAPTURE_OPTIONS"):
        check_stream_url("http://127.0.0.1:8080/video")


def test_an_allowed_address_is_still_opened_as_a_stream() -> None:
    port = _free_port()
    with pytest.raises(InputError, match="cannot open the stream"):
        open_source(f"http://127.0.0.1:{port}/video")


def _free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return int(probe_socket.getsockname()[1])


def _run_watching_port(
    command: list[str], port: int, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[bool, subprocess.CompletedProcess[str]]:
    """Run `command`, trying to connect to 127.0.0.1:`port` until it ends. True if a
    connection was taken: the program listened. A program that listens waits there until
    someone connects, so it cannot end before a connection is seen."""
    child = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    connected = False
    try:
        while child.poll() is None and not connected:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    connected = True
            except OSError:
                time.sleep(0.02)
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    return connected, subprocess.CompletedProcess(command, child.returncode, out, err)


_OPEN_SOURCE = (
    "import sys\n"
    "from desktop_app.errors import InputError\n"
    "from desktop_app.media.sources import open_source\n"
    "try:\n"
    "    with open_source(sys.argv[1]) as source:\n"
    "        print(sum(1 for _ in source))\n"
    "except InputError as exc:\n"
    "    print(exc, file=sys.stderr)\n"
    "    raise SystemExit(2)\n"
)


def test_the_port_watch_sees_ffmpeg_listen() -> None:
    # The check below is only worth something if a listening FFmpeg is seen: opened without
    # PoseCam's check, this address has FFmpeg (through OpenCV, as StreamSource opens it)
    # wait on the port.
    port = _free_port()
    opencv = "import cv2, sys; cv2.VideoCapture(sys.argv[1], cv2.CAP_FFMPEG)"
    listened, _ = _run_watching_port(
        [sys.executable, "-c", opencv, f"tcp://127.0.0.1:{port}?listen=1"], port
    )
    assert listened


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("tcp://127.0.0.1:{port}?listen=1", None),
        ("tcp://127.0.0.1:{port}#?listen=1", None),
        ("tcp://127.0.0.1:{port}?%6Cisten=1", None),
        ("http://127.0.0.1:{port}/video", "listen;1"),
    ],
)
def test_opening_a_listening_address_is_refused_and_nothing_listens(
    url: str, options: str | None
) -> None:
    port = _free_port()
    url = url.format(port=port)
    env = None
    if options is not None:
        env = {**os.environ, "OPENCV_FFMPEG_CAPTURE_OPTIONS": options}
    listened, done = _run_watching_port([sys.executable, "-c", _OPEN_SOURCE, url], port, env=env)
    assert not listened
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith(url), done.stderr
    assert "wait for connections" in done.stderr


def test_annotate_with_a_listening_address_exits_at_once_and_nothing_listens(
    tmp_path: Path,
) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "desktop_app", "annotate", f"tcp://127.0.0.1:{port}?listen=1"]
    listened, done = _run_watching_port(command, port, cwd=tmp_path)
    assert not listened
    assert done.returncode == 2
    assert_one_line_error(done.stderr, f"tcp://127.0.0.1:{port}?listen=1")
    assert "wait for connections" in done.stderr
    assert not list(tmp_path.iterdir())  # no output started


def test_annotate_says_it_reads_files_when_given_a_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "rtsp://camera.invalid/live")
    assert code == 2
    assert_one_line_error(err, "rtsp://camera.invalid/live")
    assert "reads video files and images" in err


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return np.ascontiguousarray(sample_photo()[::2, ::2][:256, :224])


@posix_names
def test_a_file_named_like_a_protocol_is_annotated_as_itself(
    photo: np.ndarray, cwd_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Read as FFmpeg's concat protocol, "concat:x.mp4" would be x.mp4, which has fewer frames.
    _clip(cwd_tmp / "x.mp4", photo, 0, frames=3)
    _clip(cwd_tmp / "concat:x.mp4", photo, 0, frames=7)
    code, _, err = run(capsys, "concat:x.mp4", "--keypoints", "concat:x.csv")
    assert code == 0, err
    assert probe(cwd_tmp / "concat:x_posecam.mp4")[1] == 7
    with open_source("concat:x.mp4") as source:
        assert isinstance(source, VideoFileSource)
        assert sum(1 for _ in source) == 7


@posix_names
def test_an_image_named_like_a_protocol_is_read_as_itself(photo: np.ndarray, cwd_tmp: Path) -> None:
    cv2.imwrite(str(cwd_tmp / "data:x.png"), photo[:, :, ::-1])
    with open_source("data:x.png") as source:
        assert isinstance(source, ImageSource)
        (frame,) = list(source)
    assert np.array_equal(frame.rgb, photo)


@posix_names
def test_a_file_in_a_folder_named_like_a_protocol_is_read_and_nothing_listens(
    photo: np.ndarray, tmp_path: Path
) -> None:
    # "tcp:/127.0.0.1:PORT?listen=1" is a file in the folder "tcp:"; given to FFmpeg as it is,
    # FFmpeg reads it as a TCP address and waits for a connection on PORT.
    port = _free_port()
    name = f"tcp:/127.0.0.1:{port}?listen=1"
    (tmp_path / "tcp:").mkdir()
    _clip(tmp_path / "clip.mp4", photo, 0, frames=4).rename(tmp_path / name)
    listened, done = _run_watching_port(
        [sys.executable, "-c", _OPEN_SOURCE, name], port, cwd=tmp_path
    )
    assert not listened
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "4"
