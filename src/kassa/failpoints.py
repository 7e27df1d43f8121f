"""Named failpoints: exact places where a test may make this process die (issue 8 §1).

A failpoint is one line in production code::

    failpoint("pos.upload.after_send")

It does nothing unless the process was started with the environment variable
:data:`ENV_VAR` arming that name. The variable is read **once**, when this module is
imported (process start); unarmed, a failpoint costs one dict lookup.

Syntax of ``KASSA_FAILPOINTS``: comma-separated ``name=action`` items, e.g.
``KASSA_FAILPOINTS="pos.upload.after_send=kill@3,sync.apply.before_commit=kill"``.

========================  ====================================================================
action                    effect
========================  ====================================================================
``kill``                  the 1st hit sends SIGKILL to this process itself (``os.kill(os.getpid(),
                          signal.SIGKILL)``): a crash, nothing is cleaned up, no ``finally`` runs.
``kill@N``                the N-th hit (N ≥ 1) kills; earlier hits do nothing.
========================  ====================================================================

Before killing, one line ``failpoint <name> hit <n>: SIGKILL`` is written to stderr (the
process's log), so a harness can tell the crash from any other death.

The points of Kassa (where each one sits; the fault matrix, ``tests/reliability``, uses them):

* ``pos.commit.after_offline_insert`` — register, offline commit: rows written in the offline
  DB, inside the SQLite transaction, before its COMMIT (:mod:`kassa.pos.offline_source`).
* ``pos.commit.after_offline_commit`` — register, right after that COMMIT, before answering.
* ``pos.journal.after_insert`` / ``pos.journal.after_commit`` — the same two places when the
  row is the journal copy of a transaction the store server committed online.
* ``pos.commit.after_store_answer`` — register, online commit: the store server answered
  "committed", before the journal copy in the offline DB (:mod:`kassa.pos.connection`).
* ``pos.upload.after_send`` — register, upload: a batch acknowledged by the store server,
  before it is marked uploaded (:mod:`kassa.sync.uploader`).
* ``sync.apply.before_commit`` — register or store server, package apply: every row written
  and the checkpoint set, inside the transaction, before its COMMIT (:mod:`kassa.sync.apply`).
* ``store.upload.after_insert`` — store server, upload batch inserted in the channel DB,
  inside the transaction, before its COMMIT (:mod:`kassa.store.transactions`).
* ``hq.posting.before_commit`` — HQ, P-job: a page of a store's transactions posted and
  the cursor moved, inside the transaction, before its COMMIT (:mod:`kassa.hq.posting.puller`).

Raises (at import): :class:`kassa.domain.errors.InvalidInput` ``failpoints.invalid`` for a
malformed variable — a harness typo must not silently test nothing.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from kassa.domain.errors import InvalidInput

#: The environment variable arming failpoints (read once at import).
ENV_VAR: Final = "KASSA_FAILPOINTS"


@dataclass
class Armed:
    """One armed failpoint: kill on hit number ``at`` (1-based); ``hits`` so far."""

    at: int
    hits: int = 0


def parse(text: str) -> dict[str, Armed]:
    """``"a=kill@2,b=kill"`` → ``{"a": Armed(2), "b": Armed(1)}`` (empty text: nothing armed).

    Raises:
        InvalidInput: ``failpoints.invalid`` (unknown action, N < 1, missing name).
    """
    armed: dict[str, Armed] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, action = (x.strip() for x in item.partition("="))
        kind, _, count = action.partition("@")
        if not name or not sep or kind != "kill" or (count and not count.isdigit()):
            raise InvalidInput(f"{ENV_VAR}: cannot read {item!r} (expected name=kill or "
                               "name=kill@N)", code="failpoints.invalid")
        at = int(count) if count else 1
        if at < 1:
            raise InvalidInput(f"{ENV_VAR}: {item!r}: N must be at least 1",
                               code="failpoints.invalid")
        armed[name] = Armed(at)
    return armed


def spec(points: Mapping[str, int]) -> str:
    """The variable's value arming ``{name: N}`` (kill on the N-th hit)."""
    return ",".join(f"{name}=kill@{n}" for name, n in points.items())


_ARMED: Final[dict[str, Armed]] = parse(os.environ.get(ENV_VAR, ""))
_LOCK: Final = threading.Lock()


def failpoint(name: str) -> None:
    """Pass the failpoint ``name``: nothing unless armed (module docstring); an armed one
    counts the hit and, on its N-th hit, kills this process with SIGKILL."""
    armed = _ARMED.get(name)
    if armed is None:
        return
    with _LOCK:
        armed.hits += 1
        hit = armed.hits
    if hit == armed.at:
        sys.stderr.write(f"failpoint {name} hit {hit}: SIGKILL\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def armed() -> dict[str, int]:
    """``{name: N}`` of the failpoints armed in this process (diagnostics)."""
    return {name: a.at for name, a in _ARMED.items()}
