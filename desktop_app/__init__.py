"""PoseCam: a live, steady human pose skeleton over a webcam stream or a video file."""

__version__ = "0.1.0"
