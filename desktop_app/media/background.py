"""Decoding a file ahead of the pose model, on a thread of its own, through a small bounded queue.

Decoding and encoding spend most of their time in FFmpeg, and the pose model in MediaPipe's
native code; none of them holds Python's GIL while it works. Run one after the other, two cores
take turns; run on three threads (decoding here, encoding in media/recorder.py), they overlap
with inference. The queues are short (a few frames), so memory stays bounded and a slow stage
holds the others back rather than piling frames up. Errors cross back to the caller's thread
and are raised there.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

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
