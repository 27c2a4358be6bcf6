"""The outbox relay: committed messages to the broker, in order per subject, never lost.

Rows are read in id order (within a centre that is the order of their sequence numbers per
subject) and published with QoS 1; a row is marked sent only once the broker acknowledged it. A
crash or an outage between the two only means the row is published again: delivery is at least
once, and a receiver drops a message whose sequence it has seen.

On every connection the relay first publishes the current retained state (window states, the
hall feed) with the newest sequence of each subject, because a broker that restarted without
persistence has forgotten it. A pending row for a retained subject that is older than that
snapshot is then marked sent without publishing it, so it cannot overwrite the newer state the
broker holds. Calls are never skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select, update

from queue_server.domain.clock import Clock
from queue_server.domain.devices import DeviceKind
from queue_server.protocol.topics import HALL_FEED, PAD_STATE, ROOT, WINDOW_STATE, match_topic
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.outbox import hall_feed, recent_calls
from queue_server.store.repository import load_hall
from queue_server.views import pad_view, window_view

log = logging.getLogger(__name__)

BATCH = 200
IN_FLIGHT = 10
POLL_SECONDS = 1.0
"""How often the relay looks for rows without being woken (another instance may have written them)."""


class Publisher(Protocol):
    """What the relay needs of an MQTT client (aiomqtt.Client has it)."""

    async def publish(self, topic: str, payload: str, qos: int = ..., retain: bool = ...) -> None: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    subject: str
    seq: int
    payload: dict[str, Any]


def topic_of(centre: str, subject: str) -> str:
    return f"{ROOT}/{centre}/{subject}"


def encode(payload: dict[str, Any], seq: int) -> str:
    return json.dumps({**payload, "seq": seq}, ensure_ascii=False, separators=(",", ":"))


def is_retained(centre: str, subject: str) -> bool:
    found = match_topic(topic_of(centre, subject))
    if found is None:
        raise ValueError(f"Cannot relay subject {subject!r}: it is no OneWindow topic")
    return found[0].retained


class OutboxRelay:
    """Publishes one centre's outbox; ``wake`` is set after each commit to publish at once."""

    def __init__(self, db: Database, centre: str, clock: Clock) -> None:
        self.db = db
        self.centre = centre
        self.clock = clock
        self.wake = asyncio.Event()
        self.published: dict[str, int] = {}
        """Newest sequence published per retained subject on the current connection."""

    async def republish_retained(self, client: Publisher) -> int:
        """Publish the current retained state; returns how many messages."""
        snapshot = await self.retained_snapshot()
        for start in range(0, len(snapshot), IN_FLIGHT):
            chunk = snapshot[start : start + IN_FLIGHT]
            await asyncio.gather(
                *(client.publish(topic_of(self.centre, m.subject), encode(m.payload, m.seq), 1, True) for m in chunk)
            )
        self.published = {m.subject: m.seq for m in snapshot}
        return len(snapshot)

    async def retained_snapshot(self) -> list[Outgoing]:
        """Every window's state, the hall feed and every pad's state as they are now, newest sequences."""
        async with self.db.read() as conn:
            hall = await load_hall(conn, self.centre, self.clock)
            calls = await recent_calls(conn, hall)
            s = schema.outbox_subjects.c
            rows = await conn.execute(select(s.subject, s.last_seq).where(s.centre == self.centre))
            last = {subject: int(seq) for subject, seq in rows.all()}
        out = [
            Outgoing(
                WINDOW_STATE.subject(number=state.number),
                last.get(WINDOW_STATE.subject(number=state.number), 0),
                window_view(hall.centre, state, hall.holding(state.number)),
            )
            for state in hall.windows()
        ]
        out.append(Outgoing(HALL_FEED.subject(), last.get(HALL_FEED.subject(), 0), hall_feed(hall, calls)))
        for pad in hall.centre.devices:
            if pad.kind is DeviceKind.PAD and pad.window is not None:
                subject = PAD_STATE.subject(device=pad.id)
                out.append(Outgoing(subject, last.get(subject, 0), pad_view(hall, pad.window)))
        return out

    async def drain(self, client: Publisher) -> int:
        """Publish every pending row; returns how many were published."""
        total = 0
        while True:
            rows = await self._pending()
            if not rows:
                return total
            total += await self._publish(client, rows)
            await self._mark_sent([row.id for row in rows])

    async def run(self, client: Publisher) -> None:
        """Drain now, then whenever woken (or every second), until cancelled."""
        while True:
            self.wake.clear()
            await self.drain(client)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), POLL_SECONDS)

    async def _pending(self) -> Sequence[Any]:
        o = schema.outbox.c
        query = (
            select(o.id, o.subject, o.seq, o.payload)
            .where(o.centre == self.centre, o.sent_at.is_(None))
            .order_by(o.id)
            .limit(BATCH)
        )
        async with self.db.read() as conn:
            return (await conn.execute(query)).all()

    async def _publish(self, client: Publisher, rows: Sequence[Any]) -> int:
        """Publish in order on one connection (MQTT keeps the order); all must be acknowledged.

        Up to ``IN_FLIGHT`` publishes await their acknowledgement together: one round trip per
        chunk instead of one per message, within what aiomqtt keeps pending without warning.
        """
        sends = []
        for row in rows:
            retained = is_retained(self.centre, row.subject)
            if retained and row.seq <= self.published.get(row.subject, 0):
                continue  # older than the state the broker already holds
            if retained:
                self.published[row.subject] = row.seq
            sends.append((topic_of(self.centre, row.subject), encode(row.payload, row.seq), retained))
        for start in range(0, len(sends), IN_FLIGHT):
            chunk = sends[start : start + IN_FLIGHT]
            await asyncio.gather(*(client.publish(topic, text, 1, retained) for topic, text, retained in chunk))
        return len(sends)

    async def _mark_sent(self, ids: list[int]) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                update(schema.outbox).where(schema.outbox.c.id.in_(ids)).values(sent_at=self.clock.now())
            )
