"""A base for objects that hold a file, device or native graph and must be closed."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

_T = TypeVar("_T", bound="Closeable")


class Closeable:
    """`with obj:` closes `obj` on leaving the block, error or not."""

    def close(self) -> None:
        """Release what the object holds. Subclasses make it safe to call twice."""

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
