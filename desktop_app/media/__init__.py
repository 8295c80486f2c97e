"""Qt-free file and device I/O: frame sources, video writers, keypoint files."""
