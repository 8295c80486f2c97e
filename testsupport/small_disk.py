"""A real small file system for tests of a full disk: a tmpfs mounted on a folder.

No mocks: the writes fail as they fail for a user, with ENOSPC from the kernel. Mounting needs
root (or CAP_SYS_ADMIN); where it is not allowed the tests that need it skip.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_disk(folder: Path, size_kib: int = 2048) -> Iterator[Path]:
    """Mount a `size_kib` KiB tmpfs on `folder` (made if missing) for the block, and unmount it
    after. Skips the test where this process may not mount (not root, a container without
    CAP_SYS_ADMIN, no mount command)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(folder)],
            capture_output=True,
        )
    except OSError:
        mounted = None
    if mounted is None or mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root or CAP_SYS_ADMIN)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path, leave_bytes: int = 0) -> Path:
    """Fill the file system of `folder` with one file until at most `leave_bytes` are free."""
    filler = folder / "filler"
    free = _free_bytes(folder)
    with open(filler, "ab") as f:
        try:
            f.write(b"\0" * max(0, free - leave_bytes))
            f.flush()
        except OSError:
            pass  # full already: that is what was wanted
    return filler


def _free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def files_in(folder: Path) -> dict[str, int]:
    """Name -> size of each file in `folder` except the filler."""
    return {p.name: p.stat().st_size for p in folder.iterdir() if p.name != "filler"}


__all__ = ["files_in", "fill", "small_disk"]
