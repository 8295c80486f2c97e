"""`posecam annotate --jobs N`: pose models search segments of the video at once
(media.parallel), and the result is a serial run's: the same frames and person ids, and the
same landmarks where MediaPipe keeps no history (it detects people in every frame: with two
or more wanted, and with one as annotate finds them by default). With `--mediapipe-tracking`
MediaPipe's one-person tracking makes each frame depend on those before, so only the frames
before the first seam are the same to the pixel, but for the last few, which the look-ahead
revises with frames after it (benchmarks/parallel.py measures the rest).
Real MediaPipe, real files."""

from __future__ import annotations

import logging
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from desktop_app.annotate import AnnotateOptions, AnnotateSummary, annotate
from desktop_app.cli import main
from desktop_app.core.frame import PersonPose
from desktop_app.core.model import PoseModel
from desktop_app.core.pipeline import PipelineSettings, PoseFinder
from desktop_app.core.smoothing import default_look_ahead_s, look_ahead_frames
from desktop_app.media.parallel import SegmentFinders, segment_starts_ms
from desktop_app.media.sources import VideoFileSource
from desktop_app.media.synthetic import write_sample_clip
from testsupport.outputs import assert_keypoints_match_video, decoded_times_s, people_by_frame

People = dict[int, dict[int, np.ndarray]]


def run(
    clip: Path, out: Path, jobs: int, model: PoseModel, **options: object
) -> tuple[AnnotateSummary, People]:
    keypoints = out.with_suffix(".csv")
    summary = annotate(
        AnnotateOptions(input=clip, output=out, keypoints=keypoints, jobs=jobs, **options),  # type: ignore[arg-type]
        model=model,
    )
    # Frames with nobody have no CSV rows.
    assert_keypoints_match_video(out, keypoints, every_frame=False)
    return summary, people_by_frame(keypoints)


def first_seam_frame(clip: Path, jobs: int) -> int:
    """The index of the first frame of the second segment."""
    with VideoFileSource(clip) as source:
        starts = segment_starts_ms(source.duration_s or 0.0, jobs)
        return next(i for i, frame in enumerate(source) if frame.time_ms >= starts[1])


def frames_before_the_seam_reaches(clip: Path) -> range:
    """The frames a serial run and a 2-job run give alike with one person wanted and
    MediaPipe following them: those before the first seam, but for the last few, which
    annotate's look-ahead revises with frames after the seam (where MediaPipe's one-person
    tracking differs)."""
    with VideoFileSource(clip) as source:
        ahead = look_ahead_frames(default_look_ahead_s(finds_afresh=False), source.fps or 30.0)
    return range(first_seam_frame(clip, 2) - ahead)


def largest_difference_px(a: People, b: People, frames: range | None = None) -> float:
    worst = 0.0
    for f in a if frames is None else [f for f in frames if f in a]:
        for pid, points in a[f].items():
            worst = max(worst, float(np.nanmax(np.abs(points - b[f][pid]))))
    return worst


def assert_same_frames_and_ids(
    a: People,
    b: People,
    serial: AnnotateSummary,
    parallel: AnnotateSummary,
    most_frames_apart: int = 0,
) -> None:
    assert parallel.frames == serial.frames
    assert {pid for f in a.values() for pid in f} == {pid for f in b.values() for pid in f}
    apart = [f for f in set(a) | set(b) if set(a.get(f, {})) != set(b.get(f, {}))]
    assert len(apart) <= most_frames_apart, sorted(apart)


def test_segments_are_a_whole_number_per_job_none_too_short_or_too_long() -> None:
    assert segment_starts_ms(600.0, 1) == [0.0]
    assert segment_starts_ms(4.0, 2) == [0.0]  # too short to share
    assert segment_starts_ms(17.0, 2) == [0.0, 8500.0]
    assert len(segment_starts_ms(65.0, 2)) == 4  # no segment over 30 s, two per job
    assert len(segment_starts_ms(10.0, 8)) == 3  # none under 3 s
    assert segment_starts_ms(float("nan"), 2) == [0.0]


@pytest.fixture(scope="module")
def seven_seconds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parallel") / "sample.mp4"
    write_sample_clip(path, seconds=7.0)
    return path


@pytest.mark.parametrize("num_poses", [1, 2])
def test_found_in_every_frame_parallel_equals_serial_to_the_pixel(
    seven_seconds: Path, tmp_path: Path, model: PoseModel, num_poses: int
) -> None:
    serial, a = run(seven_seconds, tmp_path / "serial.mp4", 1, model, num_poses=num_poses)
    parallel, b = run(seven_seconds, tmp_path / "parallel.mp4", 2, model, num_poses=num_poses)
    assert (serial.jobs, parallel.jobs) == (1, 2)
    assert serial.frames_with_person > 0.9 * serial.frames
    assert_same_frames_and_ids(a, b, serial, parallel)
    assert largest_difference_px(a, b) < 0.01


def test_with_mediapipe_tracking_the_frames_before_the_seam_are_a_serial_runs(
    seven_seconds: Path, tmp_path: Path, model: PoseModel
) -> None:
    tracked = {"find_every_frame": False}
    serial, a = run(seven_seconds, tmp_path / "serial.mp4", 1, model, **tracked)
    parallel, b = run(seven_seconds, tmp_path / "parallel.mp4", 2, model, **tracked)
    assert parallel.jobs == 2
    assert_same_frames_and_ids(a, b, serial, parallel)
    # MediaPipe's history differs after the seam: this test would tell nothing otherwise.
    assert largest_difference_px(a, b) > 0.01
    assert largest_difference_px(a, b, frames_before_the_seam_reaches(seven_seconds)) < 0.01


def test_a_damaged_file_falls_back_to_one_model_and_loses_nothing(
    seven_seconds: Path, tmp_path: Path, model: PoseModel
) -> None:
    # Zeroed bytes in the second segment: a whole pass decodes past them and counts the
    # loss; the segment's own reading may differ there, and the run goes on with one model.
    data = bytearray(seven_seconds.read_bytes())
    at = int(len(data) * 0.7)
    data[at : at + 3000] = bytes(3000)
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    serial, a = run(damaged, tmp_path / "serial.mp4", 1, model, num_poses=2)
    parallel, b = run(damaged, tmp_path / "parallel.mp4", 2, model, num_poses=2)
    assert serial.damage is not None and parallel.damage is not None
    # What was lost and where is the whole pass's count, the same for both. Whether FFmpeg
    # also flags a frame it patched up as corrupt depends on how its decoding threads met
    # the damage, which a busy machine changes (seen once in CI: "and 1 frame came out
    # damaged" in the parallel run only).
    lost = ("frames_lost", "lost_counted")  # where it begins counts patched frames too
    assert [getattr(parallel.damage, k) for k in lost] == [getattr(serial.damage, k) for k in lost]
    assert_same_frames_and_ids(a, b, serial, parallel)
    assert largest_difference_px(a, b) < 0.01


def with_a_repeated_time(clip: Path, path: Path, repeated_frame: int) -> Path:
    """`clip` as an MKV at 25 fps (40 ms: times stored exactly) whose frame `repeated_frame`
    is stored with the time of the frame before it, and every later frame one frame early: as
    a damaged or badly cut file can be. A whole pass moves the repeated time on, and so gives
    every later frame a time one frame later than the one stored."""
    with av.open(str(clip)) as source, av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"preset": "ultrafast", "bframes": "0"})
        packets = []
        for i, frame in enumerate(source.decode(video=0)):
            if i == 0:
                stream.width, stream.height, stream.pix_fmt = frame.width, frame.height, "yuv420p"
            picture = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
            picture.pts, picture.time_base = i, Fraction(1, 25)
            packets += stream.encode(picture)
        packets += stream.encode()
        for packet in packets:
            assert packet.pts is not None
            if packet.pts >= repeated_frame:
                packet.pts = packet.dts = packet.pts - 1
            out.mux(packet)
    with VideoFileSource(path) as check:
        times = [frame.time_ms for frame in check]
        assert check.times_made_up and times[repeated_frame] == 40.0 * repeated_frame
    return path


def test_a_file_whose_stored_times_repeat_gives_each_frame_its_own_pose(
    seven_seconds: Path, tmp_path: Path, model: PoseModel, caplog: pytest.LogCaptureFixture
) -> None:
    # The second segment reads stored times, one frame off a whole pass's after the repeat:
    # its results must not be taken for the frames a whole pass times so. Two checks stop
    # that (the segment that meets the repeat fails over; annotate leaves the segments once
    # the source made a time up); without both, frames got poses 381 px away. Annotate's
    # check comes first, so the log names it; the next test takes the segments' alone.
    clip = with_a_repeated_time(seven_seconds, tmp_path / "repeated.mkv", repeated_frame=50)
    serial, a = run(clip, tmp_path / "serial.mp4", 1, model, num_poses=2)
    with caplog.at_level(logging.INFO, logger="desktop_app.media.parallel"):
        parallel, b = run(clip, tmp_path / "parallel.mp4", 2, model, num_poses=2)
    assert parallel.jobs == 2 and serial.frames_with_person > 0.9 * serial.frames
    assert_same_frames_and_ids(a, b, serial, parallel)
    assert largest_difference_px(a, b) < 0.01
    stopped = [r.getMessage() for r in caplog.records if "segments stopped" in r.getMessage()]
    assert len(stopped) == 1 and "frame times had to be made up" in stopped[0], stopped


def test_a_segment_that_meets_a_repeated_time_hands_over_rather_than_misplace_poses(
    seven_seconds: Path, tmp_path: Path, model: PoseModel
) -> None:
    # The segments alone, asked for the frames of a whole pass (whose times after the repeat
    # are one frame later than those stored): every result they give is that frame's, and
    # they hand over to the caller at the repeat.
    clip = with_a_repeated_time(seven_seconds, tmp_path / "repeated.mkv", repeated_frame=50)
    settings = PipelineSettings(num_poses=2)
    given: dict[int, list[PersonPose]] = {}
    with VideoFileSource(clip) as source:
        starts = [0.0, 1000.0, 3000.0]
        with SegmentFinders(clip, starts, lambda: PoseFinder(model, settings), 2) as finders:
            for frame in source:
                found = finders.found(frame)
                if found is not None:
                    given[frame.index] = found.people
        assert finders.gave_up is not None and "frame times go back" in finders.gave_up
    assert max(given) == 49  # the last frame before the repeat
    with VideoFileSource(clip) as source, PoseFinder(model, settings) as alone:
        for frame in source:
            if frame.index in given:
                mine, theirs = alone.find(frame).people, given[frame.index]
                assert len(mine) == len(theirs), frame.index
                for p, q in zip(mine, theirs, strict=True):
                    assert np.abs(p.landmarks_px - q.landmarks_px).max() < 0.01, frame.index


def test_stopped_part_way_the_models_stop_and_the_frames_done_are_kept(
    seven_seconds: Path, tmp_path: Path, model: PoseModel
) -> None:
    out = tmp_path / "out.mp4"

    def stop_at_frame_60(done: int, total: int | None) -> None:
        if done == 60:
            raise KeyboardInterrupt

    options = AnnotateOptions(
        input=seven_seconds, output=out, jobs=2, keypoints=out.with_suffix(".csv")
    )
    with pytest.raises(KeyboardInterrupt) as stopped:
        annotate(options, progress=stop_at_frame_60, model=model)
    assert not [t for t in threading.enumerate() if t.name.startswith("posecam-find")]
    partial_video = tmp_path / "out.partial.mp4"
    # The 60 written and those held for the look-ahead, already seen, are kept.
    kept = 60 + options.pipeline_settings(30.0).look_ahead_frames
    assert f"the {kept} frames annotated so far are in" in " ".join(stopped.value.__notes__)
    assert assert_keypoints_match_video(partial_video, tmp_path / "out.partial.csv") == kept
    times_s = decoded_times_s(partial_video)
    assert np.allclose(np.diff(times_s), times_s[1] - times_s[0], atol=0.002)  # none left out


def test_the_command_line_takes_jobs_and_says_how_many_searched(
    seven_seconds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    assert main(["annotate", str(seven_seconds), "-o", str(out), "--jobs", "2"]) == 0
    assert "frames/s (2 jobs)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(["annotate", str(seven_seconds), "--jobs", "0"])
    assert refused.value.code == 2
    assert "--jobs: 0 is not between 1 and 64" in capsys.readouterr().err


# -- every shared clip -------------------------------------------------------------------


def shared_clips() -> list[str]:
    return [
        f"{folder}/{name}"
        for folder, names in {
            "videos": [
                "basketball_dribble_portrait_12fps.mp4",
                "drink_water_still_far_1080p.avi",
                "squats_frontal_portrait_5fps.mp4",
                "taiji_frontal_720p.mp4",
                "walking_side_view_720p.mp4",
            ],
            "exercise": [
                "frontraise_side_01.mp4",
                "jumpingjack_front_01.mp4",
                "lunge_split_side_01.mp4",
                "shoulderpress_side_01.mp4",
                "squat_front_01.mp4",
                "squat_front_02.mp4",
                "squat_side_02.mp4",
            ],
        }.items()
        for name in names
    ]


@pytest.mark.parametrize("name", shared_clips())
def test_every_shared_clip_gives_a_serial_runs_frames_and_ids(
    name: str, shared_data: Path, tmp_path: Path, model: PoseModel
) -> None:
    clip = shared_data / name
    serial, a = run(clip, tmp_path / "serial.mp4", 1, model)
    parallel, b = run(clip, tmp_path / "parallel.mp4", 2, model)
    with VideoFileSource(clip) as source:
        shared = source.seekable and len(segment_starts_ms(source.duration_s or 0.0, 2)) > 1
    # The AVI's times are counted, not stored, so it cannot be read from part way; the
    # basketball clip is too short to share.
    assert parallel.jobs == (2 if shared else 1)
    assert parallel.sound == serial.sound
    # MediaPipe following one person may lose or keep them a frame or two apart at the edge
    # of the picture (walking: the man leaving, in the last frames).
    assert_same_frames_and_ids(
        a, b, serial, parallel, most_frames_apart=round(0.01 * serial.frames)
    )
    if shared:
        assert largest_difference_px(a, b, frames_before_the_seam_reaches(clip)) < 0.01


def test_walking_with_two_people_wanted_gives_a_serial_runs_landmarks(
    shared_data: Path, tmp_path: Path, model: PoseModel
) -> None:
    clip = shared_data / "videos" / "walking_side_view_720p.mp4"
    serial, a = run(clip, tmp_path / "serial.mp4", 1, model, num_poses=2)
    parallel, b = run(clip, tmp_path / "parallel.mp4", 2, model, num_poses=2)
    assert parallel.jobs == 2
    assert len(a) > 0.7 * serial.frames  # the man, then the woman walking in
    assert_same_frames_and_ids(a, b, serial, parallel)
    assert largest_difference_px(a, b) < 0.01
