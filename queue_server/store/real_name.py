"""Forgetting whom a real-name ticket (实名取号) was issued to: the ID number's keyed hash is kept for
the centre's ``real_name_days`` after the ticket's service day, then blanked in the ticket and in its
issued event alike (the log still replays to the ticket). The ticket itself stays for the reports.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.store import schema


async def forget_people(conn: AsyncConnection, centre: str, before: dt.date) -> int:
    """Blank the person of every real-name ticket of ``centre`` served before the day ``before``;
    returns how many."""
    t, e = schema.tickets.c, schema.ticket_events.c
    serials = (
        (await conn.execute(select(t.serial).where(t.centre == centre, t.person.is_not(None), t.service_day < before)))
        .scalars()
        .all()
    )
    if not serials:
        return 0
    await conn.execute(update(schema.tickets).where(t.centre == centre, t.serial.in_(serials)).values(person=None))
    issued = await conn.execute(
        select(e.id, e.data).where(e.centre == centre, e.serial.in_(serials), e.kind == "issued")
    )
    for event in issued.all():
        blanked = {**event.data, "person": None}
        await conn.execute(update(schema.ticket_events).where(e.id == event.id).values(data=blanked))
    return len(serials)
