"""`posecam serve`: a local web page (and its JSON API) that annotates photos and clips sent
from a phone or a browser, with the same processing and outputs as `posecam annotate`.
See docs/serve.md."""

from desktop_app.serve.app import create_app
from desktop_app.serve.server import run, serve_in_thread

__all__ = ["create_app", "run", "serve_in_thread"]
