"""A small real disk for the fault matrix's "disk full on the offline DB" row (issue 8 §1).

:class:`SmallDisk` mounts a tmpfs of :data:`SIZE_MB` MB at a directory (``mount -t tmpfs``,
needs root, as in the CI container); a register whose data directory is there keeps its
offline DB on it. :meth:`SmallDisk.fill` makes the disk really full: the offline DB's WAL is
checkpointed and truncated (``PRAGMA wal_checkpoint(TRUNCATE)``, so the next write must
allocate space — a WAL that still has room would take a few more commits first), then a
filler file takes every free byte (written until ``ENOSPC``). :meth:`SmallDisk.free` deletes
the filler. :meth:`SmallDisk.close` deletes it and unmounts (lazily when busy).

When mounting is refused (not root), :attr:`SmallDisk.mounted` is False and
:attr:`SmallDisk.why` says why; the row then reports that it could not run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Final

#: Size of the small disk, MB: the offline DB with the real catalogue and its WAL fit.
SIZE_MB: Final = 160
_CHUNK: Final = 1 << 20


class SmallDisk:
    """A tmpfs at ``path`` (module docstring)."""

    def __init__(self, path: Path, size_mb: int = SIZE_MB) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.filler = path / "filler.bin"
        self.why = ""
        try:
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs",
                            str(path)], check=True, capture_output=True, text=True, timeout=30)
            self.mounted = True
        except (OSError, subprocess.SubprocessError) as exc:
            err = getattr(exc, "stderr", "") or str(exc)
            self.mounted, self.why = False, f"mount -t tmpfs refused: {err.strip()[:200]}"

    @property
    def mode(self) -> str:
        """``tmpfs <size>`` or why it is a plain directory."""
        if not self.mounted:
            return self.why
        stat = os.statvfs(self.path)
        return f"tmpfs {stat.f_blocks * stat.f_frsize // (1 << 20)} MB"

    def free_bytes(self) -> int:
        """Bytes still free on the disk."""
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize

    def seal(self) -> None:
        """Nothing to do (kept for symmetry with setup: the offline DB is synced)."""

    def fill(self, database: Path) -> int:
        """Truncate ``database``'s WAL and fill every free byte → bytes written.

        Raises:
            OSError: a write error other than ENOSPC; sqlite3.Error when the WAL cannot be
                truncated within 10 s (the register keeps a write transaction open).
        """
        deadline = time.monotonic() + 10.0
        conn = sqlite3.connect(database, timeout=10.0)
        try:
            while True:
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                if not busy:
                    break
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError("the WAL could not be truncated")
                time.sleep(0.05)
        finally:
            conn.close()
        written = 0
        block = bytes(_CHUNK)
        with open(self.filler, "ab", buffering=0) as out:
            size = _CHUNK
            while size:
                try:
                    written += out.write(block[:size])
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    size //= 2  # fill the last pages too
        return written

    def free(self) -> None:
        """Delete the filler."""
        with contextlib.suppress(FileNotFoundError):
            self.filler.unlink()

    def close(self) -> None:
        """Delete the filler and unmount (lazily when still busy). Idempotent."""
        self.free()
        if self.mounted:
            done = subprocess.run(["umount", str(self.path)], capture_output=True, check=False)
            if done.returncode != 0:
                subprocess.run(["umount", "-l", str(self.path)], capture_output=True,
                               check=False)
            self.mounted = False
