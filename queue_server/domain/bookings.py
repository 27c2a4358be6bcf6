"""Bookings (预约): the slots a day offers, booking, cancelling and checking in, as pure rules.

A booking holds a place in one slot of one matter. It keeps as little about the person as it
can: the phone masked for every view, and the ID number only as a keyed hash (HMAC-SHA256 with
the server's key), enough to find the person's bookings and check in by ID, never to read it back.
Checked in on time, a booking becomes a ticket whose ``booked_from`` is the slot's start: from
then on routing serves it before walk-ins, within the bound K (docs/routing.md). Too late, it is
a walk-in ticket, said plainly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from queue_server.domain.booking_rules import BookableMatter, BookingRules, ExtendedSlotRule, SlotRule
from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.centre import WEEKDAYS, Centre, Matter
from queue_server.domain.errors import InvalidTransition, NotFound
from queue_server.domain.refusal_codes import RefusalCode


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    LATE = "late"
    """Checked in after the check-in window: served as a walk-in."""
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    """Never checked in by the end of the check-in window."""

    @property
    def active(self) -> bool:
        return self is BookingStatus.BOOKED


class BookingChannel(StrEnum):
    DESK = "desk"
    API = "api"
    """A provincial platform booking on a citizen's behalf, with its own token."""
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Slot:
    """One bookable slot of one matter on one day."""

    matter: str
    start: dt.datetime
    end: dt.datetime
    places: int
    extended: bool = False
    windows: tuple[int, ...] = ()
    """The windows an extended slot opens; () for a slot within opening hours."""
    walk_ins: bool = False
    """An extended slot whose matters issue tickets to walk-ins too while it runs."""


@dataclass(frozen=True, slots=True)
class Booking:
    code: str
    """What the citizen shows (also in its QR): eight characters without look-alikes."""
    matter: str
    slot_start: dt.datetime
    slot_end: dt.datetime
    person: str
    """The keyed hash of the ID number (:func:`person_key`)."""
    phone: str
    """Masked (:func:`mask_phone`); never stored whole."""
    channel: BookingChannel
    booked_at: dt.datetime
    status: BookingStatus = BookingStatus.BOOKED
    checked_in_at: dt.datetime | None = None
    ticket: int | None = None
    """The serial of the ticket it became at check-in."""


class Arrival(StrEnum):
    """How a check-in stands against the slot."""

    TOO_EARLY = "too_early"
    ON_TIME = "on_time"
    """From ``early_minutes`` before the start to ``late_minutes`` after it: a booked ticket."""
    LATE = "late"
    """Later than that: a walk-in ticket, said plainly."""


CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
"""Letters and digits that cannot be read as one another (no 0/O, 1/I/L, 2/Z, 5/S, 8/B)."""
CODE_LENGTH = 8


def bookable(rules: BookingRules, centre: Centre, matter: str) -> BookableMatter | None:
    """The slot rules of ``matter``: its own, else its ticket group's; None when it takes no bookings."""
    found = centre.matter(matter)
    by_matter = next((b for b in rules.matters if b.matter == found.code), None)
    return by_matter or next((b for b in rules.matters if b.prefix == found.prefix), None)


def slots_on(centre: Centre, calendar: WorkCalendar, matter: str, day: dt.date) -> list[Slot]:
    """The slots ``matter`` offers on ``day``: the ordinary ones on an open day (holidays closed,
    调休 days open), the extended ones on their weekdays unless the day is a holiday."""
    found = bookable(centre.bookings, centre, matter)
    if found is None:
        return []
    out: list[Slot] = []
    if calendar.is_open_day(day):
        out += [_slot(calendar, matter, day, rule, found.places_on(day, rule)) for rule in found.slots]
    if day not in centre.calendar.holidays:
        weekday = WEEKDAYS[day.weekday()]
        out += [
            _slot(calendar, matter, day, rule, found.places_on(day, rule), extended=rule)
            for rule in found.extended
            if weekday in rule.days
        ]
    return sorted(out, key=lambda s: s.start)


def _slot(
    calendar: WorkCalendar,
    matter: str,
    day: dt.date,
    rule: SlotRule,
    places: int,
    *,
    extended: ExtendedSlotRule | None = None,
) -> Slot:
    start, end = calendar.instant(day, rule.start), calendar.instant(day, rule.end)
    if extended is None:
        return Slot(matter, start, end, places)
    return Slot(matter, start, end, places, True, extended.windows, extended.walk_ins)


def walk_ins_extended(centre: Centre, calendar: WorkCalendar, matter: str, now: dt.datetime) -> Slot | None:
    """The extended slot of ``matter`` running at ``now`` that issues tickets to walk-ins too, if any."""
    if not centre.bookings.matters:
        return None
    running = slots_on(centre, calendar, matter, calendar.local_date(now))
    return next((s for s in running if s.extended and s.walk_ins and s.start <= now < s.end), None)


@dataclass(frozen=True, slots=True)
class Overbooked:
    """A slot a new configuration would give fewer places than are booked in it."""

    matter: str
    start: dt.datetime
    places: int
    booked: int


def overbooked(centre: Centre, booked: dict[tuple[str, dt.datetime], int]) -> Overbooked | None:
    """The first slot (earliest) whose places under ``centre`` fall below the places ``booked`` in it
    (per matter and slot start); a slot the configuration no longer offers has no places."""
    calendar = WorkCalendar(centre)
    for (matter, start), count in sorted(booked.items(), key=lambda item: (item[0][1], item[0][0])):
        places = 0
        if matter in centre.matters_by_code:
            day = calendar.local_date(start)
            places = next((s.places for s in slots_on(centre, calendar, matter, day) if s.start == start), 0)
        if count > places:
            return Overbooked(matter, start, places, count)
    return None


def bookable_days(rules: BookingRules, calendar: WorkCalendar, now: dt.datetime) -> list[dt.date]:
    """The days one may book now: today and the next ``ahead_days`` days."""
    today = calendar.local_date(now)
    return [today + dt.timedelta(days=n) for n in range(rules.ahead_days + 1)]


def find_slot(centre: Centre, calendar: WorkCalendar, matter: str, start: dt.datetime) -> Slot:
    """The slot of ``matter`` starting at ``start``, or NotFound."""
    for slot in slots_on(centre, calendar, matter, calendar.local_date(start)):
        if slot.start == start:
            return slot
    raise NotFound(
        f"{matter!r} has no booking slot at {start.isoformat()}",
        RefusalCode.BOOKING_SLOT_NOT_FOUND,
        matter=matter,
    )


def require_booking(found: Booking | None, code: str) -> Booking:
    """The booking looked up by ``code`` (or by a person), or NotFound said plainly."""
    if found is None:
        raise NotFound(f"There is no booking {code!r}", RefusalCode.BOOKING_NOT_FOUND)
    return found


def check_book(
    rules: BookingRules,
    calendar: WorkCalendar,
    matter: Matter,
    slot: Slot,
    *,
    taken: int,
    active: int,
    now: dt.datetime,
) -> None:
    """Refuse a booking of ``slot`` when it is past, too far ahead, full, or the person has
    ``active`` bookings already (``taken`` places of the slot are booked)."""
    if slot.start <= now:
        raise InvalidTransition("The slot has begun", RefusalCode.BOOKING_SLOT_PAST, matter=matter.code)
    last = calendar.local_date(now) + dt.timedelta(days=rules.ahead_days)
    if calendar.local_date(slot.start) > last:
        raise InvalidTransition(
            f"Bookings are taken at most {rules.ahead_days} days ahead",
            RefusalCode.BOOKING_TOO_FAR,
            days=rules.ahead_days,
        )
    if taken >= slot.places:
        raise InvalidTransition("The slot is full", RefusalCode.BOOKING_SLOT_FULL, matter=matter.code)
    if active >= rules.active_per_person:
        raise InvalidTransition(
            f"At most {rules.active_per_person} active bookings per person",
            RefusalCode.BOOKING_LIMIT,
            most=rules.active_per_person,
        )


def check_change(rules: BookingRules, booking: Booking, now: dt.datetime) -> None:
    """Refuse cancelling or rescheduling a booking that is no longer active or whose slot is too near."""
    if not booking.status.active:
        raise InvalidTransition(
            f"Booking {booking.code} is {booking.status.value}",
            RefusalCode.BOOKING_NOT_ACTIVE,
            booking=booking.code,
        )
    latest = booking.slot_start - dt.timedelta(minutes=rules.cancel_until_minutes)
    if now > latest:
        raise InvalidTransition(
            f"Booking {booking.code} can be changed until {rules.cancel_until_minutes} minutes before its slot",
            RefusalCode.BOOKING_CHANGE_TOO_LATE,
            booking=booking.code,
            minutes=rules.cancel_until_minutes,
        )


def arrival(rules: BookingRules, booking: Booking, now: dt.datetime) -> Arrival:
    """How a check-in at ``now`` stands against the booking's slot."""
    if now < booking.slot_start - dt.timedelta(minutes=rules.early_minutes):
        return Arrival.TOO_EARLY
    if now <= booking.slot_start + dt.timedelta(minutes=rules.late_minutes):
        return Arrival.ON_TIME
    return Arrival.LATE


def check_check_in(rules: BookingRules, calendar: WorkCalendar, booking: Booking, now: dt.datetime) -> Arrival:
    """Refuse a check-in of a booking not active, of another day, or too early; else how it stands."""
    if not booking.status.active:
        raise InvalidTransition(
            f"Booking {booking.code} is {booking.status.value}",
            RefusalCode.BOOKING_NOT_ACTIVE,
            booking=booking.code,
        )
    if calendar.local_date(booking.slot_start) != calendar.local_date(now):
        raise InvalidTransition(
            f"Booking {booking.code} is for another day",
            RefusalCode.BOOKING_OTHER_DAY,
            booking=booking.code,
            day=calendar.local_date(booking.slot_start).isoformat(),
        )
    found = arrival(rules, booking, now)
    if found is Arrival.TOO_EARLY:
        opens = calendar.local(booking.slot_start - dt.timedelta(minutes=rules.early_minutes))
        raise InvalidTransition(
            f"Booking {booking.code} can be checked in from {opens:%H:%M}",
            RefusalCode.BOOKING_TOO_EARLY,
            booking=booking.code,
            time=f"{opens:%H:%M}",
        )
    return found


def missed(rules: BookingRules, booking: Booking, now: dt.datetime) -> bool:
    """An active booking whose check-in window has closed: a no-show."""
    return booking.status.active and arrival(rules, booking, now) is Arrival.LATE


def personal_data_expired(rules: BookingRules, booking: Booking, now: dt.datetime) -> bool:
    """Whether the phone and the ID hash are to be deleted (``keep_days`` after the slot)."""
    return now >= booking.slot_end + dt.timedelta(days=rules.keep_days)


# The person


def mask_phone(phone: str) -> str:
    """A mainland mobile number as every view shows it: 138****5678. Refuses anything else."""
    digits = phone.strip().replace(" ", "").replace("-", "").removeprefix("+86")
    if len(digits) != 11 or not digits.isdigit() or digits[0] != "1":
        raise InvalidTransition("A phone number is a mobile number of 11 digits", RefusalCode.BOOKING_PHONE)
    return f"{digits[:3]}****{digits[7:]}"


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_number(raw: str) -> str:
    """A resident ID number (居民身份证号码, 18 characters) checked by its check digit, upper-cased."""
    value = raw.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        raise InvalidTransition("An ID number has 18 characters", RefusalCode.BOOKING_ID_NUMBER)
    check = ID_CHECK[sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True)) % 11]
    if value[17] != check or birth_date(value) is None:
        raise InvalidTransition(
            "The ID number is mistyped (its check digit does not match)", RefusalCode.BOOKING_ID_NUMBER
        )
    return value


def birth_date(value: str) -> dt.date | None:
    """The birth date an ID number carries (characters 7 to 14), or None when it is no date."""
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def person_key(key: bytes, number: str) -> str:
    """The keyed hash an ID number is kept as: HMAC-SHA256 with the server's key, in hex.

    Without the key, the hash of the small space of ID numbers cannot be reversed by trying them."""
    return hmac.new(key, id_number(number).encode(), hashlib.sha256).hexdigest()


def age_on(number: str, day: dt.date) -> int:
    """Whole years of age on ``day`` of the person with this ID number."""
    born = birth_date(id_number(number))
    assert born is not None  # id_number refuses a number without a date
    return years_since(born, day)


def years_since(born: dt.date, day: dt.date) -> int:
    """Whole years (周岁) on ``day`` since ``born``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
