"""Errors a user can act on. Each carries a one-line message that names the file at fault."""

from __future__ import annotations

from pathlib import Path


class PoseCamError(Exception):
    """A problem the user can fix; the command line prints it as one line, never a traceback."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class InputError(PoseCamError):
    """An input file or device cannot be read, or stops being readable part way."""

    def __init__(
        self, path: str | Path | None, problem: str, *, frames_read: int | None = None
    ) -> None:
        super().__init__(path, problem)
        # How many frames were delivered before the input broke; None if it never opened.
        self.frames_read = frames_read


class OutputError(PoseCamError):
    """An output file cannot be created or written."""


class ModelError(PoseCamError):
    """The pose model bundle is missing, damaged or not a pose landmarker bundle."""


def reason(exc: BaseException) -> str:
    """The human part of an OS or FFmpeg error ("Permission denied"), for one-line messages."""
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).rstrip(".") or type(exc).__name__


def add_note(exc: BaseException, note: str) -> None:
    """Add context to an exception on its way up, as BaseException.add_note does from Python
    3.11 on (and shows in tracebacks); the command line prints notes after the message."""
    notes = getattr(exc, "__notes__", None)
    if not isinstance(notes, list):
        notes = []
        exc.__notes__ = notes  # type: ignore[attr-defined]
    notes.append(note)


def with_notes(exc: BaseException) -> str:
    """The exception's message followed by its notes, on one line."""
    parts = [str(exc), *getattr(exc, "__notes__", [])]
    return "; ".join(part for part in parts if part)
