"""The outbox: messages an action causes, written in its transaction, published after commit.

What the messages say is the application's (queue_server.app.projections); this keeps them.

Each message has a subject, its topic below the centre's root (``window/3/call``, ``hall/feed``),
a sequence number per subject assigned here
under the centre's lock (so it never repeats or resets), and an event type. The bus relays the
rows in order per subject and marks them sent once the broker acknowledged them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.changes import Change
from queue_server.domain.events import TicketCalled, TicketRecalled
from queue_server.store import schema
from queue_server.store.repository import Writes, sequenced

RECENT_CALLS = 10

OutboxRow: TypeAlias = Mapping[str, Any]
"""An outbox row as an action's transaction wrote it: ``centre``, ``subject``, ``seq``,
``event_type``, ``payload`` and ``created_at`` (the table's columns but its id and ``sent_at``)."""


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    """The topic below ``onewindow/<centre>/`` (queue_server.protocol.topics)."""
    event_type: str
    payload: Mapping[str, Any]
    """A view (queue_server.app.views), sent as JSON."""


@dataclass(frozen=True, slots=True)
class _Call:
    serial: int
    seq: int
    window: int
    recall: bool
    at: str | None


@dataclass(frozen=True, slots=True)
class RecentCall:
    """A call or recall as the hall board lists it, with its ticket's number, matter and channel."""

    serial: int
    seq: int
    window: int
    recall: bool
    at: str | None
    number: str
    matter: str
    green: bool
    booked: bool = False


class RecentCalls:
    """The hall board's latest calls, read once and then kept up to date from each change.

    It holds what a query of the logs would give: each call's event record and its ticket's current
    number, matter and channel; ``note`` adds a change's calls and ticket states as ``save_change``
    writes them, so ``calls`` answers as the query would, without it. Valid only as long as the
    hall it goes with (the service drops both together).
    """

    def __init__(self, calls: list[_Call], tickets: dict[int, tuple[str, str, bool, bool]], limit: int) -> None:
        self._calls = calls
        self._tickets = tickets
        self._limit = limit

    @classmethod
    async def load(cls, conn: AsyncConnection, code: str, limit: int = RECENT_CALLS) -> RecentCalls:
        e, t = schema.ticket_events.c, schema.tickets.c
        rows = (
            await conn.execute(
                select(e.data, e.seq, t.number, t.matter, t.category, t.booked_from)
                .join(schema.tickets, (t.centre == e.centre) & (t.serial == e.serial))
                .where(e.centre == code, e.kind.in_(("called", "recalled")))
                .order_by(e.id.desc())
                .limit(limit)
            )
        ).all()
        calls = [
            _Call(row.data["serial"], row.seq, row.data["window"], row.data["kind"] == "recalled", row.data["at"])
            for row in rows
        ]
        tickets = {
            row.data["serial"]: (row.number, row.matter, row.category is not None, row.booked_from is not None)
            for row in rows
        }
        return cls(calls, tickets, limit)

    def note(self, change: Change) -> None:
        """Take in a change as it is saved: its calls (newest first) and its tickets' new state."""
        versions = {t.serial: t.version for t in change.tickets}
        new = []
        for seq, event in sequenced(change.ticket_events, "serial", versions):
            if isinstance(event, (TicketCalled, TicketRecalled)):
                at = event.to_record()["at"]  # the log's own text of the instant
                recall = isinstance(event, TicketRecalled)
                new.append(_Call(event.serial, seq, event.window, recall, at if isinstance(at, str) else None))
        called = {call.serial for call in new}
        for ticket in change.tickets:
            if ticket.serial in self._tickets or ticket.serial in called:
                self._tickets[ticket.serial] = (ticket.number, ticket.matter, ticket.green, ticket.booked)
        if new:
            self._calls = [*reversed(new), *self._calls][: self._limit]
            kept = {call.serial for call in self._calls}
            self._tickets = {serial: info for serial, info in self._tickets.items() if serial in kept}

    def listed(self) -> set[int]:
        """The serials of the tickets the latest calls name."""
        return set(self._tickets)

    def calls(self) -> list[RecentCall]:
        """The latest calls, newest first."""
        return [RecentCall(c.serial, c.seq, c.window, c.recall, c.at, *self._tickets[c.serial]) for c in self._calls]


async def write_outbox(
    conn: AsyncConnection, code: str, messages: list[Message], now: dt.datetime, writes: Writes | None = None
) -> None:
    """Append the messages with their per-subject sequence numbers (kept in ``writes`` if given)."""
    if not messages:
        return
    out = writes if writes is not None else Writes(code)
    last = await out.next_seqs(conn, (m.subject for m in messages))
    for message in messages:
        seq = last.get(message.subject, 0) + 1
        last[message.subject] = seq
        out.dirty.add(message.subject)
        out.outbox.append(
            {
                "centre": code,
                "subject": message.subject,
                "seq": seq,
                "event_type": message.event_type,
                "payload": message.payload,
                "created_at": now,
            }
        )
    if writes is None:
        await out.flush(conn)


# Relaying and pruning


@dataclass(frozen=True, slots=True)
class Pending:
    """An outbox row not yet acknowledged by the broker."""

    id: int
    subject: str
    seq: int
    payload: Any


async def last_seqs(conn: AsyncConnection, code: str) -> dict[str, int]:
    """The last sequence of each of the centre's subjects."""
    s = schema.outbox_subjects.c
    rows = await conn.execute(select(s.subject, s.last_seq).where(s.centre == code))
    return {subject: int(seq) for subject, seq in rows.all()}


async def pending(conn: AsyncConnection, code: str, limit: int) -> list[Pending]:
    """The centre's first ``limit`` unsent rows, in the order they were written."""
    o = schema.outbox.c
    query = (
        select(o.id, o.subject, o.seq, o.payload)
        .where(o.centre == code, o.sent_at.is_(None))
        .order_by(o.id)
        .limit(limit)
    )
    return [Pending(row.id, row.subject, row.seq, row.payload) for row in await conn.execute(query)]


async def centres_with_pending(conn: AsyncConnection) -> set[str]:
    """The centres that have unsent rows: one look for every centre's relay (the pending index has them)."""
    o = schema.outbox.c
    return set((await conn.execute(select(o.centre).where(o.sent_at.is_(None)).distinct())).scalars())


async def mark_sent(conn: AsyncConnection, ids: list[int], now: dt.datetime) -> None:
    await conn.execute(update(schema.outbox).where(schema.outbox.c.id.in_(ids)).values(sent_at=now))


_SUPERSEDED = (
    update(schema.outbox)
    .where(
        schema.outbox.c.centre == bindparam("_centre"),
        schema.outbox.c.sent_at.is_(None),
        schema.outbox.c.subject == bindparam("_subject"),
        schema.outbox.c.seq <= bindparam("_seq"),
    )
    .values(sent_at=bindparam("_sent_at"))
)
"""One statement run for every subject (executemany), searching the index of unsent rows per subject.

It was one statement naming up to 200 subjects: each count of subjects was a statement of its own
in SQLAlchemy's cache, compiled again and kept there; at a hall of 1,000 windows (more than 2,000
retained subjects) those grew the server's memory and cost a compilation on most marks."""


async def mark_superseded(
    conn: AsyncConnection, code: str, newest: Iterable[tuple[str, int]], now: dt.datetime
) -> None:
    """Mark sent the centre's unsent rows of each subject up to its given sequence (at least one pair)."""
    rows = [{"_centre": code, "_subject": subject, "_seq": seq, "_sent_at": now} for subject, seq in newest]
    if rows:
        await conn.execute(_SUPERSEDED, rows)


async def prune_sent(conn: AsyncConnection, before: dt.datetime) -> int:
    """Delete the rows the broker acknowledged before ``before``; unsent rows stay. Returns how many."""
    o = schema.outbox.c
    result = await conn.execute(delete(schema.outbox).where(o.sent_at.is_not(None), o.sent_at < before))
    return int(result.rowcount or 0)
