"""The one ndarray -> QImage conversion."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage over `rgb` (height, width, 3) uint8 RGB, sharing its memory.

    The caller must keep `rgb` alive and unchanged for as long as the QImage is used (PoseCam
    keeps both in the same immutable result). It must be C-contiguous: pass a mirrored view
    through np.ascontiguousarray first, and keep that copy.
    """
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected (height, width, 3) uint8, got {rgb.shape} {rgb.dtype}")
    if not rgb.flags.c_contiguous:
        raise ValueError("the array must be C-contiguous (np.ascontiguousarray)")
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888)
