"""Resident memory over a long live session: does PoseCam grow while it runs?

    python benchmarks/memory.py [--clip PATH] [--frames 20000] [--record]

Runs the real worker (pose, default smoothing, drawing; with --record also the recorder) on a
clip looped without end, released at `--fps` (45: about as fast as this machine processes
720p, so little is skipped), until `--frames` frames have been processed. Prints resident
memory (RSS) every 1,000 frames, and the growth from the first 1,000 frames to the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from clips import benchmark_clip

from desktop_app.media.sources import LoopedSource


def rss_mb(pid: int | None = None, field: str = "VmRSS") -> float:
    """A process's memory in MB from Linux /proc: `field` "VmRSS" (resident now) or "VmHWM"
    (its peak). `pid` None is this process, which elsewhere gets its peak from resource;
    another process elsewhere gets NaN."""
    status = Path(f"/proc/{'self' if pid is None else pid}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    if pid is not None:
        return float("nan")
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path)
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--record", action="store_true", help="record while running")
    parser.add_argument("--fps", type=float, default=45.0, help="source frame rate")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    clip = benchmark_clip(args.clip)

    from PySide6.QtCore import QCoreApplication

    from desktop_app.core.model import load_default_model
    from desktop_app.media.recorder import RecordingPaths
    from desktop_app.settings import Settings
    from desktop_app.ui.worker import PoseWorker

    app = QCoreApplication.instance() or QCoreApplication([])
    worker = PoseWorker(
        lambda: LoopedSource(clip, fps=args.fps), replace(Settings(), loop_video=False),
        load_default_model(),
    )  # fmt: skip
    if args.record:
        worker.start_recording(RecordingPaths.beside(tmp / "long.mp4", False, "csv"))
    samples: list[tuple[int, float]] = []
    processed = [0]
    started = time.monotonic()

    def take() -> None:
        frame = worker.take_newest()
        if frame is None:
            return
        # Frames processed: those the source released, less those skipped while busy.
        done = max(frame.result.index + 1 - frame.dropped_frames, 0)
        processed[0] = done
        if not samples or done // 1000 > samples[-1][0] // 1000:
            samples.append((done, rss_mb()))
            print(f"  frame {done:6d}  RSS {samples[-1][1]:7.1f} MB", flush=True)
        if done >= args.frames:
            worker.stop()

    worker.frame_ready.connect(take)
    worker.finished.connect(app.quit)
    worker.start()
    app.exec()
    worker.wait()
    wall = time.monotonic() - started
    first = next((mb for n, mb in samples if n >= 1000), samples[0][1])
    last = samples[-1][1]
    print(f"clip {clip.name}; {processed[0]} frames processed in {wall:.0f} s;"
          f" recording {'on' if args.record else 'off'}")  # fmt: skip
    print(f"RSS after 1,000 frames {first:.1f} MB, at the end {last:.1f} MB:"
          f" growth {last - first:+.1f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
