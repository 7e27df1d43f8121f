"""Terminal output of the CLI: error lines, progress bars, result tables (rich).

Errors go to stderr as one red line (``error: <message>``) — never a traceback for a
:class:`~kassa.domain.errors.KassaError`. Progress bars go to stderr too, so stdout holds
only results (tables) and can be piped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

if TYPE_CHECKING:
    from kassa.hq.importer import ImportReport
    from kassa.hq.summary import HQSummary

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def error_line(message: str, code: str | None = None) -> None:
    """Print ``error: <message> [code]`` in red on stderr, on one line."""
    text = " ".join(message.split())  # one line, whatever the message holds
    suffix = f" [dim]({escape(code)})[/]" if code else ""
    err.print(f"[bold red]error:[/] [red]{escape(text)}[/]{suffix}")


class RichProgress:
    """A :class:`kassa.hq.importer.Progress` drawing one bar per phase on stderr."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or err,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:  # a failed phase keeps its partial bar
            self._finish_task()
        self._progress.stop()

    def _finish_task(self) -> None:
        if self._task is not None:
            task = self._progress.tasks[-1]
            total = task.total if task.total is not None else 1
            self._progress.update(self._task, total=total, completed=total)
            self._task = None

    def phase(self, name: str, total: int | None) -> None:
        """Close the previous bar and start one for ``name`` (``total`` units or unknown)."""
        self._finish_task()
        self._task = self._progress.add_task(name, total=total)

    def advance(self, units: int) -> None:
        """Advance the current bar."""
        if self._task is not None:
            self._progress.advance(self._task, units)


def _n(value: int) -> str:
    return f"{value:,}"


def import_table(report: ImportReport) -> Table:
    """Per entity: rows read, used (written or, for sales lines, used for prices), new,
    updated, unchanged, rejected."""
    table = Table(title=f"Import of {escape(report.source)}", title_justify="left", box=box.SIMPLE)
    table.add_column("entity")
    for name in ("read", "used", "new", "updated", "unchanged", "rejected"):
        table.add_column(name, justify="right")
    for o in report.entities.values():
        written = (_n(o.imported), _n(o.updated), _n(o.unchanged)) if o.stored else ("—",) * 3
        rejected = _n(o.rejected_total) if o.rejected else "0"
        table.add_row(o.entity, _n(o.read), _n(o.used), *written, rejected)
    return table


def rejections_table(report: ImportReport) -> Table | None:
    """Every rejection reason with its count and one example; ``None`` when there is none."""
    rows = [
        (o.entity, reason, count, o.examples.get(reason, ""))
        for o in report.entities.values()
        for reason, count in sorted(o.rejected.items(), key=lambda item: -item[1])
    ]
    if not rows:
        return None
    table = Table(title="Rejected (not imported / not used)", title_justify="left", box=box.SIMPLE)
    for name, justify in (
        ("entity", "left"),
        ("reason", "left"),
        ("rows", "right"),
        ("example", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for entity, reason, count, example in rows:
        table.add_row(entity, escape(reason), _n(count), escape(example))
    return table


def import_footer(report: ImportReport) -> str:
    """One line under the table: the version taken (or that nothing changed) and timing."""
    seconds = 0.0
    if report.finished_at is not None:
        seconds = (report.finished_at - report.started_at).total_seconds()
    what = (
        f"change version {report.version}"
        if report.version is not None
        else "nothing changed (no new version)"
    )
    return f"{what}; {seconds:.1f} s; run {report.run_id}"


def summary_table(summary: HQSummary, where: str) -> Table:
    """Counts of :class:`~kassa.hq.summary.HQSummary` as a two-column table."""
    table = Table(title=f"HQ at {escape(where)}", title_justify="left", box=box.SIMPLE)
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = (
        ("products", summary.products),
        ("priced products", summary.priced_products),
        ("customers", summary.customers),
        ("  with demographics", summary.customers_with_demographics),
        ("stores", summary.stores),
        ("registers", summary.registers),
        ("  with support offline", summary.registers_offline),
        ("operators", summary.operators),
        ("data groups", summary.data_groups),
        ("change version", summary.change_version),
    )
    for label, value in rows:
        table.add_row(label, _n(value))
    return table
