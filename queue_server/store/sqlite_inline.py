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

A ``BEGIN`` waits only when another connection holds the write lock. So it is first tried in the
loop's thread with the busy timeout at zero: while the lock is free (the process's own writers
take turns before they begin, so only another process can hold it) it takes the lock at once
and the transaction costs one hop, its ``COMMIT``; when the lock is held, the ``BEGIN`` goes to
the worker thread as before and waits there under the busy timeout. A deferred ``BEGIN`` (a
read) takes no lock and never waits, and in WAL mode a ``ROLLBACK`` only drops what the
transaction wrote in memory: both run in the loop's thread.
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
_BEGIN_DEFERRED = ("BEGIN", "BEGIN DEFERRED")
_BEGIN_WRITING = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")
_WAITING_SQL = ("BEGIN", "COMMIT", "END", "PRAGMA", "VACUUM", "ATTACH", "DETACH", "SAVEPOINT", "RELEASE")
"""Statements that may wait (a lock, a sync to disk) or that this module does not time: the worker thread's.
Savepoints are quick, but a ``RELEASE`` of the outermost one commits."""


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs quick calls at once, in the calling (event loop) thread.

    The sqlite3 connection is opened with ``check_same_thread=False``: it is used by the loop's
    thread and the worker thread in turn, never by both at once (each call is awaited before the
    next, and the engine's pool gives a connection to one task at a time).
    """

    busy_timeout_ms = 0
    """The connection's busy timeout, set back after a ``BEGIN`` tried without one (``connector``)."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        if self._running and connection is not None:
            if _quick(connection, fn, args):
                return fn(*args, **kwargs)
            if _begins_writing(fn, args):
                began = _begin_if_free(connection, fn, args, self.busy_timeout_ms)
                if began is not _LOCK_HELD:
                    return began
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]


def _statement(fn: Callable[..., Any], args: tuple[Any, ...]) -> str:
    """The SQL of a cursor's ``execute``, upper case and stripped; empty for anything else."""
    if getattr(fn, "__name__", "") != "execute" or not isinstance(getattr(fn, "__self__", None), sqlite3.Cursor):
        return ""
    return args[0].strip().upper().rstrip(";").strip() if args and isinstance(args[0], str) else ""


def _begins_writing(fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    return _statement(fn, args) in _BEGIN_WRITING


_LOCK_HELD = object()


def _begin_if_free(
    connection: sqlite3.Connection, fn: Callable[..., Any], args: tuple[Any, ...], busy_timeout_ms: int
) -> Any:
    """Run a writing ``BEGIN`` now if no other connection holds the write lock and return what it
    returned; ``_LOCK_HELD`` when one does (nothing happened: the caller waits for the lock in the
    worker thread)."""
    connection.execute("PRAGMA busy_timeout=0")
    try:
        return fn(*args)
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return _LOCK_HELD
        raise
    finally:
        connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")


def _quick(connection: sqlite3.Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    """Whether ``fn(*args)`` cannot wait for a lock or the disk, so it may run in the loop's thread."""
    owner = getattr(fn, "__self__", None)
    name = getattr(fn, "__name__", "")
    if isinstance(owner, sqlite3.Cursor):
        if name not in _QUICK_CURSOR_CALLS:
            return False
        if name in ("execute", "executemany"):
            sql = args[0] if args and isinstance(args[0], str) else ""
            if _statement(fn, args) in _BEGIN_DEFERRED:
                return True  # takes no lock: nothing to wait for
            return not sql.lstrip().upper().startswith(_WAITING_SQL)
        return True
    if owner is connection:
        if name in ("cursor", "rollback"):  # WAL mode: a rollback drops pages in memory, no lock, no sync
            return True
        if name == "commit":  # nothing to do outside a transaction (a pool's reset)
            return not connection.in_transaction
    return False


def connector(path: str | Path, busy_timeout_ms: int) -> Callable[[], aiosqlite.Connection]:
    """The ``async_creator`` of an engine on the SQLite file at ``path``: connections of this module,
    whose busy timeout the engine sets to ``busy_timeout_ms`` when it connects."""

    def connect() -> aiosqlite.Connection:
        connection = InlineConnection(partial(sqlite3.connect, str(path), check_same_thread=False), ITER_CHUNK_SIZE)
        connection.busy_timeout_ms = busy_timeout_ms
        connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
        return connection

    return connect
