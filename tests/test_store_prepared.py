"""Statements run through the driver directly (store/prepared.py) write and read what SQLAlchemy
would, fail as SQLAlchemy would, and a write transaction that finds SQLite's lock held by another
process waits for it (store/sqlite_inline.py): on SQLite and PostgreSQL, real databases."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import threading
import time

import pytest
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from queue_server.store import database, schema
from queue_server.store.database import SQLITE_BUSY_TIMEOUT_MS, Database
from queue_server.store.errors import unreachable
from queue_server.store.prepared import Prepared, sqlite_connection
from queue_server.store.seed import create_centre
from tests.factories import make_centre, shanghai

NOW = shanghai(2026, 12, 1, 9, 30)
_r = schema.requests.c
_INSERT = Prepared(insert(schema.requests))
_READ = Prepared(
    select(_r.request_id, _r.actor, _r.response, _r.created_at).where(
        _r.centre == bindparam("centre"), _r.request_id.in_(bindparam("ids", expanding=True))
    )
)


def _row(request_id: str, response: object) -> dict[str, object]:
    return {
        "centre": "test",
        "request_id": request_id,
        "actor": "kiosk:k1",
        "action": "issue",
        "response": response,
        "created_at": NOW,
    }


async def test_rows_written_directly_read_back_as_sqlalchemy_wrote_them(db: Database) -> None:
    async with db.write() as conn:
        await create_centre(conn, make_centre(), NOW)
        await _INSERT.run(conn, [_row("a", {"ok": True, "名": ["一", 2]}), _row("b", [1, None])])
        await conn.execute(insert(schema.requests), [_row("c", {"ok": True, "名": ["一", 2]})])
        assert (sqlite_connection(conn) is not None) is db.sqlite
    async with db.read() as conn:
        direct = sorted(await _READ.fetch(conn, {"centre": "test", "ids": ["a", "b", "c"]}))
        through = sorted(
            tuple(row)
            for row in await conn.execute(
                select(_r.request_id, _r.actor, _r.response, _r.created_at).where(_r.centre == "test")
            )
        )
    assert direct == through
    assert direct[0][2] == {"ok": True, "名": ["一", 2]} and direct[1][2] == [1, None]
    assert direct[0][3] == NOW.astimezone(dt.UTC)  # an aware UTC time on SQLite too


async def test_a_query_for_no_ids_finds_nothing(db: Database) -> None:
    async with db.write() as conn:
        await create_centre(conn, make_centre(), NOW)
        await _INSERT.run(conn, [_row("a", {})])
        assert await _READ.fetch(conn, {"centre": "test", "ids": []}) == []
        assert [row[0] for row in await _READ.fetch(conn, {"centre": "test", "ids": ["a", "z"]})] == ["a"]


async def test_a_failing_statement_raises_sqlalchemys_error_and_undoes_the_transaction(db: Database) -> None:
    async with db.write() as conn:
        await create_centre(conn, make_centre(), NOW)

    async def twice() -> None:
        async with db.write() as conn:
            await _INSERT.run(conn, [_row("a", {})])
            await _INSERT.run(conn, [_row("b", {}), _row("a", {})])  # the same request id twice

    with pytest.raises(IntegrityError):
        await twice()
    async with db.read() as conn:
        assert await _READ.fetch(conn, {"centre": "test", "ids": ["a", "b"]}) == []


async def test_a_write_waits_for_another_process_holding_the_lock(tmp_path: object) -> None:
    path = f"{tmp_path}/locked.db"
    async with Database(f"sqlite:///{path}") as db:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # as another process's write transaction would
        released = threading.Event()

        def release() -> None:
            time.sleep(0.3)
            other.execute("INSERT INTO t VALUES (1)")
            other.execute("COMMIT")
            released.set()

        threading.Thread(target=release).start()
        async with db.write() as conn:
            assert released.is_set()  # it began only once the other transaction committed
            await conn.execute(text("INSERT INTO t VALUES (2)"))
        other.close()
        async with db.write() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 2
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == SQLITE_BUSY_TIMEOUT_MS


async def test_writes_of_one_process_take_turns_and_each_commits(tmp_path: object) -> None:
    async with Database(f"sqlite:///{tmp_path}/turns.db") as db:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))

        async def write(value: int) -> None:
            async with db.write() as conn:
                await conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})
                await asyncio.sleep(0)

        await asyncio.gather(*(write(n) for n in range(20)))
        async with db.read() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 20


async def test_a_lock_held_past_the_busy_timeout_fails_as_sqlalchemys_error(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``BEGIN`` runs on the driver's cursor, yet its failure is SQLAlchemy's ``OperationalError``,
    which the web answers 503 (the database cannot be reached now), as before."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 50)  # wait 50 ms, not 30 s, for the lock
    path = f"{tmp_path}/held.db"
    async with Database(f"sqlite:///{path}") as db:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # another process's write transaction, never ending in time
        try:
            with pytest.raises(OperationalError, match="database is locked") as failed:
                async with db.write() as conn:
                    await conn.execute(text("INSERT INTO t VALUES (1)"))
            assert unreachable(failed.value)
        finally:
            other.execute("ROLLBACK")
            other.close()
        async with db.write() as conn:  # the lock free again, the next write goes through
            await conn.execute(text("INSERT INTO t VALUES (2)"))
        async with db.read() as conn:
            assert (await conn.execute(text("SELECT x FROM t"))).scalars().all() == [2]
