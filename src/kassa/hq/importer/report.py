"""Counted outcome of an import: every source row ends in exactly one bucket (DESIGN §9).

Per entity (products, prices, customers, sales lines …) the report counts rows ``read``
from the source and how each ended: ``imported`` (new in HQ), ``updated``, ``unchanged``,
or ``rejected`` with a reason (each reason with a count and one example). For written
entities ``read == imported + updated + unchanged + rejected_total``; for the sales lines
(read to derive prices, never stored) ``read == used + rejected_total``. Nothing is dropped
silently.

The outcome is stored in HQ (``import_runs``, ``import_rejections``) in the same
transaction as the data.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, update

from kassa.db import hq_schema as s
from kassa.hq.masterdata import WriteCounts

#: The reason text column is 80 characters, the example 200.
_REASON_MAX = 80
_EXAMPLE_MAX = 200


@dataclass
class EntityOutcome:
    """Counts for one entity of one import run.

    Attributes:
        entity: label, e.g. ``"products"``.
        read: source rows considered for this entity.
        imported / updated / unchanged: rows written new / changed / left as they were.
        rejected: reason → count of rows not written (or, for lines, not used).
        examples: reason → one example (``"product 26081"``) for the operator to look at.
        stored: False for entities that are only read (the sales lines).
    """

    entity: str
    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)
    stored: bool = True

    def reject(self, reason: str, count: int = 1, example: str | None = None) -> None:
        """Add ``count`` rejected rows with ``reason`` (no-op for ``count == 0``)."""
        if count <= 0:
            return
        self.rejected[reason] = self.rejected.get(reason, 0) + count
        if example is not None and reason not in self.examples:
            self.examples[reason] = example

    def add(self, counts: WriteCounts) -> None:
        """Add the counts of one :func:`~kassa.hq.masterdata.upsert_rows` call."""
        self.imported += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged

    @property
    def rejected_total(self) -> int:
        """All rejected rows, over every reason."""
        return sum(self.rejected.values())

    @property
    def used(self) -> int:
        """Rows accepted: written (new/updated/unchanged) or, for lines, used."""
        if self.stored:
            return self.imported + self.updated + self.unchanged
        return self.read - self.rejected_total

    @property
    def accounted(self) -> bool:
        """True when every row read is in exactly one bucket."""
        return self.read == self.used + self.rejected_total

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in ``import_runs.outcome``)."""
        return {
            "read": self.read,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": dict(sorted(self.rejected.items())),
            "stored": self.stored,
        }


@dataclass
class ImportReport:
    """Result of :func:`kassa.hq.importer.run_import`.

    Attributes:
        run_id: key of the ``import_runs`` row.
        source: directory the parquet files were read from.
        started_at / finished_at: aware UTC.
        version: the change version stamped on changed rows, ``None`` if nothing changed.
        entities: outcome per entity, in import order.
        customers_with_demographics: customers that carry demographics (801 in the data).
        timings_s: seconds per phase (read, prices, write …).
    """

    run_id: uuid.UUID
    source: str
    started_at: datetime
    finished_at: datetime | None = None
    version: int | None = None
    entities: dict[str, EntityOutcome] = field(default_factory=dict)
    customers_with_demographics: int = 0
    timings_s: dict[str, float] = field(default_factory=dict)

    def entity(self, name: str, *, stored: bool = True) -> EntityOutcome:
        """The outcome for ``name``, created on first use."""
        if name not in self.entities:
            self.entities[name] = EntityOutcome(name, stored=stored)
        return self.entities[name]

    def __getitem__(self, name: str) -> EntityOutcome:
        return self.entities[name]

    @property
    def changed(self) -> bool:
        """True when the run inserted or updated any master-data row."""
        return any(e.imported or e.updated for e in self.entities.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (what ``import_runs.outcome`` holds)."""
        return {
            "source": self.source,
            "version": self.version,
            "customers_with_demographics": self.customers_with_demographics,
            "entities": {name: e.to_dict() for name, e in self.entities.items()},
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }


def start_run(conn: Connection, report: ImportReport, source_name: str) -> None:
    """Insert the ``import_runs`` row of ``report`` (outcome filled by :func:`finish_run`)."""
    conn.execute(
        insert(s.import_runs).values(
            id=report.run_id, source=source_name, started_at=report.started_at
        )
    )


def finish_run(conn: Connection, report: ImportReport) -> None:
    """Store the outcome JSON and one ``import_rejections`` row per (entity, reason)."""
    conn.execute(
        update(s.import_runs)
        .where(s.import_runs.c.id == report.run_id)
        .values(
            finished_at=report.finished_at,
            outcome=json.dumps(report.to_dict(), sort_keys=True),
        )
    )
    rows = [
        {
            "run_id": report.run_id,
            "entity": name,
            "reason": reason[:_REASON_MAX],
            "count": count,
            "example": outcome.examples[reason][:_EXAMPLE_MAX]
            if reason in outcome.examples
            else None,
        }
        for name, outcome in report.entities.items()
        for reason, count in sorted(outcome.rejected.items())
    ]
    if rows:
        conn.execute(insert(s.import_rejections), rows)
