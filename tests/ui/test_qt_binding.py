"""The Qt binding itself: faults in it that PoseCam has met and must not meet again."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    plain = Signal()
    with_value = Signal(object)


def test_emitting_a_signal_keeps_the_reference_count_of_true(qapp) -> None:
    # PySide6 6.12.0 returned True from emit() without owning a reference; every emit then
    # took one reference from the interpreter's True, and after some thousands of frames
    # Python aborted with "bool_dealloc". The worker emits once per frame.
    emitter = _Emitter()
    received: list[object] = []
    emitter.plain.connect(lambda: received.append(None))
    emitter.with_value.connect(received.append)
    before = sys.getrefcount(True)
    for _ in range(30):
        emitter.plain.emit()
        emitter.with_value.emit(1)
    after = sys.getrefcount(True)
    assert len(received) == 60
    assert abs(after - before) < 20, (before, after)


def test_the_installed_binding_is_not_one_known_to_break() -> None:
    import PySide6

    assert PySide6.__version__ != "6.12.0", "PySide6 6.12.0 breaks Signal.emit (see pyproject)"
