"""Per-person landmark filters, vectorised over the 33 landmarks and their x, y, z.

Each filter takes one person's measured landmarks (or None while the person is not seen) at
a time in seconds, and returns the landmarks to show. Time steps are the real ones between
frames: webcams deliver uneven frame times, and a filter that assumes a fixed step smooths
too much after a slow frame and too little after a fast one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from filterpy.common import Q_continuous_white_noise

from desktop_app.core.skeleton import NUM_LANDMARKS

# How much noisier MediaPipe's depth (z) is than x and y, as a factor on its std deviation.
_Z_NOISE_FACTOR = 3.0


def _with_visibility(positions: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """(33, 4) float32 landmarks from (33, 3) positions and (33,) visibility."""
    out = np.empty((NUM_LANDMARKS, 4), np.float32)
    out[:, :3] = positions
    out[:, 3] = visibility
    return out


@dataclass(frozen=True)
class KalmanSettings:
    """Tuning of the Kalman landmark filter. Sizes are fractions of the person's size (the
    larger side of the box around their landmarks, in pixels), so a near and a far person are
    smoothed alike."""

    #: Standard deviation of a fully visible landmark's measurement noise, as a fraction of
    #: the person's size (0.03 of a 500 px tall person is 15 px). Larger smooths harder.
    measurement_noise: float = 0.03
    #: Random acceleration a still landmark is allowed relative to the body, as a fraction of
    #: the person's size per second squared per square-root second (the white-noise
    #: acceleration's spectral density is this times size, squared). Smaller holds a still
    #: person's posture steadier.
    still_acceleration: float = 0.05
    #: The same for the body as a whole (the middle of the shoulders). Larger follows a
    #: person who walks or sways with less lag and steadies them less.
    body_acceleration: float = 1.0
    #: How far the allowed acceleration may rise above its still value when the model's
    #: measurements disagree with the prediction (a limb starts to move), as a factor.
    max_motion_boost: float = 100.0
    #: Time over which a raised acceleration falls back to its still value, in seconds.
    motion_memory_s: float = 0.25
    #: Normalised innovation (chi-square, 2 degrees of freedom) above which motion is assumed;
    #: the process noise is raised by the factor the innovation exceeds it by.
    motion_gate: float = 2.0
    #: A landmark that jumps further than this, as a fraction of the person's size, in one
    #: frame is taken as a new start, not smoothed towards (no rubber-band skeleton).
    jump_reset: float = 0.5
    #: Landmarks below this visibility count as measured with 1/visibility times the noise.
    min_visibility: float = 0.05


class AdaptiveKalman:
    """Constant-velocity Kalman filters for N points in D dimensions, with motion-adaptive
    process noise (the engine of KalmanLandmarkFilter; see its docstring for the model).

    The arithmetic is filterpy's KalmanFilter predict/update for a 2-state model, written out
    element-wise so that all coordinates update in a few numpy operations (33 filterpy
    objects would cost about 2 ms per person per frame); a test checks it step for step
    against filterpy's KalmanFilter.
    """

    def __init__(
        self,
        points: int,
        measurement_noise: float,
        still_acceleration: float,
        settings: KalmanSettings,
        dims: int = 3,
    ) -> None:
        self.settings = settings
        self.measurement_noise = measurement_noise
        self.still_acceleration = still_acceleration
        self._time_s: float | None = None
        self.position = np.zeros((points, dims))
        self.velocity = np.zeros((points, dims))
        # Covariance of (position, velocity) per coordinate: [[p00, p01], [p01, p11]].
        self.p00 = np.zeros((points, dims))
        self.p01 = np.zeros((points, dims))
        self.p11 = np.zeros((points, dims))
        self.motion_boost = np.ones(points)
        noise_factor = np.ones(dims)
        if dims == 3:
            noise_factor[2] = _Z_NOISE_FACTOR
        self._noise_factor = noise_factor

    @property
    def started(self) -> bool:
        return self._time_s is not None

    def reset(self) -> None:
        self._time_s = None

    def _start(self, measured: np.ndarray, size_px: float, rows: np.ndarray) -> None:
        self.position[rows] = measured[rows]
        self.velocity[rows] = 0.0
        self.p00[rows] = (self.measurement_noise * size_px) ** 2
        self.p01[rows] = 0.0
        # Unknown initial velocity: allow about one person-size per second.
        self.p11[rows] = size_px**2
        self.motion_boost[rows] = 1.0

    def _add_process_noise(self, dt: float, q: np.ndarray) -> None:
        unit = Q_continuous_white_noise(dim=2, dt=dt, spectral_density=1.0)
        self.p00 += q * unit[0, 0]
        self.p01 += q * unit[0, 1]
        self.p11 += q * unit[1, 1]

    def step(
        self,
        measured: np.ndarray | None,
        visibility: np.ndarray | None,
        time_s: float,
        size_px: float,
    ) -> np.ndarray:
        """Advance to `time_s`, take `measured` (N, D) with `visibility` (N,) if given, and
        return the filtered positions (N, D)."""
        s = self.settings
        if self._time_s is None:
            if measured is None:
                raise ValueError("the first step needs a measurement")
            self._start(measured, size_px, np.arange(len(measured)))
            self._time_s = time_s
            return self.position
        dt = max(time_s - self._time_s, 1e-4)
        self._time_s = time_s
        base_q = (self.still_acceleration * size_px) ** 2
        self.motion_boost = 1.0 + (self.motion_boost - 1.0) * math.exp(-dt / s.motion_memory_s)
        # Predict.
        self.position += self.velocity * dt
        p01, p11 = self.p01, self.p11
        self.p00 = self.p00 + 2.0 * dt * p01 + dt * dt * p11
        self.p01 = p01 + dt * p11
        self._add_process_noise(dt, (base_q * self.motion_boost)[:, None])
        if measured is None:
            return self.position

        vis = np.ones(len(measured)) if visibility is None else visibility
        vis = np.clip(vis, s.min_visibility, 1.0)
        r = ((self.measurement_noise * size_px / vis)[:, None] * self._noise_factor) ** 2
        innovation = measured - self.position
        jump = np.hypot(innovation[:, 0], innovation[:, 1]) > s.jump_reset * size_px
        if jump.any():
            self._start(measured, size_px, np.flatnonzero(jump))
            innovation[jump] = 0.0
        # Motion test on x and y: normalised innovation squared, 2 degrees of freedom.
        nis = (innovation[:, :2] ** 2 / (self.p00 + r)[:, :2]).sum(axis=1)
        wanted = np.clip(nis / s.motion_gate, 1.0, s.max_motion_boost)
        rising = wanted > self.motion_boost
        if rising.any():
            # Widen this step's prediction by the extra process noise before updating, so
            # the frame in which motion starts is already followed.
            extra = np.zeros(len(measured))
            extra[rising] = base_q * (wanted[rising] - self.motion_boost[rising])
            self._add_process_noise(dt, extra[:, None])
            self.motion_boost[rising] = wanted[rising]
        # Update.
        spread = self.p00 + r
        gain_position = self.p00 / spread
        gain_velocity = self.p01 / spread
        self.position += gain_position * innovation
        self.velocity += gain_velocity * innovation
        p00, p01 = self.p00, self.p01
        self.p00 = (1.0 - gain_position) * p00
        self.p01 = (1.0 - gain_position) * p01
        self.p11 = self.p11 - gain_velocity * p01
        return self.position

    def predicted(self, time_s: float) -> np.ndarray:
        dt = 0.0 if self._time_s is None else max(time_s - self._time_s, 0.0)
        return self.position + self.velocity * dt


# The landmarks whose mean is the body's anchor: the shoulders. They are in view whenever
# the upper body is, which is how most people sit in front of a webcam; the hips are then
# below the frame and MediaPipe guesses them, shakily (tens of pixels), and an anchor that
# averaged them in would pass that shake to every landmark. Always the same two, so the
# anchor never changes definition from frame to frame.
_ANCHOR = [11, 12]


class KalmanLandmarkFilter:
    """Kalman smoothing of a person's landmarks as body motion plus posture.

    The person's anchor (the middle of the shoulders) and each landmark's offset from it
    get constant-velocity Kalman filters of their own, stepped with the real time between
    frames; the output is filtered anchor plus filtered offset.

    Why split: when a person walks, sways or steps sideways, every landmark moves together.
    The anchor averages two landmarks, so its noise is smaller and its motion test reacts to a
    small move at once; the offsets then stay still during such motion and can be
    smoothed hard without dragging the skeleton behind the body. A limb moving on its own
    shows up in its offsets, whose own motion test raises their process noise in turn.

    Why innovation-based adaptation: a still person wants a tiny process noise (their
    landmarks should not wander), a moving one a large one. The innovation (the
    measurement's surprise against the prediction, normalised by its expected spread) tells
    which at once: above the gate, the process noise is raised in proportion and the
    prediction's uncertainty widened before the update, so the frame in which motion starts
    is followed rather than lagged; the raise decays over `motion_memory_s`. An interacting
    multiple model would do the same with two fixed models at twice the cost, and a
    speed-dependent noise reacts only after the velocity estimate has caught up.

    Measurement noise grows as visibility falls and scales with the person's size.
    """

    def __init__(self, settings: KalmanSettings | None = None) -> None:
        self.settings = s = settings or KalmanSettings()
        # The anchor's measurement averages two landmarks: 1/sqrt(2) of the noise of one.
        self.anchor = AdaptiveKalman(
            1, s.measurement_noise / math.sqrt(2.0), s.body_acceleration, s, dims=3
        )
        self.offsets = AdaptiveKalman(
            NUM_LANDMARKS, s.measurement_noise, s.still_acceleration, s, dims=3
        )
        self.visibility = np.zeros(NUM_LANDMARKS)

    @property
    def started(self) -> bool:
        return self.offsets.started

    def reset(self) -> None:
        self.anchor.reset()
        self.offsets.reset()

    def step(self, landmarks: np.ndarray | None, time_s: float, size_px: float) -> np.ndarray:
        """Advance to `time_s` and take `landmarks` (33, 4: x, y, z, visibility) if given.

        Returns (33, 4): filtered x, y, z and the visibility last measured.
        """
        if landmarks is None:
            anchor = self.anchor.step(None, None, time_s, size_px)
            offsets = self.offsets.step(None, None, time_s, size_px)
        else:
            points = landmarks[:, :3].astype(np.float64)
            self.visibility = landmarks[:, 3].astype(np.float64)
            anchor_measured = points[_ANCHOR].mean(axis=0, keepdims=True)
            anchor_visibility = self.visibility[_ANCHOR].mean(keepdims=True)
            anchor = self.anchor.step(anchor_measured, anchor_visibility, time_s, size_px)
            offsets = self.offsets.step(points - anchor_measured, self.visibility, time_s, size_px)
        return _with_visibility(anchor + offsets, self.visibility)

    def predicted_xy(self, time_s: float) -> np.ndarray:
        """Where the landmarks are expected at `time_s`, (33, 2), without changing the filter."""
        return (self.anchor.predicted(time_s) + self.offsets.predicted(time_s))[:, :2]


@dataclass(frozen=True)
class OneEuroSettings:
    """Tuning of the One Euro filter (Casiez et al., 2012)."""

    #: Cut-off frequency for a still landmark, in hertz. Lower is steadier and laggier.
    min_cutoff_hz: float = 0.4
    #: How fast the cut-off rises with speed, in hertz per (person-size per second).
    beta: float = 30.0
    #: Cut-off frequency used to smooth the speed estimate, in hertz.
    speed_cutoff_hz: float = 3.0


def _smoothing_factor(dt: float, cutoff_hz: np.ndarray | float) -> np.ndarray:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz))
    return 1.0 / (1.0 + tau / dt)


class OneEuroLandmarkFilter:
    """The One Euro filter on every landmark coordinate; speeds are in person-sizes per second
    so that `beta` means the same for near and far people."""

    def __init__(self, settings: OneEuroSettings | None = None) -> None:
        self.settings = settings or OneEuroSettings()
        self._time_s: float | None = None
        self.position = np.zeros((NUM_LANDMARKS, 3))
        self.speed = np.zeros((NUM_LANDMARKS, 3))
        self.visibility = np.zeros(NUM_LANDMARKS)

    @property
    def started(self) -> bool:
        return self._time_s is not None

    def reset(self) -> None:
        self._time_s = None

    def step(self, landmarks: np.ndarray | None, time_s: float, size_px: float) -> np.ndarray:
        if landmarks is None:
            if self._time_s is None:
                raise ValueError("the first step needs a measurement")
            # No model of motion to coast with: hold the last position.
            return self.output()
        measured = landmarks[:, :3].astype(np.float64)
        self.visibility = landmarks[:, 3].astype(np.float64)
        if self._time_s is None:
            self.position = measured.copy()
            self.speed[:] = 0.0
            self._time_s = time_s
            return self.output()
        s = self.settings
        dt = max(time_s - self._time_s, 1e-4)
        self._time_s = time_s
        raw_speed = (measured - self.position) / dt / max(size_px, 1.0)
        a_speed = _smoothing_factor(dt, s.speed_cutoff_hz)
        self.speed += a_speed * (raw_speed - self.speed)
        cutoff = s.min_cutoff_hz + s.beta * np.abs(self.speed)
        alpha = _smoothing_factor(dt, cutoff)
        self.position += alpha * (measured - self.position)
        return self.output()

    def predicted_xy(self, time_s: float) -> np.ndarray:
        return self.position[:, :2].copy()

    def output(self) -> np.ndarray:
        return _with_visibility(self.position, self.visibility)


class PassThroughFilter:
    """No smoothing: the measurement as it is (used for `--smoothing none`, for tracking)."""

    def __init__(self) -> None:
        self._last: np.ndarray | None = None

    @property
    def started(self) -> bool:
        return self._last is not None

    def reset(self) -> None:
        self._last = None

    def step(self, landmarks: np.ndarray | None, time_s: float, size_px: float) -> np.ndarray:
        if landmarks is not None:
            self._last = landmarks.astype(np.float32)
        if self._last is None:
            raise ValueError("the first step needs a measurement")
        return self._last

    def predicted_xy(self, time_s: float) -> np.ndarray:
        assert self._last is not None
        return self._last[:, :2].astype(np.float64)
