"""Alembic environment of the channel database (configured by :mod:`kassa.db.migrate`)."""

from kassa.db.migrate import run_env

run_env("channel")
