"""The fault matrix's table in pytest's terminal summary (shown with or without ``-s``).

A test appends rich renderables to :data:`SUMMARY`; :func:`pytest_terminal_summary` writes
them at the end of the run.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

#: Renderables (rich tables, text) to show at the end of the run.
SUMMARY: list[Any] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not SUMMARY:
        return
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=terminalreporter.hasmarkup)
    for item in SUMMARY:
        console.print(item)
    terminalreporter.section("fault matrix")
    terminalreporter.write(out.getvalue())


@pytest.fixture
def fault_matrix_summary() -> list[Any]:
    """The list whose renderables the terminal summary shows."""
    return SUMMARY
