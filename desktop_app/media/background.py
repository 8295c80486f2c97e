"""Running a stage on a thread of its own, joined to the next by a small bounded queue.

Decoding and encoding spend most of their time in FFmpeg, and the pose model in MediaPipe's
native code; none of them holds Python's GIL while it works. Run one after the other, two cores
take turns; run on three threads, decoding and encoding overlap with inference. The queues are
short (a few frames), so memory stays bounded and a slow stage holds the others back rather
than piling frames up. Errors cross back to the caller's thread and are raised there.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(items: Iterable[T], depth: int = 4, name: str = "posecam-read") -> Iterator[T]:
    """Iterate `items` on a background thread, up to `depth` items ahead of the caller.

    An exception raised by `items` is raised in the caller at the point where it happened
    (every item before it is delivered first). Stopping early (break, or an error in the
    caller) stops the background thread too.
    """
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failure(exc))
            return
        put(_END)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()


class WriteBehind(Generic[T]):
    """Calls `write(item)` for each `put(item)` on a background thread, in order.

    `put` waits only when `depth` items are already waiting. The first error from `write` is
    raised by the next `put` or by `close`, and no more items are written after it.
    """

    def __init__(self, write: Callable[[T], None], depth: int = 4, name: str = "posecam-write"):
        self._write = write
        self._slots: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._error_raised = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._slots.get()
            if item is _END:
                return
            if self._error is not None:
                continue
            try:
                self._write(item)  # type: ignore[arg-type]
            except BaseException as exc:  # raised in the caller's thread
                self._error = exc

    def put(self, item: T) -> None:
        self._raise_error()
        self._slots.put(item)

    def close(self) -> None:
        """Wait until everything put has been written; raise the first error, if any."""
        if not self._closed:
            self._closed = True
            self._slots.put(_END)
            self._thread.join()
        self._raise_error()

    def _raise_error(self) -> None:
        # Raised once; writing stays stopped after it.
        if self._error is not None and not self._error_raised:
            self._error_raised = True
            raise self._error
