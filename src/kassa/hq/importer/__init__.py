"""Importers of external data into HQ (issue 2 §4).

:func:`run_import` imports The Complete Journey (:mod:`.completejourney`); the outcome is an
:class:`ImportReport` with counted results per entity (:mod:`.report`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kassa.hq.importer.completejourney import NoProgress, Progress, run_import
    from kassa.hq.importer.report import EntityOutcome, ImportReport

#: Where each name lives: loaded on first use (PEP 562), so that a process that only needs
#: :mod:`.chain` (every ``kassa`` command reads its defaults) does not load pyarrow.
_HOMES = {"NoProgress": "completejourney", "Progress": "completejourney",
          "run_import": "completejourney", "EntityOutcome": "report", "ImportReport": "report"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


__all__ = ["EntityOutcome", "ImportReport", "NoProgress", "Progress", "run_import"]
