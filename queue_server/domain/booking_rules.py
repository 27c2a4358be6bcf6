"""What a centre file says about bookings (预约): which matters take them, in which slots, and the rules.

Kept apart from ``centre`` (which holds a ``BookingRules``) so the centre's models stay readable;
the slots a given day offers are worked out in ``queue_server.domain.bookings``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from queue_server.domain.frozen_model import Model

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _clock(value: object) -> object:
    """HH:MM as a centre file writes it; a stored centre's HH:MM:SS is pydantic's to read."""
    from queue_server.domain.centre import parse_clock  # centre holds these models: read it late

    return parse_clock(value) if isinstance(value, str) and len(value) == 5 else value


class SlotRule(Model):
    """One slot of every open day, e.g. 09:00-09:30 with 3 places."""

    start: dt.time
    end: dt.time
    places: int = Field(ge=1, le=1000)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _times(cls, value: object) -> object:
        return _clock(value)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"a slot must end after it starts ({self.start:%H:%M}-{self.end:%H:%M})")
        return self


class ExtendedSlotRule(SlotRule):
    """A slot outside opening hours (延时服务), e.g. Saturday 09:00-12:00 or 17:30-19:00 on weekdays.

    Offered on the weekdays listed unless the day is a holiday; the windows listed open for it (their
    staff sign on and call, and the wait estimates count them open then). The hall stays closed to
    walk-ins of its matters unless ``walk_ins`` says otherwise."""

    days: tuple[Weekday, ...] = Field(min_length=1)
    windows: tuple[int, ...] = Field(min_length=1)
    walk_ins: bool = False
    """While the slot runs, its matters also issue tickets to walk-ins (served after its bookings)."""


class DayPlaces(Model):
    """The places of one slot on one day instead of its standing rule's (the manager's change for a
    day: more staff that morning, or fewer); 0 offers the slot to nobody that day."""

    day: dt.date
    start: dt.time
    places: int = Field(ge=0, le=1000)

    @field_validator("start", mode="before")
    @classmethod
    def _time(cls, value: object) -> object:
        return _clock(value)


class BookableMatter(Model):
    """The slots of one matter, or of every matter of one ticket group (``prefix``)."""

    matter: str | None = None
    prefix: str | None = None
    slots: tuple[SlotRule, ...] = ()
    extended: tuple[ExtendedSlotRule, ...] = ()
    days: tuple[DayPlaces, ...] = ()
    """Places changed for one day, each naming the start of one of the slots above."""

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.matter is None) == (self.prefix is None):
            raise ValueError("name either a matter or a ticket group's prefix")
        if not self.slots and not self.extended:
            raise ValueError("give at least one slot")
        starts = {rule.start for rule in (*self.slots, *self.extended)}
        seen: set[tuple[dt.date, dt.time]] = set()
        for changed in self.days:
            if changed.start not in starts:
                raise ValueError(f"no slot starts at {changed.start:%H:%M} (places of {changed.day.isoformat()})")
            if (changed.day, changed.start) in seen:
                raise ValueError(f"the places of {changed.day.isoformat()} {changed.start:%H:%M} are given twice")
            seen.add((changed.day, changed.start))
        return self

    def places_on(self, day: dt.date, rule: SlotRule) -> int:
        """The places ``rule``'s slot offers on ``day``: the day's change if there is one."""
        changed = next((c for c in self.days if c.day == day and c.start == rule.start), None)
        return rule.places if changed is None else changed.places


class BookingRules(Model):
    """The ``[bookings]`` table of a centre file."""

    ahead_days: int = Field(default=14, ge=1, le=90)
    """How many days ahead one may book (today counts as day 0)."""
    cancel_until_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    """The latest cancellation or reschedule: this many minutes before the slot starts."""
    early_minutes: int = Field(default=30, ge=0, le=240)
    """How early before the slot start a booking may be checked in."""
    late_minutes: int = Field(default=15, ge=0, le=240)
    """How late after the slot start it still may (M); later, a walk-in ticket."""
    active_per_person: int = Field(default=1, ge=1, le=20)
    """At most this many bookings per person not yet checked in, cancelled or missed."""
    keep_days: int = Field(default=30, ge=1, le=3650)
    """The phone and the ID number's hash are deleted this many days after the booking's slot."""
    matters: tuple[BookableMatter, ...] = ()
