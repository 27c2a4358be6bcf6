"""The audit trail: hash-chained per centre, append-only in the database itself, purged only when old."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from queue_server.app.audit import record, verify_trail
from queue_server.domain.audit import GENESIS, AuditAct, AuditKind, check_chain
from queue_server.domain.clock import ManualClock
from queue_server.store import audit as stored
from queue_server.store.audit import AuditFilter
from queue_server.store.database import Database

NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)


def act(n: int, centre: str = "test", kind: AuditKind = AuditKind.PERSONAL_VIEWED) -> AuditAct:
    return AuditAct(
        kind=kind,
        centre=centre,
        actor=f"user:m{n}",
        role="manager",
        subject=f"rectification:{n}",
        reason="回访核实",
        request_id=f"r{n}",
        detail={"shown": "contact_phone"},
    )


async def test_entries_are_chained_per_centre(db: Database) -> None:
    clock = ManualClock(NOW)
    first = await record(db, clock, act(1))
    other = await record(db, clock, act(2, centre="north"))
    second = await record(db, clock, act(3))
    assert first.previous == GENESIS and other.previous == GENESIS
    assert second.previous == first.hash
    assert await verify_trail(db) == (3, [])
    async with db.read() as conn:
        found = await stored.entries(conn, AuditFilter(centres={"test"}))
    assert [e.act.subject for e in found] == ["rectification:3", "rectification:1"]
    assert found[0].act == act(3)


async def purge(db: Database, clock: ManualClock, *, days: int) -> int:
    """The retention job's delete of the centre's entries past ``days``."""
    async with db.write() as conn:
        return await stored.purge(conn, "test", clock.now() - dt.timedelta(days=days))


async def _drop_guards(db: Database) -> None:
    """What only the tables' owner can do, and what the chain is there to catch."""
    async with db.write() as conn:
        if db.sqlite:
            await conn.execute(text("DROP TRIGGER audit_entries_no_update"))
            await conn.execute(text("DROP TRIGGER audit_entries_no_delete"))
        else:
            await conn.execute(text("DROP TRIGGER audit_entries_append_only ON audit_entries"))


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        ("UPDATE audit_entries SET reason = 'nothing' WHERE subject = 'rectification:2'", "it was edited"),
        ("UPDATE audit_entries SET actor = 'user:nobody' WHERE subject = 'rectification:2'", "it was edited"),
        ("DELETE FROM audit_entries WHERE subject = 'rectification:2'", "one was removed or added"),
    ],
)
async def test_an_edit_in_the_database_is_found(db: Database, edit: str, problem: str) -> None:
    clock = ManualClock(NOW)
    for n in range(1, 5):
        await record(db, clock, act(n))
    await _drop_guards(db)
    async with db.write() as conn:
        await conn.execute(text(edit))
    checked, breaks = await verify_trail(db)
    assert checked == 4 - edit.startswith("DELETE")
    assert breaks, "the edit went unnoticed"
    assert problem in str(breaks[0])
    assert str(breaks[0]).startswith("Audit entry ")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET reason = 'nothing'",
        "DELETE FROM audit_entries",
    ],
)
async def test_the_database_refuses_to_change_the_trail(db: Database, statement: str) -> None:
    await record(db, ManualClock(NOW), act(1))
    with pytest.raises(DBAPIError, match="audit"):
        async with db.write() as conn:
            await conn.execute(text(statement))
    assert await verify_trail(db) == (1, [])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no TRUNCATE
async def test_postgresql_refuses_truncate(db: Database) -> None:
    await record(db, ManualClock(NOW), act(1))
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.write() as conn:
            await conn.execute(text("TRUNCATE audit_entries"))


async def test_the_retention_job_removes_only_old_entries_and_the_chain_stays_whole(db: Database) -> None:
    # Written long ago (the database's guard looks at its own clock, so "old" must be really old).
    long_ago = ManualClock(dt.datetime(2024, 1, 10, tzinfo=dt.UTC))
    for n in range(1, 4):
        await record(db, long_ago, act(n))
        long_ago.advance(dt.timedelta(days=1))
    now = ManualClock(dt.datetime.now(dt.UTC))
    for n in range(4, 6):
        await record(db, now, act(n))
    await record(db, ManualClock(dt.datetime(2024, 1, 10, tzinfo=dt.UTC)), act(9, centre="north"))
    assert await purge(db, now, days=180) == 3
    async with db.read() as conn:
        kept = await stored.whole_trail(conn)
    assert [e.act.subject for e in kept] == ["rectification:4", "rectification:5", "rectification:9"]
    assert check_chain(kept) == []
    with pytest.raises(DBAPIError, match="audit"):
        await purge(db, ManualClock(now.now() + dt.timedelta(days=400)), days=180)
