"""Alembic environment of the offline database (configured by :mod:`kassa.db.migrate`)."""

from kassa.db.migrate import run_env

run_env("offline")
