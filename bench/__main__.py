"""Run every benchmark module in ``bench/`` and print one table (``python -m bench``).

A benchmark module is any ``bench/<name>.py`` with a function ``run() -> list[dict]``; each
dict is one figure::

    {"figure": str, "kassa_s": float, "baseline_s": float, "ratio": float,
     "target": float (a ratio) or "target_s": float (absolute seconds), "met": bool,
     ...extra keys kept in the JSON}

``ratio`` is ``kassa_s / baseline_s``; ``met`` means ``ratio <= target`` (or
``kassa_s <= target_s`` for an absolute target), as the module computed it. Results go to
``bench/results/<name>.json`` (figures, Python and platform, time). Arguments select
modules by name: ``python -m bench import_catalogue``. Exit status 1 if a target is missed.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"


def discover(selected: list[str] | None = None) -> list[str]:
    """Names of the benchmark modules in ``bench/`` (all, or those in ``selected``)."""
    names = sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))
    if selected:
        unknown = sorted(set(selected) - set(names))
        if unknown:
            raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; have {', '.join(names)}")
        names = [n for n in names if n in selected]
    return names


def run_module(name: str) -> list[dict[str, Any]]:
    """Import ``bench.<name>`` and return its figures (``[]`` if it has no ``run``)."""
    module = importlib.import_module(f"bench.{name}")
    run = getattr(module, "run", None)
    if run is None:
        return []
    figures: list[dict[str, Any]] = run()
    return figures


def write_results(name: str, figures: list[dict[str, Any]], elapsed_s: float) -> Path:
    """Write ``bench/results/<name>.json``; return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {
        "benchmark": name,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "elapsed_s": round(elapsed_s, 3),
        "figures": figures,
    }
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _seconds(value: Any) -> str:
    if not isinstance(value, int | float):
        return "—"
    if value >= 1:
        return f"{value:.3f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} µs"


def _target(fig: dict[str, Any]) -> str:
    if fig.get("target") is not None:
        return f"≤ {fig['target']:.1f}×"
    if fig.get("target_s") is not None:
        return f"≤ {fig['target_s'] * 1000:.0f} ms"
    return "—"


def main(argv: list[str]) -> int:
    """Run the selected benchmarks, print the table, write JSON; 1 if a target is missed."""
    console = Console()
    table = Table(title="Kassa benchmarks (median of runs; ratio = Kassa / baseline)")
    for column in ("figure", "Kassa", "baseline", "ratio", "target", "met"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    all_met = True
    for name in discover(argv or None):
        console.print(f"[bold]running[/] bench.{name} …")
        started = time.perf_counter()
        figures = run_module(name)
        path = write_results(name, figures, time.perf_counter() - started)
        for fig in figures:
            met = bool(fig.get("met"))
            all_met &= met
            table.add_row(
                str(fig["figure"]),
                _seconds(fig.get("kassa_s")),
                _seconds(fig.get("baseline_s")),
                f"{fig['ratio']:.2f}×" if fig.get("ratio") is not None else "—",
                _target(fig),
                "[green]yes[/]" if met else "[red]no[/]",
            )
        console.print(f"  results: {path}")
    console.print(table)
    return 0 if all_met else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
