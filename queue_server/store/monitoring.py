"""What a Prometheus scrape reads from the database: one bounded query per figure, for every centre
at once (never one per centre), each grouped by centre in the database.

- the relay's lag: the oldest unsent outbox row of each centre (the partial index of unsent rows
  answers it);
- print jobs by state: those still waiting for their printer's answer, and those answered in the
  last :data:`RECENT` (never the whole history), and the oldest job still waiting;
- SMS notices by state (the index on centre and status answers it; the rows themselves go with the
  retention policy);
- today's tickets by state and rating, each centre's today in its own time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from queue_server.store import schema
from queue_server.store.database import Connection


async def oldest_unsent(conn: Connection, centres: Collection[str]) -> dict[str, dt.datetime]:
    """When each centre's oldest unsent outbox row was written; a centre with none is left out."""
    o = schema.outbox.c
    query = (
        select(o.centre, func.min(o.created_at))
        .where(o.sent_at.is_(None), o.centre.in_(list(centres)))
        .group_by(o.centre)
    )
    return {row[0]: row[1] for row in (await conn.execute(query)).all()}


RECENT = dt.timedelta(hours=24)
"""The print jobs answered (done, failed, unknown) this long ago at most are counted."""


async def print_jobs_by_state(
    conn: Connection, centres: Collection[str], now: dt.datetime
) -> dict[tuple[str, str], int]:
    """How many print jobs each centre has waiting for their printer's answer (queued), and how many
    its printers answered in each state (done, failed, unknown) in the last :data:`RECENT`."""
    p = schema.print_jobs.c
    query = (
        select(p.centre, p.status, func.count())
        .where(p.centre.in_(list(centres)), or_(p.status == "queued", p.updated_at >= now - RECENT))
        .group_by(p.centre, p.status)
    )
    return {(centre, status): count for centre, status, count in (await conn.execute(query)).all()}


async def oldest_queued_jobs(conn: Connection, centres: Collection[str]) -> dict[str, dt.datetime]:
    """When each centre's oldest print job still waiting for its printer's answer was made."""
    p = schema.print_jobs.c
    query = (
        select(p.centre, func.min(p.created_at))
        .where(p.status == "queued", p.centre.in_(list(centres)))
        .group_by(p.centre)
    )
    return {row[0]: row[1] for row in (await conn.execute(query)).all()}


async def sms_by_state(conn: Connection, centres: Collection[str]) -> dict[tuple[str, str], int]:
    """How many SMS notices each centre keeps in each state (pending, sent, delivered, failed)."""
    n = schema.sms_notices.c
    query = select(n.centre, n.status, func.count()).where(n.centre.in_(list(centres))).group_by(n.centre, n.status)
    return {(centre, status): count for centre, status, count in (await conn.execute(query)).all()}


@dataclass(slots=True)
class DayTickets:
    """One centre's tickets of one service day: how many in each state, and rated at each level."""

    by_status: dict[str, int] = field(default_factory=dict)
    by_rating: dict[int, int] = field(default_factory=dict)


async def tickets_of_days(conn: Connection, days: Mapping[str, dt.date]) -> dict[str, DayTickets]:
    """Each centre's tickets of its service day in ``days`` (its today), by state and by rating, in
    one query for every centre: the days are few (one per time zone), each centre's own picked out here."""
    t = schema.tickets.c
    query = (
        select(t.centre, t.service_day, t.status, t.rating, func.count())
        .where(t.centre.in_(list(days)), t.service_day.in_(sorted(set(days.values()))))
        .group_by(t.centre, t.service_day, t.status, t.rating)
    )
    found = {code: DayTickets() for code in days}
    for centre, day, status, rating, count in (await conn.execute(query)).all():
        if _date(day) != days[centre]:
            continue
        mine = found[centre]
        mine.by_status[status] = mine.by_status.get(status, 0) + count
        if rating is not None:
            mine.by_rating[rating] = mine.by_rating.get(rating, 0) + count
    return found


def _date(value: dt.date | str) -> dt.date:
    """A grouped date, as SQLite may hand it back as text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
