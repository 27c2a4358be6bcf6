"""The relay lease: one instance at a time publishes a centre's outbox, and a dead one lets go.

Two relays of the same centre on one PostgreSQL database stand for two server instances: while
one publishes a batch, the other publishes nothing; a connection that dies holding the lease
frees it. On every database the retained snapshot marks the rows it supersedes sent, so no
relay publishes an older state after it.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Literal

import asyncpg
import pytest
from sqlalchemy import select

from device_client.stopping import stop_tasks
from queue_server.app.commands import CallNext, IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.bus.relay import OutboxRelay
from queue_server.domain.clock import ManualClock
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.relay_lease import RELAY_LOCK_CLASS, try_relay_lease
from tests.factories import shanghai

POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


class Gate:
    """A publisher that records what it was given and can be held mid-publish, as a slow broker."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, bool]] = []
        self.open = asyncio.Event()
        self.open.set()
        self.entered = asyncio.Event()

    async def publish(self, topic: str, payload: str, qos: int = 1, retain: bool = False) -> None:
        self.entered.set()
        await self.open.wait()
        self.sent.append((topic, json.loads(payload)["seq"], retain))


async def busy_day(db: Database) -> HallService:
    """Window 1 open, three tickets issued, one called: rows on calls, states and the feed."""
    service = HallService(db, ManualClock(shanghai(2026, 11, 30, 9, 0)))
    await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
    for n in range(3):
        await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id=f"i{n}")
    await service.act("test", CallNext(window=1), actor="staff:s1", request_id="next")
    return service


async def pending(db: Database) -> list[tuple[str, int]]:
    o = schema.outbox.c
    async with db.read() as conn:
        rows = await conn.execute(select(o.subject, o.seq).where(o.sent_at.is_(None)).order_by(o.id))
        return [(subject, int(seq)) for subject, seq in rows]


@POSTGRES_ONLY
async def test_the_lease_has_one_holder_per_centre(seeded_db: Database) -> None:
    async with seeded_db.write() as first:
        assert await try_relay_lease(first, "test")
        async with seeded_db.write() as second:
            assert not await try_relay_lease(second, "test"), "two holders of one centre's lease"
            assert await try_relay_lease(second, "other"), "another centre's lease is free"
    async with seeded_db.write() as after:
        assert await try_relay_lease(after, "test"), "the lease outlived its transaction"


@POSTGRES_ONLY
async def test_a_dead_holder_lets_go(seeded_db: Database, database_url: str) -> None:
    holder = await asyncpg.connect(database_url)
    await holder.execute("BEGIN")
    taken = await holder.fetchval("SELECT pg_try_advisory_xact_lock($1, hashtext('test'))", RELAY_LOCK_CLASS)
    assert taken
    async with seeded_db.write() as conn:
        assert not await try_relay_lease(conn, "test")
    holder.terminate()  # the instance dies: its connection ends without a word
    for _ in range(100):
        async with seeded_db.write() as conn:
            if await try_relay_lease(conn, "test"):
                return
        await asyncio.sleep(0.05)
    pytest.fail("the lease of a dead connection was never released")


@POSTGRES_ONLY
async def test_a_second_relay_waits_while_the_first_publishes(seeded_db: Database) -> None:
    await busy_day(seeded_db)
    rows = await pending(seeded_db)
    clock = ManualClock(shanghai(2026, 11, 30, 9, 1))
    first, second = OutboxRelay(seeded_db, "test", clock), OutboxRelay(seeded_db, "test", clock)
    held, other = Gate(), Gate()
    held.open.clear()
    draining = asyncio.create_task(first.drain(held))
    await asyncio.wait_for(held.entered.wait(), 10)
    assert await second.drain(other) is None, "the second relay did not see the lease held"
    assert other.sent == []
    held.open.set()
    newest = dict(rows)  # later rows win: a retained state: only the newest is worth sending
    expected = [(subject, seq) for subject, seq in rows if subject.endswith("/call") or seq == newest[subject]]
    assert len(expected) < len(rows), "the busy day has older states to leave out"
    assert await asyncio.wait_for(draining, 10) == len(expected)
    assert await second.drain(other) == 0, "rows the first relay published were published again"
    assert await pending(seeded_db) == []
    assert [(topic.removeprefix("onewindow/test/"), seq) for topic, seq, _ in held.sent] == expected


@POSTGRES_ONLY
async def test_a_relay_that_found_the_lease_held_looks_again_unwoken(seeded_db: Database) -> None:
    """A commit wakes the relay while another holds the lease (an instance, or this process's old
    feed round, that read the table before the commit): the relay looks again by itself, and the
    rows go out with no later commit or poll to wake it (the old-feed test that hung on CI)."""
    service = await busy_day(seeded_db)
    relay = OutboxRelay(seeded_db, "test", service.clock)
    assert await relay.drain(Gate()) is not None
    drained: list[int | None] = []
    drain = relay.drain

    async def watched_drain(client: Gate) -> int | None:
        drained.append(await drain(client))
        return drained[-1]

    relay.drain = watched_drain  # type: ignore[method-assign]
    relay.wake = wake = WatchedWake()
    gate = Gate()
    running = asyncio.create_task(relay.run(gate))
    try:
        async with asyncio.timeout(10):
            await wake.waiting.wait()
            async with seeded_db.write() as holder:
                assert await try_relay_lease(holder, "test")
                await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id="late")
                relay.committed(None)
                while None not in drained:
                    await asyncio.sleep(0.01)
                assert await pending(seeded_db), "the rows waited for the lease"
            while await pending(seeded_db):
                await asyncio.sleep(0.02)
        assert any(topic.endswith("/hall/summary") for topic, _, _ in gate.sent)
    finally:
        await stop_tasks([running])


async def test_the_snapshot_supersedes_older_pending_state(seeded_db: Database) -> None:
    await busy_day(seeded_db)
    before = await pending(seeded_db)
    relay = OutboxRelay(seeded_db, "test", ManualClock(shanghai(2026, 11, 30, 9, 1)))
    gate = Gate()
    published = await relay.republish_retained(gate)
    assert published == len(gate.sent) and all(retain for *_, retain in gate.sent)
    left = await pending(seeded_db)
    assert left == [(subject, seq) for subject, seq in before if subject.endswith("/call")], (
        "a retained row older than the snapshot is still pending, or a call was dropped"
    )
    newest: dict[str, int] = defaultdict(int)
    for topic, seq, _ in gate.sent:
        newest[topic] = max(newest[topic], seq)
    for subject, seq in before:
        if not subject.endswith("/call"):
            assert newest[f"onewindow/test/{subject}"] >= seq, f"the snapshot of {subject} is older than a row"
    calls = Gate()
    assert await relay.drain(calls) == len(left)


class WatchedWake(asyncio.Event):
    """The relay's wake-up event, telling when the relay has started waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()

    async def wait(self) -> Literal[True]:
        self.waiting.set()
        return await super().wait()


async def test_a_relay_woken_as_it_is_cancelled_stops(seeded_db: Database) -> None:
    """Woken and cancelled in the same instant (a commit as the server stops), the relay still ends.

    Python 3.11's ``asyncio.wait_for`` returned the wake-up instead of the cancellation here: the
    relay polled on and the bus's task group waited for it for ever (a hung shutdown).
    """
    relay = OutboxRelay(seeded_db, "test", ManualClock(shanghai(2026, 11, 30, 9, 1)))
    relay.wake = wake = WatchedWake()
    running = asyncio.create_task(relay.run(Gate()))
    async with asyncio.timeout(10):
        await wake.waiting.wait()
    wake.set()
    running.cancel()
    try:
        ended, _ = await asyncio.wait([running], timeout=10)  # waiting does not cancel it again
        assert running in ended and running.cancelled(), "the relay went on after it was cancelled"
    finally:
        await stop_tasks([running])
