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


@dataclass(frozen=True)
class KalmanSettings:
    """Tuning of the Kalman landmark filter. Sizes are fractions of the person's size (the
    larger side of the box around their landmarks, in pixels), so a near and a far person are
    smoothed alike."""

    #: Standard deviation of a fully visible landmark's measurement noise, as a fraction of
    #: the person's size (0.004 of a 500 px tall person is 2 px).
    measurement_noise: float = 0.004
    #: Random acceleration a still landmark is allowed, as a fraction of the person's size per
    #: second squared per square-root second (the white-noise acceleration's spectral
    #: density is this times size, squared). Smaller holds a still person steadier.
    still_acceleration: float = 0.15
    #: How far the allowed acceleration may rise above `still_acceleration` when the model's
    #: measurements disagree with the prediction (a limb starts to move), as a factor.
    max_motion_boost: float = 400.0
    #: Time over which a raised acceleration falls back to `still_acceleration`, in seconds.
    motion_memory_s: float = 0.25
    #: Normalised innovation (chi-square, 2 degrees of freedom) above which motion is assumed.
    #: 6.0 is exceeded by chance about one time in twenty.
    motion_gate: float = 6.0
    #: A landmark that jumps further than this, as a fraction of the person's size, in one
    #: frame is taken as a new start, not smoothed towards (no rubber-band skeleton).
    jump_reset: float = 0.5
    #: Landmarks below this visibility count as measured with 1/visibility times the noise.
    min_visibility: float = 0.05


class KalmanLandmarkFilter:
    """A constant-velocity Kalman filter for every landmark coordinate, with motion-adaptive
    process noise.

    Model: each coordinate has position and velocity, driven by white-noise acceleration
    (filterpy's `Q_continuous_white_noise` over the real time step). Measurement noise grows
    as visibility falls and scales with the person's size.

    Why innovation-based adaptation: a still person wants a tiny process noise (their
    landmarks should not wander), a moving limb wants a large one (else it is dragged behind).
    The filter cannot know in advance which, but the innovation (the measurement's surprise
    against the prediction, normalised by its expected spread) tells it at once: when it
    exceeds the gate, the process noise of that landmark is raised in proportion and the
    prediction's uncertainty is widened before the update, so the very frame a limb starts
    to move is followed rather than lagged. The raise decays over `motion_memory_s`. An
    interacting multiple model would do the same with two fixed models at twice the cost;
    a speed-dependent noise reacts only after the velocity estimate has caught up.

    The arithmetic is filterpy's KalmanFilter predict/update for a 2-state model, written
    out element-wise so all 99 coordinates of a person update in a few numpy operations
    (33 filterpy objects would cost about 2 ms per person per frame); a test checks it step
    for step against filterpy's KalmanFilter.
    """

    def __init__(self, settings: KalmanSettings | None = None) -> None:
        self.settings = settings or KalmanSettings()
        self._time_s: float | None = None
        self.position = np.zeros((NUM_LANDMARKS, 3))
        self.velocity = np.zeros((NUM_LANDMARKS, 3))
        # Covariance of (position, velocity) per coordinate: [[p00, p01], [p01, p11]].
        self.p00 = np.zeros((NUM_LANDMARKS, 3))
        self.p01 = np.zeros((NUM_LANDMARKS, 3))
        self.p11 = np.zeros((NUM_LANDMARKS, 3))
        self.motion_boost = np.ones(NUM_LANDMARKS)
        self.visibility = np.zeros(NUM_LANDMARKS)

    @property
    def started(self) -> bool:
        return self._time_s is not None

    def reset(self) -> None:
        self._time_s = None

    def _start(self, landmarks: np.ndarray, size_px: float, rows: np.ndarray) -> None:
        s = self.settings
        self.position[rows] = landmarks[rows, :3]
        self.velocity[rows] = 0.0
        sigma = s.measurement_noise * size_px
        self.p00[rows] = sigma**2
        self.p01[rows] = 0.0
        # Unknown initial velocity: allow about one person-size per second.
        self.p11[rows] = size_px**2
        self.motion_boost[rows] = 1.0

    def _predict(self, dt: float, q: np.ndarray) -> None:
        unit = Q_continuous_white_noise(dim=2, dt=dt, spectral_density=1.0)
        self.position += self.velocity * dt
        p00, p01, p11 = self.p00, self.p01, self.p11
        self.p00 = p00 + 2.0 * dt * p01 + dt * dt * p11 + q * unit[0, 0]
        self.p01 = p01 + dt * p11 + q * unit[0, 1]
        self.p11 = p11 + q * unit[1, 1]

    def step(self, landmarks: np.ndarray | None, time_s: float, size_px: float) -> np.ndarray:
        """Advance to `time_s` and take `landmarks` (33, 4: x, y, z, visibility) if given.

        Returns (33, 4) filtered x, y, z and the visibility last measured.
        """
        s = self.settings
        if self._time_s is None:
            if landmarks is None:
                raise ValueError("the first step needs a measurement")
            self._start(landmarks, size_px, np.arange(NUM_LANDMARKS))
            self.visibility = landmarks[:, 3].astype(np.float64)
            self._time_s = time_s
            return self.output()
        dt = max(time_s - self._time_s, 1e-4)
        self._time_s = time_s
        base_q = (s.still_acceleration * size_px) ** 2
        decay = math.exp(-dt / s.motion_memory_s)
        self.motion_boost = 1.0 + (self.motion_boost - 1.0) * decay
        q = (base_q * self.motion_boost)[:, None] * np.ones(3)
        self._predict(dt, q)
        if landmarks is None:
            return self.output()

        measured = landmarks[:, :3].astype(np.float64)
        visibility = np.clip(landmarks[:, 3].astype(np.float64), s.min_visibility, 1.0)
        self.visibility = landmarks[:, 3].astype(np.float64)
        r_xy = (s.measurement_noise * size_px / visibility) ** 2
        r = np.stack([r_xy, r_xy, r_xy * _Z_NOISE_FACTOR**2], axis=1)

        innovation = measured - self.position
        jump = np.hypot(innovation[:, 0], innovation[:, 1]) > s.jump_reset * size_px
        if jump.any():
            self._start(landmarks, size_px, np.flatnonzero(jump))
            innovation[jump] = 0.0

        # Motion test on x and y: normalised innovation squared, 2 degrees of freedom.
        spread = self.p00 + r
        nis = (innovation[:, :2] ** 2 / spread[:, :2]).sum(axis=1)
        wanted = np.clip(nis / s.motion_gate, 1.0, s.max_motion_boost)
        rising = wanted > self.motion_boost
        if rising.any():
            # Widen this step's prediction by the extra process noise before updating.
            extra = np.zeros_like(q)
            extra[rising] = (base_q * (wanted[rising] - self.motion_boost[rising]))[:, None]
            unit = Q_continuous_white_noise(dim=2, dt=dt, spectral_density=1.0)
            self.p00 += extra * unit[0, 0]
            self.p01 += extra * unit[0, 1]
            self.p11 += extra * unit[1, 1]
            self.motion_boost[rising] = wanted[rising]

        spread = self.p00 + r
        gain_position = self.p00 / spread
        gain_velocity = self.p01 / spread
        self.position += gain_position * innovation
        self.velocity += gain_velocity * innovation
        p00, p01, p11 = self.p00, self.p01, self.p11
        self.p00 = (1.0 - gain_position) * p00
        self.p01 = (1.0 - gain_position) * p01
        self.p11 = p11 - gain_velocity * p01
        return self.output()

    def predicted_xy(self, time_s: float) -> np.ndarray:
        """Where the landmarks are expected at `time_s`, (33, 2), without changing the filter."""
        dt = 0.0 if self._time_s is None else max(time_s - self._time_s, 0.0)
        return self.position[:, :2] + self.velocity[:, :2] * dt

    def output(self) -> np.ndarray:
        out = np.empty((NUM_LANDMARKS, 4), np.float32)
        out[:, :3] = self.position
        out[:, 3] = self.visibility
        return out


@dataclass(frozen=True)
class OneEuroSettings:
    """Tuning of the One Euro filter (Casiez et al., 2012)."""

    #: Cut-off frequency for a still landmark, in hertz. Lower is steadier and laggier.
    min_cutoff_hz: float = 1.0
    #: How fast the cut-off rises with speed, in hertz per (person-size per second).
    beta: float = 1.5
    #: Cut-off frequency used to smooth the speed estimate, in hertz.
    speed_cutoff_hz: float = 1.0


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
        out = np.empty((NUM_LANDMARKS, 4), np.float32)
        out[:, :3] = self.position
        out[:, 3] = self.visibility
        return out


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
