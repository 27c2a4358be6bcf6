"""The outbox: messages an action causes, written in its transaction, published after commit.

Each message has a subject, its topic below the centre's root (``window/3/call``, ``hall/feed``),
a sequence number per subject assigned here
under the centre's lock (so it never repeats or resets), and an event type. The bus relays the
rows in order per subject and marks them sent once the broker acknowledged them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.app.views import View, iso, pad_view, window_view, windows_view
from queue_server.domain.devices import DeviceKind
from queue_server.domain.events import (
    MarkedNoShow,
    RatingExpired,
    RatingRequested,
    ServingStarted,
    TicketCalled,
    TicketFinished,
    TicketRated,
    TicketRecalled,
    TicketTransferred,
)
from queue_server.domain.hall import Change, Hall
from queue_server.protocol.topics import HALL_FEED, PAD_STATE, WINDOW_CALL, WINDOW_STATE
from queue_server.store import schema
from queue_server.store.repository import Writes, sequenced

RECENT_CALLS = 10


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    """The topic below ``onewindow/<centre>/`` (queue_server.protocol.topics)."""
    event_type: str
    payload: Mapping[str, Any]
    """A view (queue_server.app.views), sent as JSON."""


def call_record(
    hall: Hall,
    *,
    serial: int,
    seq: int,
    number: str,
    matter: str,
    green: bool,
    window: int,
    recall: bool,
    at: str | None,
) -> View:
    """A call as windows, the hall board and its feed show it: one shape for live and past calls."""
    found = hall.centre.matters_by_code.get(matter)
    place = hall.centre.windows_by_number.get(window)
    return {
        "call_id": f"{serial}-{seq}",
        "serial": serial,
        "number": number,
        "matter": matter,
        "matter_name": found.name if found else matter,
        "matter_name_en": found.name_en if found else "",
        "green_channel": green,
        "window": window,
        "window_name": place.name if place else str(window),
        "window_name_en": place.name_en if place else "",
        "recall": recall,
        "at": at,
    }


def call_view(hall: Hall, event: TicketCalled | TicketRecalled, seq: int) -> View:
    ticket = hall.ticket(event.serial)
    return call_record(
        hall,
        serial=ticket.serial,
        seq=seq,
        number=ticket.number,
        matter=ticket.matter,
        green=ticket.green,
        window=event.window,
        recall=isinstance(event, TicketRecalled),
        at=iso(event.at),
    )


def build_messages(hall: Hall, change: Change, recent_calls: list[View], *, feed: bool = True) -> list[Message]:
    """What the displays must learn from one change: calls, window states and (``feed``) the hall feed.

    The service leaves the feed out and keeps it with :meth:`Writes.keep_latest` instead: it shows
    every window, so a batch of actions writes it once, as the hall is at the end.
    """
    messages: list[Message] = []
    versions = {t.serial: t.version for t in change.tickets}
    seen: dict[int, int] = {}
    for event in change.ticket_events:
        seen[event.serial] = seen.get(event.serial, 0) + 1
        if isinstance(event, (TicketCalled, TicketRecalled)):
            later = sum(1 for e in change.ticket_events if e.serial == event.serial) - seen[event.serial]
            seq = versions[event.serial] - later
            messages.append(Message(WINDOW_CALL.subject(number=event.window), "call", call_view(hall, event, seq)))
    for number in sorted(windows_touched(change)):
        state = hall.window(number)
        view = window_view(hall.centre, state, hall.holding(number))
        messages.append(Message(WINDOW_STATE.subject(number=number), "state", view))
    rated_windows = {hall.ticket(e.serial).window for e in change.ticket_events if isinstance(e, RATING_EVENTS)}
    for pad in hall.centre.devices:
        if pad.kind is DeviceKind.PAD and pad.window is not None and pad.window in rated_windows:
            messages.append(Message(PAD_STATE.subject(device=pad.id), "state", pad_view(hall, pad.window)))
    if feed and not change.empty:
        messages.append(Message(HALL_FEED.subject(), "feed", hall_feed(hall, recent_calls)))
    return messages


RATING_EVENTS = (RatingRequested, TicketRated, RatingExpired)


def windows_touched(change: Change) -> set[int]:
    """Windows whose state or current ticket the change altered."""
    touched = {w.number for w in change.windows}
    for event in change.ticket_events:
        if isinstance(event, (TicketCalled, TicketRecalled, ServingStarted, MarkedNoShow, TicketFinished)):
            touched.add(event.window)
        elif isinstance(event, TicketTransferred):
            touched.add(event.from_window)
    return touched


def hall_feed(hall: Hall, recent_calls: list[View]) -> View:
    """The whole hall board in one retained snapshot."""
    info = hall.centre.centre
    return {
        "centre": info.code,
        "name": info.name,
        "name_en": info.name_en,
        "time_zone": info.time_zone,
        "at": iso(hall.clock.now()),
        "windows": windows_view(hall),
        "waiting": waiting_groups(hall),
        "last_calls": recent_calls,
    }


def waiting_groups(hall: Hall) -> list[View]:
    """``views.waiting_counts`` of the hall's queue, from the hall's running counts."""
    counts = hall.waiting_by_prefix()
    return [
        {"prefix": g.prefix, "name": g.name, "name_en": g.name_en, "waiting": counts.get(g.prefix, 0)}
        for g in hall.centre.ticket_groups
    ]


async def recent_calls(conn: AsyncConnection, hall: Hall, limit: int = RECENT_CALLS) -> list[View]:
    """The latest calls and recalls, newest first, as the hall board lists them (one query)."""
    return (await RecentCalls.load(conn, hall.centre.centre.code, limit)).views(hall)


@dataclass(frozen=True, slots=True)
class _Call:
    serial: int
    seq: int
    window: int
    recall: bool
    at: str | None


class RecentCalls:
    """The hall board's latest calls, read once and then kept up to date from each change.

    It holds what ``recent_calls`` reads back from the logs: each call's event record and its
    ticket's current number, matter and channel; ``note`` adds a change's calls and ticket states
    as ``save_change`` writes them, so ``views`` answers as the query would, without it. Valid
    only as long as the hall it goes with (the service drops both together).
    """

    def __init__(self, calls: list[_Call], tickets: dict[int, tuple[str, str, bool]], limit: int) -> None:
        self._calls = calls
        self._tickets = tickets
        self._limit = limit

    @classmethod
    async def load(cls, conn: AsyncConnection, code: str, limit: int = RECENT_CALLS) -> RecentCalls:
        e, t = schema.ticket_events.c, schema.tickets.c
        rows = (
            await conn.execute(
                select(e.data, e.seq, t.number, t.matter, t.category)
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
        tickets = {row.data["serial"]: (row.number, row.matter, row.category is not None) for row in rows}
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
                self._tickets[ticket.serial] = (ticket.number, ticket.matter, ticket.green)
        if new:
            self._calls = [*reversed(new), *self._calls][: self._limit]
            kept = {call.serial for call in self._calls}
            self._tickets = {serial: info for serial, info in self._tickets.items() if serial in kept}

    def views(self, hall: Hall) -> list[View]:
        out = []
        for call in self._calls:
            number, matter, green = self._tickets[call.serial]
            out.append(
                call_record(
                    hall,
                    serial=call.serial,
                    seq=call.seq,
                    number=number,
                    matter=matter,
                    green=green,
                    window=call.window,
                    recall=call.recall,
                    at=call.at,
                )
            )
        return out


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


async def mark_sent(conn: AsyncConnection, ids: list[int], now: dt.datetime) -> None:
    await conn.execute(update(schema.outbox).where(schema.outbox.c.id.in_(ids)).values(sent_at=now))


async def mark_superseded(
    conn: AsyncConnection, code: str, newest: Iterable[tuple[str, int]], now: dt.datetime
) -> None:
    """Mark sent the centre's unsent rows of each subject up to its given sequence (at least one pair)."""
    o = schema.outbox.c
    older = or_(*(and_(o.subject == subject, o.seq <= seq) for subject, seq in newest))
    await conn.execute(update(schema.outbox).where(o.centre == code, o.sent_at.is_(None), older).values(sent_at=now))


async def prune_sent(conn: AsyncConnection, before: dt.datetime) -> int:
    """Delete the rows the broker acknowledged before ``before``; unsent rows stay. Returns how many."""
    o = schema.outbox.c
    result = await conn.execute(delete(schema.outbox).where(o.sent_at.is_not(None), o.sent_at < before))
    return int(result.rowcount or 0)
