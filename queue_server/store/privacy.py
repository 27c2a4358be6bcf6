"""One person's data in every table that holds it: found by phone number or by ID number, and erased.

A person is named by :class:`PersonKeys`: the forms their phone number may be stored in (digits,
with 86 or 0086 before them) and the keyed hashes the database keeps instead of numbers (the ID
number's, the confirmed phone number's). Numbers are compared by their digits, so
``138 1234 5678`` and ``13812345678`` are one number.

Erasing deletes what exists only for the person (a follow-up number, a postal address, a number for
SMS, a booking code) and blanks the person in what the statistics need (a ticket, a booking, an
SMS notice's record), as the daily retention jobs do when the time is up. A centre whose real-name
tickets it blanked has its state and configuration versions bumped in the same transaction, so a
running server builds that hall again from the rows instead of keeping the person's count of
real-name tickets of the day in memory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.store import schema


@dataclass(frozen=True, slots=True)
class PersonKeys:
    """How one person's data is recognised in the tables."""

    phones: tuple[str, ...] = ()
    """The digit strings their number may be stored as."""
    hashes: tuple[str, ...] = ()
    """The keyed hashes standing for their ID number or their confirmed phone number."""


def _digits(column: Any) -> Any:
    return func.replace(func.replace(func.replace(column, " ", ""), "-", ""), "+", "")


def _phone_is(column: Any, who: PersonKeys) -> ColumnElement[bool]:
    return _digits(column).in_(who.phones) if who.phones else false()


def _hash_is(column: Any, who: PersonKeys) -> ColumnElement[bool]:
    return column.in_(who.hashes) if who.hashes else false()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


async def _rows(conn: AsyncConnection, query: Any) -> list[dict[str, Any]]:
    return [{name: _plain(value) for name, value in row._mapping.items()} for row in (await conn.execute(query)).all()]


def _bookings_of(who: PersonKeys) -> ColumnElement[bool]:
    b = schema.bookings.c
    return or_(_hash_is(b.person, who), _hash_is(b.phone_key, who), _phone_is(b.reminder_phone, who))


async def person_data(conn: AsyncConnection, who: PersonKeys) -> dict[str, list[dict[str, Any]]]:
    """Everything held about ``who``, by kind, each row as plain JSON values."""
    f, p, s, n = (
        schema.follow_up_contacts.c,
        schema.postal_addresses.c,
        schema.sms_phones.c,
        schema.sms_notices.c,
    )
    b, c, t = schema.bookings.c, schema.booking_codes.c, schema.tickets.c
    return {
        "follow_up_numbers": await _rows(
            conn,
            select(f.centre, f.serial, f.phone, f.consent, f.given_at, f.purge_after)
            .where(_phone_is(f.phone, who))
            .order_by(f.given_at),
        ),
        "postal_addresses": await _rows(
            conn,
            select(p.centre, p.serial, p.recipient, p.phone, p.address, p.consent, p.taken_at, p.purge_after)
            .where(_phone_is(p.phone, who))
            .order_by(p.taken_at),
        ),
        "sms_numbers": await _rows(
            conn,
            select(s.centre, s.serial, s.phone, s.consent, s.source, s.given_at, s.purge_after)
            .where(_phone_is(s.phone, who))
            .order_by(s.given_at),
        ),
        "sms_notices": await _rows(
            conn,
            select(n.centre, n.kind, n.phone, n.template, n.status, n.created_at, n.sent_at)
            .where(_phone_is(n.phone, who))
            .order_by(n.created_at),
        ),
        "bookings": await _rows(
            conn,
            select(b.centre, b.code, b.matter, b.slot_start, b.slot_end, b.phone, b.reminder_phone, b.channel)
            .add_columns(b.booked_at, b.status, b.checked_in_at, b.ticket, b.purge_after)
            .where(_bookings_of(who))
            .order_by(b.slot_start),
        ),
        "booking_codes": await _rows(
            conn,
            select(c.centre, c.created_at, c.expires_at, c.used_at)
            .where(_hash_is(c.phone_key, who))
            .order_by(c.created_at),
        ),
        "real_name_tickets": await _rows(
            conn,
            select(t.centre, t.serial, t.number, t.service_day, t.matter, t.issued_at, t.status)
            .where(_hash_is(t.person, who))
            .order_by(t.issued_at),
        ),
    }


async def erase_person(conn: AsyncConnection, who: PersonKeys) -> dict[str, int]:
    """Delete or blank everything held about ``who``; how many rows of each kind."""
    f, p, s, n = (
        schema.follow_up_contacts.c,
        schema.postal_addresses.c,
        schema.sms_phones.c,
        schema.sms_notices.c,
    )
    c, t, e = schema.booking_codes.c, schema.tickets.c, schema.ticket_events.c
    done: dict[str, int] = {}
    done["follow_up_numbers"] = await _count(conn, delete(schema.follow_up_contacts).where(_phone_is(f.phone, who)))
    done["postal_addresses"] = await _count(conn, delete(schema.postal_addresses).where(_phone_is(p.phone, who)))
    done["sms_numbers"] = await _count(conn, delete(schema.sms_phones).where(_phone_is(s.phone, who)))
    done["sms_notices"] = await _count(
        conn, update(schema.sms_notices).where(_phone_is(n.phone, who)).values(phone=None, phone_masked="")
    )
    done["bookings"] = await _count(
        conn,
        update(schema.bookings)
        .where(_bookings_of(who))
        .values(person=None, phone=None, phone_key=None, reminder_phone=None),
    )
    done["booking_codes"] = await _count(conn, delete(schema.booking_codes).where(_hash_is(c.phone_key, who)))
    tickets = (await conn.execute(select(t.centre, t.serial).where(_hash_is(t.person, who)))).all()
    for centre, serial in tickets:
        await conn.execute(update(schema.tickets).where(t.centre == centre, t.serial == serial).values(person=None))
        issued = await conn.execute(
            select(e.id, e.data).where(e.centre == centre, e.serial == serial, e.kind == "issued")
        )
        for event in issued.all():
            blanked = {**event.data, "person": None}
            await conn.execute(update(schema.ticket_events).where(e.id == event.id).values(data=blanked))
    done["real_name_tickets"] = len(tickets)
    await _build_halls_again(conn, {centre for centre, _ in tickets})
    return done


async def _build_halls_again(conn: AsyncConnection, centres: set[str]) -> None:
    """Make every instance build these centres' halls again from their rows: a new state version
    (the kept hall is out of date) and a new configuration version (so it is built, not caught up:
    a catch-up adds the counts it reads, it never forgets one)."""
    if not centres:
        return
    c = schema.centres.c
    await conn.execute(
        update(schema.centres)
        .where(c.code.in_(sorted(centres)))
        .values(state_version=c.state_version + 1, config_version=c.config_version + 1)
    )


async def _count(conn: AsyncConnection, statement: Any) -> int:
    return int((await conn.execute(statement)).rowcount or 0)
