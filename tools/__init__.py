"""Reproducible build steps and the helpers they share with the tests."""
