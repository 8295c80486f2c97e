"""Frames per second of `posecam annotate` next to the bare loop on the same clip.

The bare loop is the straightforward program from the tutorials: OpenCV reads a frame,
MediaPipe's PoseLandmarker (VIDEO mode, same model) finds the pose, OpenCV draws the bones and
writes mp4v. Runs alternate (bare, posecam, bare, posecam, ...) so that the machine's state
affects both alike. Prints numbers only; targets belong to the performance issue.

    python benchmarks/annotate.py [--clip PATH] [--runs 3]

Without --clip it uses ../shared/data/videos/taiji_frontal_720p.mp4 when present, else a
sample clip made from matplotlib's photo.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import mediapipe as mp
from clips import benchmark_clip
from mediapipe.tasks.python.core.base_options import BaseOptions
from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions
from mediapipe.tasks.python.vision.core.vision_task_running_mode import (
    VisionTaskRunningMode,
)

from desktop_app.annotate import AnnotateOptions, annotate
from desktop_app.core.model import PoseModel, load_default_model
from desktop_app.core.skeleton import BONES


def bare_loop(clip: Path, out: Path, model: PoseModel) -> tuple[int, float]:
    """The tutorial loop; returns (frames, seconds)."""
    started = time.perf_counter()
    capture = cv2.VideoCapture(str(clip))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    options = PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=model.data),
        running_mode=VisionTaskRunningMode.VIDEO,
    )
    landmarker = PoseLandmarker.create_from_options(options)
    frames = 0
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
            result = landmarker.detect_for_video(image, round(frames * 1000 / fps))
            for pose in result.pose_landmarks:
                points = [(int(p.x * width), int(p.y * height)) for p in pose]
                for a, b in BONES:
                    cv2.line(bgr, points[a], points[b], (255, 255, 255), 2)
                for point in points:
                    cv2.circle(bgr, point, 4, (0, 0, 255), -1)
            writer.write(bgr)
            frames += 1
    finally:
        landmarker.close()
        writer.release()
        capture.release()
    return frames, time.perf_counter() - started


def posecam_run(clip: Path, out: Path, model: PoseModel) -> tuple[int, float]:
    started = time.perf_counter()
    summary = annotate(AnnotateOptions(input=clip, output=out, overwrite=True), model=model)
    return summary.frames, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    model = load_default_model()
    with tempfile.TemporaryDirectory() as tmp:
        clip = benchmark_clip(args.clip)
        results: dict[str, list[float]] = {"bare loop": [], "posecam annotate": []}
        frames = 0
        for _ in range(args.runs):
            for name, run in (("bare loop", bare_loop), ("posecam annotate", posecam_run)):
                suffix = "_bare.mp4" if run is bare_loop else "_posecam.mp4"
                frames, seconds = run(clip, Path(tmp) / ("out" + suffix), model)
                results[name].append(frames / seconds)
    print(f"clip: {clip} ({frames} frames)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"runs: {args.runs}, alternating")
    for name, rates in results.items():
        print(f"{name:18s} median {statistics.median(rates):6.1f} frames/s   runs: "
              + ", ".join(f"{r:.1f}" for r in rates))  # fmt: skip
    ratio = statistics.median(results["posecam annotate"]) / statistics.median(results["bare loop"])
    print(f"ratio posecam/bare: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
