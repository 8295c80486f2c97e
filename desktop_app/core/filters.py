"""Per-person landmark filters, vectorised over the 33 landmarks and their x, y, z.

Each filter takes one person's measured landmarks (or None while the person is not seen) at
a time in seconds, and returns the landmarks to show. Time steps are the real ones between
frames: webcams deliver uneven frame times, and a filter that assumes a fixed step smooths
too much after a slow frame and too little after a fast one.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from desktop_app.core.skeleton import NUM_LANDMARKS

# How much noisier MediaPipe's depth (z) is than x and y, as a factor on its std deviation.
_Z_NOISE_FACTOR = 3.0


#: Time constant of the low-pass on each landmark's visibility, in seconds. MediaPipe steadies
#: the visibilities it gives when it follows one person; found afresh in every frame (and with
#: two or more people) they come as measured, and a landmark's visibility crosses the drawing
#: threshold (0.5) about ten times as often: 13.5 times a second on the taiji clip against
#: MediaPipe's 1.3, so its bones blink. Over 0.2 s it is 1.6 there, and a landmark coming into
#: view is shown about 0.15 s later.
VISIBILITY_TIME_S = 0.2


class SteadyVisibility:
    """Each landmark's visibility through a first-order low-pass of VISIBILITY_TIME_S (real
    time steps, as everything here), so that one that hovers near a threshold does not make its
    bones blink or its angle come and go. Starts at the first visibility measured."""

    def __init__(self) -> None:
        self.value = np.zeros(NUM_LANDMARKS)
        self._time_s: float | None = None

    def reset(self) -> None:
        self._time_s = None

    def update(self, measured: np.ndarray, time_s: float) -> np.ndarray:
        if self._time_s is None:
            self.value = measured.astype(np.float64)
        else:
            dt = max(time_s - self._time_s, 0.0)
            self.value = self.value + dt / (VISIBILITY_TIME_S + dt) * (measured - self.value)
        self._time_s = time_s
        return self.value


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
    smoothed alike. Accelerations are white-noise spectral densities: the standard deviation
    of the random acceleration, in person-sizes per second squared per square-root second."""

    #: Standard deviation of a fully visible landmark's measurement noise, as a fraction of
    #: the person's size (0.005 of a 500 px tall person is 2.5 px): about MediaPipe's own.
    #: Larger smooths harder and notices motion later (the strength slider sets it).
    measurement_noise: float = 0.005
    #: Random drift of a landmark held still relative to the body (the "still" model, a random
    #: walk), in person-sizes per square-root second. Smaller holds a still posture steadier.
    still_drift: float = 0.008
    #: Random acceleration of a landmark that moves on its own (the "moving" model, constant
    #: velocity), in person-sizes per second squared per square-root second. Larger follows
    #: turns of a movement sooner and smooths a moving limb less.
    moving_acceleration: float = 3.0
    #: The same two for the body as a whole (the middle of the shoulders).
    body_still_drift: float = 0.01
    body_moving_acceleration: float = 3.0
    #: Mean time a landmark stays in one model before switching, in seconds: sets the prior
    #: chance of a switch between two frames (about dt / this).
    mode_dwell_s: float = 1.0
    #: A landmark that jumps further than this, as a fraction of the person's size, in one
    #: frame is taken as a new start, not smoothed towards (no rubber-band skeleton).
    jump_reset: float = 0.5
    #: Landmarks below this visibility count as measured with 1/visibility times the noise.
    min_visibility: float = 0.05


def _switch_chance(dt: float, settings: KalmanSettings) -> float:
    """The prior chance that a point changes model between two steps `dt` seconds apart."""
    return min(dt / settings.mode_dwell_s, 0.5)


def _moving_spread(
    p00: np.ndarray, p01: np.ndarray, p11: np.ndarray, dt: float, q: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The moving model's covariance `dt` later, F P F' + Q with F = [[1, dt], [0, 1]] and
    continuous white-noise acceleration of density `q` (filterpy's Q_continuous_white_noise
    for two states; a test checks the two agree): q * [[dt^3/3, dt^2/2], [dt^2/2, dt]].
    Written out so that PoseCam starts without importing filterpy and SciPy."""
    return (
        p00 + (2.0 * dt * p01 + dt * dt * p11 + q * dt**3 / 3.0),
        p01 + (dt * p11 + q * dt**2 / 2.0),
        p11 + q * dt,
    )


@dataclass(frozen=True)
class _Step:
    """What `TwoModeKalman` knew after one step, kept for looking back (`smoothed`)."""

    #: Each model's filtered state, (2 models, N points, D coordinates).
    x: np.ndarray
    v: np.ndarray
    p00: np.ndarray
    p01: np.ndarray
    p11: np.ndarray
    #: Each model's chance per point, (2, N).
    mode: np.ndarray
    #: Seconds since the step before.
    dt: float
    #: The still model's drift and the moving model's acceleration over this step, in pixels
    #: (their noise densities, squared), each (N, 1): one per point.
    q: tuple[np.ndarray, np.ndarray]
    #: (N,) points started afresh at this step: the steps before say nothing about them.
    restarted: np.ndarray


class TwoModeKalman:
    """Kalman filters for N points in D dimensions, each point run as an interacting multiple
    model (IMM) of a "still" filter (a random walk: the point stays put, give or take a slow
    drift) and a "moving" one (constant velocity); the engine of KalmanLandmarkFilter, whose
    docstring says why.

    Both are filterpy's KalmanFilter predict/update for a 2-state (position, velocity) model
    per coordinate, written out element-wise so that all coordinates update in a few numpy
    operations (33 x 2 filterpy objects would cost several ms per person per frame); a test
    checks the moving model step for step against filterpy's KalmanFilter. The IMM mixing is
    Blom and Bar-Shalom's: mix the two estimates by the chance of having switched, predict and
    update each, reweigh each by how well it predicted the measurement (x and y; MediaPipe's
    depth is too noisy to judge motion by), and output the weighted mean.
    """

    def __init__(
        self,
        points: int,
        measurement_noise: float,
        accelerations: tuple[float, float] | np.ndarray,
        settings: KalmanSettings,
        dims: int = 3,
        keep_steps: int = 0,
    ) -> None:
        """`accelerations`: each model's noise relative to the person's size, the still
        model's drift (sizes per sqrt(s)) and the moving model's acceleration (sizes per s^2
        per sqrt(s)); one pair for every point, or (points, 2), a pair per point.
        `keep_steps`: how many steps back `smoothed` can look (0: none are kept)."""
        self.settings = settings
        self.measurement_noise = measurement_noise
        pairs = np.broadcast_to(np.asarray(accelerations, float), (points, 2))
        #: The same noises as (model, point, 1), to scale each point's coordinates.
        self.accelerations = pairs.T[:, :, None].copy()
        self._time_s: float | None = None
        shape = (2, points, dims)  # model, point, coordinate
        self.x = np.zeros(shape)
        self.v = np.zeros(shape)
        self.p00 = np.zeros(shape)
        self.p01 = np.zeros(shape)
        self.p11 = np.zeros(shape)
        #: Chance of each model per point, (2, points): starts mostly still.
        self.mode = np.zeros((2, points))
        noise_factor = np.ones(dims)
        if dims == 3:
            noise_factor[2] = _Z_NOISE_FACTOR
        self._noise_factor = noise_factor
        self.position = np.zeros((points, dims))
        self.velocity = np.zeros((points, dims))
        self._steps: deque[_Step] | None = deque(maxlen=keep_steps + 1) if keep_steps else None

    @property
    def started(self) -> bool:
        return self._time_s is not None

    def _keep(self, dt: float, q: tuple[np.ndarray, np.ndarray], restarted: np.ndarray) -> None:
        if self._steps is not None:
            self._steps.append(
                _Step(
                    self.x.copy(),
                    self.v.copy(),
                    self.p00.copy(),
                    self.p01.copy(),
                    self.p11.copy(),
                    self.mode.copy(),
                    dt,
                    q,
                    restarted,
                )
            )

    def reset(self) -> None:
        self._time_s = None

    def _start(self, measured: np.ndarray, size_px: float, rows: np.ndarray) -> None:
        self.x[:, rows] = measured[rows]
        self.v[:, rows] = 0.0
        self.p00[:, rows] = (self.measurement_noise * size_px) ** 2
        self.p01[:, rows] = 0.0
        # Unknown initial velocity: allow about one person-size per second.
        self.p11[:, rows] = size_px**2
        self.mode[0, rows] = 0.9
        self.mode[1, rows] = 0.1

    def _combine(self) -> np.ndarray:
        w = self.mode[:, :, None]
        self.position = (w * self.x).sum(axis=0)
        self.velocity = (w * self.v).sum(axis=0)
        return self.position

    def _mix(self, dt: float) -> None:
        switch = _switch_chance(dt, self.settings)
        stay = 1.0 - switch
        # predicted[j] = chance of being in model j after the transition.
        predicted = np.stack(
            [
                stay * self.mode[0] + switch * self.mode[1],
                switch * self.mode[0] + stay * self.mode[1],
            ]
        )
        predicted = np.maximum(predicted, 1e-12)
        for j in range(2):
            # Weight of model i's estimate in model j's starting point.
            w = np.stack(
                [(stay if i == j else switch) * self.mode[i] / predicted[j] for i in range(2)]
            )[:, :, None]
            x0 = (w * self.x).sum(axis=0)
            v0 = (w * self.v).sum(axis=0)
            dx, dv = self.x - x0, self.v - v0
            p00 = (w * (self.p00 + dx * dx)).sum(axis=0)
            p01 = (w * (self.p01 + dx * dv)).sum(axis=0)
            p11 = (w * (self.p11 + dv * dv)).sum(axis=0)
            if j == 0:
                mixed = (x0, v0, p00, p01, p11)
            else:
                self.x[1], self.v[1], self.p00[1], self.p01[1], self.p11[1] = x0, v0, p00, p01, p11
        self.x[0], self.v[0], self.p00[0], self.p01[0], self.p11[0] = mixed
        self.mode = predicted

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
            if self._steps is not None:
                self._steps.clear()  # a new start: the steps before say nothing of it
            none = np.zeros_like(self.accelerations[0])
            self._keep(0.0, (none, none), np.ones(len(measured), bool))
            return self._combine()
        dt = max(time_s - self._time_s, 1e-4)
        self._time_s = time_s
        self._mix(dt)
        # Predict. Still model: a random walk (the landmark stays where it is, give or take
        # its drift), so any sustained motion surprises it. Moving model: constant velocity.
        still, moving = self.accelerations * size_px
        q = moving**2
        x, v, p00, p01, p11 = self.x, self.v, self.p00, self.p01, self.p11
        x[1] += v[1] * dt
        p00[1], p01[1], p11[1] = _moving_spread(p00[1], p01[1], p11[1], dt, q)
        v[0] = 0.0
        p00[0] += still**2 * dt
        p01[0] = 0.0
        p11[0] = 0.0
        noise = (still**2, q)
        if measured is None:
            self._keep(dt, noise, np.zeros(len(self.mode[0]), bool))
            return self._combine()

        vis = np.ones(len(measured)) if visibility is None else visibility
        vis = np.clip(vis, s.min_visibility, 1.0)
        r = ((self.measurement_noise * size_px / vis)[:, None] * self._noise_factor) ** 2
        innovation = measured[None] - self.x
        combined = (self.mode[:, :, None] * self.x).sum(axis=0)
        gap = measured[:, :2] - combined[:, :2]
        jump = np.hypot(gap[:, 0], gap[:, 1]) > s.jump_reset * size_px
        spread = self.p00 + r[None]
        # Log-likelihood of each model's prediction on x and y.
        log_like = -0.5 * (
            innovation[..., :2] ** 2 / spread[..., :2] + np.log(spread[..., :2])
        ).sum(axis=2)
        log_like -= log_like.max(axis=0, keepdims=True)
        weight = self.mode * np.exp(log_like)
        self.mode = weight / weight.sum(axis=0, keepdims=True)
        # Update each model.
        gain_position = self.p00 / spread
        gain_velocity = self.p01 / spread
        self.x += gain_position * innovation
        self.v += gain_velocity * innovation
        p00, p01 = self.p00, self.p01
        self.p00 = (1.0 - gain_position) * p00
        self.p01 = (1.0 - gain_position) * p01
        self.p11 = self.p11 - gain_velocity * p01
        if jump.any():
            self._start(measured, size_px, np.flatnonzero(jump))
        self._keep(dt, noise, jump)
        return self._combine()

    def predicted(self, time_s: float) -> np.ndarray:
        dt = 0.0 if self._time_s is None else max(time_s - self._time_s, 0.0)
        return self.position + self.velocity * dt

    def smoothed(self, back: int) -> np.ndarray:
        """The positions (N, D) of `back` steps ago, estimated with the measurements of every
        step kept since as well as those before: a fixed-lag smoother, for callers that can
        wait (`posecam annotate`). Needs `keep_steps` >= back; 0 gives the filtered positions.

        Kim's smoother for switching models (Kim 1994; Bar-Shalom, Li and Kirubarajan,
        "Estimation with Applications to Tracking and Navigation", 11.6), stepped back one
        step at a time from the newest: each model's chance is revised with how the later
        steps went (a limb that was about to move is known to have moved), and each model's
        estimate is pulled towards the later smoothed estimates by a Rauch-Tung-Striebel gain
        for each pair of models (this step's model, the next step's). A still limb then keeps
        its long average and a moving one is followed without lag: the filter alone can only
        catch up with a move it has seen start, the smoother knows where it went.
        """
        steps = self._steps
        if steps is None or not steps:
            return self.position.copy()
        if back >= len(steps):
            raise ValueError(f"{back} steps back, but {len(steps)} steps are kept")
        newest = steps[-1]
        x, v, mode = newest.x.copy(), newest.v.copy(), newest.mode.copy()
        for k in range(len(steps) - 1, len(steps) - 1 - back, -1):
            x, v, mode = _smooth_back(steps[k - 1], steps[k], x, v, mode, self.settings)
        return (mode[:, :, None] * x).sum(axis=0)


def _smooth_back(
    before: _Step,
    after: _Step,
    x_after: np.ndarray,
    v_after: np.ndarray,
    mode_after: np.ndarray,
    settings: KalmanSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of Kim's smoother (TwoModeKalman.smoothed): the smoothed state and model
    chances at `before`, from `before`'s filtered ones and the smoothed ones at `after`.
    Models: 0 still (a random walk: velocity 0), 1 moving (constant velocity)."""
    dt = after.dt
    switch = _switch_chance(dt, settings)
    chance = np.array([[1.0 - switch, switch], [switch, 1.0 - switch]])  # [from, to]
    mode = before.mode
    predicted = np.maximum(chance.T @ mode, 1e-12)  # (to, N): each model's chance at `after`
    # How much each pair (model i now, j next) is worth, given how the later steps went.
    pair = chance[:, :, None] * (mode_after / predicted)[None]  # (i, j, N)
    reach = np.maximum(pair.sum(axis=1), 1e-300)  # (i, N)
    smoothed_mode = mode * reach
    smoothed_mode /= np.maximum(smoothed_mode.sum(axis=0, keepdims=True), 1e-300)
    weight = pair / reach[:, None]  # (i, j, N): chance of model j next, given model i now
    still_q, moving_q = after.q
    # Both models at `before` at once, (2, N, D): each is pulled towards the next step's
    # smoothed estimate of each model, by that model's gain.
    xf, vf = before.x, before.v
    a, b, c = before.p00, before.p01, before.p11
    # Next model still: it predicts xf and a zero velocity, with variance a + q dt on the
    # position only, so only the position's surprise pulls (a pseudo-inverse gain).
    spread = np.maximum(a + still_q * dt, 1e-12)
    gap = x_after[0] - xf
    x_still = xf + a / spread * gap
    v_still = vf + b / spread * gap
    # Next model moving: F = [[1, dt], [0, 1]]; gain C = P F' (F P F' + Q)^-1, 2 x 2 per
    # coordinate, written out.
    s00, s01, s11 = _moving_spread(a, b, c, dt, moving_q)
    det = np.maximum(s00 * s11 - s01 * s01, 1e-12)
    m00, m01, m10, m11 = a + dt * b, b, b + dt * c, c
    dx = x_after[1] - (xf + dt * vf)
    dv = v_after[1] - vf
    x_moving = xf + ((m00 * s11 - m01 * s01) * dx + (m01 * s00 - m00 * s01) * dv) / det
    v_moving = vf + ((m10 * s11 - m11 * s01) * dx + (m11 * s00 - m10 * s01) * dv) / det
    w_still, w_moving = weight[:, 0, :, None], weight[:, 1, :, None]
    x_out = w_still * x_still + w_moving * x_moving
    v_out = w_still * v_still + w_moving * v_moving
    # Points the filter started afresh at `after` learn nothing from it.
    fresh = after.restarted
    if fresh.any():
        x_out[:, fresh] = before.x[:, fresh]
        v_out[:, fresh] = before.v[:, fresh]
        smoothed_mode[:, fresh] = mode[:, fresh]
    return x_out, v_out, smoothed_mode


# The landmarks whose mean is the body's anchor: the shoulders. They are in view whenever
# the upper body is, which is how most people sit in front of a webcam; the hips are then
# below the frame and MediaPipe guesses them, shakily (tens of pixels), and an anchor that
# averaged them in would pass that shake to every landmark. Always the same two, so the
# anchor never changes definition from frame to frame.
_ANCHOR = [11, 12]


class KalmanLandmarkFilter:
    """Kalman smoothing of a person's landmarks as body motion plus posture.

    The person's anchor (the middle of the shoulders) and each landmark's offset from it are
    filtered each on their own (34 points of one TwoModeKalman, the anchor with noises of its
    own), stepped with the real time between frames; the output is filtered anchor plus
    filtered offset.

    Why split: when a person walks, sways or steps sideways, every landmark moves together.
    The anchor averages two landmarks, so its noise is smaller and its motion test reacts to a
    small move at once; the offsets then stay still during such motion and can be smoothed
    hard without dragging the skeleton behind the body. A limb moving on its own shows up in
    its offsets.

    Why two models per landmark (an IMM) rather than one filter whose noise adapts: the first
    version raised one filter's process noise in proportion to its surprise. On real footage
    that left fast limbs behind (a wrist 166 px off on a 60 fps clip): a surprise of a few
    sigma bought only a few times the noise, far from the hundreds a swinging arm needs. A
    One Euro style cut-off reacts only once its speed estimate has caught up. The IMM asks,
    every frame and for every landmark, which of two honest models explains the measurement:
    "held still" (a random walk with a slow drift, which smooths hard) or "moving" (constant
    velocity, which follows). A limb that starts to swing is unlikely under "still" within a
    frame or two, so "moving" takes over and the skeleton stays on it; a still limb is
    explained by "still" and held steady. benchmarks/trust.py measures both on real clips
    against a lag-free reference. Cost: about twice one filter, well under a millisecond.

    Measurement noise grows as visibility falls (the visibility measured in that frame) and
    scales with the person's size. The visibility given out is steadied (SteadyVisibility).

    With `keep_steps`, each step's result can be revised later (`revisable`) with up to that
    many steps that followed it (TwoModeKalman.smoothed): for `posecam annotate`, which can
    wait a few frames before drawing one.
    """

    def __init__(self, settings: KalmanSettings | None = None, keep_steps: int = 0) -> None:
        self.settings = s = settings or KalmanSettings()
        self.keep_steps = keep_steps
        # The anchor averages two landmarks, but their errors are not independent (the model
        # misplaces both shoulders together), so it is given one landmark's noise, not
        # 1/sqrt(2) of it: with less, the shoulders' shake read as body motion on real clips.
        # One engine for both: the anchor is point 0, the offsets points 1-33. Each point is
        # filtered on its own either way; one engine of 34 points costs half of two engines
        # (the cost is the count of numpy operations, not their size).
        noises = np.array(
            [(s.body_still_drift, s.body_moving_acceleration)]
            + [(s.still_drift, s.moving_acceleration)] * NUM_LANDMARKS
        )
        self.kalman = TwoModeKalman(
            1 + NUM_LANDMARKS, s.measurement_noise, noises, s, keep_steps=keep_steps
        )
        self.visibility = np.zeros(NUM_LANDMARKS)
        self._steady = SteadyVisibility()
        # Which steps `revisable` can still reach: counted from the last reset.
        self._resets = 0
        self._steps_taken = 0
        self._visibilities: deque[np.ndarray] = deque(maxlen=keep_steps + 1)

    @property
    def started(self) -> bool:
        return self.kalman.started

    def reset(self) -> None:
        self.kalman.reset()
        self._steady.reset()
        self._resets += 1
        self._steps_taken = 0
        self._visibilities.clear()

    def revisable(self) -> Callable[[], np.ndarray | None] | None:
        """For the step just taken: a function that gives its landmarks (33, 4) as the steps
        taken since revise them (None once the filter was reset since, or the step is more
        than `keep_steps` back). None without `keep_steps`."""
        if not self.keep_steps:
            return None
        resets, step = self._resets, self._steps_taken

        def revised() -> np.ndarray | None:
            back = self._steps_taken - step
            if resets != self._resets or back >= len(self._visibilities):
                return None
            positions = _anchor_plus_offsets(self.kalman.smoothed(back))
            return _with_visibility(positions, self._visibilities[-1 - back])

        return revised

    def step(self, landmarks: np.ndarray | None, time_s: float, size_px: float) -> np.ndarray:
        """Advance to `time_s` and take `landmarks` (33, 4: x, y, z, visibility) if given.

        Returns (33, 4): filtered x, y, z and the steadied visibility (the last while no
        landmarks come).
        """
        if landmarks is None:
            filtered = self.kalman.step(None, None, time_s, size_px)
        else:
            points = landmarks[:, :3].astype(np.float64)
            seen = landmarks[:, 3].astype(np.float64)
            self.visibility = self._steady.update(seen, time_s)
            anchor = points[_ANCHOR].mean(axis=0, keepdims=True)
            measured = np.concatenate([anchor, points - anchor])
            visibility = np.concatenate([seen[_ANCHOR].mean(keepdims=True), seen])
            filtered = self.kalman.step(measured, visibility, time_s, size_px)
        self._steps_taken += 1
        self._visibilities.append(self.visibility.copy())
        return _with_visibility(_anchor_plus_offsets(filtered), self.visibility)

    def predicted_xy(self, time_s: float) -> np.ndarray:
        """Where the landmarks are expected at `time_s`, (33, 2), without changing the filter."""
        return _anchor_plus_offsets(self.kalman.predicted(time_s))[:, :2]


def _anchor_plus_offsets(points: np.ndarray) -> np.ndarray:
    """The landmarks (33, D) from KalmanLandmarkFilter's engine's points (anchor first)."""
    return points[1:] + points[0]


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
        self._steady = SteadyVisibility()

    @property
    def started(self) -> bool:
        return self._time_s is not None

    def reset(self) -> None:
        self._time_s = None
        self._steady.reset()

    def step(self, landmarks: np.ndarray | None, time_s: float, size_px: float) -> np.ndarray:
        if landmarks is None:
            if self._time_s is None:
                raise ValueError("the first step needs a measurement")
            # No model of motion to coast with: hold the last position.
            return self.output()
        measured = landmarks[:, :3].astype(np.float64)
        self.visibility = self._steady.update(landmarks[:, 3], time_s)
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

    def revisable(self) -> None:
        return None  # no look-ahead: the One Euro filter stays as it is

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

    def revisable(self) -> None:
        return None  # nothing to revise: the model's output is shown as it is
