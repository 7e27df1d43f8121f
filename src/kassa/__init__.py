"""Kassa — an offline-first point of sale for retail chains (see DESIGN.md)."""

__version__ = "0.1.0"
