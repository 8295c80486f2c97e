"""Waiting on a real `posecam` child process, for tests that stop it with a real signal."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path


@contextlib.contextmanager
def running(command: Sequence[str]) -> Iterator[subprocess.Popen[str]]:
    """`command` started with its output captured as text; killed on leaving the block if it
    is still running (a failed test leaves no process behind)."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def wait_until_written(
    child: subprocess.Popen[str] | subprocess.Popen[bytes],
    paths: Iterable[Path],
    least_bytes: int = 1,
    seconds: float = 240.0,
) -> None:
    """Wait until every one of `paths` holds at least `least_bytes`. Fails the test if the
    child ends first or `seconds` pass (generous: the machine may be busy, and frames reach
    the files only once the pose model runs)."""
    paths = list(paths)
    deadline = time.monotonic() + seconds
    while not all(p.exists() and p.stat().st_size >= least_bytes for p in paths):
        assert child.poll() is None, f"the process ended first: {child.communicate()}"
        assert time.monotonic() < deadline, f"{paths} not written in {seconds:g} s"
        time.sleep(0.05)


__all__ = ["running", "wait_until_written"]
