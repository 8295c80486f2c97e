"""Where the time per frame goes: each stage of PoseCam's work timed on its own.

    python benchmarks/stages.py [--clip PATH] [--frames 300]

Stages: decoding (PyAV, straight to RGB), the colour conversion a BGR decoder would need
(OpenCV's BGR -> RGB, for comparison), pose inference (alone, and with the fresh look that
checks one-person tracking every 0.5 s: core/fresh_look.py), smoothing, drawing, H.264 encoding at
three x264 presets, and the QImage hand-over to the screen. Each runs over the same frames,
one stage at a time, on this machine. Prints milliseconds per frame; numbers only.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2
import numpy as np
from clips import benchmark_clip

from desktop_app.core.fresh_look import FreshLook
from desktop_app.core.model import load_default_model
from desktop_app.core.pose import PoseEstimator
from desktop_app.core.render import DEFAULT_STYLE, draw_skeleton
from desktop_app.core.smoothing import make_smoother
from desktop_app.media.sources import VideoFileSource
from desktop_app.media.video_writer import VideoWriter


def per_frame_ms(count: int, work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000.0 / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path)
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    clip = benchmark_clip(args.clip)

    def decode_only() -> None:
        with VideoFileSource(clip) as source:
            for count, _ in enumerate(source, 1):
                if count == args.frames:
                    break

    frames = []
    with VideoFileSource(clip) as source:
        for frame in source:
            frames.append(frame)
            if len(frames) == args.frames:
                break
    n = len(frames)
    height, width = frames[0].rgb.shape[:2]
    # Timed without keeping the frames: a long list of fresh frames costs page faults that a
    # streaming program, which reuses freed memory, does not pay.
    rows: list[tuple[str, float]] = [("decode to RGB (PyAV)", per_frame_ms(n, decode_only))]
    bgr = [cv2.cvtColor(f.rgb, cv2.COLOR_RGB2BGR) for f in frames]
    rows.append(
        (
            "BGR -> RGB (cv2, bare loop only)",
            per_frame_ms(n, lambda: [cv2.cvtColor(b, cv2.COLOR_BGR2RGB) for b in bgr]),
        )
    )

    model = load_default_model()
    people_per_frame = []
    with PoseEstimator(model) as estimator:

        def infer() -> None:
            for f in frames:
                people_per_frame.append(estimator.estimate(f.rgb, f.time_ms))

        rows.append(("pose inference", per_frame_ms(n, infer)))
    with PoseEstimator(model) as estimator, FreshLook(model) as look:

        def infer_and_look() -> None:
            for f in frames:
                found = estimator.estimate(f.rgb, f.time_ms)
                look.check(estimator, f.rgb, f.time_ms, found)

        rows.append(("pose inference + fresh look (1 person)", per_frame_ms(n, infer_and_look)))
    smoother = make_smoother()
    tracked = []

    def smooth() -> None:
        for f, people in zip(frames, people_per_frame, strict=True):
            tracked.append(smoother.update(people, f.time_ms))

    rows.append(("smoothing (kalman)", per_frame_ms(n, smooth)))
    canvases = [f.rgb.copy() for f in frames]

    def draw() -> None:
        for canvas, people in zip(canvases, tracked, strict=True):
            draw_skeleton(canvas, (p.landmarks_px for p in people), DEFAULT_STYLE)

    rows.append(("drawing", per_frame_ms(n, draw)))
    spare = np.empty_like(frames[0].rgb)
    rows.append(
        (
            "copy of the frame (live view only)",
            per_frame_ms(n, lambda: [np.copyto(spare, f.rgb) for f in frames]),
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        for preset in ("ultrafast", "superfast", "veryfast"):
            path = Path(tmp) / f"{preset}.mp4"

            def encode(path: Path = path, preset: str = preset) -> None:
                with VideoWriter(path, 30.0, preset=preset) as writer:
                    for canvas, f in zip(canvases, frames, strict=True):
                        writer.write(canvas, f.time_ms)

            rows.append((f"H.264 encode, {preset}", per_frame_ms(n, encode)))
        path = Path(tmp) / "bare.mp4"

        def mp4v() -> None:
            out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (width, height))
            for b in bgr:
                out.write(b)
            out.release()

        rows.append(("mp4v encode (cv2, bare loop only)", per_frame_ms(n, mp4v)))

    from PySide6.QtGui import QGuiApplication, QImage, QPainter

    from desktop_app.ui.qimage import rgb_to_qimage

    app = QGuiApplication.instance() or QGuiApplication([])
    target = QImage(1280, 720, QImage.Format.Format_RGB32)

    def to_screen() -> None:
        painter = QPainter(target)
        for canvas in canvases:
            painter.drawImage(target.rect(), rgb_to_qimage(canvas))
        painter.end()

    rows.append(("QImage + scaled paint (GUI thread)", per_frame_ms(n, to_screen)))
    del app

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    print(f"clip: {clip.name}, {width}x{height}, {n} frames")
    total = sum(
        ms
        for name, ms in rows
        if not any(word in name for word in ("bare loop", "ultrafast", "superfast", "live view"))
    )
    for name, ms in rows:
        print(f"  {name:38s} {ms:7.2f} ms")
    smooth_draw = next(ms for name, ms in rows if name.startswith("smoothing")) + next(
        ms for name, ms in rows if name == "drawing"
    )
    print(f"smoothing + drawing: {smooth_draw:.2f} ms = {100 * smooth_draw / total:.1f} % of the"
          f" {total:.1f} ms a frame costs in PoseCam's stages (veryfast encoding)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
