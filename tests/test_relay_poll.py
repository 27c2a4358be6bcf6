"""The poll is one for every centre: rows no commit handed a relay go out, and an idle relay asks nothing.

A server holds many centres (a city), each with its relay. A relay is woken by the commits of its
own process; rows written by anything else (another process, an instance that died before it
published) are found by one query for every centre every ``POLL_SECONDS`` (``poll_outboxes``),
which pokes only the relays whose centre has unsent rows. A relay with nothing to do reads nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from device_client.stopping import stop_tasks
from queue_server.bus import relay as relay_module
from queue_server.bus.relay import OutboxRelay, poll_outboxes
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from queue_server.store.outbox import Message, write_outbox
from tests.factories import shanghai
from tests.test_relay_lease import WatchedWake, busy_day, pending


class Broker:
    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    async def publish(self, topic: str, payload: str, qos: int = 1, retain: bool = False) -> None:
        self.sent.append((topic.removeprefix("onewindow/test/"), json.loads(payload)["seq"]))


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every statement either engine of ``db`` runs meanwhile."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    engines = {id(e.sync_engine): e.sync_engine for e in (db.reader, db.writer)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)


async def until_sent(db: Database, seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while await pending(db):
            await asyncio.sleep(0.02)


async def test_a_row_no_commit_handed_over_goes_out_through_the_poll(seeded_db: Database) -> None:
    db = seeded_db
    service = await busy_day(db)
    relay = OutboxRelay(db, "test", service.clock)
    broker = Broker()
    tasks = [asyncio.create_task(relay.run(broker)), asyncio.create_task(poll_outboxes(db, lambda: {"test": relay}))]
    try:
        await until_sent(db)
        calls = [seq for subject, seq in broker.sent if subject == "window/1/call"]
        async with db.write() as conn:  # as another process writes it: no commit of this one wakes the relay
            payload = {"call_id": "elsewhere", "window": 1}
            await write_outbox(conn, "test", [Message("window/1/call", "call", payload)], service.clock.now())
        await until_sent(db)
        assert [seq for subject, seq in broker.sent if subject == "window/1/call"] == [*calls, calls[-1] + 1]
    finally:
        await stop_tasks(tasks)
        await service.aclose()


async def test_idle_relays_read_nothing_and_the_poll_reads_once_a_round(seeded_db: Database) -> None:
    """Before, each relay read its centre's pending rows every second: a city of 80 centres made 80
    read transactions a second with nothing to do."""
    db = seeded_db
    relays = [OutboxRelay(db, "test", ManualClock(shanghai(2026, 11, 30, 9, 0))) for _ in range(3)]
    wakes = [WatchedWake() for _ in relays]
    for relay, wake in zip(relays, wakes, strict=True):
        relay.wake = wake
    broker = Broker()
    runs = [asyncio.create_task(relay.run(broker)) for relay in relays]
    try:
        async with asyncio.timeout(10):
            for wake in wakes:  # each drained once, at its start, and waits for its event
                await wake.waiting.wait()
        with statements(db) as seen:
            poll = asyncio.create_task(poll_outboxes(db, lambda: {"test": relays[0]}))
            await asyncio.sleep(relay_module.POLL_SECONDS * 2.5)
            await stop_tasks([poll])
    finally:
        await stop_tasks(runs)
    assert not [s for s in seen if "outbox_subjects" in s or "ORDER BY outbox.id" in s], seen
    polls = [s for s in seen if "DISTINCT outbox.centre" in s]
    assert len(polls) == 2, seen
