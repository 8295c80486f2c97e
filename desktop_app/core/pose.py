"""Pose estimation with MediaPipe's Pose Landmarker (Tasks API), numpy out.

Coordinate spaces, used the same way everywhere in PoseCam:

* image landmarks, array (33, 4): `x_px, y_px` in pixels of the frame that was analysed
  (origin top-left, x to the right, y down); `z` is depth relative to the hips in the same
  pixel scale as x (MediaPipe's normalised z times the frame width; smaller is nearer the
  camera); `visibility` in [0, 1], the model's belief that the landmark is in view and not
  hidden.
* world landmarks, array (33, 3): metres, origin between the hips, y down.
"""

from __future__ import annotations

import contextlib
import enum
import math
from dataclasses import dataclass

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python.core.base_options import BaseOptions
from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions
from mediapipe.tasks.python.vision.core.vision_task_running_mode import (
    VisionTaskRunningMode,
)

from desktop_app.core.closeable import Closeable
from desktop_app.core.frame import PersonPose
from desktop_app.core.model import PoseModel, load_default_model
from desktop_app.core.native_log import quiet_native_stderr
from desktop_app.core.skeleton import NUM_LANDMARKS
from desktop_app.errors import ModelError

__all__ = ["PersonPose", "PoseEstimator", "PoseSettings", "RunningMode"]


class RunningMode(enum.Enum):
    """IMAGE treats every frame on its own; VIDEO tracks the person from frame to frame."""

    IMAGE = "image"
    VIDEO = "video"


@dataclass(frozen=True)
class PoseSettings:
    """How the pose model runs. Confidences are in [0, 1]."""

    num_poses: int = 1
    #: Minimum score of the person detector for a new person to be accepted.
    min_detection_confidence: float = 0.5
    #: Minimum score that a tracked person is still present.
    min_presence_confidence: float = 0.5
    #: Minimum score for frame-to-frame tracking to continue rather than run detection again.
    min_tracking_confidence: float = 0.5

    @classmethod
    def with_confidence(cls, num_poses: int, confidence: float) -> PoseSettings:
        """One confidence for detection, presence and tracking: the single knob users get."""
        return cls(num_poses, confidence, confidence, confidence)


# Debian/Ubuntu packages of the system libraries MediaPipe's native library links against.
_NATIVE_PACKAGES = {"libEGL": "libegl1", "libGLESv2": "libgles2"}


def native_library_problem(exc: OSError) -> str:
    """One line saying why MediaPipe's native library did not load, and what to install."""
    text = str(exc)
    missing = [pkg for lib, pkg in _NATIVE_PACKAGES.items() if lib in text]
    if missing:
        return (
            f"MediaPipe cannot start: {text.split(':')[0]} is missing"
            f" (Debian/Ubuntu: sudo apt install {' '.join(missing)})"
        )
    return f"MediaPipe's native library cannot be loaded ({text})"


class PoseEstimator(Closeable):
    """MediaPipe's PoseLandmarker with numpy results in pixels.

    In VIDEO mode MediaPipe needs strictly increasing whole-millisecond timestamps; the
    estimator derives them from the frames' own times and nudges equal or backward times
    forward by 1 ms, so a source with coarse or repeated clocks does not fail.

    Close it explicitly (or use it as a context manager): MediaPipe's own finaliser fails when it
    runs during interpreter shutdown.
    """

    def __init__(
        self,
        model: PoseModel | None = None,
        settings: PoseSettings | None = None,
        mode: RunningMode = RunningMode.VIDEO,
    ) -> None:
        self.model = model if model is not None else load_default_model()
        self.settings = settings or PoseSettings()
        self.mode = mode
        self._last_timestamp_ms: int | None = None
        s = self.settings
        if s.num_poses < 1:
            raise ValueError("num_poses must be at least 1")
        options = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=self.model.data),
            running_mode=(
                VisionTaskRunningMode.VIDEO
                if mode is RunningMode.VIDEO
                else VisionTaskRunningMode.IMAGE
            ),
            num_poses=s.num_poses,
            min_pose_detection_confidence=s.min_detection_confidence,
            min_pose_presence_confidence=s.min_presence_confidence,
            min_tracking_confidence=s.min_tracking_confidence,
            output_segmentation_masks=False,
        )
        try:
            with quiet_native_stderr():
                self._landmarker: PoseLandmarker | None = PoseLandmarker.create_from_options(
                    options
                )
        except OSError as exc:  # MediaPipe loads its native library only now, through ctypes
            raise ModelError(None, native_library_problem(exc)) from None
        self._frames_seen = 0
        self._frames_with_people = 0

    def estimate(self, rgb: np.ndarray, time_ms: float = 0.0) -> list[PersonPose]:
        """Find people in an RGB uint8 frame taken at `time_ms` (ignored in IMAGE mode)."""
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is closed")
        height, width = rgb.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        # MediaPipe logs a few more warnings on its first frames and its first frames with a
        # person (the landmark stage starts then); after that it is quiet.
        quiet = (
            quiet_native_stderr()
            if self._frames_seen < 2 or self._frames_with_people < 3
            else contextlib.nullcontext()
        )
        with quiet:
            if self.mode is RunningMode.VIDEO:
                result = self._landmarker.detect_for_video(image, self._next_timestamp_ms(time_ms))
            else:
                result = self._landmarker.detect(image)
        self._frames_seen += 1
        self._frames_with_people += bool(result.pose_landmarks)
        people = []
        for landmarks, world in zip(
            result.pose_landmarks, result.pose_world_landmarks, strict=False
        ):
            image_lm = np.array(
                [(p.x, p.y, p.z, p.visibility) for p in landmarks], dtype=np.float32
            )
            image_lm[:, 0] *= width
            image_lm[:, 1] *= height
            image_lm[:, 2] *= width
            # MediaPipe leaves visibility unset (None -> nan) for some landmarks in rare cases;
            # treat that as "not visible" rather than letting nan spread into drawings and files.
            np.nan_to_num(image_lm[:, 3], copy=False, nan=0.0)
            world_lm = np.array([(p.x, p.y, p.z) for p in world], dtype=np.float32)
            if image_lm.shape[0] == NUM_LANDMARKS:
                people.append(PersonPose(landmarks_px=image_lm, world_m=world_lm))
        return people

    def lose_track(self, shape: tuple[int, ...], time_ms: float) -> None:
        """Make a VIDEO-mode landmarker forget whom it follows, so that its next frame runs
        the person detector: it is shown a black frame of `shape` (rows, columns, 3), which
        holds nobody. MediaPipe has no call for this, and building a new landmarker takes
        ten times as long (measured on a busy 2-core machine: 131 ms against 11 ms, with a
        tracked 512 x 600 photo at 12 ms and the frame that detects again at 19 ms)."""
        if self.mode is RunningMode.VIDEO:
            self.estimate(np.zeros(shape, np.uint8), time_ms)

    def _next_timestamp_ms(self, time_ms: float) -> int:
        stamp = math.floor(time_ms + 0.5)
        if self._last_timestamp_ms is not None and stamp <= self._last_timestamp_ms:
            stamp = self._last_timestamp_ms + 1
        self._last_timestamp_ms = stamp
        return stamp

    def close(self) -> None:
        """Release MediaPipe's graph. Safe to call twice."""
        if self._landmarker is not None:
            # MediaPipe 1.2.3 says "INFO: ... DestroyAccelerator" as the graph goes.
            with quiet_native_stderr():
                self._landmarker.close()
            self._landmarker = None
