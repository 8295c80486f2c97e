"""The window and its worker, offscreen, with a paced video file as the camera."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.skeleton import BONES_BY_PART, BodyPart
from desktop_app.media.sources import PacedSource, VideoFileSource
from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.worker import LiveFrame, PoseWorker


@pytest.fixture
def window(qtbot, tmp_path: Path, model) -> MainWindow:
    window = MainWindow(settings_file=tmp_path / "settings.json", model=model)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def wait_for_frames(qtbot, window: MainWindow, count: int, timeout_ms: int = 20000) -> LiveFrame:
    seen: list[LiveFrame] = []
    window.view.painted.connect(lambda frame, _: seen.append(frame))
    qtbot.waitUntil(lambda: len(seen) >= count, timeout=timeout_ms)
    return seen[-1]


def test_window_shows_a_paced_clip_with_a_skeleton(qtbot, window, short_clip: Path) -> None:
    assert "PoseCam" in window.windowTitle()
    window.open_source_text(str(short_clip))
    frame = wait_for_frames(qtbot, window, 5)
    assert window.last_problem is None
    assert frame.result.people, "the person in the clip was not found"
    assert window.source_label.text() == short_clip.name
    assert window.size_label.text() == "640 x 480"
    window.stop_worker()
    assert window.worker is None


def test_changing_the_left_arm_colour_changes_its_pixels(qtbot, window, short_clip) -> None:
    window.open_source_text(str(short_clip))
    wait_for_frames(qtbot, window, 2)
    green = (0, 255, 0)
    window.panel.set_bone_color(BodyPart.LEFT_ARM, green)
    assert window.settings.style.bone_colors[BodyPart.LEFT_ARM] == green

    def left_arm_is_green() -> bool:
        frame = window.view.frame
        if frame is None or frame.result.people == ():
            return False
        if frame.result.index <= changed_at:
            return False
        return _bone_midpoint_color(frame, BodyPart.LEFT_ARM, window) == green

    changed_at = window.view.frame.result.index if window.view.frame else -1
    qtbot.waitUntil(left_arm_is_green, timeout=10000)
    # The other arm keeps the default white.
    frame = window.view.frame
    assert _bone_midpoint_color(frame, BodyPart.RIGHT_ARM, window) in ((255, 255, 255), None)


def _bone_midpoint_color(frame: LiveFrame, part: BodyPart, window) -> tuple[int, int, int] | None:
    """The colour at the middle of the part's first bone whose two ends are shown."""
    style = window.settings.style
    for person in frame.result.people:
        lm = person.landmarks_px
        for a, b in BONES_BY_PART[part]:
            if lm[a, 3] >= style.visibility_threshold and lm[b, 3] >= style.visibility_threshold:
                x, y = np.round((lm[a, :2] + lm[b, :2]) / 2).astype(int)
                h, w = frame.result.annotated.shape[:2]
                if 0 <= x < w and 0 <= y < h:
                    return tuple(int(c) for c in frame.result.annotated[y, x])
    return None


def test_worker_stops_and_joins_within_a_second(qtbot, model, short_clip) -> None:
    worker = PoseWorker(
        lambda: PacedSource(VideoFileSource(short_clip)), Settings(loop_video=True), model
    )
    frames: list[LiveFrame] = []
    worker.frame_ready.connect(lambda: frames.append(worker.take_newest()))
    worker.start()
    qtbot.waitUntil(lambda: len(frames) >= 3, timeout=20000)
    import time

    started = time.monotonic()
    worker.stop()
    assert worker.wait(1000)
    assert time.monotonic() - started < 1.0
    assert all(f is None or f.image.width() == 640 for f in frames)


def test_a_missing_file_is_reported_in_words(qtbot, window, tmp_path) -> None:
    missing = tmp_path / "nowhere.mp4"
    window.open_source_text(str(missing))
    qtbot.waitUntil(lambda: window.last_problem is not None, timeout=10000)
    assert "nowhere.mp4" in window.last_problem
    assert window.stack.currentWidget() is window.message_page
    assert "\n" not in window.last_problem


def test_snapshot_saves_the_annotated_frame(qtbot, window, short_clip, tmp_path) -> None:
    from dataclasses import replace

    window.settings = replace(window.settings, output_folder=str(tmp_path / "out"))
    window.open_source_text(str(short_clip))
    frame = wait_for_frames(qtbot, window, 2)
    path = window.snapshot()
    assert path is not None and path.suffix == ".png" and path.exists()
    from desktop_app.media.images import read_image

    assert read_image(path).shape == frame.result.annotated.shape


def test_settings_are_saved_when_the_window_closes(qtbot, tmp_path, model) -> None:
    settings_file = tmp_path / "settings.json"
    window = MainWindow(settings_file=settings_file, model=model)
    qtbot.addWidget(window)
    window.panel.set_bone_color(BodyPart.RIGHT_LEG, (1, 2, 3))
    window.close()
    saved = json.loads(settings_file.read_text())
    assert saved["style"]["bone_colors"]["right_leg"] == "#010203"
    again = MainWindow(settings_file=settings_file, model=model)
    qtbot.addWidget(again)
    assert again.settings.style.bone_colors[BodyPart.RIGHT_LEG] == (1, 2, 3)
    assert again.panel.bone_buttons[BodyPart.RIGHT_LEG].text() == "#010203"
    again.close()


def test_recording_from_the_window_gives_a_playable_h264_file(qtbot, window, short_clip, tmp_path):
    from desktop_app.media.sources import VideoFileSource

    window.open_source_text(str(short_clip))
    wait_for_frames(qtbot, window, 1)
    out = tmp_path / "rec.mp4"
    states: list[object] = []
    window.worker.recording_changed.connect(states.append)
    window.start_recording(out)
    qtbot.waitUntil(lambda: states[:1] == [out], timeout=10000)
    assert window.recording_label.text().endswith("rec.mp4")
    wait_for_frames(qtbot, window, 15)
    window.record_action.setChecked(False)  # as Ctrl+R does
    qtbot.waitUntil(lambda: states[-1:] == [None], timeout=10000)
    with VideoFileSource(out) as recorded:
        frames = list(recorded)
        assert recorded.size == (640, 480)
    assert len(frames) >= 10
    import av

    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.name == "h264"


def test_exercise_counting_and_angles_in_the_window(qtbot, window, short_clip) -> None:
    from dataclasses import replace

    window.open_source_text(str(short_clip))
    wait_for_frames(qtbot, window, 2)
    window.panel.set_settings(replace(window.settings, exercise="curl", show_angles=True))
    qtbot.waitUntil(lambda: window.view.frame is not None and bool(window.view.frame.reps),
                    timeout=10000)  # fmt: skip
    count, stage, _ = window.view.frame.reps[0]
    assert count == 0 and stage in ("unknown", "up", "down")
    assert window.view.exercise_label == "Curls"
    assert window.panel.angle_plot.exercise is not None
    window.reset_reps()
    assert window.panel.angle_plot._points == type(window.panel.angle_plot._points)()
    window.panel.set_settings(replace(window.settings, exercise=""))
    qtbot.waitUntil(lambda: window.view.frame is not None and window.view.frame.reps is None,
                    timeout=10000)  # fmt: skip
