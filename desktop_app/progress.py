"""A progress bar for the terminal that stays silent when output is not a terminal."""

from __future__ import annotations

import time
from typing import TextIO


class TerminalProgress:
    """Draws `[####......]  42%  120/285 frames  21.4 frames/s  ETA 8 s` on one line.

    Redraws at most ten times a second. When the stream is not a terminal (a pipe, a log
    file, CI) it prints nothing at all.
    """

    def __init__(self, stream: TextIO, total: int | None, label: str = "frames") -> None:
        self.stream = stream
        self.total = total if total and total > 0 else None
        self.label = label
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self._started = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last_draw < 0.1 and (self.total is None or done < self.total):
            return
        self._last_draw = now
        elapsed = max(now - self._started, 1e-6)
        rate = done / elapsed
        if self.total:
            fraction = min(done / self.total, 1.0)
            filled = int(fraction * 24)
            eta = (self.total - done) / rate if rate > 0 else 0.0
            line = (
                f"[{'#' * filled}{'.' * (24 - filled)}] {fraction * 100:3.0f}%  "
                f"{done}/{self.total} {self.label}  {rate:5.1f} {self.label}/s  ETA {eta:4.0f} s"
            )
        else:
            line = f"{done} {self.label}  {rate:5.1f} {self.label}/s"
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """Clear the bar so that the summary that follows starts on a clean line."""
        if self.enabled and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
