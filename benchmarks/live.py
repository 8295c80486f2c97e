"""The live view's speed: a video file released at a fixed frame rate stands in for a webcam.

    python benchmarks/live.py [--clip PATH] [--fps 30] [--seconds 20] [--record]
                              [--num-poses N] [--look-ahead] [--mediapipe-tracking]

Runs the real worker (pose, default smoothing, drawing) and the real video view, offscreen,
and prints: frames the source released, frames processed, frames displayed per second, frames
skipped because processing was busy, capture-to-screen latency (from the moment the frame
left the source to the end of the paint that showed it) p50/p95, the longest time the GUI
thread was blocked, and CPU use. With --record, the annotated video and CSV keypoints are
recorded as the window's Record does, from the first frame shown, and it also prints the
frames the recording kept per second. Prints numbers only; targets live in the issues.

Without --clip it uses ../shared/data/videos/taiji_frontal_720p.mp4 when present, else a
720p sample clip made from matplotlib's photo.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import av
from clips import benchmark_clip

from desktop_app.core.metrics import percentile
from desktop_app.media.recorder import RecordingPaths
from desktop_app.media.sources import LoopedSource


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path)
    parser.add_argument("--fps", type=float, default=30.0, help="source frame rate (default 30)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the run")
    parser.add_argument("--record", action="store_true", help="record while viewing")
    parser.add_argument("--num-poses", type=int, default=1, help="people to find (default 1)")
    parser.add_argument(
        "--look-ahead",
        action="store_true",
        help='with the window\'s "Look a frame ahead" on (each frame shown once the next is in)',
    )
    parser.add_argument(
        "--mediapipe-tracking",
        action="store_true",
        help='with the window\'s "Find the person in every frame" off: MediaPipe follows the'
        " one person from frame to frame",
    )
    args = parser.parse_args()
    clip = benchmark_clip(args.clip)

    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.model import load_default_model
    from desktop_app.settings import Settings
    from desktop_app.ui.video_view import VideoView
    from desktop_app.ui.worker import LiveFrame, PoseWorker

    app = QApplication.instance() or QApplication([])
    view = VideoView()
    view.resize(1280, 720)
    view.show()
    settings = replace(
        Settings(),
        loop_video=False,
        num_poses=args.num_poses,
        look_ahead=args.look_ahead,
        find_every_frame=not args.mediapipe_tracking,
    )
    folder = Path(tempfile.mkdtemp(prefix="posecam-live-"))
    recording = RecordingPaths(folder / "live.mp4", keypoints=folder / "live.csv")
    worker = PoseWorker(
        lambda: LoopedSource(clip, args.fps, args.seconds), settings, load_default_model()
    )
    latencies_ms: list[float] = []
    longest_gap_ms = [0.0]
    handler_ms: list[float] = []
    painted = 0
    released_first: list[float] = []

    def on_painted(frame: LiveFrame, painted_s: float) -> None:
        nonlocal painted
        painted += 1
        if not released_first:
            released_first.append(painted_s)
            if args.record:
                worker.start_recording(recording)
        latencies_ms.append((painted_s - frame.captured_s) * 1000.0)
        if painted == int(args.fps):
            # Measure the GUI thread from one second in: start-up is not the steady state.
            longest_gap_ms[0] = 0.0
            handler_ms.clear()

    def on_frame_ready() -> None:
        started = time.perf_counter()
        frame = worker.take_newest()
        if frame is not None:
            view.show_frame(frame)
            view.repaint()  # paint now, so the paint's cost counts as frame handling
        handler_ms.append((time.perf_counter() - started) * 1000.0)

    # A 1 ms timer measures how long the GUI thread goes without getting to its event loop.
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        longest_gap_ms[0] = max(longest_gap_ms[0], (now - last[0]) / 1e6)
        last[0] = now

    ticker = QTimer()
    ticker.setInterval(1)
    ticker.timeout.connect(tick)

    view.painted.connect(on_painted)
    worker.frame_ready.connect(on_frame_ready)
    worker.finished.connect(app.quit)
    cpu_started, wall_started = time.process_time(), time.monotonic()
    worker.start()
    ticker.start()
    app.exec()
    wall = time.monotonic() - wall_started
    cpu = time.process_time() - cpu_started
    ticker.stop()
    worker.wait()

    recorded = ""
    if args.record:
        with av.open(str(recording.video)) as container:
            stream = container.streams.video[0]
            times = [float(f.time) for f in container.decode(stream) if f.time is not None]
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        recorded = f"recorded: {len(times)} frames over {span:.1f} s of the source, "
        recorded += f"{(len(times) - 1) / span if span else 0:.1f} per second"
    shutil.rmtree(folder, ignore_errors=True)
    warm = latencies_ms[int(args.fps) :]  # the first second includes start-up
    processed = max(painted, 1)
    duration = args.seconds
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(
        f"clip: {clip.name}, released at {args.fps:g} fps for {duration:g} s, "
        f"{args.num_poses} {'person' if args.num_poses == 1 else 'people'} wanted"
        + (", a frame ahead" if args.look_ahead else "")
        + (", found in every frame" if settings.pipeline().finds_afresh else "")
    )
    print(f"displayed: {painted} frames, {painted / duration:.1f} per second")
    print(f"skipped (processing busy): {round(args.fps * duration) - processed} frames")
    print(
        f"capture-to-screen latency: p50 {percentile(warm, 0.5):.1f} ms,"
        f" p95 {percentile(warm, 0.95):.1f} ms"
    )
    print(
        f"GUI thread: frame handling p95 {percentile(handler_ms, 0.95):.1f} ms,"
        f" max {max(handler_ms, default=0):.1f} ms, {sum(h > 16 for h in handler_ms)} over 16 ms;"
        f" longest event-loop gap after 1 s"
        f" {longest_gap_ms[0]:.1f} ms"
    )
    if recorded:
        print(recorded)
    print(f"CPU: {100 * cpu / wall:.0f} % of one core over {wall:.1f} s (both cores = 200 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
