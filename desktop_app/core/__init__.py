"""Qt-free pose logic: skeleton, estimation, smoothing, rendering. No device or file I/O here."""
