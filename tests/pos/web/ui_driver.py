"""Driving the register UI in Playwright like a cashier (keyboard first), for the browser
tests of :mod:`tests/browser/test_register_ui.py`: sign in, scan, pay, read the receipt view,
and in-page timing of scans (``performance.now()``)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pos.web.real_register import CASHIER, PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect
#: Bound of waits that include a switch to offline (1.5 s deadline) or a probe.
SLOW_MS = 15_000


def money(cents: int) -> str:
    """As the screen shows it: ``$1,234.50``, ``-$3.49``."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def sign_in(page: Any, operator: str = CASHIER) -> None:
    """Open the register, land on the sign-in page, sign in by keyboard."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_label("Operator id")).to_be_focused()
    page.keyboard.type(operator)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#h-operator")).to_contain_text(f"({operator})", timeout=SLOW_MS)
    expect(page.locator("#scan")).to_be_focused()


def scan(page: Any, code: str) -> None:
    """What a scanner does: the digits, then Enter, into the focused scan field."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def lines(page: Any) -> Any:
    return page.locator("#line-rows tr.line")


def pay(page: Any, key: str, amount: str | None = None) -> None:
    """Open a tender dialog with ``key``, type an amount (else the due), press Enter."""
    page.keyboard.press(key)
    expect(page.locator("#tender-dialog")).to_be_visible()
    if amount is not None:
        page.keyboard.type(amount)  # the prefilled due is selected: typing replaces it
    page.keyboard.press("Enter")
    expect(page.locator("#tender-dialog")).to_be_hidden(timeout=SLOW_MS)


def receipt_where(page: Any) -> Any:
    """The receipt view's "where" line, once the sale is finished (the view shows)."""
    expect(page.locator("#receipt-view")).to_be_visible(timeout=SLOW_MS)
    return page.locator("#receipt-where")


def watch_scans(page: Any) -> None:
    """Stamp Enter in the scan field (t0) and the next new line row (t1) in the page."""
    page.evaluate("""() => {
      const rows = () => document.querySelectorAll('#line-rows tr.line').length;
      window.__scan = {t0: 0, t1: 0, n: rows()};
      document.getElementById('scan').addEventListener('keydown', (e) => {
        if (e.key === 'Enter') { window.__scan = {t0: performance.now(), t1: 0, n: rows()}; }
      }, {capture: true});
      new MutationObserver(() => {
        const s = window.__scan;
        if (s.t0 && !s.t1 && rows() > s.n) { s.t1 = performance.now(); }
      }).observe(document.getElementById('line-rows'), {childList: true});
    }""")
