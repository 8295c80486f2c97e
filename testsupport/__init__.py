"""Code that only the tests and the benchmarks use: ground truth for known-motion clips and the
measures of a landmark track. It is not part of the shipped package (`desktop_app` is the
wheel's only package, and an import-linter contract keeps `desktop_app` from importing this).

Tests find it through pytest's `pythonpath` setting; a benchmark run as
`python benchmarks/NAME.py` puts the checkout's top folder on `sys.path` first.
"""
