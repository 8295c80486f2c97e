"""A fresh look, now and then, at the one person MediaPipe is tracking.

With one person wanted, MediaPipe's VIDEO mode runs its person detector only until it has
found someone, then follows them from frame to frame by the region their last landmarks
covered. When that following goes wrong, nothing brings it back while the skeleton still has
a person's proportions: on the shared front-raise clip it drew a skeleton twice the person's
size for a third of a second, and on a photo of an astronaut moved along a known path it
stayed 20-60 % of the person's size off her for most of six seconds. Our shape checks
(core.tracking) cannot see this: its limbs keep their lengths. `min_tracking_confidence`
does not help either (0.5, 0.7 and 0.9 gave the same deviations on both clips).

So every `interval_ms` of video time this module shows the frame to a separate IMAGE-mode
landmarker, which detects from scratch. When its person and the tracked one disagree by more
than `disagree` (mean distance of the limb landmarks both see, in person sizes, a left/right
swap forgiven), the tracked one is wrong: the VIDEO landmarker is made to lose its track (a
black frame) and looks at the frame again, which runs its detector. Measured with
benchmarks/trust.py: see docs/smoothing.md.

Cost: one more pose inference per look (at 0.5 s apart, 14 % more pose time at 30 fps:
benchmarks/stages.py) and about 30 ms on the rare frame where the track is restarted. It is
used only where MediaPipe follows one person (the window with "Find the person in every frame"
off, and `posecam annotate --mediapipe-tracking`); otherwise both find that person afresh in
every frame (core.pipeline.PipelineSettings.finds_afresh), which leaves nothing to check.
"""

from __future__ import annotations

import numpy as np

from desktop_app.core.closeable import Closeable
from desktop_app.core.frame import PersonPose
from desktop_app.core.model import PoseModel
from desktop_app.core.pose import PoseEstimator, PoseSettings, RunningMode
from desktop_app.core.skeleton import SEEN_VISIBILITY
from desktop_app.core.tracking import person_size_px

#: Shoulders, elbows, wrists, hips, knees and ankles: the landmarks a wrong track moves most.
_LIMBS = np.array([11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])
#: The person's left and right arm, then leg: (shoulder, elbow, wrist), (hip, knee, ankle).
_SIDES = [([11, 13, 15], [12, 14, 16]), ([23, 25, 27], [24, 26, 28])]
#: The tracked and the freshly detected skeleton of one person differ by a median 0.01 of the
#: person's size on the shared clips where tracking holds, and by up to 0.11 in a side view
#: where the far leg is hidden (a lunge: a restart there only trades one guess for another);
#: MediaPipe's wrong tracks were off by 0.15-0.24.
DISAGREE = 0.15
#: Video time between looks, in milliseconds.
INTERVAL_MS = 500.0


def disagreement(tracked_px: np.ndarray, fresh_px: np.ndarray) -> float:
    """Mean distance between the limb landmarks of two (33, 4) skeletons, in sizes of the
    `fresh_px` person. Arms and legs are each compared both ways round, left for right, and
    the closer taken: the model labels sides differently from one pass to the next in side
    views, often for the legs alone, and the tracker undoes such swaps itself. Landmarks
    seen in both count; with fewer than four such, all limb landmarks do."""
    size = person_size_px(fresh_px)
    seen = (tracked_px[:, 3] >= SEEN_VISIBILITY) & (fresh_px[:, 3] >= SEEN_VISIBILITY)
    if seen[_LIMBS].sum() < 4:
        seen[:] = True
    gaps: list[np.ndarray] = []
    for left, right in _SIDES:
        plain, swapped = left + right, right + left
        both = seen[plain] & seen[swapped]
        if not both.any():
            continue
        ahead = np.linalg.norm(tracked_px[plain, :2] - fresh_px[plain, :2], axis=1)[both]
        across = np.linalg.norm(tracked_px[swapped, :2] - fresh_px[plain, :2], axis=1)[both]
        gaps.append(ahead if ahead.sum() <= across.sum() else across)
    if not gaps:
        return 0.0
    return float(np.concatenate(gaps).mean()) / size


class FreshLook(Closeable):
    """Checks a VIDEO-mode landmarker's one tracked person against a fresh detection every
    `interval_ms`, and restarts the tracking when they disagree. Close it (or use `with`)."""

    def __init__(
        self,
        model: PoseModel,
        min_confidence: float = 0.5,
        interval_ms: float = INTERVAL_MS,
        disagree: float = DISAGREE,
    ) -> None:
        self.interval_ms = interval_ms
        self.disagree = disagree
        self._still: PoseEstimator | None = PoseEstimator(
            model, PoseSettings.with_confidence(1, min_confidence), RunningMode.IMAGE
        )
        self._last_look_ms: float | None = None
        #: How many times the tracking was restarted (for logs and tests).
        self.restarts = 0
        #: How many looks were taken.
        self.looks = 0

    def reset(self) -> None:
        """Look at the next frame (a new source, a seek, a scene cut)."""
        self._last_look_ms = None

    def check(
        self, video: PoseEstimator, rgb: np.ndarray, time_ms: float, found: list[PersonPose]
    ) -> list[PersonPose]:
        """`found`, what `video` found in the frame `rgb` taken at `time_ms`; or, when a look
        is due and a fresh detection disagrees with it, what `video` finds in the frame once
        its track is lost (the fresh detection if it then finds nobody)."""
        if self._still is None:
            raise RuntimeError("FreshLook is closed")
        if len(found) != 1:
            # Nobody: the detector runs anyway. Several: not the one-person tracking.
            return found
        last = self._last_look_ms
        if last is not None and 0.0 <= time_ms - last < self.interval_ms:
            return found
        self._last_look_ms = time_ms
        self.looks += 1
        fresh = self._still.estimate(rgb)
        if not fresh or disagreement(found[0].landmarks_px, fresh[0].landmarks_px) <= self.disagree:
            return found
        self.restarts += 1
        video.lose_track(rgb.shape, time_ms)
        return video.estimate(rgb, time_ms) or fresh[:1]

    def close(self) -> None:
        """Release the landmarker. Safe to call twice."""
        if self._still is not None:
            self._still.close()
            self._still = None


__all__ = ["DISAGREE", "INTERVAL_MS", "FreshLook", "disagreement"]
