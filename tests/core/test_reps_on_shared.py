"""Repetitions on real footage from ../shared (skipped when it is absent), through the real
pipeline with annotate's settings: counts within the range counted by eye, each repetition
measured where it happened, and the summary plain enough for JSON.

A few short clips only; benchmarks/reps.py counts all of them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from desktop_app.annotate import AnnotateOptions
from desktop_app.core.model import PoseModel
from desktop_app.core.pipeline import FrameResult, PosePipeline
from desktop_app.core.reps import EXERCISES, Exercise
from desktop_app.media.sources import VideoFileSource


def run(model: PoseModel, clip: Path, exercise: Exercise) -> tuple[PosePipeline, list[FrameResult]]:
    settings = AnnotateOptions(input=clip, exercise=exercise).pipeline_settings()
    results = []
    with VideoFileSource(clip) as source, PosePipeline(model, settings) as pipeline:
        for frame in source:
            results.append(pipeline.process(frame, draw_in_place=True))
    return pipeline, results


def labels(shared_data: Path) -> dict[str, dict]:
    entries = json.loads((shared_data / "exercise" / "labels.json").read_text())
    return {entry["file"]: entry for entry in entries}


def test_slow_squats_at_5_fps_are_counted_and_measured(model: PoseModel, shared_data: Path) -> None:
    clip = shared_data / "videos" / "squats_frontal_portrait_5fps.mp4"
    pipeline, results = run(model, clip, EXERCISES["squat"])
    summary = pipeline.rep_summary()
    assert summary is not None
    # Three squats, the third cut off on the way up: two are whole.
    assert summary["reps"] == {0: 2}
    json.dumps(summary, allow_nan=False)  # plain numbers: no NaN in the keypoints file
    first, second = summary["per_rep"]
    assert (first["person"], first["rep"], second["rep"]) == (0, 1, 2)
    for rep in (first, second):
        # Bent well past the threshold, straightened from near 180, upright-ish torso.
        assert rep["depth_deg"] < EXERCISES["squat"].down_deg
        assert rep["range_deg"] > 60.0
        assert rep["time_out_s"] > 0.5 and rep["time_back_s"] > 0.5
        assert 10.0 < rep["trunk_lean_deg"] < 60.0
    assert first["end_s"] < second["start_s"]
    assert summary["sets"][0]["reps"] == 2
    # Each frame's state carries the repetition counted last, from the frame it was counted.
    counted_at = [r.time_ms / 1000.0 for r in results if r.reps and r.reps[0].last_rep]
    assert counted_at and counted_at[0] >= first["end_s"]
    assert results[-1].reps is not None and results[-1].reps[0].last_rep is not None
    assert results[-1].reps[0].last_rep.number == 2


@pytest.mark.parametrize(
    ("file", "preset"),
    [("jumpingjack_front_01.mp4", "jumping_jack"), ("shoulderpress_side_01.mp4", "shoulder_press")],
)
def test_presets_count_real_clips_at_their_turning_points(
    model: PoseModel, shared_data: Path, file: str, preset: str
) -> None:
    label = labels(shared_data)[file]
    pipeline, _ = run(model, shared_data / "exercise" / file, EXERCISES[preset])
    assert pipeline.reps is not None
    (reps,) = pipeline.reps.all_reps().values()
    low, high = label["reps_acceptable"]
    assert low <= len(reps) <= high
    # Every counted repetition turned within half a second of one labelled by eye.
    for rep in reps:
        assert min(abs(rep.turn_s - t) for t in label["rep_bottom_times_s"]) <= 0.5
        assert not math.isnan(rep.depth_deg)
