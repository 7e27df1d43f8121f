"""Database code: SQLAlchemy schemas of the three databases, engines and migrations.

* :mod:`kassa.db.hq_schema` — the HQ database (system of record).
* :mod:`kassa.db.channel_schema` — the store's channel database and, as a subset of its
  tables, the register's offline database.
* :mod:`kassa.db.engine` — engines with the right pragmas (SQLite WAL, ``synchronous``).
* :mod:`kassa.db.migrate` — Alembic migrations per database.
"""
