"""Reading a transaction record: ``Transaction.from_record`` + ``totals`` of a 10-line basket
vs ``json.loads`` of the same record (the raw cost of reading it).

Input (untimed): real-looking finished baskets of exactly ``LINES`` lines, built through the
domain aggregate by ``tests/support/posting_baskets.py`` (weighed goods, loyalty discounts,
overrides, voided lines, returns, both tax groups, cash with change or card), each sent
through JSON (``json.dumps``) as registers, the store server and HQ receive it.

Kassa (timed, per basket): ``Transaction.from_record(json.loads(text))`` already parsed —
every rule of the domain checked again (ids, times, quantities, money, each line's
``gross/net/tax_cents`` and the record's ``totals``) — then ``.totals``.
Baseline (timed, per basket): ``json.loads(text)`` of the same record.

Both are timed basket by basket, alternately, ``RUNS`` times over all baskets; the figures
are the medians of all samples. Target: ratio <= 5.0. On the machine of the figures in
``results/`` the JSON of a 10-line record parses in about 20 µs, so 5 × is the 0.1 ms the
register, the store server and HQ can afford per basket (≤ 10 µs per line: HQ posts 10,000
baskets with ~1 s of domain checks, well within the demo's 500 baskets/s end to end).
Extra keys: ``to_record_s`` (median ``to_record()`` per basket, what a register and the
store server pay to write it), ``per_line_s``, the 90th percentiles and the counts.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from kassa.domain.transaction import Transaction

LINES = 10
BASKETS = 200
RUNS = 7
TARGET = 5.0
SEED = 2017


def ten_line_records() -> list[str]:
    """``BASKETS`` records of exactly ``LINES`` lines, as JSON text (module docstring)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from support.posting_baskets import random_records

    texts: list[str] = []
    seed = SEED
    while len(texts) < BASKETS:
        for record in random_records(1000, seed=seed):
            if len(record["lines"]) == LINES and len(texts) < BASKETS:
                texts.append(json.dumps(record))
        seed += 1
    return texts


def _read(record: dict[str, Any]) -> Transaction:
    txn = Transaction.from_record(record)
    txn.totals  # noqa: B018 - part of what is measured
    return txn


def _samples(texts: list[str]) -> tuple[list[float], list[float], list[float]]:
    """Per-basket seconds of (kassa, baseline, to_record) over ``RUNS`` alternating runs."""
    kassa: list[float] = []
    baseline: list[float] = []
    writing: list[float] = []
    clock = time.perf_counter
    for _ in range(RUNS):
        records = [json.loads(text) for text in texts]  # fresh dicts, untimed
        for record in records:
            started = clock()
            txn = _read(record)
            kassa.append(clock() - started)
            started = clock()
            txn.to_record()
            writing.append(clock() - started)
        for text in texts:
            started = clock()
            json.loads(text)
            baseline.append(clock() - started)
    return kassa, baseline, writing


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def run() -> list[dict[str, Any]]:
    """Measure ``from_record`` + ``totals`` against ``json.loads`` (module docstring)."""
    texts = ten_line_records()
    for text in texts[:20]:  # the round trip is exact (the figure measures correct work)
        record = json.loads(text)
        assert _read(record).to_record() == record
    _samples(texts[:20])  # warm-up
    kassa, baseline, writing = _samples(texts)
    kassa_s = statistics.median(kassa)
    baseline_s = statistics.median(baseline)
    ratio = kassa_s / baseline_s
    return [{
        "figure": f"transaction from_record+totals ({LINES} lines)",
        "kassa_s": round(kassa_s, 7),
        "baseline_s": round(baseline_s, 7),
        "ratio": round(ratio, 2),
        "target": TARGET,
        "met": ratio <= TARGET,
        "per_line_s": round(kassa_s / LINES, 8),
        "kassa_p90_s": round(_p90(kassa), 7),
        "baseline_p90_s": round(_p90(baseline), 7),
        "to_record_s": round(statistics.median(writing), 7),
        "baskets": len(texts),
        "lines": LINES,
        "runs": RUNS,
    }]


if __name__ == "__main__":
    for figure in run():
        print(json.dumps(figure, indent=2))
