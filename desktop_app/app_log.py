"""Where PoseCam's messages go when there is no terminal to print them to.

A windowed build (no console, as people start it from a menu or a desktop icon) runs with
`sys.stdout` and `sys.stderr` set to None: anything printed would raise, and a crash would leave
no trace. Such a process writes to `posecam.log` in the user's log folder instead.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from desktop_app.folders import log_folder

LOG_FILE = "posecam.log"
# Keep the log from growing without end: it starts afresh once it is larger than this.
_MAX_LOG_BYTES = 5_000_000


def route_output() -> Path | None:
    """Without a console, send stdout, stderr and logging to the log file; returns its path
    (None when a console is there and nothing changes)."""
    if sys.stdout is not None and sys.stderr is not None:
        logging.basicConfig(level=logging.WARNING, format="posecam: %(message)s")
        return None
    path = log_folder() / LOG_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = "w" if path.exists() and path.stat().st_size > _MAX_LOG_BYTES else "a"
        stream = open(path, mode, encoding="utf-8", buffering=1)  # noqa: SIM115 (kept open)
    except OSError:
        stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (nowhere to write)
        path = Path(os.devnull)
    if sys.stdout is None:
        sys.stdout = stream
    if sys.stderr is None:
        sys.stderr = stream
    logging.basicConfig(
        level=logging.INFO, stream=stream, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return path


def log_unexpected(exc: BaseException, command: str) -> str:
    """Append the traceback of an error nobody foresaw to PoseCam's log file, with the command
    that met it; says in a few words where it went, or why it could not be saved."""
    import datetime
    import traceback

    from desktop_app import __version__
    from desktop_app.errors import reason

    path = log_folder() / LOG_FILE
    when = datetime.datetime.now().isoformat(timespec="seconds")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{when} PoseCam {__version__}, unexpected error in: {command}\n")
            log.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    except OSError as log_error:
        return f"no details saved: cannot write {path}: {reason(log_error)}"
    return f"details in {path}"
