"""The old hall feed, kept one release for boards that still read it: made at a bounded rate.

It is no outbox row: the relay makes it from the database (``publish_legacy_feed``) when it
published a retained state since the last one, and ``run_legacy_feed`` does that at most every few
seconds. Its ``seq`` still only grows, so an old board never drops a newer feed as a repeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from device_client.stopping import stop_tasks
from queue_server.app.commands import CallNext, Finish, IssueTicket
from queue_server.bus.legacy_feed import run_legacy_feed
from queue_server.bus.relay import OutboxRelay
from queue_server.domain.tickets import Outcome
from queue_server.protocol.payloads import PROTOCOL, HallFeed
from queue_server.store import schema
from queue_server.store.database import Database, utcnow
from queue_server.store.migrate import upgrade
from queue_server.store.seed import create_centre
from tests.factories import make_centre
from tests.test_relay_lease import busy_day

FEED = "onewindow/test/hall/feed"


class Recorder:
    """A publisher that keeps every old feed it is given, and wakes whoever waits for one."""

    def __init__(self) -> None:
        self.feeds: list[HallFeed] = []
        self.published = asyncio.Event()

    async def publish(self, topic: str, payload: str, qos: int = 1, retain: bool = False) -> None:
        if topic == FEED:
            assert retain and qos == 1
            self.feeds.append(HallFeed.model_validate_json(payload))
            self.published.set()

    async def feed_where(self, wanted: Callable[[HallFeed], bool]) -> HallFeed:
        """The latest feed once it is one ``wanted`` says yes to: looked at before waiting, since
        the feed may have gone out before the caller got here (the loop runs beside the actions)."""
        async with asyncio.timeout(20):
            while not (self.feeds and wanted(self.feeds[-1])):
                self.published.clear()
                await self.published.wait()
        return self.feeds[-1]


def calls_in(feed: HallFeed) -> list[str]:
    return [call.number for call in feed.last_calls]


async def test_the_old_feed_is_published_only_after_a_change_with_a_growing_seq(seeded_db: Database) -> None:
    db = seeded_db
    service = await busy_day(db)
    relay = OutboxRelay(db, "test", service.clock)
    recorder = Recorder()
    await relay.republish_retained(recorder)
    (first,) = recorder.feeds
    assert calls_in(first) == ["A001"] and len(first.windows) == 4, "the connect snapshot holds the whole hall"
    assert not await relay.publish_legacy_feed(recorder), "nothing was committed since"

    await service.act("test", Finish(window=1, outcome=Outcome.ON_THE_SPOT), actor="staff:s1", request_id="f1")
    await service.act("test", CallNext(window=1), actor="staff:s1", request_id="n2")
    assert not await relay.publish_legacy_feed(recorder), "the relay has published nothing new yet"
    assert await relay.drain(recorder)
    assert await relay.publish_legacy_feed(recorder)
    assert not await relay.publish_legacy_feed(recorder)
    second = recorder.feeds[-1]
    assert calls_in(second) == ["A002", "A001"]
    assert second.seq > first.seq, "an old board drops a feed whose seq is not above the last"
    assert sum(group.waiting for group in second.waiting) == 1
    async with db.read() as conn:
        rows = (await conn.execute(select(schema.outbox.c.id).where(schema.outbox.c.subject == "hall/feed"))).all()
    assert rows == [], "the old feed is never an outbox row: its cost does not follow the commits"


async def test_the_bounded_loop_publishes_the_hall_as_it_is_after_the_last_change(seeded_db: Database) -> None:
    db = seeded_db
    service = await busy_day(db)
    relay = OutboxRelay(db, "test", service.clock)
    recorder = Recorder()
    await relay.republish_retained(recorder)
    tasks = [
        asyncio.create_task(run_legacy_feed(relay, recorder, every=0.05)),
        asyncio.create_task(relay.run(recorder)),
    ]
    try:
        for n in range(3):
            await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id=f"more-{n}")
            relay.committed(None)  # rows it was not handed: it reads the table
        # a round may fall between the issues, and the last may go out before this line
        feed = await recorder.feed_where(lambda feed: sum(group.waiting for group in feed.waiting) == 5)
        seqs = [f.seq for f in recorder.feeds]
        assert seqs == sorted(set(seqs)), "each feed's seq is above the one before"
    finally:
        await stop_tasks(tasks)
    assert feed.protocol == PROTOCOL


async def test_a_round_holds_no_connection_while_it_reads_the_kept_hall(tmp_path: Path) -> None:
    """The kept hall is read with a connection of its own: a round that held one meanwhile waited
    for a second, and a city's rounds took SQLite's whole read pool in a rush (every request then
    waited 30 s for a connection and was answered 503). With a pool of one, it would never end."""
    async with Database(f"sqlite:///{tmp_path / 'one.db'}", pool_size=1) as db:
        await upgrade(db)
        async with db.write() as conn:
            await create_centre(conn, make_centre(), utcnow())
        service = await busy_day(db)
        relay = OutboxRelay(db, "test", service.clock, read_hall=service.hall)
        recorder = Recorder()
        await relay.republish_retained(recorder)
        await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id="one-more")
        assert await relay.drain(recorder)
        async with asyncio.timeout(10):
            assert await relay.publish_legacy_feed(recorder)
        assert sum(group.waiting for group in recorder.feeds[-1].waiting) == 3
