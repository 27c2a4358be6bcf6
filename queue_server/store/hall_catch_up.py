"""What another instance changed since a kept hall was current, read without the whole queue.

Instances on one database each keep a hall per centre. After another instance's actions, building
the hall again reads every open ticket; catching it up reads only the tickets whose events came
since the last event the hall has seen, with the windows (one row each) and today's counters.

A centre's events are written under its lock (:func:`queue_server.store.repository.lock_centre`),
so their ids grow in the order their transactions commit: once an id was read, no event of the
centre with a smaller id can still appear. The mark is read before the rows, so a hall caught up
is never older than its mark, and whatever came after the mark is read again next time. A change
of the centre's configuration bumps its own version: the hall is then built again instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.stored_hall import StoredHall
from queue_server.store import schema
from queue_server.store.repository import stored_hall, ticket_from_row


@dataclass(frozen=True, slots=True)
class Mark:
    """How far a kept hall has seen its centre: the last ticket event and the configuration's version."""

    event: int
    config: int


_e, _c, _t = schema.ticket_events.c, schema.centres.c, schema.tickets.c
_MARK = select(
    select(func.coalesce(func.max(_e.id), 0)).where(_e.centre == bindparam("code")).scalar_subquery(),
    select(_c.config_version).where(_c.code == bindparam("code")).scalar_subquery(),
)
_CHANGED = select(schema.tickets).where(
    _t.centre == bindparam("code"),
    _t.serial.in_(
        select(_e.serial).where(_e.centre == bindparam("code"), _e.id > bindparam("since"), _e.id <= bindparam("until"))
    ),
)


async def mark(conn: AsyncConnection, code: str) -> Mark:
    """The centre's mark now: read it before the rows a hall is built or caught up from."""
    event, config = (await conn.execute(_MARK, {"code": code})).one()
    return Mark(int(event), int(config if config is not None else 0))


async def changed_since(
    conn: AsyncConnection, code: str, since: Mark, until: Mark, today: dt.date, *, real_name: bool = False
) -> StoredHall | None:
    """The tickets with events after ``since`` up to ``until``, the windows and the counters from
    ``today`` (each person's real-name tickets with ``real_name``); None when the configuration
    changed in between (build the hall again)."""
    if until.config != since.config:
        return None
    tickets = []
    if until.event != since.event:  # else only windows or counters changed (a sign-on, a pause)
        found = await conn.execute(_CHANGED, {"code": code, "since": since.event, "until": until.event})
        tickets = [ticket_from_row(row) for row in found]
    return await stored_hall(conn, code, today, tickets, real_name=real_name)
