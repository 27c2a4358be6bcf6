"""Forgetting whom a 帮办代办 window helped: the person's name or description is kept for the
centre's ``assisted_days`` after the case ended, then blanked in the ticket and in its log alike
(the log still replays to the ticket). Who helped, and with which matter, stays for the reports.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.store import schema


async def forget_helped(conn: AsyncConnection, centre: str, ended_before: dt.datetime) -> int:
    """Blank the person helped in every 帮办代办 record of ``centre`` whose case ended before
    ``ended_before``; returns how many."""
    t, e = schema.tickets.c, schema.ticket_events.c
    helped = t.assistance["helped"].as_string()
    rows = (
        await conn.execute(
            select(t.serial, t.assistance).where(
                t.centre == centre, t.assistance.is_not(None), t.ended_at < ended_before, helped != ""
            )
        )
    ).all()
    for row in rows:
        await conn.execute(
            update(schema.tickets)
            .where(t.centre == centre, t.serial == row.serial)
            .values(assistance={**row.assistance, "helped": ""})
        )
        finished = (
            await conn.execute(
                select(e.id, e.data).where(e.centre == centre, e.serial == row.serial, e.kind == "finished")
            )
        ).all()
        for event in finished:
            if isinstance(event.data.get("assistance"), dict):
                data = {**event.data, "assistance": {**event.data["assistance"], "helped": ""}}
                await conn.execute(update(schema.ticket_events).where(e.id == event.id).values(data=data))
    return len(rows)
