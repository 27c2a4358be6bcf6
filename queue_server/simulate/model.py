"""The simulated day's citizens and events: what is drawn at random, and the event queue.

Every random draw of a day (arrivals, green channel, handling times, unplanned pauses) is made
up front from the one ``random.Random`` in a fixed order, before the day is played. So a run
repeats exactly under the same seed, and two staffing plans compared with one seed meet the
very same citizens with the very same cases: only the plan differs.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum

from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.centre import Centre, Period
from queue_server.domain.tickets import Category
from queue_server.domain.windows import PauseReason
from queue_server.simulate.profiles import Profile

MIN_HANDLING_MINUTES = 0.5
"""Nobody is served in less than half a minute: a drawn time below is raised to it."""


class Kind(IntEnum):
    """What happens; at one instant the lower kind happens first (staff sign on before the doors open)."""

    SIGN_ON = 0
    OPEN = 1
    FINISH = 2
    RESUME = 3
    PAUSE = 4
    ARRIVAL = 5
    BREAK = 6
    SIGN_OFF = 7
    CLOSE = 8
    SAMPLE = 9


@dataclass(frozen=True, slots=True)
class Arrival:
    """A citizen coming for a ticket: when, for which matter, green channel or not, and how long
    their case will take at the window (drawn now, so that every plan sees the same case)."""

    at: dt.datetime
    matter: str
    category: Category | None
    minutes: float
    slot: dt.datetime | None = None
    """The start of the slot a booked citizen booked (queue_server.simulate.booked); None for a walk-in."""
    citizen: int = -1
    """The citizen's place among the day's drawn arrivals: the same person in a run with bookings and without."""


@dataclass(frozen=True, slots=True)
class PlannedPause:
    window: int
    at: dt.datetime
    minutes: int
    reason: PauseReason
    note: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    at: dt.datetime
    kind: Kind
    window: int = 0
    arrival: Arrival | None = None
    pause: PlannedPause | None = None
    token: int = 0
    """For a resume: which pause it ends (a window signed off meanwhile ignores it)."""
    staff: str = ""
    """For a sign-on the staffing advice asked for: who signs on (else the window's own staff member)."""


@dataclass
class EventQueue:
    """Events in time order; at one instant by kind, then in the order they were added."""

    _heap: list[tuple[dt.datetime, int, int, Event]] = field(default_factory=list)
    _seq: int = 0

    def add(self, event: Event) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (event.at, event.kind, self._seq, event))

    def pop(self) -> Event:
        return heapq.heappop(self._heap)[3]

    def __len__(self) -> int:
        return len(self._heap)

    def drain(self) -> Iterator[Event]:
        while self._heap:
            yield self.pop()


@dataclass(frozen=True, slots=True)
class DayPlan:
    """One simulated day: its opening periods (UTC instants) and everything drawn for it."""

    day: dt.date
    periods: tuple[tuple[dt.datetime, dt.datetime], ...]
    arrivals: tuple[Arrival, ...]
    staffing: dict[int, tuple[tuple[dt.datetime, dt.datetime], ...]]
    pauses: tuple[PlannedPause, ...]

    @property
    def opens(self) -> dt.datetime:
        return self.periods[0][0]

    @property
    def closes(self) -> dt.datetime:
        return self.periods[-1][1]


def lognormal_minutes(rng: random.Random, mean: float, spread: float) -> float:
    """A handling time with the given mean and coefficient of variation (never below half a minute)."""
    sigma2 = math.log1p(spread * spread)
    mu = math.log(mean) - sigma2 / 2
    return max(MIN_HANDLING_MINUTES, rng.lognormvariate(mu, math.sqrt(sigma2)))


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's method: the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def plan_day(
    rng: random.Random,
    centre: Centre,
    calendar: WorkCalendar,
    profile: Profile,
    day: dt.date,
    *,
    spare: frozenset[int] = frozenset(),
) -> DayPlan:
    """Draw a day: arrivals per matter and hour, then unplanned pauses per window. The ``spare``
    windows (``profiles.spare_windows``) stay closed unless the profile's staffing opens them."""
    periods = tuple((calendar.instant(day, p.start), _end(calendar, day, p.end)) for p in calendar.periods(day))
    if not periods:
        raise ValueError(f"Cannot simulate {day.isoformat()}: {centre.name} is closed that day")
    opens, closes = periods[0][0], periods[-1][1]
    arrivals = _arrivals(rng, centre, calendar, profile, day, opens)
    staffing = {
        w.number: _staffed(
            calendar, day, profile.staffing.windows.get(w.number, () if w.number in spare else None), opens, closes
        )
        for w in centre.windows
    }
    pauses = [PlannedPause(p.window, calendar.instant(day, p.at), p.minutes, p.reason, p.note) for p in profile.pauses]
    pauses += _random_pauses(rng, profile, staffing)
    pauses.sort(key=lambda p: (p.at, p.window))
    return DayPlan(day, periods, arrivals, staffing, tuple(pauses))


def _end(calendar: WorkCalendar, day: dt.date, end: dt.time) -> dt.datetime:
    if end == dt.time.max:
        return calendar.instant(day + dt.timedelta(days=1), dt.time())
    return calendar.instant(day, end)


def _arrivals(
    rng: random.Random, centre: Centre, calendar: WorkCalendar, profile: Profile, day: dt.date, opens: dt.datetime
) -> tuple[Arrival, ...]:
    """A Poisson stream per matter and hour; citizens who come before opening wait at the door."""
    drawn: list[tuple[dt.datetime, str]] = []
    for matter in centre.matters:
        for hour, expected in profile.arrivals.hourly(matter.code).items():
            start = calendar.instant(day, dt.time(hour))
            offset = rng.expovariate(expected)
            while offset < 1.0:
                drawn.append((max(opens, start + dt.timedelta(hours=offset)), matter.code))
                offset += rng.expovariate(expected)
    drawn.sort(key=lambda a: a[0])
    green = profile.green
    categories = list(green.categories)
    weights = [green.categories[c] for c in categories]
    arrivals = []
    for at, code in drawn:
        share = green.matters.get(code, green.share)
        category = rng.choices(categories, weights)[0] if rng.random() < share else None
        mean, spread = handling_of(centre, profile, code)
        arrivals.append(Arrival(at, code, category, lognormal_minutes(rng, mean, spread)))
    return tuple(arrivals)


def handling_of(centre: Centre, profile: Profile, code: str) -> tuple[float, float]:
    """The mean minutes and spread (coefficient of variation) a matter's handling times are drawn with."""
    time = profile.handling.matters.get(code)
    mean = (time.mean if time and time.mean else None) or (
        centre.matter(code).expected_minutes * profile.handling.mean_factor
    )
    spread = (time.spread if time and time.spread else None) or profile.handling.spread
    return mean, spread


def _staffed(
    calendar: WorkCalendar, day: dt.date, periods: tuple[Period, ...] | None, opens: dt.datetime, closes: dt.datetime
) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """When a window is signed on: the profile's periods, by default from opening to closing."""
    if periods is None:
        return ((opens, closes),)
    return tuple((calendar.instant(day, p.start), _end(calendar, day, p.end)) for p in periods)


def _random_pauses(
    rng: random.Random, profile: Profile, staffing: dict[int, tuple[tuple[dt.datetime, dt.datetime], ...]]
) -> list[PlannedPause]:
    rules = profile.random_pauses
    if rules.per_window <= 0:
        return []
    reasons = list(rules.reasons)
    weights = [rules.reasons[r] for r in reasons]
    pauses = []
    for window, spans in sorted(staffing.items()):
        total = sum((end - start).total_seconds() for start, end in spans)
        for _ in range(poisson(rng, rules.per_window) if total > 0 else 0):
            point = rng.uniform(0, total)
            minutes = max(1, round(rng.expovariate(1 / rules.minutes)))
            reason = rng.choices(reasons, weights)[0]
            for start, end in spans:
                length = (end - start).total_seconds()
                if point <= length:
                    pauses.append(PlannedPause(window, start + dt.timedelta(seconds=point), minutes, reason))
                    break
                point -= length
    return pauses
