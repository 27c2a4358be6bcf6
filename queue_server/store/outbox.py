"""The outbox: messages an action causes, written in its transaction, published after commit.

Each message has a subject, its topic below the centre's root (``window/3/call``, ``hall/feed``),
a sequence number per subject assigned here
under the centre's lock (so it never repeats or resets), and an event type. The bus relays the
rows in order per subject and marks them sent once the broker acknowledged them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

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
from queue_server.store.repository import upsert
from queue_server.views import View, iso, pad_view, waiting_counts, window_view, windows_view

RECENT_CALLS = 10


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    """The topic below ``onewindow/<centre>/`` (queue_server.protocol.topics)."""
    event_type: str
    payload: View


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


def build_messages(hall: Hall, change: Change, recent_calls: list[View]) -> list[Message]:
    """What the displays must learn from one change: calls, window states and the hall feed."""
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
    if not change.empty:
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
        "at": iso(hall.clock.now()),
        "windows": windows_view(hall),
        "waiting": waiting_counts(hall.centre, hall.waiting()),
        "last_calls": recent_calls,
    }


async def recent_calls(conn: AsyncConnection, hall: Hall, limit: int = RECENT_CALLS) -> list[View]:
    """The latest calls and recalls, newest first, as the hall board lists them (one query)."""
    e, t = schema.ticket_events.c, schema.tickets.c
    code = hall.centre.centre.code
    rows = (
        await conn.execute(
            select(e.data, e.seq, t.number, t.matter, t.category)
            .join(schema.tickets, (t.centre == e.centre) & (t.serial == e.serial))
            .where(e.centre == code, e.kind.in_(("called", "recalled")))
            .order_by(e.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        call_record(
            hall,
            serial=row.data["serial"],
            seq=row.seq,
            number=row.number,
            matter=row.matter,
            green=row.category is not None,
            window=row.data["window"],
            recall=row.data["kind"] == "recalled",
            at=row.data["at"],
        )
        for row in rows
    ]


async def write_outbox(conn: AsyncConnection, code: str, messages: list[Message], now: dt.datetime) -> None:
    """Append the messages with their per-subject sequence numbers."""
    if not messages:
        return
    s = schema.outbox_subjects.c
    subjects = sorted({m.subject for m in messages})
    rows = await conn.execute(select(s.subject, s.last_seq).where(s.centre == code, s.subject.in_(subjects)))
    last: dict[str, int] = {subject: int(seq) for subject, seq in rows.all()}
    out: list[dict[str, Any]] = []
    for message in messages:
        seq = last.get(message.subject, 0) + 1
        last[message.subject] = seq
        out.append(
            {
                "centre": code,
                "subject": message.subject,
                "seq": seq,
                "event_type": message.event_type,
                "payload": message.payload,
                "created_at": now,
            }
        )
    await conn.execute(insert(schema.outbox), out)
    for subject in subjects:
        values = {"centre": code, "subject": subject, "last_seq": last[subject]}
        await conn.execute(upsert(conn, schema.outbox_subjects, values, ("centre", "subject"), last_seq=last[subject]))
