"""The window given a stream address that would have FFmpeg listen (typed in "Open a stream",
dropped, or remembered as the last source): it shows the one-line refusal where the picture
would be, and nothing listens on the port meanwhile."""

from __future__ import annotations

import socket

from desktop_app.ui.main_window import MainWindow
from tests.media.test_stream_safety import _free_port


def test_a_listening_address_is_refused_in_the_window(qtbot, window: MainWindow) -> None:
    port = _free_port()
    url = f"tcp://127.0.0.1:{port}?listen=1"
    connected: list[bool] = []

    def refused_and_nobody_listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                connected.append(True)
        except OSError:
            pass
        return window.last_problem is not None

    window.open_source_text(url)
    # A window whose worker listened would wait there for a connection, and show no problem.
    qtbot.waitUntil(refused_and_nobody_listening, timeout=60000)
    assert not connected
    assert window.last_problem.startswith(url)
    assert "wait for connections" in window.last_problem
    assert "\n" not in window.last_problem
    assert window.stack.currentWidget() is window.message_page
