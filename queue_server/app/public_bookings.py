"""Bookings from the public page: made, cancelled and moved by whoever holds the number, and the
day-before reminder.

The number is proved by the code texted to it (queue_server.app.booking_codes), spent in the
booking's transaction. Without an ID number the person is the number (its keyed hash), so the
per-person limit holds per number; with one, the ID number's hash as at the desk. The booking keeps
the number's keyed hash, so it can be changed later by its code, the number and a fresh SMS code,
and the number itself only when the citizen agreed to the reminder; both go with the booking's
other personal data after the centre's ``keep_days``. The confirmation's SMS notice is written in
the booking's transaction (key ``booking_confirmed:<code>``), the reminder's by the daily jobs
(``booking_reminder:<code>:<day>``): each once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from queue_server.app import bookings
from queue_server.app.answers import Answer
from queue_server.app.booking_codes import use_code
from queue_server.app.notices import mobile_number
from queue_server.app.once import Once, run_once
from queue_server.app.service import HallService
from queue_server.app.sms_settings import NoticeKind
from queue_server.domain.bookings import Booking, BookingChannel, person_key
from queue_server.domain.errors import NotFound
from queue_server.domain.hall import Hall
from queue_server.domain.phone_codes import phone_key, reminder_due
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store import booking_codes as stored
from queue_server.store.database import Connection
from queue_server.store.sms import written_keys

SCOPED_ID_LENGTH = 120
"""The longest request id kept as it is (the code's ``used_by`` column)."""
REMIND_FROM = dt.time(9, 0)
"""The reminder goes the day before, not before this local time."""


@dataclass(frozen=True, slots=True)
class PublicAsked:
    """A booking asked for on the public page: the number proved by the code ``code_id``."""

    matter: str
    start: dt.datetime
    phone: str
    id_number: str | None
    reminder: bool
    """The citizen agreed to the number being kept for the reminder."""
    code_id: int


def details(hall: Hall, matter: str, slot_start: dt.datetime) -> dict[str, str]:
    """The template's parameters of a booking's reminder (and, with its code, its confirmation)."""
    start = hall.calendar.local(slot_start)
    return {
        "date": f"{start:%m月%d日}",
        "time": f"{start:%H:%M}",
        "centre": hall.centre.centre.name,
        "matter": hall.centre.matter(matter).name,
    }


async def book(service: HallService, once: Once, asked: PublicAsked, key: bytes) -> Answer:
    """Book with a proved number: the code spent, the booking made and its confirmation written, together."""
    number = mobile_number(asked.phone)
    person = person_key(key, asked.id_number) if asked.id_number else phone_key(key, number)
    wanted = bookings.BookingAsked(asked.matter, asked.start, asked.id_number or "", number, BookingChannel.PUBLIC)

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> Booking:
        await use_code(conn, asked.code_id, once.request_id, now)
        booking = await bookings.take_place(conn, hall, now, wanted, person, booked_by=once.actor)
        kept = number if asked.reminder else None
        await stored.keep_public_phone(conn, hall.centre.code, booking.code, phone_key(key, number), kept)
        said = {**details(hall, booking.matter, booking.slot_start), "booking": booking.code}
        notifier = service.notifier
        await notifier.booking_confirmed(conn, hall.centre.code, number, details=said, key=booking.code, now=now)
        return booking

    return await run_once(service, once, bookings.BOOK, step, bookings.BOOKING_PRESENTER)


def holder_check(once: Once, phone: str, code_id: int, key: bytes) -> bookings.Also:
    """The public page's check before a cancel or a move: the booking's number, proved by a code."""
    number_key = phone_key(key, mobile_number(phone))

    async def check(conn: Connection, booking: Booking, now: dt.datetime) -> None:
        if await stored.phone_key_of(conn, once.centre, booking.code) != number_key:
            # said like a booking that does not exist: the page tells no one whose booking it is
            raise NotFound(f"There is no booking {booking.code!r}", RefusalCode.BOOKING_NOT_FOUND)
        await use_code(conn, code_id, once.request_id, now)

    return check


async def cancel(service: HallService, once: Once, code: str, phone: str, code_id: int, key: bytes) -> Answer:
    return await bookings.cancel(service, once, code, also=holder_check(once, phone, code_id, key))


async def move(
    service: HallService, once: Once, code: str, start: dt.datetime, phone: str, code_id: int, key: bytes
) -> Answer:
    check = holder_check(once, phone, code_id, key)
    return await bookings.move(service, once, code, start, also=check)


async def send_reminders(service: HallService, centres: Sequence[str]) -> int:
    """The day-before reminders due now at the centres that send them; returns how many were new."""
    now, written = service.clock.now(), 0
    for code in centres:
        if not service.notifier.offers(code, NoticeKind.BOOKING_REMINDER):
            continue
        hall = await service.hall(code)
        local = hall.calendar.local(now)
        tomorrow = local.date() + dt.timedelta(days=1)
        if not reminder_due(tomorrow, local.date(), local.time(), REMIND_FROM):
            continue
        start = hall.calendar.instant(tomorrow, dt.time(0, 0))
        end = hall.calendar.instant(tomorrow + dt.timedelta(days=1), dt.time(0, 0))
        async with service.db.read() as conn:  # every few seconds: a read, and a write only when one is due
            listed = await stored.to_remind(conn, code, start, end)
            keys = {row[0]: f"{row[0]}:{hall.calendar.local_date(row[3]):%Y%m%d}" for row in listed}
            sent = await written_keys(conn, code, [f"{NoticeKind.BOOKING_REMINDER.value}:{k}" for k in keys.values()])
        due = [row for row in listed if f"{NoticeKind.BOOKING_REMINDER.value}:{keys[row[0]]}" not in sent]
        if not due:
            continue
        async with service.db.write() as conn:
            for booking_code, phone, matter, slot_start, _ in due:
                params, key = details(hall, matter, slot_start), keys[booking_code]
                written += await service.notifier.booking_reminder(conn, code, phone, details=params, key=key, now=now)
    return written


def public_request_id(key: bytes, phone: str, request_id: str) -> str:
    """The stored request id of a public booking action, scoped to the number (every citizen acts
    as ``citizen``: unscoped, one could replay another's answer); a long one as its digest."""
    scoped = f"phone:{phone_key(key, mobile_number(phone))[:16]}:"
    if len(scoped + request_id) <= SCOPED_ID_LENGTH:
        return scoped + request_id
    return scoped + "sha256:" + hashlib.sha256(request_id.encode()).hexdigest()
