"""Frame-rate and latency meters driven by explicit timestamps (no clock inside), so that tests
and benchmarks can feed them any times they like."""

from __future__ import annotations

import math
from collections import deque


class RateMeter:
    """Events per second, averaged over the last `window_s` seconds of events.

    A plain average of the last second is what people read as "FPS": it settles within a
    second after a change and does not flicker from frame to frame.
    """

    def __init__(self, window_s: float = 1.0) -> None:
        self.window_s = window_s
        self._times_s: deque[float] = deque()

    def tick(self, time_s: float) -> None:
        self._times_s.append(time_s)
        while self._times_s and self._times_s[0] < time_s - self.window_s:
            self._times_s.popleft()

    def rate(self, now_s: float | None = None) -> float:
        """Events per second; 0 until two events are in the window."""
        times = self._times_s
        if now_s is not None:
            # Events that left the window since the last tick no longer count.
            while times and times[0] < now_s - self.window_s:
                times.popleft()
        if len(times) < 2:
            return 0.0
        span = times[-1] - times[0]
        return (len(times) - 1) / span if span > 0 else 0.0

    def reset(self) -> None:
        self._times_s.clear()


class MeanMeter:
    """An exponentially weighted mean, e.g. of inference milliseconds per frame."""

    def __init__(self, weight: float = 0.1) -> None:
        self.weight = weight
        self.value = math.nan

    def add(self, sample: float) -> None:
        self.value = (
            sample if math.isnan(self.value) else self.value + self.weight * (sample - self.value)
        )


def percentile(samples: list[float], fraction: float) -> float:
    """The `fraction` (0-1) quantile of `samples` by the nearest-rank method; NaN if empty."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
