"""Browser timings of the web UIs against the 100 ms target (issue 6, acceptance: "page loads
and each scan's round trip in the browser stay under 100 ms on loopback, measured in the
browser tests' timing output, reported in bench/").

Nothing is measured here: the browser tests (``tests/browser``, real headless Chromium,
loopback, the real catalogue imported) write ``test-artifacts/timings-<source>.json``
(format: :mod:`tests/support/browser.py` ``TimingLog``); this module reads every such file
and reports one figure per measured thing:

``figure``       e.g. ``HQ page load /stores`` (source ``hq``)
``kassa_s``      median seconds over the test's samples
``baseline_s``   None — there is no baseline to compare with, only the target
``ratio``        None
``target_s``     0.1 (seconds, the issue's bound, from the file's ``target_s``)
``met``          ``kassa_s <= target``; ``max_s`` and the samples stay in the JSON

Run the browser tests first (``make test`` or ``pytest tests/browser``); without timing
files the module reports nothing and says so on stderr. ``$KASSA_TEST_ARTIFACTS`` overrides
the folder (as in the tests).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

#: The issue's bound for a page load or a scan round trip, seconds.
TARGET_S = 0.1


def artifacts_dir() -> Path:
    """Where the browser tests write their timings."""
    root = os.environ.get("KASSA_TEST_ARTIFACTS")
    return Path(root) if root else Path(__file__).resolve().parent.parent / "test-artifacts"


def figures_of(path: Path) -> list[dict[str, Any]]:
    """The figures of one ``timings-<source>.json`` file (bench contract).

    Raises:
        ValueError: the file is not a timings file.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("figures"), list):
        raise ValueError(f"{path} is not a timings file (no 'figures' list)")
    target = float(data.get("target_s") or TARGET_S)
    out = []
    for fig in data["figures"]:
        kassa_s = float(fig["kassa_s"])
        out.append({
            "figure": str(fig["figure"]),
            "kassa_s": kassa_s,
            "baseline_s": None,
            "ratio": None,
            "target": None,
            "target_s": target,
            "met": kassa_s <= target,
            "max_s": fig.get("max_s"),
            "samples": len(fig.get("samples_s") or []),
            "what": fig.get("what", ""),
            "source": data.get("source", path.stem.removeprefix("timings-")),
            "measured_at": data.get("measured_at"),
            "browser": data.get("browser"),
        })
    return out


def run() -> list[dict[str, Any]]:
    """Every figure of every ``timings-*.json`` under :func:`artifacts_dir`."""
    files = sorted(artifacts_dir().glob("timings-*.json"))
    if not files:
        print(f"ui_timings: no timings-*.json in {artifacts_dir()}; run the browser tests "
              "first (pytest tests/browser)", file=sys.stderr)
        return []
    figures: list[dict[str, Any]] = []
    for path in files:
        try:
            figures.extend(figures_of(path))
        except (ValueError, KeyError, TypeError) as exc:
            print(f"ui_timings: skipped {path.name}: {exc}", file=sys.stderr)
    return figures


if __name__ == "__main__":
    for fig in run():
        mark = "met" if fig["met"] else "MISSED"
        print(f"{fig['figure']:45} {fig['kassa_s'] * 1000:7.1f} ms (max {fig['max_s'] * 1000:.1f})"
              f"  target {fig['target_s'] * 1000:.0f} ms  {mark}")
