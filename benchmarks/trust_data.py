"""The clips of benchmarks/trust.py and their detections, recorded once and cached.

For each clip the pose model runs in IMAGE mode (the lag-free reference: no tracking, no
temporal filter) and in VIDEO mode with `num_poses` 1, 2 and 3 (what PoseCam sees), in one
pass over the decoded frames. Everything is kept as plain arrays in one .npz per clip, keyed by
the model's hash and the clip's bytes, so the smoothers can be re-run and re-tuned in seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# testsupport/ (test-only helpers, not installed) is imported from the top of the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop_app.core.frame import Frame
from desktop_app.core.fresh_look import FreshLook
from desktop_app.core.model import PoseModel
from desktop_app.core.pose import PersonPose, PoseEstimator, PoseSettings, RunningMode
from desktop_app.core.second_look import SecondLook, free_windows
from desktop_app.media.sources import VideoFileSource
from desktop_app.media.synthetic import sample_photo
from testsupport.ground_truth import photo_sweep

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("POSECAM_SHARED_DATA", REPO.parent / "shared" / "data"))
NUM_POSES = (1, 2, 3)
#: People in each shared clip, counted by eye (all of today's shared clips show one person).
#: A clip not listed is assumed to show one.
PEOPLE_BY_EYE: dict[str, int] = {}
_CACHE_VERSION = "trust-v1"


@dataclass
class Clip:
    """One clip: where it comes from and what its frames contain."""

    name: str
    #: "video" (a real recording) or "sweep" (a real photo moved along a known path).
    kind: str
    path: Path | None = None
    photo: np.ndarray | None = None
    fps: float = 30.0
    #: Exercise label (labels.json entry), if any.
    label: dict | None = None

    def frames(self) -> Iterator[Frame]:
        if self.path is not None:
            with VideoFileSource(self.path) as source:
                yield from source
            return
        assert self.photo is not None
        yield from photo_sweep(self.photo, 6.0, name=self.name)

    def key(self, model: PoseModel) -> str:
        digest = hashlib.sha256(f"{_CACHE_VERSION}-{model.sha256}-{self.name}".encode())
        if self.path is not None:
            digest.update(self.path.read_bytes())
        return digest.hexdigest()[:16]


@dataclass
class Detections:
    """A clip's detections. People arrays are (frames, people, 33, 4) x_px, y_px, z,
    visibility, NaN-padded; world arrays (frames, people, 33, 3) in metres."""

    clip: Clip
    times_ms: np.ndarray
    width: int
    height: int
    #: The IMAGE-mode reference, one person per frame (NaN where nobody was found).
    reference_px: np.ndarray
    video_px: dict[int, np.ndarray]
    video_world_m: dict[int, np.ndarray]

    def people(self, num_poses: int, index: int) -> list[PersonPose]:
        """The VIDEO-mode detections of frame `index` as the pose stage returns them."""
        px, world = self.video_px[num_poses][index], self.video_world_m[num_poses][index]
        found = np.isfinite(px[:, 0, 0])
        return [PersonPose(px[i], world[i]) for i in np.flatnonzero(found)]


def _pad(people: list[list[PersonPose]], depth: int, columns: int) -> np.ndarray:
    out = np.full((len(people), depth, 33, columns), np.nan, np.float32)
    for f, found in enumerate(people):
        for p, person in enumerate(found[:depth]):
            out[f, p] = person.landmarks_px if columns == 4 else person.world_m
    return out


def record(clip: Clip, model: PoseModel) -> Detections:
    """Run the reference and the VIDEO-mode estimators over the clip's frames in one pass."""
    times: list[float] = []
    reference: list[list[PersonPose]] = []
    video: dict[int, list[list[PersonPose]]] = {n: [] for n in NUM_POSES}
    size = (0, 0)
    estimators = {n: PoseEstimator(model, PoseSettings(num_poses=n)) for n in NUM_POSES}
    with PoseEstimator(model, mode=RunningMode.IMAGE) as still:
        try:
            for frame in clip.frames():
                size = (frame.width, frame.height)
                times.append(frame.time_ms)
                reference.append(still.estimate(frame.rgb))
                for n, estimator in estimators.items():
                    video[n].append(estimator.estimate(frame.rgb, frame.time_ms))
        finally:
            for estimator in estimators.values():
                estimator.close()
    return Detections(
        clip=clip,
        times_ms=np.array(times),
        width=size[0],
        height=size[1],
        reference_px=_pad(reference, 1, 4)[:, 0],
        video_px={n: _pad(video[n], n, 4) for n in NUM_POSES},
        video_world_m={n: _pad(video[n], n, 3) for n in NUM_POSES},
    )


def load_or_record(clip: Clip, model: PoseModel, cache: Path) -> Detections:
    path = cache / f"{clip.name}-{clip.key(model)}.npz"
    if not path.exists():
        det = record(clip, model)
        arrays = {f"px{n}": det.video_px[n] for n in NUM_POSES}
        arrays |= {f"world{n}": det.video_world_m[n] for n in NUM_POSES}
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp,
            times_ms=det.times_ms,
            size=np.array([det.width, det.height]),
            reference_px=det.reference_px,
            **arrays,
        )
        tmp.replace(path)
        return det
    data = np.load(path)
    return Detections(
        clip=clip,
        times_ms=data["times_ms"],
        width=int(data["size"][0]),
        height=int(data["size"][1]),
        reference_px=data["reference_px"],
        video_px={n: data[f"px{n}"] for n in NUM_POSES},
        video_world_m={n: data[f"world{n}"] for n in NUM_POSES},
    )


def fill_reference_gaps(det: Detections, model: PoseModel, cache: Path) -> int:
    """Look again, at a low detection confidence (0.2), at the frames where the reference
    found nobody, and take what it finds there. A person half out of the picture is often
    missed at the default confidence; without this, the tracker's skeleton on them would
    count as a ghost. Where the whole frame still shows nobody, the second look's windows
    (core/second_look.py: full-height parts of the frame, enlarged) are looked at too, at the
    same low confidence. Returns how many frames gained a reference person (cached)."""
    path = cache / f"{det.clip.name}-{det.clip.key(model)}-gaps3.npy"
    missing = set(np.flatnonzero(~np.isfinite(det.reference_px[:, 0, 0])).tolist())
    if path.exists():
        found = np.load(path)
    else:
        found = np.full((len(det.times_ms), 33, 4), np.nan, np.float32)
        if missing:
            settings = PoseSettings.with_confidence(1, 0.2)
            with PoseEstimator(model, settings, mode=RunningMode.IMAGE) as estimator:
                for i, frame in enumerate(det.clip.frames()):
                    if i in missing:
                        people = estimator.estimate(frame.rgb)
                        for window in () if people else free_windows(det.width, det.height, []):
                            crop = frame.rgb[window.y0 : window.y1, window.x0 : window.x1]
                            people = estimator.estimate(np.ascontiguousarray(crop))
                            if people:
                                people[0].landmarks_px[:, 0] += window.x0
                                break
                        if people:
                            found[i] = people[0].landmarks_px
        np.save(path, found)
    filled = np.isfinite(found[:, 0, 0]) & ~np.isfinite(det.reference_px[:, 0, 0])
    det.reference_px[filled] = found[filled]
    return int(filled.sum())


def use_mirrored_reference(det: Detections, model: PoseModel, cache: Path) -> int:
    """Replace the reference by the model's view of each frame mirrored left to right, mapped
    back (x -> width - x, left and right landmarks exchanged); frames where the mirrored view
    shows nobody keep the plain one. Returns how many frames it replaced (cached).

    Why: with `--num-poses` 2 or more, VIDEO mode runs the detector on every frame and its
    output is the IMAGE-mode output to the bit (measured on every shared clip), so a reference
    built from the plain frames is `none`'s own numbers, smoothed: `none` is then measured
    against itself and its noise counts for nothing. The mirrored frame is the same picture,
    and the model's error on it is its own, so no setting is measured against its own noise.
    """
    from desktop_app.core.tracking import MIRROR

    path = cache / f"{det.clip.name}-{det.clip.key(model)}-mirror.npy"
    if path.exists():
        found = np.load(path)
    else:
        found = np.full((len(det.times_ms), 33, 4), np.nan, np.float32)
        with PoseEstimator(model, mode=RunningMode.IMAGE) as estimator:
            for i, frame in enumerate(det.clip.frames()):
                people = estimator.estimate(np.ascontiguousarray(frame.rgb[:, ::-1]))
                if people:
                    back = people[0].landmarks_px[MIRROR].copy()
                    back[:, 0] = frame.width - back[:, 0]
                    found[i] = back
        np.save(path, found)
    # Only where the plain reference saw the person too: the mirrored view may find a
    # different person, or one the plain view (and PoseCam) cannot see.
    plain = np.isfinite(det.reference_px[:, 0, 0])
    use = np.isfinite(found[:, 0, 0]) & plain
    same = np.zeros(len(use), bool)
    for i in np.flatnonzero(use):
        gap = np.nanmean(np.linalg.norm(found[i, :, :2] - det.reference_px[i, :, :2], axis=1))
        span = np.ptp(det.reference_px[i, :, :2], axis=0).max()
        same[i] = gap < 0.2 * span
    det.reference_px[same] = found[same]
    return int(same.sum())


def add_fresh_looks(det: Detections, model: PoseModel, cache: Path) -> int:
    """Replace the `--num-poses 1` detections by what the pipeline gets with its fresh look
    (core/fresh_look.py: the person followed is checked against a fresh detection every
    0.5 s and the tracking restarted when they disagree). Returns how many restarts (cached)."""
    path = cache / f"{det.clip.name}-{det.clip.key(model)}-fresh.npz"
    if path.exists():
        data = np.load(path)
        px, world, restarts = data["px"], data["world"], int(data["restarts"])
    else:
        found: list[list[PersonPose]] = []
        with PoseEstimator(model, PoseSettings(num_poses=1)) as video, FreshLook(model) as look:
            for frame in det.clip.frames():
                people = video.estimate(frame.rgb, frame.time_ms)
                found.append(look.check(video, frame.rgb, frame.time_ms, people))
            restarts = look.restarts
        px, world = _pad(found, 1, 4), _pad(found, 1, 3)
        np.savez_compressed(path, px=px, world=world, restarts=restarts)
    det.video_px[1], det.video_world_m[1] = px, world
    return restarts


def add_second_looks(det: Detections, model: PoseModel, cache: Path) -> int:
    """Add what PoseCam's second look (core/second_look.py) finds to the VIDEO-mode
    detections, for each number of people, as the pipeline does live. Returns how many
    person-frames it added (cached)."""
    path = cache / f"{det.clip.name}-{det.clip.key(model)}-look2.npz"
    if path.exists():
        data = np.load(path)
        extra_px = {n: data[f"px{n}"] for n in NUM_POSES}
        extra_world = {n: data[f"world{n}"] for n in NUM_POSES}
    else:
        looks = {n: SecondLook(model) for n in NUM_POSES}
        extra_px = {n: np.full_like(det.video_px[n], np.nan) for n in NUM_POSES}
        extra_world = {n: np.full_like(det.video_world_m[n], np.nan) for n in NUM_POSES}
        try:
            for i, frame in enumerate(det.clip.frames()):
                for n, look in looks.items():
                    found = det.people(n, i)
                    for j, person in enumerate(look.find(frame.rgb, frame.time_ms, found, n)):
                        extra_px[n][i, len(found) + j] = person.landmarks_px
                        extra_world[n][i, len(found) + j] = person.world_m
        finally:
            for look in looks.values():
                look.close()
        np.savez_compressed(
            path,
            **{f"px{n}": extra_px[n] for n in NUM_POSES},
            **{f"world{n}": extra_world[n] for n in NUM_POSES},
        )
    added = 0
    for n in NUM_POSES:
        new = np.isfinite(extra_px[n][:, :, 0, 0])
        det.video_px[n][new] = extra_px[n][new]
        det.video_world_m[n][new] = extra_world[n][new]
        added += int(new.sum())
    return added


def exercise_labels() -> dict[str, dict]:
    path = SHARED / "exercise" / "labels.json"
    if not path.exists():
        return {}
    return {entry["file"]: entry for entry in json.loads(path.read_text())}


def all_clips(only: Iterable[str] = ()) -> list[Clip]:
    """Every shared clip (videos/ and exercise/) and the known-motion sweeps of the photos
    that install with the dependencies (and of the shared photos, when present)."""
    clips: list[Clip] = []
    labels = exercise_labels()
    for folder in ("videos", "exercise"):
        for path in sorted((SHARED / folder).glob("*")):
            if path.suffix.lower() in (".mp4", ".avi", ".mkv", ".mov", ".webm"):
                clips.append(Clip(path.stem, "video", path=path, label=labels.get(path.name)))
    photos: list[tuple[str, np.ndarray]] = [("grace_hopper", sample_photo())]
    try:
        from skimage import data

        photos.append(("astronaut", np.ascontiguousarray(data.astronaut())))
    except ImportError:
        pass
    yoga = SHARED / "mediapipe_reference" / "yoga_warrior_beach_1000x667.jpg"
    if yoga.exists():
        from desktop_app.media.images import read_image

        photos.append(("yoga_warrior", read_image(yoga)))
    clips += [Clip(f"{name}_sweep", "sweep", photo=photo) for name, photo in photos]
    wanted = set(only)
    return [c for c in clips if not wanted or c.name in wanted]
