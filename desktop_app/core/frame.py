"""One picture from a source, with the time it was taken, and one person found in it.

Light on purpose (numpy only): the command line imports what it needs to parse arguments from
modules that reach these types, and must not wait for MediaPipe to load to print --help."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Frame:
    """A frame in PoseCam's working layout: RGB, uint8, shape (height, width, 3), C-contiguous.

    RGB is what MediaPipe wants, what PyAV decodes to and encodes from at no extra cost, and
    what Qt shows as `Format_RGB888`, so a frame is converted at most once, where it enters.
    """

    rgb: np.ndarray
    #: When the frame was captured (camera) or is presented (file), in milliseconds from the
    #: start of the source. Not guaranteed to be evenly spaced.
    time_ms: float
    #: Position in the source, from 0.
    index: int
    #: True on the first frame of a new pass over a looping file (or anything else after
    #: which the people in view are not the ones before): tracks start again.
    new_scene: bool = False

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


@dataclass(frozen=True, eq=False)
class PersonPose:
    """One person found in one frame (see core.pose for the coordinate spaces)."""

    #: (33, 4) float32: x_px, y_px, z (pixel scale), visibility.
    landmarks_px: np.ndarray
    #: (33, 3) float32: x, y, z in metres, origin between the hips.
    world_m: np.ndarray
