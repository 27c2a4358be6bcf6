"""SQLite statements run in the event loop's thread; only what may wait goes to the driver's thread.

aiosqlite runs every call on its connection in a worker thread: creating a cursor, executing,
fetching, closing the cursor, each one a hop there and back (a queue, a wake-up of the loop
through its pipe). An action's transaction made about thirty of them, and the hops cost about a
third of the server's time per action. Yet a statement of OneWindow's takes microseconds: in WAL
mode a reader never waits for the writer, and a write transaction has taken the write lock at its
``BEGIN IMMEDIATE``. What may wait is ``BEGIN`` (another process's write lock, up to the busy
timeout), ``COMMIT`` (the ``fsync`` that makes a ticket survive a power cut, and the WAL
checkpoint that follows some commits), ``PRAGMA`` statements and closing: those still go to the
worker thread, so one transaction now costs two hops, not one per call. Anything this module does
not know stays on the worker thread too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite

ITER_CHUNK_SIZE = 64
"""Rows a cursor's iteration fetches at once (aiosqlite's default)."""

_QUICK_CURSOR_CALLS = frozenset({"execute", "executemany", "fetchone", "fetchmany", "fetchall", "close"})
_WAITING_SQL = ("BEGIN", "COMMIT", "END", "PRAGMA", "VACUUM", "ATTACH", "DETACH", "SAVEPOINT", "RELEASE")
"""Statements that may wait (a lock, a sync to disk) or that this module does not time: the worker thread's.
Savepoints are quick, but a ``RELEASE`` of the outermost one commits."""


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs quick calls at once, in the calling (event loop) thread.

    The sqlite3 connection is opened with ``check_same_thread=False``: it is used by the loop's
    thread and the worker thread in turn, never by both at once (each call is awaited before the
    next, and the engine's pool gives a connection to one task at a time).
    """

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._running and self._connection is not None and _quick(self._connection, fn, args):
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]


def _quick(connection: sqlite3.Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    """Whether ``fn(*args)`` cannot wait for a lock or the disk, so it may run in the loop's thread."""
    owner = getattr(fn, "__self__", None)
    name = getattr(fn, "__name__", "")
    if isinstance(owner, sqlite3.Cursor):
        if name not in _QUICK_CURSOR_CALLS:
            return False
        if name in ("execute", "executemany"):
            sql = args[0] if args and isinstance(args[0], str) else ""
            return not sql.lstrip().upper().startswith(_WAITING_SQL)
        return True
    if owner is connection:
        if name == "cursor":
            return True
        if name in ("commit", "rollback"):  # nothing to do outside a transaction (a pool's reset)
            return not connection.in_transaction
    return False


def connector(path: str | Path) -> Callable[[], aiosqlite.Connection]:
    """The ``async_creator`` of an engine on the SQLite file at ``path``: connections of this module."""

    def connect() -> aiosqlite.Connection:
        connection = InlineConnection(partial(sqlite3.connect, str(path), check_same_thread=False), ITER_CHUNK_SIZE)
        connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
        return connection

    return connect
