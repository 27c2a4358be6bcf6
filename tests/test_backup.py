"""Backups of a serving database, restored into a fresh one: nothing acknowledged before is missing.

Each test runs on SQLite and on PostgreSQL. Traffic is real: windows call and finish and kiosks
issue through the hall service, on the same database, while the backup runs in a thread; the
copy is restored into another, empty database and read back with the store's own code.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from queue_server import cli
from queue_server.app.commands import CallNext, Finish, IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.domain.tickets import Outcome
from queue_server.store import schema
from queue_server.store.backup import BackupError, backup, contents, in_use, restore
from queue_server.store.database import Database
from queue_server.store.migrate import head_revision, require_current
from queue_server.store.seed import create_centre
from tests.api_support import hall_service
from tests.conftest import POSTGRES_URL
from tests.factories import make_centre

ISSUERS = 3
WINDOWS = (1, 2)
ACTIONS_AFTER_BACKUP = 20
"""Actions the traffic still completes after the backup ended: it really ran beside the backup."""


@pytest.fixture
async def fresh_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A second empty database of the same kind, to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'onewindow.db'}"
        return
    name = f"onewindow_restore_{secrets.token_hex(6)}"
    server = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await server.execute(f'CREATE DATABASE "{name}"')
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()


async def open_hall(db: Database) -> HallService:
    """The test centre with windows 1 and 2 open, at 09:00 on a Monday."""
    service = hall_service(db)
    async with db.write() as conn:
        await create_centre(conn, make_centre(), service.clock.now())
    for window in WINDOWS:
        staff = f"s{window}"
        answer = await service.act(
            "test", SignOn(window=window, staff=staff), actor=f"staff:{staff}", request_id=f"on{window}"
        )
        assert answer.ok, answer.body
    return service


class Traffic:
    """Kiosks issuing and windows calling and finishing until told to stop; each answer is kept."""

    def __init__(self, service: HallService) -> None:
        self.service = service
        self.acknowledged: list[str] = []
        """Request ids of the committed actions, in the order their answers came."""
        self.numbers: dict[str, str] = {}
        """Ticket number of each acknowledged issue, by request id."""
        self.stop = asyncio.Event()

    async def _act(self, command: IssueTicket | CallNext | Finish, actor: str, request_id: str) -> bool:
        answer = await self.service.act("test", command, actor=actor, request_id=request_id)
        if answer.ok:
            self.acknowledged.append(request_id)
            if isinstance(command, IssueTicket):
                self.numbers[request_id] = answer.body["ticket"]["number"]
        return answer.ok

    async def issuer(self, kiosk: int) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            assert await self._act(IssueTicket(matter="pension"), f"kiosk:k{kiosk}", f"issue-{kiosk}-{n}")
            await asyncio.sleep(0)

    async def window(self, window: int) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            called = await self.service.act(
                "test", CallNext(window=window), actor=f"staff:s{window}", request_id=f"next-{window}-{n}"
            )
            assert called.ok, called.body
            self.acknowledged.append(f"next-{window}-{n}")
            if called.body.get("ticket") is None:
                await asyncio.sleep(0.01)
                continue
            finish = Finish(window=window, outcome=Outcome.ON_THE_SPOT)
            assert await self._act(finish, f"staff:s{window}", f"finish-{window}-{n}")

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for kiosk in range(ISSUERS):
                group.create_task(self.issuer(kiosk))
            for window in WINDOWS:
                group.create_task(self.window(window))


async def wait_for_actions(traffic: Traffic, count: int) -> None:
    while len(traffic.acknowledged) < count:
        await asyncio.sleep(0.01)


async def test_a_backup_taken_during_traffic_restores_every_action_acknowledged_before_it(
    db: Database, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    service = await open_hall(db)
    traffic = Traffic(service)
    running = asyncio.create_task(traffic.run())
    try:
        await asyncio.wait_for(wait_for_actions(traffic, 40), 60)
        before = list(traffic.acknowledged)  # every one of these committed before the copy began
        copy = await asyncio.to_thread(backup, database_url, tmp_path / "hall.backup")
        after = len(traffic.acknowledged)
        print(f"{len(before)} actions acknowledged before the backup, {after - len(before)} while it ran")
        await asyncio.wait_for(wait_for_actions(traffic, after + ACTIONS_AFTER_BACKUP), 60)
    finally:
        traffic.stop.set()
        await running
    assert copy.revision == head_revision()

    restored = await asyncio.to_thread(restore, fresh_url, copy.path, replace=False)
    assert restored.revision == head_revision()
    async with Database(fresh_url) as fresh:
        await require_current(fresh)  # the schema is current: the server would serve it
        async with fresh.read() as conn:
            ids = set((await conn.scalars(select(schema.requests.c.request_id))).all())
            rows = await conn.execute(select(schema.tickets.c.serial, schema.tickets.c.number))
            tickets: dict[int, str] = {row.serial: row.number for row in rows}
        missing = [request_id for request_id in before if request_id not in ids]
        assert not missing, f"{len(missing)} of {len(before)} acknowledged actions are not in the backup: {missing[:5]}"
        assert ids <= {"on1", "on2", *traffic.acknowledged}, "the backup holds only actions that were answered"
        numbers = {traffic.numbers[r] for r in before if r in traffic.numbers}
        assert numbers <= set(tickets.values())

        issued = await hall_service(fresh).act(
            "test", IssueTicket(matter="pension"), actor="kiosk:k", request_id="later"
        )
        assert issued.ok, issued.body
        last = max(int(number[1:]) for number in tickets.values())
        assert issued.body["ticket"]["number"] == f"A{last + 1:03d}", "numbering continues after the restored tickets"
        assert issued.body["ticket"]["serial"] == max(tickets) + 1


async def test_restore_refuses_a_damaged_copy_and_leaves_the_database_as_it_was(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    service = await open_hall(db)
    await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id="one")
    copy = await asyncio.to_thread(backup, database_url, tmp_path / "hall.backup")
    data = copy.path.read_bytes()
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(data[: len(data) // 2])
    scribbled = tmp_path / "scribbled.backup"
    middle = len(data) // 2
    scribbled.write_bytes(data[:middle] + secrets.token_bytes(4096) + data[middle + 4096 :])
    await service.aclose()  # the server is stopped before a restore: its wait-range round too
    await db.dispose()
    held = contents(database_url)
    for damaged in (truncated, scribbled):
        with pytest.raises(BackupError, match=str(damaged)):
            await asyncio.to_thread(restore, database_url, damaged, replace=True)
        assert contents(database_url) == held, "a refused restore changes nothing"
    async with Database(database_url) as again, again.read() as conn:
        assert await conn.scalar(select(schema.tickets.c.number)) == "A001"


async def test_a_restore_puts_back_exactly_the_copy(db: Database, database_url: str, tmp_path: Path) -> None:
    service = await open_hall(db)
    await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id="kept")
    copy = await asyncio.to_thread(backup, database_url, tmp_path / "hall.backup")
    await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id="after")
    async with db.write() as conn:  # as a newer version's migration would leave it
        await conn.execute(text("CREATE TABLE later_table (id INTEGER PRIMARY KEY)"))
        await conn.execute(text("INSERT INTO later_table VALUES (1)"))
    await service.aclose()
    await db.dispose()
    await asyncio.to_thread(restore, database_url, copy.path, replace=True)
    async with Database(database_url) as again:
        await require_current(again)
        async with again.read() as conn:
            assert (await conn.scalars(select(schema.tickets.c.number))).all() == ["A001"]
            assert (
                await conn.scalars(select(schema.requests.c.request_id).order_by(schema.requests.c.request_id))
            ).all() == ["kept", "on1", "on2"]
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    assert "later_table" not in tables and "tickets" in tables


def test_restore_refuses_a_sqlite_copy_of_an_unknown_schema_and_a_file_that_is_no_copy(tmp_path: Path) -> None:
    strange = tmp_path / "strange.db"
    with sqlite3.connect(strange) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    with pytest.raises(BackupError, match="schema 9999_from_the_future, which this version of OneWindow does not know"):
        restore(url, strange, replace=True)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(BackupError, match="is not a OneWindow backup"):
        restore(url, other, replace=True)
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 200)
    with pytest.raises(BackupError, match="not a sound SQLite database"):
        restore(url, text, replace=True)
    assert not (tmp_path / "hall.db").exists(), "nothing was put in place"


async def test_the_commands_end_to_end(
    database_url: str, fresh_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def onewindow(*argv: str) -> int:
        return cli.main([*argv, "--database-url", database_url])

    assert await asyncio.to_thread(onewindow, "init", "--demo") == 0
    copy = tmp_path / "demo.backup"
    capsys.readouterr()
    assert await asyncio.to_thread(onewindow, "backup", str(copy)) == 0
    said = capsys.readouterr().out
    assert f"to {copy} (" in said and f"schema {head_revision()}" in said
    assert copy.stat().st_mode & 0o777 == 0o600, "password hashes and phone numbers: for the owner only"

    assert await asyncio.to_thread(onewindow, "restore", str(copy)) == 1
    refused = capsys.readouterr().err
    assert "holds 1 centre and 0 tickets" in refused and "--yes" in refused

    async with Database(database_url) as serving, serving.read() as conn:  # a server holding the database
        await conn.scalar(select(schema.centres.c.code))
        assert in_use(database_url) is not None
        assert await asyncio.to_thread(onewindow, "restore", str(copy), "--yes") == 1
        assert "Stop `onewindow serve` first" in capsys.readouterr().err

    assert await asyncio.to_thread(onewindow, "restore", str(copy), "--yes") == 0
    assert f"Restored {copy} (schema {head_revision()})" in capsys.readouterr().out
    restored = await asyncio.to_thread(cli.main, ["restore", str(copy), "--database-url", fresh_url])
    assert restored == 0, capsys.readouterr().err
    assert contents(fresh_url).counts == {"centres": 1, "tickets": 0}

    assert await asyncio.to_thread(onewindow, "restore", str(tmp_path / "nowhere.backup"), "--yes") == 1
    assert "there is no such file" in capsys.readouterr().err
