"""`posecam serve` under load: 20 photos uploaded at once and a video beside them.

    python benchmarks/serve_load.py [--photos 20] [--workers 1]

Starts the real command (`posecam serve --port 0`) as its own process, then sends the photos
(matplotlib's Grace Hopper, as JPEG) from 20 threads at once and a 4 s H.264 clip from one more,
as 21 users would. A user told the server is busy (503) tries again a second later, as the
page's own text asks. Each answer is checked: every photo comes back as a JPEG of the photo's
size with the skeleton drawn, the video as H.264 with every frame. Prints the latency of each
upload from first send to finished job (p50, p95, max), how many 503s were answered, and the
server's memory (peak resident set size, from /proc; Linux only). Numbers only, not a test.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from memory import rss_mb

from desktop_app.media.synthetic import sample_photo, write_sample_clip
from testsupport.http import multipart, start_serve

LONGEST_WAIT_S = 900.0


def _request(url: str, data: bytes | None = None, kind: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": kind} if kind else {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Client:
    """One user: uploads a file, waits for the job, downloads the annotated file."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.busy_answers = 0
        self.lock = threading.Lock()

    def annotate(self, content: bytes, filename: str) -> tuple[float, bytes, dict[str, Any]]:
        started = time.perf_counter()
        body, kind = multipart(content, filename)
        while True:
            status, answer = _request(f"{self.base}/api/jobs", body, kind)
            if status != 503:
                break
            with self.lock:
                self.busy_answers += 1
            time.sleep(1.0)
        if status != 202:
            raise RuntimeError(f"{filename}: upload answered {status}: {answer[:200]!r}")
        job_id = json.loads(answer)["id"]
        while True:
            status, answer = _request(f"{self.base}/api/jobs/{job_id}")
            job = json.loads(answer)
            if job["state"] == "done":
                break
            if job["state"] == "failed" or time.perf_counter() - started > LONGEST_WAIT_S:
                raise RuntimeError(f"{filename}: {job['state']}: {job.get('error')}")
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        files = job["result"]["files"]
        name = next(n for n in files if n.startswith("annotated"))
        status, annotated = _request(self.base + files[name])
        if status != 200:
            raise RuntimeError(f"{filename}: download answered {status}")
        return seconds, annotated, job


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="the server's --workers")
    args = parser.parse_args()

    photo = sample_photo()
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    assert ok
    photo_bytes = jpeg.tobytes()
    folder = Path(tempfile.mkdtemp(prefix="posecam-load-"))
    clip = folder / "clip.mp4"
    clip_frames = write_sample_clip(clip, seconds=4.0)

    command = ["serve", "--port", "0", "--workers", str(args.workers)]
    server, base = start_serve([sys.executable, "-m", "desktop_app", *command])
    try:
        # The model loads before the first answer: wait for /healthz.
        while _request(f"{base}/healthz")[0] != 200:
            time.sleep(0.2)
        idle_mb = rss_mb(server.pid)
        client = Client(base)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.photos + 1) as pool:
            video = pool.submit(client.annotate, clip.read_bytes(), "clip.mp4")
            photos = [
                pool.submit(client.annotate, photo_bytes, f"photo{i}.jpg")
                for i in range(args.photos)
            ]
            photo_results = [p.result() for p in photos]
            video_result = video.result()
        wall = time.perf_counter() - started
        peak_mb = rss_mb(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=60)

    wrong = 0
    for _, data, _ in photo_results:
        picture = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if picture is None or picture.shape[:2] != photo.shape[:2]:
            wrong += 1
        elif np.abs(picture.astype(int) - photo[:, :, ::-1].astype(int)).max() < 100:
            wrong += 1  # no skeleton drawn
    with av.open(io.BytesIO(video_result[1])) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        frames = sum(1 for _ in container.decode(stream))
    video_ok = codec == "h264" and frames == clip_frames
    latencies = sorted(seconds for seconds, _, _ in photo_results)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]

    print(f"{args.photos} photos ({photo.shape[1]}x{photo.shape[0]}) and a {clip_frames}-frame")
    print(f"video at once, server --workers {args.workers}; all done in {wall:.1f} s")
    print(f"photos answered correctly: {args.photos - wrong} of {args.photos}")
    print(f"video answered correctly: {'yes' if video_ok else 'no'} ({codec}, {frames} frames)")
    print(f"busy (503) answers, each tried again a second later: {client.busy_answers}")
    print(
        f"photo latency, upload to finished job: p50 {statistics.median(latencies):.2f} s,"
        f" p95 {p95:.2f} s, max {latencies[-1]:.2f} s"
    )
    print(f"video latency: {video_result[0]:.2f} s")
    print(f"server memory: {idle_mb:.0f} MB idle, peak {peak_mb:.0f} MB")
    return 0 if wrong == 0 and video_ok else 1


if __name__ == "__main__":
    sys.exit(main())
