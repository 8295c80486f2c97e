"""Running the app: Werkzeug's threaded WSGI server on one address, stopped by Ctrl+C.

Werkzeug's server (Flask's own) is enough here: one person, or a few, on their own machine or
home network, never the open internet. It is started with `make_server` rather than
`app.run` so that tests can run it on a free port in a thread and shut it down.
"""

from __future__ import annotations

import contextlib
import io
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from desktop_app.errors import PoseCamError, reason
from desktop_app.serve.jobs import JobRunner


class _QuietHandler(WSGIRequestHandler):
    """No line per request: the page polls twice a second. Each job logs one line itself."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def start_server(app: Flask, host: str = "127.0.0.1", port: int = 8000) -> BaseWSGIServer:
    """A threaded server for `app` bound to host:port (port 0: any free one); call
    serve_forever() on it, and shutdown() from another thread to stop it. PoseCamError (one
    line) when it cannot listen there; the app's files are then deleted."""
    said = io.StringIO()
    try:
        # Werkzeug prints its own lines before it exits when it cannot bind: keep them.
        with contextlib.redirect_stderr(said):
            return make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    except (OSError, SystemExit) as exc:
        app.extensions["posecam"].close()
        why = reason(exc) if isinstance(exc, OSError) else " ".join(said.getvalue().split())
        raise PoseCamError(None, f"cannot listen on {host} port {port}: {why}") from None


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """Start serving `app` on a background thread; returns the server (server_port says
    where). Stop it with server.shutdown()."""
    server = start_server(app, host, port)
    threading.Thread(target=server.serve_forever, name="posecam-serve-http", daemon=True).start()
    return server


def lan_address() -> str | None:
    """This machine's address on its local network, as a phone on it would reach it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            # Connecting a UDP socket sends nothing; it only picks the outgoing interface.
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else str(address)


def run(
    app: Flask,
    host: str,
    port: int,
    say: Callable[[str], None] = lambda line: print(line, flush=True),
) -> None:
    """Serve until Ctrl+C, then delete every uploaded and annotated file."""
    server = start_server(app, host, port)
    runner: JobRunner = app.extensions["posecam"]
    shown_port = server.server_port
    if host in ("0.0.0.0", "::", ""):
        address = lan_address() or "THIS-COMPUTER'S-ADDRESS"
        say(f"PoseCam is serving on every network interface, port {shown_port}.")
        say(f"Open http://{address}:{shown_port}/ on a phone on the same network.")
        print(
            "posecam: warning: anyone on this network can open the page, upload files and "
            "see the results; there is no password. Use it on a network you trust only.",
            file=sys.stderr,
            flush=True,
        )
    else:
        say(f"PoseCam is serving on http://{host}:{shown_port}/ (this computer only)")
    say(f"Files are kept in {runner.root} and deleted after {runner.keep_s / 60:g} minutes.")
    say("Press Ctrl+C to stop.")

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # SIGTERM (a job manager, `kill`, a system shutting down) stops it as Ctrl+C does, so the
    # files are deleted either way.
    before = signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()  # returns on Ctrl+C
    finally:
        signal.signal(signal.SIGTERM, before)
        server.server_close()
        runner.close()
        say(f"deleted {runner.root}")
