"""Keeping MediaPipe's start-up chatter off the user's terminal.

MediaPipe's native library writes INFO and WARNING lines ("Created TensorFlow Lite XNNPACK
delegate", "Feedback manager requires ...") straight to file descriptor 2 when a graph is built
and on its first frame. They are noise to a user and cannot be turned off from Python, so
those moments run with descriptor 2 captured; anything that is not an INFO or WARNING line is
passed on to the real stderr.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import BinaryIO

# glog/absl lines look like "I0000 00:00:..." or "W0000 ..."; TFLite prints "INFO: ..." and
# "WARNING: ..." (mediapipe 1.2.3 added "WARNING: [model_load.cc:402] Sparsity tensors may not
# yet be fully supported." for every model it loads).
_NOISE = re.compile(r"^(?:[IW]\d{4} |INFO: |WARNING: )")
_lock = threading.Lock()


@contextlib.contextmanager
def _descriptor_2_into(capture: BinaryIO) -> Iterator[None]:
    """Point file descriptor 2 at `capture` within the block, then put it back. Callers hold
    `_lock`: two threads redirecting at once would restore each other's descriptor."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        # No real descriptor 2 (a windowed app on Windows): nothing to redirect.
        yield
        return
    os.dup2(capture.fileno(), 2)
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def native_stderr_into(capture: BinaryIO) -> Iterator[None]:
    """Send native writes to stderr within the block into `capture`, and nothing on."""
    with _lock, _descriptor_2_into(capture):
        yield


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Capture native writes to stderr in this block; re-emit the ones that are not noise."""
    if os.environ.get("POSECAM_NATIVE_LOG"):
        yield
        return
    with _lock, tempfile.TemporaryFile(mode="w+b") as capture:
        try:
            with _descriptor_2_into(capture):
                yield
        finally:
            # Passed on even when the block failed: that is when its lines matter most.
            capture.seek(0)
            kept = [
                line
                for line in capture.read().decode("utf-8", "replace").splitlines()
                if line.strip() and not _NOISE.match(line)
            ]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")
