"""The coach on real exercise clips from ../shared (skipped when absent): it sees the view
the clip's label gives, the camera check finds nothing to change on clips filmed to show the
whole body, and no cue is repeated within a repetition."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from desktop_app.core.pipeline import PipelineSettings, PosePipeline
from desktop_app.core.reps import EXERCISES
from desktop_app.media.sources import VideoFileSource


@pytest.mark.parametrize(
    ("clip", "view"),
    [("videos/squats_frontal_portrait_5fps.mp4", "front"), ("exercise/squat_side_02.mp4", "side")],
)
def test_the_coach_on_real_squats(model, shared_data: Path, clip: str, view: str) -> None:
    labels = {e["file"]: e for e in json.loads((shared_data / "exercise/labels.json").read_text())}
    if clip.startswith("exercise/"):
        assert labels[Path(clip).name]["view"].startswith(view)  # the label agrees
    cameras: Counter[str] = Counter()
    views: Counter[str] = Counter()
    settings = PipelineSettings(exercise=EXERCISES["squat"])
    with PosePipeline(model, settings) as pipeline, VideoFileSource(shared_data / clip) as source:
        for frame in source:
            result = pipeline.process(frame)
            assert result.coaching is not None
            cameras[result.coaching.camera] += 1
            views.update(person.view for person in pipeline.coach._people.values())
        said = pipeline.coach.said
        reps = sum(pipeline.reps.counts().values())
    frames = sum(cameras.values())
    assert cameras[""] >= 0.95 * frames, cameras
    assert views[view] >= 0.9 * sum(views.values()), views
    # At most one cue of a kind per repetition (and the lead-in before the first).
    per_rule = Counter(event.rule for event in said)
    assert all(count <= reps + 1 for count in per_rule.values()), (per_rule, reps)
