"""The database connection: SQLite by default, PostgreSQL by URL, each set up to be safe.

SQLite runs in WAL mode with full sync (a committed ticket survives a power cut) and takes its
write lock at the start of every write transaction (``BEGIN IMMEDIATE``), so two processes on
one file never interleave a read-then-write; reads use a second engine with ordinary deferred
transactions so they never wait for the write lock. Its statements run in the event loop's
thread, and only what may wait (``BEGIN``, ``COMMIT``) in the driver's (queue_server.store.sqlite_inline).
A database opened with ``background_checkpoints`` (the server's) turns SQLite's automatic WAL
checkpoint off: its owner runs :meth:`Database.checkpoint` from a task of its own instead
(queue_server.store.wal_checkpoints says why). PostgreSQL keeps its defaults.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeAlias

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from queue_server.store import json_text, sqlite_inline, wal_checkpoints

Connection: TypeAlias = AsyncConnection
"""An open connection, as ``Database.read`` and ``Database.write`` give it: what store functions take.

Modules outside the store name it so, and never import SQLAlchemy.
"""

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_OVERFLOW = 5
"""Connections PostgreSQL's pool opens beyond its size while all are busy, closed when returned."""
DEFAULT_DATABASE_URL = "sqlite:///onewindow-data/onewindow.db"
STRICT_POOL = "ONEWINDOW_STRICT_POOL"
"""Set in the environment (the tests do): a second read connection for a task holding one is refused."""


class DatabaseUrlError(ValueError):
    pass


def normalize_url(url: str) -> URL:
    """The async driver's URL for a plain one: sqlite:///x.db, postgresql://user@host/db."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(
            f"Cannot use database URL {url!r}: write sqlite:///path/to/file.db or postgresql://user@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise DatabaseUrlError("Cannot use an in-memory SQLite database: give a file, sqlite:///onewindow.db")
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise DatabaseUrlError(f"Cannot use database URL {url!r}: OneWindow speaks SQLite and PostgreSQL")


def without_password(url: str) -> str:
    """The URL as given, with its password hidden: for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(engine: AsyncEngine, *, immediate: bool, autocheckpoint: bool = True) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, begins transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        if not autocheckpoint:  # no commit checkpoints the WAL: the owner's task does (wal_checkpoints)
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        # on the driver's cursor, as SQLAlchemy's own pysqlite recipe does: exec_driver_sql would set
        # up a whole execution context and result for a statement that returns nothing
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(begin)
        except sqlite3.Error as error:  # raised as SQLAlchemy raises it: a lock held too long is "unreachable"
            raise DBAPIError.instance(begin, (), error, sqlite3.Error) from error
        finally:
            cursor.close()


@dataclass(frozen=True, slots=True)
class PoolFigures:
    """One engine's connection pool as a scrape reads it."""

    pool: str
    """``write`` or ``read`` (PostgreSQL has one pool for both: ``write``)."""
    size: int
    """Connections it keeps open (more, up to its overflow, are made while busy)."""
    in_use: int
    waits: int
    """Times a connection was asked for while every one it may open was in use, since start."""


class Database:
    """The engines of one database; an async context manager that disposes of them."""

    def __init__(self, url: str, *, pool_size: int = 10, background_checkpoints: bool = False) -> None:
        self.url = normalize_url(url)
        self.dialect = self.url.get_backend_name()
        self._write_turn = asyncio.Lock()
        self._writing: asyncio.Task[Any] | None = None
        self._reading: set[asyncio.Task[Any]] = set()
        """The tasks holding a read connection (only when strict)."""
        self._strict = bool(os.environ.get(STRICT_POOL))
        """The task holding this process's SQLite write turn (a nested write would wait for itself)."""
        if self.sqlite:
            assert self.url.database is not None
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            connect = sqlite_inline.connector(self.url.database, SQLITE_BUSY_TIMEOUT_MS)  # quick ones skip the hop
            self.writer = create_async_engine(
                self.url, pool_size=pool_size, max_overflow=0, async_creator=connect, json_serializer=json_text.dumps
            )
            self.reader = create_async_engine(
                self.url, pool_size=pool_size, max_overflow=0, async_creator=connect, json_serializer=json_text.dumps
            )
            auto = not background_checkpoints
            _sqlite_pragmas(self.writer, immediate=True, autocheckpoint=auto)
            _sqlite_pragmas(self.reader, immediate=False, autocheckpoint=auto)
        else:
            self.writer = create_async_engine(
                self.url,
                pool_size=pool_size,
                max_overflow=POSTGRES_OVERFLOW,
                pool_pre_ping=True,
                json_serializer=json_text.dumps,
            )
            self.reader = self.writer
        self.background_checkpoints = background_checkpoints and self.sqlite
        """SQLite: no commit checkpoints the WAL; the owner runs :meth:`checkpoint` (wal_checkpoints)."""
        self._checkpointer = wal_checkpoints.Checkpointer(self.url.database if self.sqlite else None)
        self._capacity = pool_size + (0 if self.sqlite else POSTGRES_OVERFLOW)
        self._waits = {"write": 0, "read": 0}

    @property
    def sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def describe(self) -> str:
        """The URL without its password, for logs and messages."""
        return self.url.render_as_string(hide_password=True).replace("+aiosqlite", "").replace("+asyncpg", "")

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed when the block ends, rolled back on an exception.

        On SQLite the transactions of this process take turns on an asyncio lock first: SQLite
        lets one writer in at a time anyway, and a second ``BEGIN IMMEDIATE`` would wait in
        SQLite's busy handler, which sleeps in steps of up to 100 ms instead of starting the moment
        the first commits. The busy handler is left for other processes sharing the file.
        """
        self._note_wait("write", self.writer)
        if not self.sqlite:
            async with self.writer.begin() as connection:
                yield connection
            return
        task = asyncio.current_task()
        if task is not None and task is self._writing:
            raise RuntimeError("Cannot open a write transaction inside another: SQLite has one writer")
        async with self._write_turn:
            self._writing = task
            try:
                async with self.writer.begin() as connection:
                    yield connection
            finally:
                self._writing = None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read connection. With ``ONEWINDOW_STRICT_POOL`` in the environment (the tests), a task that asks for
        a second while it holds one is an error: with every task of a busy moment doing the same,
        the pool is taken by tasks waiting for themselves, and each request waits until it gives up."""
        self._note_wait("read" if self.sqlite else "write", self.reader)
        if not self._strict:
            async with self.reader.connect() as connection:
                yield connection
            return
        task = asyncio.current_task()
        if task is not None and task in self._reading:
            raise RuntimeError("Cannot take a second read connection while holding one: the pool may run dry")
        if task is not None:
            self._reading.add(task)
        try:
            async with self.reader.connect() as connection:
                yield connection
        finally:
            self._reading.discard(task)

    @asynccontextmanager
    async def write_turn(self) -> AsyncIterator[None]:
        """SQLite: hold this process's write turn without a transaction, so none of its commits come
        meanwhile (the WAL checkpoint's last step: queue_server.app.checkpoints)."""
        async with self._write_turn:
            yield

    @property
    def writing(self) -> bool:
        """Whether a write transaction of this process holds or awaits SQLite's write turn now."""
        return self._write_turn.locked()

    async def checkpoint(self) -> wal_checkpoints.Checkpoint:
        """SQLite: copy what the WAL holds into the database file, in a worker thread, waiting for
        nobody (a ``PASSIVE`` checkpoint: see queue_server.store.wal_checkpoints)."""
        assert self.url.database is not None and self.sqlite
        return await asyncio.to_thread(self._checkpointer.passive)

    def _note_wait(self, pool: str, engine: AsyncEngine) -> None:
        """Count a connection asked for while all are in use: it waits for one to come back."""
        if _in_use(engine) >= self._capacity:
            self._waits[pool] += 1

    def pool_figures(self) -> list[PoolFigures]:
        """Each connection pool's size, connections in use and waits, read from memory."""
        engines = {"write": self.writer, "read": self.reader} if self.sqlite else {"write": self.writer}
        return [
            PoolFigures(name, _size(engine), _in_use(engine), self._waits[name]) for name, engine in engines.items()
        ]

    async def dispose(self) -> None:
        self._checkpointer.close()
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.dispose()


def _in_use(engine: AsyncEngine) -> int:
    pool = engine.pool
    return pool.checkedout() if isinstance(pool, QueuePool) else 0


def _size(engine: AsyncEngine) -> int:
    pool = engine.pool
    return pool.size() if isinstance(pool, QueuePool) else 0


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
