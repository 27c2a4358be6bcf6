"""Booked arrivals in a simulated day: who books, which slot, when they come, who never does.

A share of the day's citizens (``profile.bookings``) book the slot their visit falls in and come
around its start instead of when they would have walked in. When the profile gives the slots
places (``places``, per slot and ticket group, as a centre file's slots have), a citizen whose slot
is full books the nearest one with a place left, as the booking page offers, and one who finds
none walks in. Each citizen's draws come from a random stream of its own (the seed, the day and
the citizen), so the day's other draws, and so the same day played without bookings, stay what
they were: the two runs meet the same citizens.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from queue_server.domain.centre import Centre
from queue_server.simulate.model import Arrival, DayPlan
from queue_server.simulate.profiles import Bookings


@dataclass(frozen=True, slots=True)
class Booked:
    """One citizen's booking: its slot, and when they come (None: never)."""

    slot: dt.datetime
    at: dt.datetime | None


def bookings_of(plan: DayPlan, rules: Bookings, seed: int, day: int, centre: Centre) -> dict[int, Booked]:
    """Per citizen (their place among the day's arrivals) who booked: the slot they got and when they
    come. Citizens book in the order they were drawn; each slot of a ticket group holds the places
    ``rules`` give it at its hour (0: any number)."""
    out: dict[int, Booked] = {}
    if rules.share <= 0:
        return out
    groups = {matter.code: matter.prefix for matter in centre.matters}
    starts = slot_starts(plan, rules.slot_minutes)
    places = {start: rules.places_at(start.astimezone(centre.zone).hour) for start in starts}
    taken: Counter[tuple[str, dt.datetime]] = Counter()
    for index, arrival in enumerate(plan.arrivals):
        if rules.matters and arrival.matter not in rules.matters:
            continue
        draw = random.Random(f"{seed}:{day}:booking:{index}")
        if draw.random() >= rules.share:
            continue
        never = draw.random() < rules.no_show
        group = groups.get(arrival.matter, arrival.matter)
        wanted = slot_of(plan, arrival.at, rules.slot_minutes)
        slot = _nearest_with_a_place(starts, wanted, group, taken, places)
        if slot is None:
            continue  # every slot of the day is full: they walk in
        taken[group, slot] += 1
        if never:
            out[index] = Booked(slot, None)
            continue
        lateness = draw.gauss(rules.lateness, rules.spread)
        at = max(slot + dt.timedelta(minutes=lateness), slot - dt.timedelta(minutes=rules.early_minutes))
        out[index] = Booked(slot, max(at, plan.opens))  # nobody is let in before opening: they wait at the door
    return out


def with_bookings(plan: DayPlan, rules: Bookings, seed: int, day: int, centre: Centre) -> tuple[Arrival, ...]:
    """The day's arrivals, each numbered (``citizen``), the booked ones at their coming with their
    slot, the no-shows left out; in time order."""
    booked = bookings_of(plan, rules, seed, day, centre)
    out: list[Arrival] = []
    for index, arrival in enumerate(plan.arrivals):
        citizen = dataclasses.replace(arrival, citizen=index)
        found = booked.get(index)
        if found is None:
            out.append(citizen)
        elif found.at is not None:
            out.append(dataclasses.replace(citizen, at=found.at, slot=found.slot))
    return tuple(sorted(out, key=lambda a: (a.at, a.citizen)))


def booked_count(plan: DayPlan, rules: Bookings, seed: int, day: int, centre: Centre) -> tuple[int, int]:
    """How many of the day's citizens booked, and how many of those never came."""
    booked = bookings_of(plan, rules, seed, day, centre)
    return len(booked), sum(b.at is None for b in booked.values())


def slot_starts(plan: DayPlan, minutes: int) -> list[dt.datetime]:
    """Every slot of the day: every ``minutes`` from each opening, each ending within its period."""
    step = dt.timedelta(minutes=minutes)
    return [start + step * n for start, end in plan.periods for n in range(max(0, (end - start - step) // step) + 1)]


def slot_of(plan: DayPlan, at: dt.datetime, minutes: int) -> dt.datetime:
    """The slot a citizen who would have come at ``at`` books: the one starting nearest to it, of
    slots every ``minutes`` from each opening (a slot starts at least ``minutes`` before its
    period ends); before or between opening periods, the next period's first slot."""
    step = dt.timedelta(minutes=minutes)
    for start, end in plan.periods:
        if at < start:
            return start
        if at < end:
            last = max(0, (end - start - step) // step)
            return start + step * min(round((at - start) / step), last)
    start, end = plan.periods[-1]
    return start + step * max(0, (end - start - step) // step)


def _nearest_with_a_place(
    starts: list[dt.datetime],
    wanted: dt.datetime,
    group: str,
    taken: Counter[tuple[str, dt.datetime]],
    places: Mapping[dt.datetime, int],
) -> dt.datetime | None:
    """``wanted`` if it has a place, else the nearest slot that has (the later of two as near); a
    slot of 0 places holds any number."""
    free = [s for s in starts if places[s] <= 0 or taken[group, s] < places[s]]
    return min(free, key=lambda s: (abs(s - wanted), s < wanted), default=None)
