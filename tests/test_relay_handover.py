"""The relay publishes the rows a commit hands it, and falls back on the table for any it was not handed.

On SQLite the action runner hands each commit's outbox rows to the relay, which publishes them
without reading them back and marks them sent later, in one transaction when idle. A row written
by anything else (here: straight into the table, as another process would) leaves a gap in its
subject's sequence; the relay must notice it and publish from the table, in order, so no message
is lost or sent out of order. On PostgreSQL the relay always reads the table (the lease).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict

import pytest

from device_client.stopping import stop_tasks
from queue_server.app.commands import CallNext, Finish, IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.bus import relay as relay_module
from queue_server.bus.relay import OutboxRelay
from queue_server.domain.clock import ManualClock
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from queue_server.store.outbox import Message, write_outbox
from tests.factories import shanghai
from tests.test_relay_lease import pending


class Broker:
    """Records each published message's topic and sequence, as the broker would acknowledge them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    async def publish(self, topic: str, payload: str, qos: int = 1, retain: bool = False) -> None:
        self.sent.append((topic.removeprefix("onewindow/test/"), json.loads(payload)["seq"]))

    def seqs(self, subject: str) -> list[int]:
        return [seq for topic, seq in self.sent if topic == subject]


async def until_sent(db: Database, seconds: float = 10) -> None:
    """Wait until the table has no unsent row (the relay marked everything it published)."""
    async with asyncio.timeout(seconds):
        while await pending(db):
            await asyncio.sleep(0.02)


async def test_rows_handed_over_are_published_in_order_and_a_row_not_handed_over_is_not_lost(
    seeded_db: Database,
) -> None:
    db = seeded_db
    service = HallService(db, ManualClock(shanghai(2026, 11, 30, 9, 0)))
    relay = OutboxRelay(db, "test", service.clock)
    broker = Broker()
    unsubscribe = service.subscribe_outbox(lambda centre, rows: relay.committed(rows))
    task = asyncio.create_task(relay.run(broker))
    try:
        await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
        for n in range(4):
            await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id=f"i{n}")
        await service.act("test", CallNext(window=1), actor="staff:s1", request_id="c1")
        await until_sent(db)
        assert broker.seqs("window/1/call") == [1]
        # another process's row on the same subject, which this one is never handed
        async with db.write() as conn:
            payload = {"call_id": "elsewhere", "window": 1}
            await write_outbox(conn, "test", [Message("window/1/call", "call", payload)], service.clock.now())
        finish = Finish(window=1, outcome=Outcome.ON_THE_SPOT)
        await service.act("test", finish, actor="staff:s1", request_id="f1")
        await service.act("test", CallNext(window=1), actor="staff:s1", request_id="c2")
        await until_sent(db)
        assert broker.seqs("window/1/call") == [1, 2, 3], "the row not handed over goes out first, in order"
        per_subject: dict[str, list[int]] = defaultdict(list)
        for subject, seq in broker.sent:
            per_subject[subject].append(seq)
        for subject, seqs in per_subject.items():
            assert seqs == sorted(set(seqs)), f"{subject} went out of order or twice: {seqs}"
    finally:
        unsubscribe()
        await stop_tasks([task])
        with contextlib.suppress(Exception):
            await service.aclose()


class Lost(Exception):
    """The broker connection dropped mid-publish."""


class DroppingBroker(Broker):
    """Drops the connection at the first publish of ``subject``."""

    def __init__(self, subject: str) -> None:
        super().__init__()
        self.subject = subject

    async def publish(self, topic: str, payload: str, qos: int = 1, retain: bool = False) -> None:
        if topic.endswith(self.subject):
            raise Lost(topic)
        await super().publish(topic, payload, qos, retain)


async def test_rows_a_dropped_connection_left_unacknowledged_go_out_on_the_next_one(
    seeded_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next connection reads the table first: it does not wait for the poll (set far off here)
    nor for a later row of the same subject to reveal the gap."""
    monkeypatch.setattr(relay_module, "POLL_SECONDS", 3600.0)
    db = seeded_db
    service = HallService(db, ManualClock(shanghai(2026, 11, 30, 9, 0)))
    relay = OutboxRelay(db, "test", service.clock)
    unsubscribe = service.subscribe_outbox(lambda centre, rows: relay.committed(rows))
    try:
        await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
        await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id="i1")
        first = asyncio.create_task(relay.run(DroppingBroker("window/1/call")))
        async with asyncio.timeout(10):
            while await pending(db):  # everything so far out, then the call's message fails
                await asyncio.sleep(0.02)
            await service.act("test", CallNext(window=1), actor="staff:s1", request_id="c1")
            with pytest.raises(Lost):
                await first
        broker = Broker()
        second = asyncio.create_task(relay.run(broker))
        try:
            await until_sent(db)
        finally:
            await stop_tasks([second])
        assert broker.seqs("window/1/call") == [1]
    finally:
        unsubscribe()
        await service.aclose()
