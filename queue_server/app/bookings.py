"""Bookings (预约): book, move and cancel under the centre's lock; check in as a ticket; the daily sweep.

The rules are the domain's (queue_server.domain.bookings); this module reads and writes the rows
(queue_server.store.bookings) in the centre's transaction, so a slot's places and a person's limit
are counted and taken together. The ID number arrives, is checked and hashed with the server's key
(``ID_KEY`` of the application), and is never kept. A check-in is a ticket issued through the
action runner with the booking's row changed in the same transaction: on time, a booked ticket
(``booked_from``, served first once its slot begins); too late, a walk-in ticket, said plainly.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from typing_extensions import TypedDict

from queue_server.app.answers import Answer
from queue_server.app.commands import CheckInTicket
from queue_server.app.once import Once, Presenter, run_once
from queue_server.app.service import HallService
from queue_server.app.view_fields import Day, Instant, documented
from queue_server.app.views import iso
from queue_server.domain.bookings import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Arrival,
    Booking,
    BookingChannel,
    BookingStatus,
    check_book,
    check_change,
    check_check_in,
    find_slot,
    mask_phone,
    missed,
    person_key,
    require_booking,
    slots_on,
)
from queue_server.domain.changes import Change
from queue_server.domain.errors import InvalidTransition
from queue_server.domain.hall import Hall
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.tickets import Channel
from queue_server.store import bookings as stored
from queue_server.store.database import Connection

BOOK, MOVE, CANCEL = "book", "move_booking", "cancel_booking"
"""The names a request id of each booking action is kept under."""

Also = Callable[[Connection, Booking, dt.datetime], Awaitable[None]]
"""A caller's own step on the booking found, in the change's transaction (the public page's phone check)."""

LATE_ZH = "您已超过预约时段{minutes}分钟，预约已失效；已为您取普通号，按到达顺序排队。"
LATE_EN = "You are more than {minutes} minutes past your booked slot: the booking has lapsed. This is a walk-in ticket."
ON_TIME_ZH = "预约签到成功，预约时段开始后优先叫号。"
ON_TIME_EN = "Checked in: you are called before walk-ins once your slot begins."


@dataclass(frozen=True, slots=True)
class BookingAsked:
    """A booking as someone asked for it: the ID number and the phone still whole (never kept)."""

    matter: str
    start: dt.datetime
    id_number: str
    phone: str
    channel: BookingChannel


@documented
class BookingView(TypedDict):
    """A booking as every view shows it: the phone masked, the ID number never"""

    code: str
    """What the citizen shows at check-in (also in its QR)"""
    matter: str
    slot_start: Instant
    slot_end: Instant
    phone: str
    """Masked: 138****5678"""
    channel: Literal["desk", "api", "public"]
    status: Literal["booked", "checked_in", "late", "cancelled", "no_show"]
    booked_at: Instant
    checked_in_at: Instant | None
    ticket: int | None
    """The serial of the ticket its check-in issued"""


@documented
class SlotView(TypedDict):
    """One bookable slot of a matter and how many places are left"""

    matter: str
    start: Instant
    end: Instant
    places: int
    left: int
    extended: bool
    """Outside opening hours (延时服务)"""


@documented
class SlotsView(TypedDict):
    """A matter's bookable slots of one day; none when it takes no bookings that day"""

    matter: str
    day: Day
    slots: list[SlotView]


def booking_view(booking: Booking) -> BookingView:
    return {
        "code": booking.code,
        "matter": booking.matter,
        "slot_start": iso(booking.slot_start) or "",
        "slot_end": iso(booking.slot_end) or "",
        "phone": booking.phone,
        "channel": booking.channel.value,
        "status": booking.status.value,
        "booked_at": iso(booking.booked_at) or "",
        "checked_in_at": iso(booking.checked_in_at),
        "ticket": booking.ticket,
    }


def _view(booking: Booking) -> dict[str, object]:
    return dict(booking_view(booking))


BOOKING_PRESENTER: Presenter[Booking] = Presenter(_view, created=True)
CHANGED_PRESENTER: Presenter[Booking] = Presenter(_view)


async def booking_by_code(service: HallService, centre: str, code: str) -> Booking:
    """A booking by its code (any case), or NotFound."""
    async with service.db.read() as conn:
        return require_booking(await stored.booking_by_code(conn, centre, code.strip().upper()), code)


async def slots(service: HallService, centre: str, matter: str, day: dt.date) -> SlotsView:
    """The slots of ``matter`` on ``day`` with the places left (none once begun)."""
    hall = await service.hall(centre)
    offered = slots_on(hall.centre, hall.calendar, matter, day)
    if not offered:
        return {"matter": matter, "day": day.isoformat(), "slots": []}
    now = service.clock.now()
    async with service.db.read() as conn:
        taken = await stored.places_taken(conn, centre, matter, offered[0].start, offered[-1].end)
    listed: list[SlotView] = [
        {
            "matter": slot.matter,
            "start": iso(slot.start) or "",
            "end": iso(slot.end) or "",
            "places": slot.places,
            "left": 0 if slot.start <= now else max(slot.places - taken.get(slot.start, 0), 0),
            "extended": slot.extended,
        }
        for slot in offered
    ]
    return {"matter": matter, "day": day.isoformat(), "slots": listed}


async def book(service: HallService, once: Once, asked: BookingAsked, key: bytes) -> Answer:
    """Take a place in a slot, once per request id: refused when full, past, too far or over the limit."""

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> Booking:
        return await take_place(conn, hall, now, asked, person_key(key, asked.id_number), booked_by=once.actor)

    return await run_once(service, once, BOOK, step, BOOKING_PRESENTER)


async def take_place(
    conn: Connection, hall: Hall, now: dt.datetime, asked: BookingAsked, person: str, *, booked_by: str
) -> Booking:
    """The booking's row, in the caller's transaction under the centre's lock: the slot's places and
    the person's active bookings (``person``: the keyed hash that names them) checked first."""
    centre, calendar, rules = hall.centre, hall.calendar, hall.centre.bookings
    matter = centre.matter(asked.matter)
    slot = find_slot(centre, calendar, matter.code, asked.start)
    phone = mask_phone(asked.phone)
    active = [b for b in await stored.active_bookings(conn, centre.code, person) if not missed(rules, b, now)]
    taken = await _taken(conn, centre.code, matter.code, slot.start)
    check_book(rules, calendar, matter, slot, taken=taken, active=len(active), now=now)
    booking = Booking(
        code=await _new_code(conn, centre.code),
        matter=matter.code,
        slot_start=slot.start,
        slot_end=slot.end,
        person=person,
        phone=phone,
        channel=asked.channel,
        booked_at=now,
    )
    purge_after = slot.end + dt.timedelta(days=rules.keep_days)
    await stored.add_booking(conn, centre.code, booking, booked_by=booked_by, purge_after=purge_after)
    return booking


async def cancel(service: HallService, once: Once, code: str, *, also: Also | None = None) -> Answer:
    """Cancel an active booking until ``cancel_until_minutes`` before its slot (``also``: the caller's
    own check first, in the same transaction)."""

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> Booking:
        booking = require_booking(await stored.booking_by_code(conn, hall.centre.code, code.upper()), code)
        if also is not None:
            await also(conn, booking, now)
        check_change(hall.centre.bookings, booking, now)
        await stored.change_status(conn, hall.centre.code, booking.code, BookingStatus.CANCELLED)
        return require_booking(await stored.booking_by_code(conn, hall.centre.code, booking.code), code)

    return await run_once(service, once, CANCEL, step, CHANGED_PRESENTER)


async def move(service: HallService, once: Once, code: str, start: dt.datetime, *, also: Also | None = None) -> Answer:
    """Reschedule an active booking to another slot of its matter, with the same deadline as a cancel."""

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> Booking:
        centre, rules = hall.centre, hall.centre.bookings
        booking = require_booking(await stored.booking_by_code(conn, centre.code, code.upper()), code)
        if also is not None:
            await also(conn, booking, now)
        check_change(rules, booking, now)
        slot = find_slot(centre, hall.calendar, booking.matter, start)
        taken = await _taken(conn, centre.code, booking.matter, slot.start)
        check_book(rules, hall.calendar, centre.matter(booking.matter), slot, taken=taken, active=0, now=now)
        await stored.move_booking(conn, centre.code, booking.code, slot.start, slot.end)
        return require_booking(await stored.booking_by_code(conn, centre.code, booking.code), code)

    return await run_once(service, once, MOVE, step, CHANGED_PRESENTER)


async def _taken(conn: Connection, centre: str, matter: str, start: dt.datetime) -> int:
    taken = await stored.places_taken(conn, centre, matter, start, start + dt.timedelta(microseconds=1))
    return taken.get(start, 0)


async def _new_code(conn: Connection, centre: str) -> str:
    """A booking code no booking of the centre has: eight characters of ``CODE_ALPHABET``."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if await stored.booking_by_code(conn, centre, code) is None:
            return code


# Check-in


@dataclass(frozen=True, slots=True)
class CheckedIn:
    """What a check-in answers beside the ticket: the booking, and the words said to the citizen."""

    answer: Answer
    booking: Booking | None
    arrival: Arrival | None


async def find_for_check_in(
    service: HallService, centre: str, *, code: str | None, id_number: str | None, key: bytes
) -> Booking:
    """The booking a kiosk or the desk checks in: by its code (typed or from its QR), else by the
    ID number (today's earliest active booking of that person)."""
    if code:
        async with service.db.read() as conn:
            return require_booking(await stored.booking_by_code(conn, centre, code.strip().upper()), code)
    calendar = (await service.hall(centre)).calendar  # before the read: the hall may take a connection
    today = calendar.local_date(service.clock.now())
    async with service.db.read() as conn:
        found = await stored.active_bookings(conn, centre, person_key(key, id_number or ""))
    mine = [b for b in found if calendar.local_date(b.slot_start) == today]
    return require_booking(mine[0] if mine else None, "")


async def check_in(service: HallService, once: Once, booking: Booking, channel: Channel) -> CheckedIn:
    """Issue the booking's ticket and mark it checked in (or late) in one transaction."""
    hall = await service.hall(once.centre)
    arrival = check_check_in(hall.centre.bookings, hall.calendar, booking, service.clock.now())
    on_time = arrival is Arrival.ON_TIME
    command = CheckInTicket(matter=booking.matter, booked_from=booking.slot_start if on_time else None, channel=channel)
    status = BookingStatus.CHECKED_IN if on_time else BookingStatus.LATE

    async def mark(conn: Connection, hall: Hall, change: Change, now: dt.datetime) -> None:
        serial = change.ticket.serial if change.ticket is not None else None
        changed = await stored.change_status(conn, once.centre, booking.code, status, checked_in_at=now, ticket=serial)
        if not changed:  # checked in elsewhere in the same instant: this ticket is undone with it
            raise InvalidTransition(
                f"Booking {booking.code} was checked in already", RefusalCode.BOOKING_NOT_ACTIVE, booking=booking.code
            )

    answer = await service.act(once.centre, command, actor=once.actor, request_id=once.request_id, also=mark)
    return CheckedIn(answer, booking, arrival)


def arrival_words(arrival: Arrival, late_minutes: int) -> tuple[str, str]:
    """What the kiosk and the desk say after a check-in, in Chinese and English."""
    if arrival is Arrival.LATE:
        return LATE_ZH.format(minutes=late_minutes), LATE_EN.format(minutes=late_minutes)
    return ON_TIME_ZH, ON_TIME_EN


# The daily sweep


async def sweep(service: HallService, centres: Sequence[str]) -> tuple[int, int]:
    """Mark the bookings whose check-in closed as no-shows, and blank the people due for deletion;
    returns how many of each."""
    now = service.clock.now()
    cutoffs = {code: now - dt.timedelta(minutes=(await service.centre(code)).bookings.late_minutes) for code in centres}
    async with service.db.read() as conn:  # every few seconds: a write only when one is due
        if not await stored.sweep_due(conn, cutoffs, now):
            return 0, 0
    missed_count = 0
    async with service.db.write() as conn:
        for code, started_before in cutoffs.items():
            missed_count += await stored.mark_no_shows(conn, code, started_before)
        purged = await stored.purge_people(conn, now)
    return missed_count, purged
