"""Shared fixtures of the browser tests (issue 6 §3): the system Chromium.

* ``browser`` — one headless ``/usr/bin/chromium`` per session, driven by Playwright for
  Python (never a downloaded browser); the tests skip with the visible reason when it is
  missing (``make test`` installs Debian's chromium first).
* ``screenshot`` — ``screenshot(page, "name")`` writes ``test-artifacts/screenshots/name.png``.

Timings and other helpers: :mod:`support.browser`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import chromium_missing, launch_chromium, save_screenshot


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless system Chromium (Playwright ``Browser``) for the whole session."""
    reason = chromium_missing()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """``screenshot(page, name, full_page=False)`` → the PNG's path under test-artifacts."""
    return save_screenshot
