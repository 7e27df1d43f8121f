"""``kassa demo`` — a real year of sales through real processes, with outages, reconciled
to the cent (issue 7; what ``make demo`` runs). The work is in :mod:`kassa.demo.run`.

Options::

    kassa demo [--store 367] [--registers 4] [--baskets N] [--all-stores]
               [--parallel-stores 2] [--max-stores N] [--database-url URL]
               [--keep-running] [--no-faults]
               [--gift-card-percent 2] [--data-dir ./kassa-data/demo]

The demo's data directory (default ``./kassa-data/demo``; ``--data-dir`` before or after
``demo``) is wiped at the start when it holds an earlier demo, so the demo reruns on a fresh
clone and on an old one alike. Exit codes: 0 reconciled, 1 the report does not reconcile,
2 an error (bad option, a process that does not start, an unusable database).
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from kassa.demo import DEFAULT_DATA_DIR, DEFAULT_STORE

#: Exit code when the report does not reconcile.
EXIT_NOT_RECONCILED = 1


def _sigterm_as_interrupt() -> None:
    """Let SIGTERM stop the demo like Ctrl-C (processes are stopped on the way out)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def demo(
    ctx: typer.Context,
    store: Annotated[int, typer.Option(
        "--store", min=0, help="store whose baskets are replayed (367 has the most)")
    ] = DEFAULT_STORE,
    registers: Annotated[int, typer.Option(
        "--registers", min=1, max=99, help="registers per store (Support offline on)")] = 4,
    baskets: Annotated[int | None, typer.Option(
        "--baskets", min=1, help="replay only the first N baskets (default all)")] = None,
    all_stores: Annotated[bool, typer.Option(
        "--all-stores", help="replay all 155,848 baskets of the 457 stores")] = False,
    parallel_stores: Annotated[int, typer.Option(
        "--parallel-stores", min=1, max=16, help="with --all-stores: stores run at once")
    ] = 2,
    max_stores: Annotated[int | None, typer.Option(
        "--max-stores", min=1, help="with --all-stores: only the N busiest stores (a sample)")
    ] = None,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="PostgreSQL server URL for HQ and the store servers (fresh "
        "databases kassa_demo_hq, kassa_demo_store_<id> are created); default SQLite")] = None,
    keep_running: Annotated[bool, typer.Option(
        "--keep-running", help="leave HQ, store server and cashier UIs running (URLs "
        "printed) until Ctrl-C")] = False,
    no_faults: Annotated[bool, typer.Option(
        "--no-faults", help="replay without injecting faults")] = False,
    gift_card_percent: Annotated[float, typer.Option(
        "--gift-card-percent", min=0, max=100, help="share of baskets paid with a gift card")
    ] = 2.0,
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help=f"the demo's directory, wiped first (default {DEFAULT_DATA_DIR})")
    ] = None,
) -> None:
    """Run the demo: HQ, a store server and registers as processes on loopback; the real
    baskets of a store replayed through the registers' APIs with outages; a report
    reconciled to the cent against the dataset (exit 1 when it does not reconcile)."""
    from kassa.demo.faults import FaultPlan  # the demo's modules load only when it runs
    from kassa.demo.run import DemoOptions, run_demo

    root = ctx.find_root().obj
    chosen = data_dir or getattr(root, "data_dir", None)
    directory = (chosen / "demo" if data_dir is None and isinstance(chosen, Path)
                 else chosen or DEFAULT_DATA_DIR)
    options = DemoOptions(
        store=store, registers=registers, baskets=baskets, all_stores=all_stores,
        database_url=database_url, keep_running=keep_running,
        faults=None if no_faults else FaultPlan(), data_dir=Path(directory),
        gift_percent=gift_card_percent, parallel_stores=parallel_stores,
        store_limit=max_stores)
    _sigterm_as_interrupt()
    try:
        report = run_demo(options)
    except KeyboardInterrupt:
        typer.echo("demo interrupted; every process was stopped", err=True)
        raise typer.Exit(130) from None
    if not report.ok:
        raise typer.Exit(EXIT_NOT_RECONCILED)
