"""Frames per second of `posecam annotate` next to the bare loop on the same clip.

The bare loop is the straightforward program from the tutorials: OpenCV reads a frame,
MediaPipe's PoseLandmarker (VIDEO mode, same model) finds the pose, OpenCV draws the bones and
writes mp4v. Runs alternate (bare, posecam, bare, posecam, ...) so that the machine's state
affects both alike. Prints numbers only; targets belong to the performance issue.

    python benchmarks/annotate.py [--clip PATH] [--runs 3] [--jobs 1 2]

`--jobs`: posecam annotate is run with each number of pose models searching at once
(`posecam annotate --jobs N`), and the scaling over the first is printed too.

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


def posecam_run(clip: Path, out: Path, model: PoseModel, jobs: int = 1) -> tuple[int, float]:
    started = time.perf_counter()
    options = AnnotateOptions(input=clip, output=out, overwrite=True, jobs=jobs)
    summary = annotate(options, model=model)
    return summary.frames, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    model = load_default_model()
    with tempfile.TemporaryDirectory() as tmp:
        clip = benchmark_clip(args.clip)
        names = {jobs: f"posecam --jobs {jobs}" for jobs in args.jobs}
        results: dict[str, list[float]] = {"bare loop": []} | {n: [] for n in names.values()}
        frames = 0
        for _ in range(args.runs):
            frames, seconds = bare_loop(clip, Path(tmp) / "out_bare.mp4", model)
            results["bare loop"].append(frames / seconds)
            for jobs, name in names.items():
                frames, seconds = posecam_run(clip, Path(tmp) / "out_posecam.mp4", model, jobs)
                results[name].append(frames / seconds)
    print(f"clip: {clip} ({frames} frames)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"runs: {args.runs}, alternating")
    for name, rates in results.items():
        print(f"{name:18s} median {statistics.median(rates):6.1f} frames/s   runs: "
              + ", ".join(f"{r:.1f}" for r in rates))  # fmt: skip
    bare = statistics.median(results["bare loop"])
    first = statistics.median(results[names[args.jobs[0]]])
    for jobs, name in names.items():
        rate = statistics.median(results[name])
        print(
            f"--jobs {jobs}: ratio posecam/bare {rate / bare:.2f}, "
            f"scaling over --jobs {args.jobs[0]} {rate / first:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
