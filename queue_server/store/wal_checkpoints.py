"""SQLite's WAL checkpoints, out of the commits' way.

In WAL mode a commit appends to the ``-wal`` file; a checkpoint copies those pages into the
database file and syncs it. By default SQLite runs one inside the commit that takes the WAL past
1,000 pages: that commit (and with it a call's answer, and every action waiting for the write
turn behind it) waited for a few megabytes to be written and synced, a stall every few seconds in
a busy hall. A server's database (``Database(..., background_checkpoints=True)``) turns that off
and runs :meth:`Checkpointer.passive` from a task instead (queue_server.app.checkpoints), in a
worker thread on a connection of its own: a ``PASSIVE`` checkpoint takes no lock that a reader or
a writer waits for, so commits go on meanwhile; the task's last step makes sure the WAL is copied
whole now and then, so the next commit starts it again from its beginning and the file stays small.

Durability is unchanged: a committed transaction is synced in the WAL before the answer, and a
crash before its checkpoint leaves it there, where the next open finds it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass

from queue_server.store.errors import StoreError


class CheckpointFailed(StoreError):
    """SQLite refused or failed a checkpoint (the file gone, the disk full); the message says why."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What one checkpoint did: ``wal_frames`` in the WAL, ``copied`` of them now in the database
    file, ``busy`` when another checkpoint ran at the same time; ``seconds`` it took."""

    busy: bool
    wal_frames: int
    copied: int
    seconds: float


class Checkpointer:
    """A connection of its own to the SQLite file at ``path`` (None: not SQLite) for checkpoints,
    opened at the first one; used by one thread at a time."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def passive(self) -> Checkpoint:
        """Copy what the WAL holds into the database file without waiting for any reader or writer,
        and sync it (blocking: run it in a worker thread)."""
        if self.path is None:
            raise RuntimeError("Cannot checkpoint a WAL: the database is not SQLite")
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                    self._connection.execute("PRAGMA synchronous=FULL")  # the database file synced after the copy
                started = time.perf_counter()
                busy, frames, copied = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error as error:
                raise CheckpointFailed(f"Cannot checkpoint the WAL of {self.path}: {error}") from error
            return Checkpoint(bool(busy), max(0, int(frames)), max(0, int(copied)), time.perf_counter() - started)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
