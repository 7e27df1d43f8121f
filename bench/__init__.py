"""Kassa benchmarks: each module times Kassa next to a raw baseline (``python -m bench``)."""
