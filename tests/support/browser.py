"""Helpers of the browser tests (issue 6 §3): the system Chromium, screenshots and page
timings written under ``test-artifacts/``.

* :func:`launch_chromium` — Playwright's Chromium API driving Debian's ``/usr/bin/chromium``
  (never a downloaded browser), headless, with :data:`CHROMIUM_ARGS`;
  :func:`chromium_missing` says why it cannot run (the tests skip with that reason).
* :func:`save_screenshot` — ``test-artifacts/screenshots/<name>.png``.
* :func:`navigation_timing` — the page's Navigation Timing in milliseconds.
* :class:`TimingLog` — samples per figure, written as ``test-artifacts/timings-<source>.json``
  in the format ``bench/ui_timings.py`` reads::

    {"source": "hq", "measured_at": ISO time, "browser": "chromium 1xx", "target_s": 0.1,
     "figures": [{"figure": str, "kassa_s": median seconds, "max_s": float,
                  "samples_s": [float, ...], "what": str}]}
"""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

#: The system Chromium (Debian package ``chromium``; ``make test`` installs it).
CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Page loads and scan round trips must stay under this (issue 6, acceptance).
TARGET_S: Final = 0.1


def artifacts_dir() -> Path:
    """``$KASSA_TEST_ARTIFACTS`` or ``<repo>/test-artifacts`` (created)."""
    root = os.environ.get("KASSA_TEST_ARTIFACTS")
    path = Path(root) if root else Path(__file__).resolve().parents[2] / "test-artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install Debian's chromium (make browser)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright for Python is not installed (pip install -e '.[test]')"
    return None


def launch_chromium(playwright: Any) -> Any:
    """A headless system Chromium through a started ``sync_playwright()``."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def save_screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Write ``test-artifacts/screenshots/<name>.png``; return its path."""
    folder = artifacts_dir() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


_NAVIGATION = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  return {ttfb_ms: n.responseStart - n.requestStart, response_end_ms: n.responseEnd - n.startTime,
          dom_content_loaded_ms: n.domContentLoadedEventEnd - n.startTime,
          load_ms: n.loadEventEnd - n.startTime, transfer_bytes: n.transferSize};
}"""


def navigation_timing(page: Any) -> dict[str, float]:
    """Navigation Timing of the page's last navigation, in ms from its start (waits until the
    load event has ended)."""
    page.wait_for_function(
        "performance.getEntriesByType('navigation')[0]?.loadEventEnd > 0", timeout=10_000
    )
    timing: dict[str, float] = page.evaluate(_NAVIGATION)
    return timing


@dataclass
class TimingLog:
    """Samples (seconds) per figure of one test source (module docstring)."""

    source: str
    browser: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)
    what: dict[str, str] = field(default_factory=dict)

    def add(self, figure: str, seconds: float, what: str = "") -> None:
        """One sample of ``figure``."""
        self.samples.setdefault(figure, []).append(seconds)
        if what:
            self.what[figure] = what

    def figures(self) -> list[dict[str, Any]]:
        """Median and maximum per figure."""
        return [
            {
                "figure": name,
                "kassa_s": round(statistics.median(values), 4),
                "max_s": round(max(values), 4),
                "samples_s": [round(v, 4) for v in values],
                "what": self.what.get(name, ""),
            }
            for name, values in self.samples.items()
        ]

    def write(self) -> Path:
        """Write ``test-artifacts/timings-<source>.json``; return its path."""
        path = artifacts_dir() / f"timings-{self.source}.json"
        payload = {
            "source": self.source,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "browser": self.browser,
            "target_s": TARGET_S,
            "figures": self.figures(),
        }
        path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        return path
