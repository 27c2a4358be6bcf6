"""One person's data in every kind of row, and someone else's beside it: for the privacy and retention tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from queue_server.domain.audit import Actor
from queue_server.domain.bookings import Booking, BookingChannel, person_key
from queue_server.domain.clock import ManualClock
from queue_server.domain.phone_codes import phone_key
from queue_server.store import schema
from queue_server.store.booking_codes import add_code, keep_public_phone
from queue_server.store.bookings import add_booking
from queue_server.store.contacts import keep_contact
from queue_server.store.database import Database
from queue_server.store.postal_addresses import PostalAddress, keep_address
from queue_server.store.sms import Notice, keep_phone, write_notices
from tests.api_support import promised_day
from tests.factories import shanghai
from tests.id_numbers import OTHER, YOUNG

NOW = shanghai(2026, 11, 30, 10, 0)
PHONE = "138 1234 5678"
OTHERS_PHONE = "139 8765 4321"
CLERK = Actor("cli:clerk", "operator")


async def seed_person(db: Database, key: bytes) -> None:
    """A promised day's two tickets; the person of PHONE and YOUNG in every kind of row; someone else too."""
    await promised_day(db, ManualClock(NOW))
    async with db.write() as conn:
        await keep_contact(conn, "test", 1, PHONE, "同意回访", NOW, 30)
        await keep_contact(conn, "test", 2, OTHERS_PHONE, "同意回访", NOW, 30)
        address = PostalAddress("张三", "13812345678", "广东省深圳市南山区科技园路1号", "同意寄递", NOW, "staff:s1")
        await keep_address(conn, "test", 1, address, NOW + dt.timedelta(days=60))
        await keep_phone(conn, "test", 1, "+86 138-1234-5678", consent="同意短信", source="kiosk", now=NOW, days=7)
        notices = [
            Notice("called:1", "called", "13812345678", "SMS_1", {"number": "A001"}),
            Notice("called:2", "called", "13987654321", "SMS_1", {"number": "A002"}),
        ]
        await write_notices(conn, "test", notices, NOW, 7)
        slot = shanghai(2026, 12, 1, 9, 0)
        for code, who, masked in (("ABCD2345", YOUNG, "138****5678"), ("EFGH6789", OTHER, "139****4321")):
            booking = Booking(
                code, "pension", slot, slot + dt.timedelta(minutes=30), person_key(key, who), masked,
                BookingChannel.DESK, NOW,
            )  # fmt: skip
            await add_booking(conn, "test", booking, booked_by="guide:desk1", purge_after=NOW + dt.timedelta(days=30))
        await keep_public_phone(conn, "test", "ABCD2345", phone_key(key, "13812345678"), "13812345678")
        await add_code(conn, "test", phone_key(key, "13812345678"), "0" * 64, NOW, NOW + dt.timedelta(minutes=5))
        t = schema.tickets.c
        await conn.execute(update(schema.tickets).where(t.serial == 1).values(person=person_key(key, YOUNG)))
        await conn.execute(update(schema.tickets).where(t.serial == 2).values(person=person_key(key, OTHER)))
        await conn.execute(
            update(schema.tickets)
            .where(t.serial == 2)
            .values(assistance={"helper": "s1", "helped": "王大爷", "matter": "pension"})
        )
