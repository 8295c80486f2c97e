"""Qt-free pose logic: skeleton, estimation, smoothing, rendering. No device or file I/O here."""

from desktop_app.core import lean_mediapipe

# Before any module here imports MediaPipe (see lean_mediapipe for why).
lean_mediapipe.install()
