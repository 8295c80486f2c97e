"""The Qt-free live loop on a real clip and real MediaPipe: commands between frames, the
recording, and how it ends."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_app.core.pipeline import PipelineSettings
from desktop_app.core.reps import EXERCISES
from desktop_app.core.smoothing import LIVE_LOOK_AHEAD_FRAMES
from desktop_app.live import LiveControl, LiveEnd, LiveLoop, LiveResult
from desktop_app.media.live_feed import FeedInfo
from desktop_app.media.recorder import RecordingPaths
from desktop_app.media.sources import VideoFileSource


class Reports:
    """Keeps what the loop says, and gives commands at chosen frames."""

    def __init__(self, at_frame: dict[int, object]) -> None:
        self.at_frame = at_frame
        self.results: list[LiveResult] = []
        self.opened: list[FeedInfo] = []
        self.recording: list[Path | None] = []
        self.problems: list[str] = []

    def on_source_opened(self, info: FeedInfo) -> None:
        self.opened.append(info)

    def on_result(self, live: LiveResult) -> None:
        self.results.append(live)
        command = self.at_frame.get(len(self.results))
        if callable(command):
            command()

    def on_recording_changed(self, path: Path | None) -> None:
        self.recording.append(path)

    def on_recording_problem(self, message: str) -> None:
        self.problems.append(message)


def run_loop(
    model, clip: Path, reports: Reports, control: LiveControl, *, loop_video: bool
) -> LiveEnd:
    """Run the live loop over `clip` with the default settings; how it ended."""
    loop = LiveLoop(
        lambda: VideoFileSource(clip),
        PipelineSettings(),
        model,
        reports,
        control,
        loop_video=loop_video,
    )
    return loop.run()


def test_commands_apply_between_frames_and_the_recording_is_finished(
    model, short_clip: Path, tmp_path: Path
) -> None:
    control = LiveControl()
    paths = RecordingPaths.beside(tmp_path / "rec.mp4", raw_video=False, keypoints_format="json")
    squats = PipelineSettings(exercise=EXERCISES["squat"])
    # The clip loops and the loop is stopped after 25 results: the newest-frame feed drops
    # frames a busy machine cannot keep up with, so one pass may give fewer than 25.
    reports = Reports(
        {
            5: lambda: control.start_recording(paths),
            10: lambda: control.configure(squats),
            20: control.stop_recording,
            25: control.stop,
        },
    )
    end = run_loop(model, short_clip, reports, control, loop_video=True)
    assert end.stopped and end.problem is None
    assert [info.name for info in reports.opened] == [short_clip.name]
    assert reports.recording == [paths.video, None] and not reports.problems
    results = reports.results
    # Each command took effect at the very next frame: never lost, never late.
    recorded = [r.recording is not None for r in results]
    assert recorded == [False] * 5 + [True] * 15 + [False] * (len(results) - 20)
    counting = [r.result.reps is not None for r in results]
    assert counting == [False] * 10 + [True] * (len(results) - 10)
    # The recording holds the frames processed while it ran, and the count at its end.
    data = json.loads(paths.keypoints.read_text())
    assert [f["frame"] for f in data["frames"]] == [r.result.index for r in results[5:20]]
    assert data["exercise"] == "squat" and data["reps"] == {"0": 0}


def test_stop_ends_a_looping_source_after_the_frame_in_hand(model, short_clip: Path) -> None:
    control = LiveControl()
    reports = Reports({3: control.stop})
    end = run_loop(model, short_clip, reports, control, loop_video=True)
    assert end.stopped and end.problem is None
    assert len(reports.results) == 3


def test_a_live_recording_of_a_phone_video_says_how_it_was_turned(
    model, astronaut, tmp_path: Path
) -> None:
    import numpy as np

    from tests.media.test_rotation import _clip

    stored = np.ascontiguousarray(astronaut[::2, ::2][:, 48:208])
    phone = _clip(tmp_path / "phone.mp4", stored, 90, frames=6)
    control = LiveControl()
    paths = RecordingPaths.beside(tmp_path / "rec.mp4", raw_video=False, keypoints_format="json")
    # Looped and stopped after 4 results: six frames may pass in one or two results on a
    # busy machine (the feed keeps the newest frame only).
    reports = Reports(
        {1: lambda: control.start_recording(paths), 3: control.stop_recording, 4: control.stop}
    )
    end = run_loop(model, phone, reports, control, loop_video=True)
    assert end.stopped and not reports.problems
    assert (reports.opened[0].rotation, reports.opened[0].mirrored) == (90, False)
    header = json.loads(paths.keypoints.read_text())
    assert (header["rotated_deg"], header["mirrored"]) == (90, False)


def test_a_live_recording_with_an_exercise_has_its_repetitions_table(
    model, short_clip: Path, tmp_path: Path
) -> None:
    import csv

    control = LiveControl()
    paths = RecordingPaths.beside(tmp_path / "set.mp4", raw_video=False, keypoints_format="csv")
    reports = Reports(
        {
            1: lambda: control.configure(PipelineSettings(exercise=EXERCISES["squat"])),
            2: lambda: control.start_recording(paths),
            8: control.stop_recording,
            9: control.stop,
        }
    )
    run_loop(model, short_clip, reports, control, loop_video=True)
    assert not reports.problems
    with open(tmp_path / "set_reps.csv", newline="") as file:
        table = list(csv.reader(file))
    assert table[0][:2] == ["person", "rep"]  # a photo sliding sideways does no squats
    assert table[1:] == []


def test_a_recording_started_part_way_holds_only_its_own_repetitions_on_its_timeline(
    model, shared_data: Path, tmp_path: Path
) -> None:
    """The window counts from the moment an exercise is chosen; a recording started later
    holds the repetitions done while it ran, numbered from 1 and timed from its start, as
    its video is, not those before it (which a user could not match to the video)."""
    import csv

    clip = shared_data / "exercise" / "squat_front_01.mp4"  # bottoms at 1.1, 3.5, 6.0, 8.5, 11.0 s
    control = LiveControl()
    paths = RecordingPaths.beside(tmp_path / "set.mp4", raw_video=False, keypoints_format="json")

    class StartAt4s(Reports):
        def on_result(self, live: LiveResult) -> None:
            super().on_result(live)
            if live.result.time_ms >= 4000.0 and not self.recording:
                control.start_recording(paths)

    reports = StartAt4s(
        {1: lambda: control.configure(PipelineSettings(exercise=EXERCISES["squat"]))}
    )
    run_loop(model, clip, reports, control, loop_video=False)  # the clip's end ends it all
    assert not reports.problems and reports.recording[-1] is None
    counted = reports.results[-1].result.reps
    assert counted is not None and counted[0].repetitions >= 4
    with open(tmp_path / "set_reps.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    # The two squats before the recording began are left out, the later ones kept.
    assert 1 <= len(rows) <= counted[0].repetitions - 2
    assert [int(row["rep"]) for row in rows] == list(range(1, len(rows) + 1))
    length_s = 12.2 - 4.0
    assert all(0.0 <= float(row["start_s"]) < float(row["end_s"]) <= length_s for row in rows)
    summary = json.loads(paths.keypoints.read_text())
    assert summary["reps"] == {"0": len(rows)} and len(summary["per_rep"]) == len(rows)


def test_the_window_can_find_the_person_in_every_frame_as_annotate_does(
    model, short_clip: Path, tmp_path: Path
) -> None:
    from desktop_app.settings import Settings

    headers = {}
    for chosen in (False, True):
        control = LiveControl()
        paths = RecordingPaths.beside(
            tmp_path / f"rec_{chosen}.mp4", raw_video=False, keypoints_format="json"
        )
        reports = Reports({1: lambda c=control, p=paths: c.start_recording(p)})
        settings = Settings(find_every_frame=chosen).pipeline()
        loop = LiveLoop(
            lambda: VideoFileSource(short_clip), settings, model, reports, control, False
        )
        assert loop.run().ended and not reports.problems
        data = json.loads(paths.keypoints.read_text())
        headers[chosen] = data["found_afresh_every_frame"]
        # Grace Hopper is in every frame, found afresh or followed: one person each time.
        assert data["frames"] and all(len(f["persons"]) == 1 for f in data["frames"])
    # The recording says how she was found.
    assert headers == {False: False, True: True}
    assert Settings().find_every_frame  # the window's default, as annotate's


def _looking_ahead() -> PipelineSettings:
    """The window's settings with "Look a frame ahead": each frame waits for the next."""
    from desktop_app.settings import Settings

    settings = Settings(look_ahead=True).pipeline()
    assert settings.look_ahead_frames == LIVE_LOOK_AHEAD_FRAMES > 0
    return settings


def test_looking_a_frame_ahead_the_last_frame_is_shown_and_recorded_too(
    model, short_clip: Path, tmp_path: Path
) -> None:
    control = LiveControl()
    paths = RecordingPaths.beside(tmp_path / "rec.mp4", raw_video=False, keypoints_format="json")
    reports = Reports({1: lambda: control.start_recording(paths)})
    loop = LiveLoop(
        lambda: VideoFileSource(short_clip), _looking_ahead(), model, reports, control, False
    )
    end = loop.run()
    assert end.ended and not end.stopped and end.problem is None
    shown = [r.result.index for r in reports.results]
    # In order, each once, to the clip's last frame (held for a next that never came).
    assert shown == sorted(set(shown)) and shown[-1] == 29
    assert all(r.captured_s <= r.processed_s for r in reports.results)
    data = json.loads(paths.keypoints.read_text())
    assert [f["frame"] for f in data["frames"]] == shown[1:]
    assert data["smoothing_look_ahead_frames"] == LIVE_LOOK_AHEAD_FRAMES


def test_looking_a_frame_ahead_a_paused_video_still_shows_its_last_frame(
    model, short_clip: Path
) -> None:
    import threading
    import time

    control = LiveControl()
    reports = Reports({3: lambda: control.set_paused(True)})
    loop = LiveLoop(lambda: VideoFileSource(short_clip), _looking_ahead(), model, reports, control)

    def stop_once_all_shown() -> None:
        # The frame held for the next, which the pause keeps from coming, must be shown
        # all the same; without that this waits out its minute and the check below fails.
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            if loop.feed.paused and loop.frames_waiting == 0:
                break
            time.sleep(0.01)
        control.stop()

    watcher = threading.Thread(target=stop_once_all_shown)
    watcher.start()
    try:
        end = loop.run()
    finally:
        control.stop()
        watcher.join()
    assert end.stopped and loop.frames_waiting == 0
    shown = [r.result.index for r in reports.results]
    assert len(shown) >= 3 and shown == sorted(set(shown))


class _Waiting(Reports):
    """Also notes how many frames were waiting as each result was shown: in all (being found
    too), and held for the look-ahead alone."""

    def __init__(self, at_frame: dict[int, object]) -> None:
        super().__init__(at_frame)
        self.loop: LiveLoop | None = None
        self.waiting: list[int] = []
        self.held: list[int] = []

    def on_result(self, live: LiveResult) -> None:
        assert self.loop is not None
        self.waiting.append(self.loop.frames_waiting)
        self.held.append(self.loop.frames_held)
        super().on_result(live)


def test_looking_a_frame_ahead_is_for_sources_quicker_than_the_longest_wait(
    model, tmp_path: Path
) -> None:
    from desktop_app.media.synthetic import write_sample_clip

    runs = {}
    for fps in (5.0, 30.0):
        clip = tmp_path / f"at_{fps:.0f}.mp4"
        write_sample_clip(clip, seconds=1.6, fps=fps)
        control = LiveControl()
        paths = RecordingPaths.beside(
            tmp_path / f"rec_{fps:.0f}.mp4", raw_video=False, keypoints_format="json"
        )
        reports = _Waiting({1: lambda c=control, p=paths: c.start_recording(p)})
        loop = LiveLoop(
            lambda c=clip: VideoFileSource(c), _looking_ahead(), model, reports, control, False
        )
        reports.loop = loop
        assert loop.run().ended
        header = json.loads(paths.keypoints.read_text())["smoothing_look_ahead_frames"]
        runs[fps] = (reports.waiting, reports.held, header)
    # 5 fps: the next frame is due 0.2 s later, so none is held for it and the recording says
    # so (that each is shown as soon as it is drawn shows in benchmarks/live.py's latency).
    # How many are shown depends on the machine: a busy one skips frames it cannot keep up
    # with, and finds the next while it shows one (so it is waiting, though not held).
    _, held, header = runs[5.0]
    assert held and set(held) == {0} and header == 0
    # 30 fps: frames are shown while the next waits (all but the last, shown at the end).
    waiting, _, header = runs[30.0]
    assert 1 in waiting and waiting[-1] == 0 and header == LIVE_LOOK_AHEAD_FRAMES
