"""A package's tables checked against the mirror schema and converted to database values
(DESIGN §4; package format v1, :mod:`kassa.sync.package`; used by :mod:`kassa.sync.apply`).

Wire values are msgpack primitives. Per column type they become Python values — UUID hex →
``uuid.UUID``, ISO-8601 text → aware ``datetime``, decimal text → ``Decimal``
(:func:`converter_for`) — and then database values through the dialect's bind processor
(what SQLAlchemy would apply). Columns whose values need neither (int, text, bool: almost
every column) are passed to the driver as they are, so a 92,331-product snapshot costs
one tuple per row.

Errors (:class:`kassa.domain.errors.PackageError`): ``package.unknown_table``,
``package.bad_columns`` (unknown column, missing primary key column, repeated column),
``package.bad_value`` (a value of the wrong shape, a row or key of the wrong width).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sqlalchemy import DateTime, Dialect, Numeric, Table
from sqlalchemy.types import TypeDecorator, Uuid

from kassa.db import channel_schema
from kassa.db.channel_schema import DecimalText
from kassa.domain.errors import PackageError
from kassa.sync.package import PackageContent

#: Mirror tables a package may carry, by name (same columns in channel and offline DBs).
MIRRORS: Final[dict[str, Table]] = {t.name: t for t in channel_schema.MASTER_DATA_TABLES}


@dataclass
class TablePlan:
    """One table of a package, checked and converted to database values, ready to write."""

    table: Table
    columns: list[str]
    key_positions: list[int]  # positions of the primary key columns in ``columns``
    rows: list[Sequence[Any]]
    delete_keys: list[Sequence[Any]]


# --- wire values → Python values ---------------------------------------------------------


def _base_type(column_type: Any) -> Any:
    return column_type.impl if isinstance(column_type, TypeDecorator) else column_type


def _to_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _to_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time without offset: {value!r}")
    return parsed


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        raise ValueError("a float on the wire for an exact number")
    return Decimal(str(value)) if isinstance(value, int) else Decimal(value)


def converter_for(column_type: Any) -> Callable[[Any], Any] | None:
    """The wire → Python conversion of a column type (package format v1), or None when
    the wire value is already right (int, str, bool, bytes, None)."""
    if isinstance(column_type, DecimalText):
        return _to_decimal
    base = _base_type(column_type)
    if isinstance(base, Uuid):
        return _to_uuid
    if isinstance(base, DateTime):
        return _to_datetime
    if isinstance(base, Numeric) and getattr(base, "asdecimal", False):
        return _to_decimal
    return None


def _db_value(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """wire value → database value for one column: :func:`converter_for` followed by the
    dialect's bind processor (what SQLAlchemy would apply); None when both are identity."""
    to_python = converter_for(column_type)
    to_db = column_type.dialect_impl(dialect).bind_processor(dialect)
    if to_python is None:
        return to_db
    if to_db is None:
        return to_python
    return lambda value: to_db(to_python(value))


def _convert(rows: list[list[Any]], width: int,
             special: list[tuple[int, Callable[[Any], Any]]], what: str) -> list[Sequence[Any]]:
    if any(len(row) != width for row in rows):
        raise ValueError(f"a {what} does not have {width} values")
    if not special:
        return list(map(tuple, rows))  # plain values (int, str, bool, None) go as they are
    out: list[Sequence[Any]] = []
    for row in rows:
        values = list(row)
        for i, f in special:
            if values[i] is not None:
                values[i] = f(values[i])
        out.append(tuple(values))
    return out


def _plan_table(name: str, columns: list[str], rows: list[list[Any]],
                deletes: list[list[Any]], dialect: Dialect) -> TablePlan:
    table = MIRRORS.get(name)
    if table is None:
        raise PackageError(f"the package carries an unknown table {name!r}",
                           code="package.unknown_table", details={"table": name})
    unknown = [c for c in columns if c not in table.c]
    keys = [c.name for c in table.primary_key.columns]
    missing = [k for k in keys if k not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        raise PackageError(
            f"table {name}: bad columns (unknown {unknown}, missing key {missing})",
            code="package.bad_columns", details={"table": name},
        )
    procs = [_db_value(table.c[c].type, dialect) for c in columns]
    special = [(i, f) for i, f in enumerate(procs) if f is not None]
    key_special = [(j, f) for j, k in enumerate(keys)
                   if (f := procs[columns.index(k)]) is not None]
    try:
        out_rows = _convert(rows, len(columns), special, "row")
        out_keys = _convert(deletes, len(keys), key_special, "delete key")
    except (ValueError, TypeError, InvalidOperation, AttributeError) as exc:
        raise PackageError(f"table {name}: a value cannot be read ({exc})",
                           code="package.bad_value", details={"table": name}) from exc
    return TablePlan(table, list(columns), [columns.index(k) for k in keys], out_rows,
                      out_keys)


def plan(content: PackageContent, dialect: Dialect) -> list[tuple[str, TablePlan]]:
    """Check every table of ``content`` and convert its values for ``dialect`` (see module
    docstring).

    Raises:
        PackageError: ``package.unknown_table``, ``package.bad_columns``,
            ``package.bad_value``.
    """
    return [(t.name, _plan_table(t.name, t.columns, t.rows, t.deletes, dialect))
            for t in content.tables]
