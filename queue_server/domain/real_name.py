"""Real-name tickets (实名取号): an ID number per ticket where the centre wants one, against scalpers.

A matter with ``real_name`` set issues a ticket only with an ID number, and one number gets at most
the policy's ``real_name_tickets_per_day`` of them per centre-day across such matters. The hall never
sees the number: the edge checks it (its check digit), keeps its keyed hash and its birth date in a
:class:`Holder` and hands that over in the command. The hash goes into the ticket and its issued
event (so the hall counts a person's tickets of the day); the birth date answers the green channel's
age question and is kept nowhere. A matter without ``real_name`` and a ticket without a holder pass
:func:`admit` untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from queue_server.domain.bookings import birth_date, id_number, person_key, years_since
from queue_server.domain.centre import Matter, Policy
from queue_server.domain.errors import InvalidTransition
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.tickets import Category

PeopleCounts = Mapping[tuple[dt.date, str], int]
"""Real-name tickets issued per service day and person (the keyed hash)."""


@dataclass(frozen=True, slots=True)
class Holder:
    """Whom an ID number names, as far as the hall may know: its keyed hash and its birth date."""

    person: str
    """HMAC-SHA256 of the number with the server's key (:func:`queue_server.domain.bookings.person_key`)."""
    born: dt.date


@dataclass(frozen=True, slots=True)
class Admitted:
    """What a ticket keeps after the real-name rules: the person's hash (None unless the matter is
    real-name) and the green-channel category, answered from the birth date when one was given."""

    person: str | None
    category: Category | None


def holder_of(key: bytes, raw: str) -> Holder:
    """At the edge: the holder of a typed (or read) ID number, refused when mistyped."""
    number = id_number(raw)
    born = birth_date(number)
    assert born is not None  # id_number refuses a number without a date
    return Holder(person_key(key, number), born)


def admit(
    policy: Policy,
    matter: Matter,
    holder: Holder | None,
    category: Category | None,
    day: dt.date,
    people: PeopleCounts,
) -> Admitted:
    """Refuse a real-name matter without an ID number or past the person's tickets of ``day``; with
    an ID number, the elderly ground of the green channel is the birth date's to answer: from
    ``green_channel_age`` on it is given, under it it is refused."""
    if holder is None:
        if matter.real_name:
            raise InvalidTransition(
                f"Cannot issue a ticket for matter {matter.code!r}: it is issued by real name; give an ID number",
                RefusalCode.REAL_NAME_ID_MISSING,
                matter=matter.code,
            )
        return Admitted(None, category)
    most = policy.real_name_tickets_per_day
    if matter.real_name and people.get((day, holder.person), 0) >= most:
        raise InvalidTransition(
            f"Cannot issue a ticket for matter {matter.code!r}: this ID number had its {most} real-name tickets today",
            RefusalCode.REAL_NAME_LIMIT,
            most=most,
        )
    elderly = years_since(holder.born, day) >= policy.green_channel_age
    if category is Category.ELDERLY and not elderly:
        raise InvalidTransition(
            f"Cannot issue a green-channel ticket for the elderly: the ID number's holder is under"
            f" {policy.green_channel_age}",
            RefusalCode.GREEN_UNDER_AGE,
            age=policy.green_channel_age,
        )
    if category is None and elderly:
        category = Category.ELDERLY
    return Admitted(holder.person if matter.real_name else None, category)


def counted(people: dict[tuple[dt.date, str], int], day: dt.date, person: str | None) -> None:
    """Count one more real-name ticket of ``person`` on ``day`` (nothing for a ticket without one)."""
    if person is not None:
        people[(day, person)] = people.get((day, person), 0) + 1
