"""A file being written frame by frame that can always be brought back to its last whole frame.

Bytes go straight to the operating system (no buffer in between that could hold, lose or
later write stale bytes), and the writer marks where each whole piece ends: a keypoints
frame, or a video fragment. After a failed write (a full disk, a removed drive) the file is
cut back to its last mark, so what is on disk ends on a whole frame, never a torn one.

On Linux and macOS an open file outlives its name: a folder deleted during a recording takes
the names away but not the data. `vanished()` notices, and `release()` then saves the data
again under the old name, in the folder re-created (or, failing that, in the system's
temporary folder), instead of letting it go when the file is closed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from desktop_app.errors import OutputError, reason

#: Where a vanished file is saved when its own folder cannot be made again.
RECOVERY_FOLDER_NAME = "PoseCam recovered"

_COPY_CHUNK_BYTES = 1 << 20


class OutputFile:
    """A file opened for writing, unbuffered, with marks at its whole frames.

    It has the `write`, `seek` and `tell` of a Python file, so PyAV can write a video into it;
    it has no `close` (PyAV would call it): `release()` ends it.
    """

    def __init__(self, path: str | Path, what: str) -> None:
        self.path = Path(path)
        try:
            # Readable too: a file whose name vanished is copied out of it (see release()).
            self._file = open(self.path, "w+b", buffering=0)  # noqa: SIM115 (see release())
        except OSError as exc:
            raise OutputError(self.path, f"cannot write {what} here ({reason(exc)})") from None
        # (frames, bytes): the file's first `bytes` bytes hold its first `frames` frames whole.
        self._marks: list[tuple[int, int]] = [(0, 0)]
        self._end = 0
        #: Where the data was saved again after the file's name vanished (see release()).
        self.recovered_to: Path | None = None

    def write(self, data: bytes | memoryview) -> int:
        """Write all of `data` or raise OSError (a short write is carried on, not dropped)."""
        view = memoryview(data)
        try:
            while view:
                done = self._file.write(view)
                if not done:
                    raise OSError(f"nothing could be written to {self.path}")
                view = view[done:]
        finally:
            # Counted even when the write failed part way: those bytes are in the file.
            self._end = max(self._end, self._file.tell())
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def mark(self, frames: int) -> None:
        """Everything written so far is whole and holds the first `frames` frames."""
        self._marks.append((frames, self._end))

    @property
    def whole_frames(self) -> int:
        """How many frames the file holds whole, up to its last mark."""
        return self._marks[-1][0]

    def cut_back(self, most_frames: int) -> int:
        """Cut the file back to its last mark that holds at most `most_frames` frames; returns
        how many frames it holds. Bytes written after that mark (a torn row, a fragment the disk
        had no room for) are dropped."""
        while len(self._marks) > 1 and self._marks[-1][0] > most_frames:
            self._marks.pop()
        frames, size = self._marks[-1]
        self._file.truncate(size)
        self._file.seek(size)
        self._end = size
        return frames

    def sync(self) -> None:
        """Push what was written to the disk itself, so a power cut loses nothing before it."""
        os.fsync(self._file.fileno())

    def vanished(self) -> bool:
        """True when the file no longer has a name (it or its folder was deleted)."""
        try:
            return os.fstat(self._file.fileno()).st_nlink == 0
        except (OSError, ValueError):
            return False

    @property
    def released(self) -> bool:
        return self._file.closed

    def release(self, keep: bool = True) -> None:
        """Close the file. With `keep` false, the file is removed; otherwise a file whose name
        vanished is saved again first (`recovered_to` says where). Safe to call twice."""
        if self._file.closed:
            return
        try:
            if not keep:
                if not self.vanished():
                    self.path.unlink(missing_ok=True)
            elif self.vanished() and self._end > 0:
                self.recovered_to = self._save_again()
        finally:
            self._file.close()

    def _save_again(self) -> Path | None:
        for folder in (self.path.parent, Path(tempfile.gettempdir()) / RECOVERY_FOLDER_NAME):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                target = _free_name(folder / self.path.name)
                copy = open(target, "xb")  # noqa: SIM115 (closed below)
            except OSError:
                continue
            try:
                with copy:
                    self._copy_into(copy.fileno())
                    os.fsync(copy.fileno())
            except OSError:
                # A copy cut short by a full disk is no use; try the next folder.
                with contextlib.suppress(OSError):
                    target.unlink()
                continue
            return target
        return None

    def _copy_into(self, target_fd: int) -> None:
        source_fd = self._file.fileno()
        offset = 0
        while offset < self._end:
            chunk = os.pread(source_fd, min(_COPY_CHUNK_BYTES, self._end - offset), offset)
            if not chunk:
                break
            view = memoryview(chunk)
            while view:
                view = view[os.write(target_fd, view) :]
            offset += len(chunk)


def _free_name(path: Path) -> Path:
    """`path`, or `stem-recovered.suffix` (then -recovered-2, ...) when something has taken it."""
    candidate, n = path, 1
    while os.path.lexists(candidate):
        tail = "-recovered" if n == 1 else f"-recovered-{n}"
        candidate = path.with_name(f"{path.stem}{tail}{path.suffix}")
        n += 1
    return candidate


__all__ = ["RECOVERY_FOLDER_NAME", "OutputFile"]
