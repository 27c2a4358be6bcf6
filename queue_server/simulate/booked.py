"""Booked arrivals in a simulated day: who books, which slot, when they come, who never does.

A share of the day's citizens (``profile.bookings``) book the slot their visit falls in and come
around its start instead of when they would have walked in. Each citizen's draws come from a
random stream of its own (the seed, the day and the citizen), so the day's other draws, and so
the same day played without bookings, stay what they were: the two runs meet the same citizens.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from queue_server.simulate.model import Arrival, DayPlan
from queue_server.simulate.profiles import Bookings


def with_bookings(plan: DayPlan, rules: Bookings, seed: int, day: int) -> tuple[Arrival, ...]:
    """The day's arrivals, each numbered (``citizen``), the booked ones at their coming with their
    slot, the no-shows left out; in time order."""
    out: list[Arrival] = []
    for index, arrival in enumerate(plan.arrivals):
        citizen = dataclasses.replace(arrival, citizen=index)
        if rules.share <= 0 or (rules.matters and arrival.matter not in rules.matters):
            out.append(citizen)
            continue
        draw = random.Random(f"{seed}:{day}:booking:{index}")
        if draw.random() >= rules.share:
            out.append(citizen)
            continue
        if draw.random() < rules.no_show:
            continue
        slot = slot_of(plan, arrival.at, rules.slot_minutes)
        lateness = draw.gauss(rules.lateness, rules.spread)
        at = max(slot + dt.timedelta(minutes=lateness), slot - dt.timedelta(minutes=rules.early_minutes))
        at = max(at, plan.opens)  # nobody is let in before opening: they wait at the door
        out.append(dataclasses.replace(citizen, at=at, slot=slot))
    return tuple(sorted(out, key=lambda a: (a.at, a.citizen)))


def booked_count(plan: DayPlan, rules: Bookings, seed: int, day: int) -> tuple[int, int]:
    """How many of the day's citizens booked, and how many of those never came."""
    booked = missed = 0
    for index, arrival in enumerate(plan.arrivals):
        if rules.share <= 0 or (rules.matters and arrival.matter not in rules.matters):
            continue
        draw = random.Random(f"{seed}:{day}:booking:{index}")
        if draw.random() < rules.share:
            booked += 1
            missed += draw.random() < rules.no_show
    return booked, missed


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
