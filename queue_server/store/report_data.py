"""Loading a report's material: the period's tickets with their first call, and its window pauses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.appeals import AppealStatus
from queue_server.domain.rectification import CaseSource
from queue_server.reports.periods import Period
from queue_server.reports.records import (
    HandledTicket,
    PauseSpan,
    TransferMove,
    WindowMoment,
    pause_spans,
    transfer_moves,
)
from queue_server.store import schema


async def period_tickets(conn: AsyncConnection, centre: str, period: Period) -> list[HandledTicket]:
    """Every ticket whose service day falls in ``period``, with the time it was first called and what
    its bad rating's case says: named (a follow-up call due), followed up, appeal upheld."""
    t, e, r = schema.tickets.c, schema.ticket_events.c, schema.rectification_cases.c
    first_call = (
        select(e.serial, func.min(e.at).label("first_called_at"))
        .where(e.centre == centre, e.kind == "called")
        .group_by(e.serial)
        .subquery()
    )
    cases = (
        select(r.serial, r.named, r.follow_up, r.appeal_status)
        .where(r.centre == centre, r.source == CaseSource.RATING.value)
        .subquery()
    )
    rows = await conn.execute(
        select(schema.tickets, first_call.c.first_called_at, cases.c.named, cases.c.follow_up, cases.c.appeal_status)
        .select_from(
            schema.tickets.outerjoin(first_call, first_call.c.serial == t.serial).outerjoin(
                cases, cases.c.serial == t.serial
            )
        )
        .where(t.centre == centre, t.service_day >= period.first, t.service_day <= period.last)
        .order_by(t.serial)
    )
    return [
        HandledTicket(
            serial=row.serial,
            number=row.number,
            matter=row.matter,
            status=row.status,
            category=row.category,
            issued_at=row.issued_at,
            first_called_at=_utc(row.first_called_at),
            serving_at=row.serving_at,
            ended_at=row.ended_at,
            window=row.window,
            staff=row.staff,
            outcome=row.outcome,
            no_shows=row.no_shows,
            transfers=row.transfers,
            rating_status=row.rating_status,
            rating=row.rating,
            due_date=row.due_date,
            assisted=row.assistance is not None,
            appeal_upheld=row.appeal_status == AppealStatus.UPHELD.value,
            named_bad=bool(row.named),
            rating_items=tuple(row.rating_items or ()),
            followed_up=row.follow_up is not None,
            booked_from=row.booked_from,
            estimate_minutes=row.estimate_minutes,
            estimate_low=row.estimate_low,
            estimate_high=row.estimate_high,
        )
        for row in rows
    ]


async def period_transfers(conn: AsyncConnection, centre: str, period: Period) -> list[TransferMove]:
    """The transfers of the period's tickets, each with the window, staff member and matter it left."""
    t, e = schema.tickets.c, schema.ticket_events.c
    in_period = select(t.serial).where(
        t.centre == centre, t.service_day >= period.first, t.service_day <= period.last, t.transfers > 0
    )
    rows = await conn.execute(
        select(e.serial, e.kind, e.data)
        .where(e.centre == centre, e.kind.in_(("issued", "called", "transferred")), e.serial.in_(in_period))
        .order_by(e.serial, e.seq)
    )
    return transfer_moves((int(row.serial), str(row.kind), dict(row.data or {})) for row in rows)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """An aggregate loses the column's type: SQLite hands back a naive UTC time (or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


async def period_pauses(
    conn: AsyncConnection, centre: str, period: Period, time_zone: str, now: dt.datetime
) -> list[PauseSpan]:
    """The pauses that began in ``period``; one still running ends now (or at the period's end)."""
    start, end = period.utc_bounds(time_zone)
    w = schema.window_events.c
    rows = await conn.execute(
        select(w.window, w.kind, w.at, w.actor, w.data)
        .where(w.centre == centre, w.at >= start, w.at < end + dt.timedelta(days=1))
        .order_by(w.window, w.seq)
    )
    moments = [WindowMoment(r.window, r.kind, r.at, r.actor, str((r.data or {}).get("reason", ""))) for r in rows]
    spans = pause_spans(moments, min(now, end))
    return [span for span in spans if start <= span.start < end]
