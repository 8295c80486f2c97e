"""The range of every number a user can set, declared once.

The settings file's checks (desktop_app/settings.py), the settings panel's controls
(ui/settings_panel.py) and the command line's options (cli.py) all read these, so a value one
of them accepts, the others accept too. No imports: the command line reads it before anything
heavy is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The lowest and highest value allowed, both included, in the setting's own unit."""

    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        # NaN compares false, so it is never within limits.
        return self.low <= value <= self.high

    def describe(self) -> str:
        """ "between 0 and 1", as messages say it."""
        return f"between {self.low:g} and {self.high:g}"


#: Smoothing strength: 0 off, 1 steadiest.
SMOOTHING_STRENGTH = Limits(0.0, 1.0)
#: How far `posecam annotate` looks ahead before drawing a frame, in seconds.
LOOK_AHEAD_S = Limits(0.0, 0.5)
#: The pose model's detection, presence and tracking confidence, 0-1.
CONFIDENCE = Limits(0.0, 1.0)
#: How many people to look for in a frame.
PEOPLE = Limits(1, 10)
#: A camera's width or height asked for, in pixels; 0 lets the camera choose.
CAMERA_SIDE_PX = Limits(0, 16384)
#: A camera's frame rate asked for, in frames per second; 0 lets the camera choose.
CAMERA_FPS = Limits(0.0, 240.0)
#: Bone line width, in pixels of the frame.
BONE_THICKNESS_PX = Limits(1, 40)
#: Joint dot radius, in pixels of the frame.
JOINT_RADIUS_PX = Limits(0, 40)
#: The visibility (0-1) below which joints are not drawn.
VISIBILITY = Limits(0.0, 1.0)
#: A joint angle, in degrees.
ANGLE_DEG = Limits(0.0, 180.0)
