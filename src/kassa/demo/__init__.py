"""``kassa demo``: HQ, store servers and registers as real processes on loopback, the real
baskets of The Complete Journey replayed through the registers' HTTP APIs while faults are
injected, and a report reconciled to the cent from HQ's posted data (issue 7).

Modules: :mod:`.run` (the sequence), :mod:`.orchestrator` (processes), :mod:`.provisioning`
(catalogue, settings, tokens, activation), :mod:`.store_run` (one store end to end),
:mod:`.chain` (``--all-stores``), :mod:`.dataset` (baskets and the line arithmetic),
:mod:`.replay` and :mod:`.register_api` (the cashier's calls), :mod:`.outcomes`,
:mod:`.faults`, :mod:`.progress`, :mod:`.report`.
"""

from pathlib import Path
from typing import Final

#: The store the demo replays by default: the one with the most baskets (4,194).
DEFAULT_STORE: Final = 367
#: The demo's own directory (wiped at the start when it holds an earlier demo).
DEFAULT_DATA_DIR: Final = Path("kassa-data/demo")
