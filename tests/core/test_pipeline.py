"""The pipeline on real MediaPipe: tracks restart on a loop and on a cut, and lost people are
not counted as present."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from desktop_app.core.frame import Frame
from desktop_app.core.pipeline import FrameResult, PipelineSettings, PosePipeline, SceneCuts


def test_a_cut_and_a_loop_are_new_scenes_and_motion_is_not(grace_hopper, astronaut) -> None:
    cuts = SceneCuts()
    _h, _w = grace_hopper.shape[:2]
    other = np.ascontiguousarray(np.resize(astronaut, grace_hopper.shape))
    shifted = np.roll(grace_hopper, 12, axis=1)  # the person moves a little
    frames = [grace_hopper, shifted, other, other]
    seen = [cuts.is_cut(Frame(rgb=f, time_ms=i * 33.0, index=i)) for i, f in enumerate(frames)]
    assert seen == [False, False, True, False]
    assert cuts.is_cut(Frame(rgb=other, time_ms=200.0, index=4, new_scene=True))


def test_a_loop_restarts_tracking_and_the_lost_are_not_counted(model, grace_hopper) -> None:
    blank = np.zeros_like(grace_hopper)
    with PosePipeline(model, PipelineSettings(smoothing="kalman")) as pipeline:
        results = [
            pipeline.process(Frame(rgb=grace_hopper, time_ms=i * 33.0, index=i)) for i in range(5)
        ]
        assert [r.people_seen for r in results] == [1] * 5
        # The picture goes black (a cut): nobody is left hanging on it, not even fading.
        gone = [
            pipeline.process(Frame(rgb=blank, time_ms=(5 + i) * 33.0, index=5 + i))
            for i in range(10)
        ]
        assert all(not r.people for r in gone)
        before = results[-1].people[0].landmarks_px
        # The file loops: the next pass's first frame starts a fresh track on the
        # measurement, not smoothed from where the last pass ended.
        looped = pipeline.process(
            Frame(
                rgb=np.roll(grace_hopper, 40, axis=1), time_ms=16 * 33.0, index=16, new_scene=True
            )
        )
        (p,) = looped.people
        assert p.id == 0 and not p.coasting
        assert np.allclose(p.landmarks_px[:, :2], p.raw_landmarks_px[:, :2])
        assert not np.allclose(p.landmarks_px[:, :2], before[:, :2], atol=20)


def test_a_mirrored_view_is_the_picture_flipped_with_its_count_still_in_the_corner(
    model, grace_hopper
) -> None:
    """`shown` is `annotated` flipped, except for the text, which is drawn after the flip: the
    count panel sits in the top right corner of both, and reads in both."""
    from desktop_app.core.reps import EXERCISES

    settings = PipelineSettings(mirror=True, exercise=EXERCISES["squat"])
    with PosePipeline(model, settings) as pipeline:
        result = pipeline.process(Frame(rgb=grace_hopper.copy(), time_ms=0.0, index=0))
    assert result.people_seen == 1 and result.reps is not None
    assert result.shown is not None and result.on_screen is result.shown
    flipped_back = result.shown[:, ::-1]
    differs = (flipped_back != result.annotated).any(axis=-1)
    height, width = differs.shape
    # Where they differ: the panel's corner in each (top right of annotated, and top left of
    # the flipped-back view, where the view's top right corner lands).
    rows, cols = np.flatnonzero(differs.any(axis=1)), np.flatnonzero(differs.any(axis=0))
    assert rows[-1] < height // 2
    assert not differs[:, width // 3 : 2 * width // 3].any()
    assert cols[0] < width // 3 and cols[-1] > 2 * width // 3
    with PosePipeline(model, PipelineSettings(mirror=True)) as pipeline:
        plain = pipeline.process(Frame(rgb=grace_hopper.copy(), time_ms=0.0, index=0))
    # No text at all (one person, no count, no angles): exactly the flipped picture.
    assert np.array_equal(plain.shown[:, ::-1], plain.annotated)


def test_the_count_is_drawn_only_when_asked(model, grace_hopper) -> None:
    from desktop_app.core.reps import EXERCISES

    pictures = {}
    for show_count in (True, False):
        settings = PipelineSettings(exercise=EXERCISES["squat"], show_count=show_count)
        with PosePipeline(model, settings) as pipeline:
            frame = Frame(rgb=grace_hopper.copy(), time_ms=0.0, index=0)
            pictures[show_count] = pipeline.process(frame).annotated
    with PosePipeline(model, PipelineSettings()) as pipeline:
        bare = pipeline.process(Frame(rgb=grace_hopper.copy(), time_ms=0.0, index=0)).annotated
    assert np.array_equal(pictures[False], bare)
    changed = (pictures[True] != bare).any(axis=-1)
    assert changed.any() and not changed[changed.shape[0] // 2 :].any()


def test_with_a_look_ahead_each_frame_comes_out_later_in_order_and_none_is_lost(
    model, grace_hopper
) -> None:
    def frame(i: int, new_scene: bool = False) -> Frame:
        # She moves 6 px to the right each frame, so a frame given another's people shows.
        shifted = np.ascontiguousarray(np.roll(grace_hopper, 6 * i, axis=1))
        return Frame(rgb=shifted, time_ms=i * 33.0, index=i, new_scene=new_scene)

    with PosePipeline(model, PipelineSettings(look_ahead_frames=3)) as pipeline:
        given = [pipeline.process_held(frame(i)) for i in range(6)]
        assert [len(g) for g in given] == [0, 0, 0, 1, 1, 1]
        # A new scene (a loop): the frames held come out before tracking restarts.
        at_loop = pipeline.process_held(frame(6, new_scene=True))
        assert [r.index for r in at_loop] == [3, 4, 5]
        rest = pipeline.flush()
        assert [r.index for r in rest] == [6] and pipeline.flush() == []
        results = [r for g in given for r in g] + at_loop + rest
        assert [r.index for r in results] == list(range(7))
        assert all(r.people_seen == 1 for r in results)
        noses_x = [float(r.people[0].landmarks_px[0, 0]) for r in results]
        assert np.all(np.diff(noses_x[:6]) > 0.5) and noses_x[5] - noses_x[0] > 15.0, noses_x
        # Each frame is drawn on its own picture, with its own person.
        assert all(r.annotated is not results[0].annotated for r in results[1:])
        with pytest.raises(RuntimeError, match="process_held"):
            pipeline.process(frame(7))
        # Told to stop looking ahead with frames held: they are flushed, not lost or mixed in.
        held = pipeline.process_held(frame(7)) + pipeline.process_held(frame(8))
        assert held == []
        pipeline.configure(PipelineSettings(look_ahead_frames=0))
        with pytest.raises(RuntimeError, match="flush"):
            pipeline.process(frame(9))
        assert [r.index for r in pipeline.flush()] == [7, 8]
        assert pipeline.process(frame(9)).index == 9


def test_stopped_while_drawing_a_held_frame_no_frame_is_lost_or_given_twice(
    model, grace_hopper, monkeypatch
) -> None:
    """Ctrl+C lands while a frame due is being drawn: the frames before it that were drawn,
    it and those held come out later, each once, in order (annotate then writes them)."""
    result = PosePipeline._result
    stopped = []

    def stop_once_at_frame_4(self: PosePipeline, frame: Frame, *args: object) -> FrameResult:
        if frame.index == 4 and not stopped:
            stopped.append(frame.index)
            raise KeyboardInterrupt
        return result(self, frame, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(PosePipeline, "_result", stop_once_at_frame_4)
    given = []
    with PosePipeline(model, PipelineSettings(look_ahead_frames=3)) as pipeline:
        for i in range(10):
            frame = Frame(rgb=grace_hopper.copy(), time_ms=i * 33.0, index=i, new_scene=i == 8)
            with contextlib.suppress(KeyboardInterrupt):
                given += pipeline.process_held(frame)
        given += pipeline.flush()
    assert stopped == [4]
    assert [r.index for r in given] == list(range(10))
