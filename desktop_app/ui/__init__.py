"""The PySide6 window: a thin layer that shows results and turns clicks into settings."""
