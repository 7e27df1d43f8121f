"""Import The Complete Journey into HQ: catalogue, prices, customers, stores (issue 2 §4).

``run_import(engine)`` reads the three parquet files (:mod:`.source`), derives every row
(:mod:`.catalogue`, :mod:`.pricing`, :mod:`.chain`) and writes all of it in **one** HQ
transaction with **one** change version (:mod:`kassa.hq.masterdata`): either everything is
imported or nothing is. Rows that are already as the import would write them are left
alone, so a second run over the same data changes no row and takes no version.

The outcome — per entity read / new / updated / unchanged / rejected by reason — is returned
as an :class:`~.report.ImportReport` and stored in ``import_runs`` / ``import_rejections``
in the same transaction. Long phases report to a :class:`Progress` (the CLI draws bars).

Figures on the published data (92,331 products, 1,469,307 sales lines): 92,331 products,
68,165 priced, 2,469 customers (801 with demographics), 457 stores.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Protocol

import pyarrow as pa
from sqlalchemy import Connection, Engine, Table

from kassa.db import hq_schema as s
from kassa.domain.clock import Clock, SystemClock
from kassa.domain.errors import InvalidInput
from kassa.domain.ids import new_id
from kassa.hq.importer import catalogue, chain, pricing
from kassa.hq.importer.report import ImportReport, finish_run, start_run
from kassa.hq.importer.source import read_source
from kassa.hq.masterdata import RowSet, VersionStamp, upsert_rows

SOURCE_NAME: Final = "completejourney"
#: Entities of the report, in the order the outcome table shows them.
ENTITY_ORDER: Final = (
    "products",
    "prices",
    "sales lines",
    "customers",
    "demographics",
    "stores",
    "data groups",
    "registers",
    "offline profiles",
    "operators",
    "tax groups",
    "tender types",
    "commerce parameters",
)


class Progress(Protocol):
    """Receives the import's phases (for progress bars); all calls are cheap."""

    def phase(self, name: str, total: int | None) -> None:
        """A new phase starts; ``total`` units of work, ``None`` when unknown."""

    def advance(self, units: int) -> None:
        """``units`` more units of the current phase are done."""


class NoProgress:
    """A :class:`Progress` that shows nothing."""

    def phase(self, name: str, total: int | None) -> None:
        return None

    def advance(self, units: int) -> None:
        return None


class _Run:
    """State of one import run: report, progress, phase timings."""

    def __init__(self, report: ImportReport, progress: Progress) -> None:
        self.report = report
        self.progress = progress

    @contextmanager
    def phase(self, name: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        self.progress.phase(name, total)
        started = time.perf_counter()
        try:
            yield self.progress.advance
        finally:
            self.report.timings_s[name] = time.perf_counter() - started

    def write(
        self,
        conn: Connection,
        stamp: VersionStamp,
        entity: str,
        table: Table,
        rows: RowSet | list[dict[str, Any]],
        *,
        seed: bool = False,
        read: bool = True,
    ) -> None:
        """Upsert ``rows`` into ``table`` and count them into ``entity``'s outcome."""
        outcome = self.report.entity(entity)
        if read:
            outcome.read += len(rows)
        with self.phase(f"write {entity}", len(rows)) as advance:
            outcome.add(upsert_rows(conn, table, rows, stamp, seed=seed, on_batch=advance))


def run_import(
    engine: Engine,
    *,
    source: Path | None = None,
    registers_per_store: int = 4,
    operator_password: str = chain.DEMO_PASSWORD,
    clock: Clock | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import The Complete Journey from ``source`` (default: the installed package).

    Args:
        engine: HQ database, already at the current schema (``prepare_database(url, "hq")``).
        source: directory with ``products.parquet``, ``transactions.parquet`` and
            ``demographics.parquet``.
        registers_per_store: registers created per store (1..99), only where missing.
        operator_password: password of the demo operators (≥ 4 characters).
        clock: source of ``started_at`` / ``finished_at`` (UTC).
        progress: receives phases and advances.

    Returns:
        the :class:`ImportReport` (also stored in ``import_runs``).

    Raises:
        DataFileError: a file is missing or malformed; nothing is written.
        InvalidInput: bad ``registers_per_store`` or ``operator_password``; nothing is written.
    """
    if not 1 <= registers_per_store <= chain.MAX_REGISTERS_PER_STORE:
        raise InvalidInput(
            f"registers per store must be 1..{chain.MAX_REGISTERS_PER_STORE}, "
            f"got {registers_per_store}",
            code="import.registers_per_store",
        )
    if len(operator_password) < 4:
        raise InvalidInput(
            "the operator password needs at least 4 characters", code="password.invalid"
        )
    clock = clock or SystemClock()
    run = _Run(
        ImportReport(run_id=new_id(), source="", started_at=clock.now()),
        progress or NoProgress(),
    )
    report = run.report
    for name in ENTITY_ORDER:  # fixes the order of the report's table
        report.entity(name, stored=name not in ("sales lines", "demographics"))
    with chain.OperatorPasswords(engine, operator_password) as passwords:
        with run.phase("read files"):
            tables = read_source(source)
        report.source = str(tables.directory)
        with run.phase("derive rows"):
            products, accepted = catalogue.product_rows(tables.products, report.entity("products"))
            customers = catalogue.customer_rows(
                tables.transactions,
                tables.demographics,
                report.entity("customers"),
                report.entity("demographics"),
            )
            stores = catalogue.store_ids(tables.transactions, report.entity("stores"))
        # Not overlapped with the writes: sqlite3 hands the GIL back and forth per row and a
        # pricing thread made the product writes 4x slower (measured).
        with run.phase("compute prices"):
            prices = _prices(run, pricing.compute_prices(tables.transactions, accepted), accepted)
        with engine.begin() as conn:
            start_run(conn, report, SOURCE_NAME)
            stamp = VersionStamp(conn)
            run.write(conn, stamp, "tax groups", s.tax_groups, chain.tax_group_rows())
            run.write(conn, stamp, "products", s.products, products, read=False)
            run.write(conn, stamp, "prices", s.prices, prices, read=False)
            run.write(conn, stamp, "customers", s.customers, customers, read=False)
            _write_chain(run, conn, stamp, stores, registers_per_store, passwords)
            report.version = stamp.value if stamp.taken else None
            report.customers_with_demographics = report.entity("demographics").used
            report.finished_at = clock.now()
            finish_run(conn, report)
    return report


def _prices(run: _Run, result: pricing.PriceResult, accepted: pa.Table) -> RowSet:
    """Price rows for the accepted products; counts lines and "no price" products."""
    run.report.entities["sales lines"] = result.lines
    outcome = run.report.entity("prices")
    outcome.read += accepted.num_rows
    for product, reason in result.no_price.items():
        outcome.reject(reason, 1, None if reason in outcome.examples else f"product {product}")
    return RowSet(("product_id", "price_cents"), result.prices)


def _write_chain(
    run: _Run,
    conn: Connection,
    stamp: VersionStamp,
    stores: list[int],
    per_store: int,
    passwords: chain.OperatorPasswords,
) -> None:
    groups = chain.data_group_rows(conn, stores)
    run.write(conn, stamp, "data groups", s.data_groups, groups)
    profile = chain.offline_profile_row(conn)
    run.write(conn, stamp, "offline profiles", s.offline_profiles, [profile], seed=True)
    store_rows = chain.store_rows(conn, stores, groups, profile["id"])
    run.write(conn, stamp, "stores", s.stores, store_rows, read=False)
    registers = chain.register_rows(conn, stores, per_store)
    run.write(conn, stamp, "registers", s.registers, registers, seed=True)
    with run.phase("hash operator passwords"):
        operators = passwords.rows(conn)
    run.write(conn, stamp, "operators", s.operators, operators)
    run.write(conn, stamp, "tender types", s.tender_types, chain.tender_type_rows())
    run.write(
        conn,
        stamp,
        "commerce parameters",
        s.commerce_parameters,
        chain.commerce_parameter_rows(),
        seed=True,
    )
