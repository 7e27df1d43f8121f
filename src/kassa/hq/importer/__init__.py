"""Importers of external data into HQ (issue 2 §4).

:func:`run_import` imports The Complete Journey (:mod:`.completejourney`); the outcome is an
:class:`ImportReport` with counted results per entity (:mod:`.report`).
"""

from kassa.hq.importer.completejourney import NoProgress, Progress, run_import
from kassa.hq.importer.report import EntityOutcome, ImportReport

__all__ = ["EntityOutcome", "ImportReport", "NoProgress", "Progress", "run_import"]
