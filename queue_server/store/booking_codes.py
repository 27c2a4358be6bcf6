"""The public booking page's phone codes as rows, and the numbers public bookings keep.

A code row holds the keyed hashes only (queue_server.domain.phone_codes); the latest row of a
number is the one a typed code is judged against. Rows are deleted by the daily jobs at the
centre's closing once its ``policy.booking_code_days`` (1 by default) have passed since they expired.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.bookings import BookingStatus
from queue_server.domain.phone_codes import PhoneCode
from queue_server.store import schema


async def add_code(
    conn: AsyncConnection, centre: str, phone_key: str, code_hash: str, now: dt.datetime, expires_at: dt.datetime
) -> int:
    """A new code for the number; returns its id (the key of its SMS notice)."""
    done = await conn.execute(
        insert(schema.booking_codes)
        .values(centre=centre, phone_key=phone_key, code_hash=code_hash, created_at=now, expires_at=expires_at)
        .returning(schema.booking_codes.c.id)
    )
    return int(done.scalar_one())


async def latest_code(conn: AsyncConnection, centre: str, phone_key: str) -> PhoneCode | None:
    """The number's latest code, unless it was used (a used code is no code)."""
    c = schema.booking_codes.c
    row = (
        await conn.execute(
            select(c.id, c.code_hash, c.expires_at, c.attempts, c.used_at, c.used_by)
            .where(c.centre == centre, c.phone_key == phone_key)
            .order_by(c.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return PhoneCode(row.id, row.code_hash, row.expires_at, row.attempts, row.used_by)


async def count_wrong(conn: AsyncConnection, code_id: int) -> int:
    """One more wrong try; returns the tries so far."""
    c = schema.booking_codes.c
    await conn.execute(update(schema.booking_codes).where(c.id == code_id).values(attempts=c.attempts + 1))
    return int((await conn.execute(select(c.attempts).where(c.id == code_id))).scalar_one())


async def use_code(conn: AsyncConnection, code_id: int, used_by: str, now: dt.datetime) -> bool:
    """Mark the code used by a request; False when another request used it first."""
    c = schema.booking_codes.c
    done = await conn.execute(
        update(schema.booking_codes).where(c.id == code_id, c.used_at.is_(None)).values(used_at=now, used_by=used_by)
    )
    return bool(done.rowcount)


async def purge_codes(conn: AsyncConnection, centre: str, cutoff: dt.datetime) -> int:
    """Delete the centre's codes that expired before ``cutoff``."""
    c = schema.booking_codes.c
    done = await conn.execute(delete(schema.booking_codes).where(c.centre == centre, c.expires_at < cutoff))
    return int(done.rowcount or 0)


async def keep_public_phone(
    conn: AsyncConnection, centre: str, code: str, phone_key: str, reminder_phone: str | None
) -> None:
    b = schema.bookings.c
    await conn.execute(
        update(schema.bookings)
        .where(b.centre == centre, b.code == code)
        .values(phone_key=phone_key, reminder_phone=reminder_phone)
    )


async def phone_key_of(conn: AsyncConnection, centre: str, code: str) -> str | None:
    b = schema.bookings.c
    found = await conn.execute(select(b.phone_key).where(b.centre == centre, b.code == code))
    return found.scalar_one_or_none()


async def to_remind(
    conn: AsyncConnection, centre: str, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, str, str, dt.datetime, dt.datetime]]:
    """Active bookings with a number for the reminder whose slot starts in [start, end):
    (code, number, matter, slot start, slot end)."""
    b = schema.bookings.c
    rows = await conn.execute(
        select(b.code, b.reminder_phone, b.matter, b.slot_start, b.slot_end).where(
            b.centre == centre,
            b.status == BookingStatus.BOOKED.value,
            b.reminder_phone.is_not(None),
            b.slot_start >= start,
            b.slot_start < end,
        )
    )
    return [(r.code, r.reminder_phone, r.matter, r.slot_start, r.slot_end) for r in rows]
