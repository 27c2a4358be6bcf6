"""Bookings (预约) as rows: one per booking, the person kept only as a keyed hash and a masked phone.

Written under the centre's lock (queue_server.app.bookings), so a slot's places and a person's
active bookings are counted and taken in one transaction. The daily jobs mark the bookings never
checked in as no-shows and blank the person (hash and phone) at ``purge_after``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.bookings import Booking, BookingChannel, BookingStatus
from queue_server.store import schema

HOLDING = (BookingStatus.BOOKED.value, BookingStatus.CHECKED_IN.value)
"""The statuses that hold a place of their slot."""


def _booking(row: Any) -> Booking:
    return Booking(
        code=row.code,
        matter=row.matter,
        slot_start=row.slot_start,
        slot_end=row.slot_end,
        person=row.person or "",
        phone=row.phone or "",
        channel=BookingChannel(row.channel),
        booked_at=row.booked_at,
        status=BookingStatus(row.status),
        checked_in_at=row.checked_in_at,
        ticket=row.ticket,
    )


async def add_booking(
    conn: AsyncConnection, centre: str, booking: Booking, *, booked_by: str, purge_after: dt.datetime
) -> None:
    await conn.execute(
        insert(schema.bookings).values(
            centre=centre,
            code=booking.code,
            matter=booking.matter,
            slot_start=booking.slot_start,
            slot_end=booking.slot_end,
            person=booking.person,
            phone=booking.phone,
            channel=booking.channel.value,
            booked_at=booking.booked_at,
            booked_by=booked_by,
            status=booking.status.value,
            purge_after=purge_after,
        )
    )


async def booking_by_code(conn: AsyncConnection, centre: str, code: str) -> Booking | None:
    b = schema.bookings.c
    row = (await conn.execute(select(schema.bookings).where(b.centre == centre, b.code == code))).first()
    return _booking(row) if row is not None else None


async def active_bookings(conn: AsyncConnection, centre: str, person: str) -> list[Booking]:
    """The person's bookings not yet checked in, cancelled or missed, earliest slot first."""
    b = schema.bookings.c
    rows = await conn.execute(
        select(schema.bookings)
        .where(b.centre == centre, b.person == person, b.status == BookingStatus.BOOKED.value)
        .order_by(b.slot_start)
    )
    return [_booking(row) for row in rows]


async def places_taken(
    conn: AsyncConnection, centre: str, matter: str, start: dt.datetime, end: dt.datetime
) -> dict[dt.datetime, int]:
    """Per slot start in [start, end): how many bookings hold a place."""
    b = schema.bookings.c
    rows = await conn.execute(
        select(b.slot_start, func.count())
        .where(
            b.centre == centre,
            b.matter == matter,
            b.slot_start >= start,
            b.slot_start < end,
            b.status.in_(HOLDING),
        )
        .group_by(b.slot_start)
    )
    return {row[0]: int(row[1]) for row in rows}


async def places_booked_since(
    conn: AsyncConnection, centre: str, since: dt.datetime
) -> dict[tuple[str, dt.datetime], int]:
    """Per matter and slot start, the places booked in slots starting from ``since`` on (what a
    change of the slots' places must leave room for)."""
    b = schema.bookings.c
    rows = await conn.execute(
        select(b.matter, b.slot_start, func.count())
        .where(b.centre == centre, b.slot_start >= since, b.status.in_(HOLDING))
        .group_by(b.matter, b.slot_start)
    )
    return {(row[0], row[1]): int(row[2]) for row in rows}


async def change_status(conn: AsyncConnection, centre: str, code: str, to: BookingStatus, **values: Any) -> bool:
    """Move an active booking to ``to`` (with ``values``: the check-in's instant and ticket);
    False when it was not active any more (another desk was quicker)."""
    b = schema.bookings.c
    done = await conn.execute(
        update(schema.bookings)
        .where(b.centre == centre, b.code == code, b.status == BookingStatus.BOOKED.value)
        .values(status=to.value, **values)
    )
    return bool(done.rowcount)


async def move_booking(conn: AsyncConnection, centre: str, code: str, start: dt.datetime, end: dt.datetime) -> bool:
    """Reschedule an active booking to another slot of its matter."""
    b = schema.bookings.c
    done = await conn.execute(
        update(schema.bookings)
        .where(b.centre == centre, b.code == code, b.status == BookingStatus.BOOKED.value)
        .values(slot_start=start, slot_end=end)
    )
    return bool(done.rowcount)


async def mark_no_shows(conn: AsyncConnection, centre: str, started_before: dt.datetime) -> int:
    """Every active booking whose slot started before ``started_before`` (its check-in closed) is a no-show."""
    b = schema.bookings.c
    done = await conn.execute(
        update(schema.bookings)
        .where(b.centre == centre, b.status == BookingStatus.BOOKED.value, b.slot_start < started_before)
        .values(status=BookingStatus.NO_SHOW.value)
    )
    return int(done.rowcount or 0)


async def sweep_due(conn: AsyncConnection, started_before: dict[str, dt.datetime], now: dt.datetime) -> bool:
    """Whether :func:`mark_no_shows` (with each centre's ``started_before``) or :func:`purge_people`
    would change a row: one read, so the sweep every few seconds opens no write transaction for nothing."""
    b = schema.bookings.c
    late = [
        (b.centre == centre) & (b.status == BookingStatus.BOOKED.value) & (b.slot_start < before)
        for centre, before in started_before.items()
    ]
    person = b.person.is_not(None) | b.phone.is_not(None) | b.phone_key.is_not(None) | b.reminder_phone.is_not(None)
    due = (b.purge_after <= now) & person
    for condition in late:
        due = due | condition
    found = await conn.execute(select(b.code).where(due).limit(1))
    return found.first() is not None


async def purge_people(conn: AsyncConnection, now: dt.datetime) -> int:
    """Blank the person of every booking past its ``purge_after``: the ID hash and the phone (masked,
    hashed, and kept for the reminder); returns how many."""
    b = schema.bookings.c
    done = await conn.execute(
        update(schema.bookings)
        .where(
            b.purge_after <= now,
            b.person.is_not(None) | b.phone.is_not(None) | b.phone_key.is_not(None) | b.reminder_phone.is_not(None),
        )
        .values(person=None, phone=None, phone_key=None, reminder_phone=None)
    )
    return int(done.rowcount or 0)


async def booking_counts(conn: AsyncConnection, centre: str, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """How many bookings of slots in [start, end) stand in each status (for the reports)."""
    b = schema.bookings.c
    rows = await conn.execute(
        select(b.status, func.count())
        .where(b.centre == centre, b.slot_start >= start, b.slot_start < end)
        .group_by(b.status)
    )
    counts = {status.value: 0 for status in BookingStatus}
    counts.update({row[0]: int(row[1]) for row in rows})
    return counts
