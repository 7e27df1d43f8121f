"""A finished transaction record as rows of the offline DB (DESIGN §5).

The offline DB's ``transactions``, ``transaction_lines`` and ``transaction_tenders`` have the
channel DB's columns (``kassa.db.offline_schema``), so the rows are made by the same function
the store server uses for the channel DB (:func:`kassa.store.transactions.rows_of`): the full
format-1 record as canonical JSON in ``transactions.record``, normalised columns derived
from it. Money is integer cents, quantities ``Decimal``, times aware UTC.
"""

from __future__ import annotations

import json
from typing import Any

from kassa.domain.errors import InvalidInput
from kassa.domain.transaction import Transaction, TransactionMode, TransactionStatus
from kassa.store.transactions import rows_of

__all__ = ["committed_in", "committed_offline", "finished_transaction", "record_json", "rows_of"]


def record_json(record: dict[str, Any]) -> str:
    """Canonical JSON text of a record (sorted keys, no spaces)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def committed_in(record: dict[str, Any], mode: TransactionMode) -> dict[str, Any]:
    """``record`` as the register commits it: ``mode`` = the mode it is *committed* in
    (``"online"`` to the store server, ``"offline"`` to the offline DB).

    HQ counts online and offline sales by the record's ``mode`` (DESIGN §3.6, §5): a sale
    that started online and was committed offline after a switch is an offline sale (and
    one started offline and committed after operation 917 Connect an online one). The
    domain sets ``mode`` at the start of a transaction, so the register sets the committed
    mode here, on the record (a new dict; ``record`` itself when it already says so).
    """
    if record.get("mode") == mode.value:
        return record
    return {**record, "mode": mode.value}


def committed_offline(record: dict[str, Any]) -> dict[str, Any]:
    """:func:`committed_in` the offline DB."""
    return committed_in(record, TransactionMode.OFFLINE)


def finished_transaction(record: object) -> Transaction:
    """Parse and check a finished (completed or voided) record.

    Raises:
        InvalidInput: ``record.*`` codes of :meth:`Transaction.from_record`, or
            ``transaction.not_finished`` for an open transaction.
    """
    if not isinstance(record, dict):
        raise InvalidInput("a transaction record must be an object", code="record.format")
    txn = Transaction.from_record(record)
    if txn.status is TransactionStatus.OPEN:
        raise InvalidInput(f"transaction {txn.id} is still open; only finished transactions "
                           "are committed", code="transaction.not_finished")
    return txn
