"""Reading back what a recording or an annotate run left, strictly: the video decoded to its
end, every CSV row whole, and the keypoints compared frame by frame with the video."""

from __future__ import annotations

import csv
from pathlib import Path

import av
import numpy as np

from desktop_app.media.keypoints import CSV_COLUMNS, read_json_keypoints


def decoded_times_s(path: Path) -> list[float]:
    """Each frame's time of a video, decoding all of it: a damaged tail raises here."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [float(frame.time) for frame in container.decode(stream)]


def keypoint_times_ms(path: Path) -> list[float]:
    """The time of each frame in a CSV or JSON keypoints file, in file order. A CSV row that is
    not whole (a torn last row) fails the test; so does a CSV that does not end a row."""
    if path.suffix == ".json":
        return [float(frame["time_ms"]) for frame in read_json_keypoints(path)["frames"]]
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n"), f"{path} ends in the middle of a row: {text[-80:]!r}"
    rows = list(csv.reader(text.splitlines()))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert all(len(row) == len(CSV_COLUMNS) for row in rows), f"{path} has a torn row"
    times: list[float] = []
    last_frame = None
    for row in rows[1:]:
        if row[0] != last_frame:
            last_frame = row[0]
            times.append(float(row[1]))
    return times


def assert_keypoints_match_video(video: Path, keypoints: Path, *, every_frame: bool = True) -> int:
    """The keypoints' frames are the video's frames, at the video's times, up to its last
    (the files end at the same frame). `every_frame`: each video frame has keypoints (JSON
    always; CSV only when each frame has a person, as it has no rows for a frame without).
    Returns the number of video frames."""
    video_s = decoded_times_s(video)
    keypoints_ms = keypoint_times_ms(keypoints)
    if every_frame:
        assert len(keypoints_ms) == len(video_s), (len(keypoints_ms), len(video_s))
    at = 0
    for noted_ms in keypoints_ms:
        while at < len(video_s) and video_s[at] < noted_ms / 1000.0 - 0.002:
            at += 1
        assert at < len(video_s), f"keypoints at {noted_ms} ms, after the video's last frame"
        assert abs(video_s[at] - noted_ms / 1000.0) < 0.002, (video_s[at], noted_ms)
        at += 1
    if keypoints_ms and every_frame:
        assert abs(video_s[-1] - keypoints_ms[-1] / 1000.0) < 0.002
    return len(video_s)


def people_by_frame(path: Path) -> dict[int, dict[int, np.ndarray]]:
    """A CSV keypoints file as {frame: {person id: (33, 2) drawn x, y in pixels}}. Frames with
    nobody drawn have no rows, so they are absent."""
    rows: dict[int, dict[int, list[tuple[float, float]]]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            people = rows.setdefault(int(row["frame"]), {})
            point = (float(row["x"] or "nan"), float(row["y"] or "nan"))
            people.setdefault(int(row["person"]), []).append(point)
    return {
        frame: {pid: np.array(points, np.float64) for pid, points in people.items()}
        for frame, people in rows.items()
    }


__all__ = [
    "assert_keypoints_match_video",
    "decoded_times_s",
    "keypoint_times_ms",
    "people_by_frame",
]
