"""Keep MediaPipe from loading Matplotlib's plotting when PoseCam imports it.

`mediapipe.tasks.python.vision` imports its drawing helpers on import, and they import
`matplotlib.pyplot`, which on a fresh user account first builds Matplotlib's font cache: the
first window, and every `posecam annotate`, waited about 2 s for it (0.9 s with the cache
built). PoseCam draws with its own code and never uses those helpers, so they are made lazy:
loaded only if something touches them. Measured on a fresh home folder (2026-11-22, the machine
busy with tests): importing MediaPipe's vision package took 4.1 s; importing the pose pipeline
with this in place, 0.9-1.5 s.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

#: MediaPipe's drawing modules: drawing_styles reads drawing_utils when it loads.
_LAZY = frozenset(
    {
        "mediapipe.tasks.python.vision.drawing_utils",
        "mediapipe.tasks.python.vision.drawing_styles",
    }
)


class _LazyDrawing(importlib.abc.MetaPathFinder):
    """Finds the drawing modules as the other finders do, with a loader that runs them only
    when one of their names is first used."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _LAZY:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


def install() -> None:
    """Make the drawing modules lazy (once; before MediaPipe is imported for it to count)."""
    if not any(isinstance(finder, _LazyDrawing) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LazyDrawing())


__all__ = ["install"]
