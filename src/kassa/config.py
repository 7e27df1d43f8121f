"""Where Kassa keeps its files and which databases it talks to (issue 2 §3).

* All files live in one data directory: ``--data-dir`` / ``KASSA_DATA_DIR``, default
  ``./kassa-data``.
* HQ and store server default to SQLite files in it; ``KASSA_HQ_DATABASE_URL`` and
  ``KASSA_STORE_DATABASE_URL`` (or explicit arguments) override per tier with any
  SQLAlchemy URL (PostgreSQL via ``postgresql+psycopg://``).
* The offline DB of a register is always SQLite: ``offline-<store>-<register>.sqlite``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = "./kassa-data"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the data directory (argument > ``KASSA_DATA_DIR`` > ``./kassa-data``).

    The directory is created when missing.
    """
    raw = explicit if explicit is not None else os.environ.get("KASSA_DATA_DIR", DEFAULT_DATA_DIR)
    path = Path(raw).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of an SQLite file."""
    return f"sqlite+pysqlite:///{path}"


@dataclass(frozen=True)
class Locations:
    """Resolved file locations and database URLs for one data directory."""

    root: Path

    def hq_url(self, explicit: str | None = None) -> str:
        """HQ database URL: argument > ``KASSA_HQ_DATABASE_URL`` > ``<root>/hq.sqlite``."""
        return explicit or os.environ.get("KASSA_HQ_DATABASE_URL") or sqlite_url(
            self.root / "hq.sqlite"
        )

    def store_url(self, store_id: int, explicit: str | None = None) -> str:
        """Channel DB URL: argument > ``KASSA_STORE_DATABASE_URL`` > ``channel-<store>.sqlite``."""
        return explicit or os.environ.get("KASSA_STORE_DATABASE_URL") or sqlite_url(
            self.root / f"channel-{store_id}.sqlite"
        )

    def offline_path(self, store_id: int, register_number: int) -> Path:
        """Path of a register's offline DB (always SQLite)."""
        return self.root / f"offline-{store_id}-{register_number}.sqlite"


def locations(explicit: str | os.PathLike[str] | None = None) -> Locations:
    """:class:`Locations` for the resolved data directory."""
    return Locations(data_dir(explicit))
