"""A second look for people the pose model missed while fewer than the wanted number were found.

MediaPipe's person detector sees the whole frame shrunk to 224 x 224 pixels. A person who is
small in a wide frame, or half out of it (walking in at the edge), is easily missed there, even
when plainly visible: on the shared walking clip a person stepping in at the right edge was
found in a strip along that edge 13 frames before the full-frame detector found them.

So, when fewer people were found than the user asked for, this module looks again in the
parts of the picture where nobody was found: full-height windows about as wide as the frame
is high, and strips half as wide along the side edges (where people walk in and out), each
shown to a separate IMAGE-mode landmarker at its own size (for a landscape 720p frame, a
zoom of 1280/784 = 1.6x for the two overlapping windows over an empty frame, at most
1280/720 = 1.8x for narrower windows and the strips). One window is looked at per look, in
turn; looks are spaced `interval_ms` apart while they find nobody, so a user alone in front
of a camera with People = 2 pays about one extra pose inference every fifth of a second.
While the main pass finds nobody at all, looks come every `empty_interval_ms` (by default
every frame, the windows in turn): on the shared walking clip the person walking in at the
right edge gets a skeleton at frame 24 (at frame 37 without the second look, 32 without the
edge strips). An empty scene has nobody to smooth or draw, so the time is there. Once a look
finds someone, the next frames look again around where they were (a window that follows
them) until the main detector finds them itself; they are shown from the second sighting on.

A person found here is an ordinary detection: the tracker merges it with the main pass's if
both found the same body, and smooths it like any other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from desktop_app.core.closeable import Closeable
from desktop_app.core.frame import PersonPose
from desktop_app.core.model import PoseModel
from desktop_app.core.pose import PoseEstimator, PoseSettings, RunningMode
from desktop_app.core.skeleton import SEEN_VISIBILITY

#: A window covers at least this much more of the detector's input than the whole frame did,
#: or it is not worth a look: the whole frame was already looked at.
_MIN_ZOOM = 1.2
#: The confidence a person found in a window needs, at least (the user's own when higher).
MIN_CONFIDENCE = 0.5
#: A person found here must be at least this size (the larger side of the box around their
#: seen landmarks) relative to the smallest person the main pass found, or, when it found
#: nobody, to the frame's height. A crop of background shown enlarged makes the detector see
#: people in plants, barbell plates and gym machines: on the shared exercise clips with
#: People = 2 it did so in 1-5 % of frames, always a fifth to a third of the real person's
#: size. People sharing a room with the user are about their size, and someone walking in
#: at 2-3 m fills half the frame's height or more. With these limits one frame in the 4,000
#: showed such a ghost.
MIN_RELATIVE_SIZE = 0.5
MIN_SIZE_OF_FRAME = 0.35
#: Width of the strip looked at along each side edge of the frame that nobody covers, as a
#: fraction of the frame's height. Someone walking in or out shows only part of their body
#: there, and the detector finds that part in a narrow strip long before it does in a
#: window as wide as the frame is high: on the shared walking clip, a woman half in the
#: picture at the right edge gets a skeleton from frame 24 with strips half the height wide,
#: from frame 32 with the square windows alone, when she is half-way in.
EDGE_STRIP = 0.5


@dataclass(frozen=True)
class Window:
    """A part of the frame, in pixels: columns x0..x1 and rows y0..y1 (ends excluded)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


def body_box(landmarks_px: np.ndarray) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) around a person's seen landmarks, in pixels, or None if none is seen."""
    seen = landmarks_px[:, 3] >= SEEN_VISIBILITY
    seen &= np.isfinite(landmarks_px[:, 0]) & np.isfinite(landmarks_px[:, 1])
    if not seen.any():
        return None
    xs, ys = landmarks_px[seen, 0], landmarks_px[seen, 1]
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def free_windows(width: int, height: int, taken: list[tuple[float, float]]) -> list[Window]:
    """Full-height windows over the columns of a `width` x `height` frame that no found person
    covers (`taken`: their x ranges in pixels), each at most about as wide as the frame is high
    (so the detector sees it larger than the whole frame), overlapping by a fifth so a person
    on a seam is whole in one of them; then a narrower strip along each side edge nobody
    covers (EDGE_STRIP). Windows that would not enlarge anything are left out."""
    # Columns covered by found people, widened by a quarter of their width on each side (arms
    # and legs reach beyond the seen landmarks), merged where they overlap.
    spans = sorted(
        (max(0.0, a - 0.25 * (b - a)), min(float(width), b + 0.25 * (b - a))) for a, b in taken
    )
    gaps: list[tuple[float, float]] = []
    start = 0.0
    for a, b in spans:
        if a > start:
            gaps.append((start, a))
        start = max(start, b)
    if start < width:
        gaps.append((start, float(width)))
    longest = max(width, height)
    windows = []
    strip = round(EDGE_STRIP * height)
    for a, b in gaps:
        span = b - a
        # Too narrow to hold a person seen from the front at this frame's scale.
        if span < 0.12 * height:
            continue
        count = max(1, math.ceil((span - 0.2 * height) / (0.8 * height)))
        size = min(span, span / count + (0.2 * height if count > 1 else 0.0))
        step = (span - size) / (count - 1) if count > 1 else 0.0
        for i in range(count):
            x0 = round(a + i * step)
            x1 = min(width, round(x0 + size))
            if longest / max(x1 - x0, height) >= _MIN_ZOOM:
                windows.append(Window(x0, 0, x1, height))
    if gaps and longest / height >= _MIN_ZOOM:
        # The side edges nobody covers, in narrow strips (see EDGE_STRIP), after the windows.
        (a, b), (c, d) = gaps[0], gaps[-1]
        edges = []
        if a == 0.0 and b - a >= strip:
            edges.append(Window(0, 0, strip, height))
        if d == width and d - c >= strip:
            edges.append(Window(width - strip, 0, width, height))
        windows += [edge for edge in edges if edge not in windows]
    return windows


def _around(
    box: tuple[float, float, float, float], width: int, height: int, found_in: Window
) -> Window:
    """A full-height window centred on a person's box: as wide as the window they were found
    in (at most as wide as the frame is high) or twice as wide as the box if that is more, so
    a walking person is still inside at the next look. A person found in an edge strip is
    looked for in a strip again: the wider window that had missed them would miss them again."""
    x0, _, x1, _ = box
    size = min(float(width), max(2.0 * (x1 - x0), float(min(found_in.width, height))))
    left = min(max(0.0, (x0 + x1 - size) / 2), width - size)
    return Window(round(left), 0, round(left + size), height)


class SecondLook(Closeable):
    """Looks again for people the main pass missed; see the module's docstring.

    Call `find()` once per frame with what the main pass found; it returns the extra people,
    in the frame's pixels, usually none.
    """

    def __init__(
        self,
        model: PoseModel,
        min_confidence: float = 0.5,
        interval_ms: float = 200.0,
        empty_interval_ms: float = 0.0,
    ) -> None:
        self.interval_ms = interval_ms
        self.empty_interval_ms = empty_interval_ms
        confidence = max(min_confidence, MIN_CONFIDENCE)
        self._estimator = PoseEstimator(
            model, PoseSettings.with_confidence(1, confidence), RunningMode.IMAGE
        )
        self._last_look_ms = -math.inf
        self._turn = 0
        # Where the last look found somebody the main pass had not, and the window it looked
        # in: look there next.
        self._following: tuple[float, float, float, float] | None = None
        self._following_in = Window(0, 0, 0, 0)
        #: How many looks were taken (a measure of the extra cost).
        self.looks = 0

    def reset(self) -> None:
        self._last_look_ms = -math.inf
        self._following = None

    def find(
        self, rgb: np.ndarray, time_ms: float, found: list[PersonPose], wanted: int
    ) -> list[PersonPose]:
        """People in `rgb` that `found` lacks, when fewer than `wanted` were found."""
        if len(found) >= wanted:
            self._following = None
            return []
        height, width = rgb.shape[:2]
        boxes = [b for b in (body_box(p.landmarks_px) for p in found) if b is not None]
        if self._following is not None and any(_overlap(self._following, b) > 0.3 for b in boxes):
            # The main pass has them now.
            self._following = None
        if time_ms < self._last_look_ms:
            self._last_look_ms = -math.inf  # the source went back (a loop or a seek)
        if self._following is not None:
            window = _around(self._following, width, height, self._following_in)
        else:
            interval = self.interval_ms if found else self.empty_interval_ms
            if time_ms - self._last_look_ms < interval:
                return []
            windows = free_windows(width, height, [(b[0], b[2]) for b in boxes])
            if not windows:
                return []
            window = windows[self._turn % len(windows)]
            self._turn += 1
        self._last_look_ms = time_ms
        self.looks += 1
        crop = np.ascontiguousarray(rgb[window.y0 : window.y1, window.x0 : window.x1])
        sizes = [max(b[2] - b[0], b[3] - b[1]) for b in boxes]
        min_size = MIN_RELATIVE_SIZE * min(sizes) if sizes else MIN_SIZE_OF_FRAME * height
        extra = []
        for person in self._estimator.estimate(crop):
            landmarks = person.landmarks_px.copy()
            landmarks[:, 0] += window.x0
            landmarks[:, 1] += window.y0
            box = body_box(landmarks)
            # Someone already found, seen again at the window's edge, is not someone new.
            if box is None or any(_overlap(box, b) > 0.3 for b in boxes):
                continue
            if max(box[2] - box[0], box[3] - box[1]) < min_size:
                continue
            extra.append(PersonPose(landmarks_px=landmarks, world_m=person.world_m))
        # Someone seen on one look only is not shown: the next frame looks again where they
        # were, and only a second sighting there counts. A real person is shown a frame
        # later; a shadow or a reflection that fooled the detector once is not shown at all.
        confirmed = self._following is not None
        self._following = body_box(extra[0].landmarks_px) if extra else None
        self._following_in = window
        return extra[: wanted - len(found)] if confirmed else []

    def close(self) -> None:
        self._estimator.close()


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over the smaller box's area (0-1): 1 when one box lies inside the other."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller if smaller > 0 else 1.0
