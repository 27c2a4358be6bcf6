"""Wait estimates: the hall played forward with the real routing rule and learned handling times.

Each staffed window becomes free when its current ticket is expected to end (or its pause to
end, or the lunch break), and then calls exactly what ``Router.choose`` would give it. The
handling times come from what this centre's windows really took for each matter, learned as an
exponentially weighted average that starts from the matter's expected minutes.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.centre import Centre
from queue_server.domain.routing import Router
from queue_server.domain.tickets import Ticket
from queue_server.domain.windows import WindowState, WindowStatus

UNPLANNED_PAUSE_MINUTES = 15
"""How long a pause without planned minutes is expected to last."""
OVERDUE_GRACE_MINUTES = 1.0
"""A ticket at a window past its expected time is expected to end this much later."""
MIN_FACTOR, MAX_FACTOR = 0.25, 4.0
OUTLIER_RATIO = 5.0
"""A handling time beyond this many times the learned mean counts as that bound (a forgotten finish)."""


class HandlingStats:
    """Learned handling minutes per matter, and each window's speed relative to them."""

    def __init__(self, centre: Centre) -> None:
        self._centre = centre
        self._weight = centre.policy.estimate_weight
        self.matter_minutes: dict[str, float] = {}
        self.window_factor: dict[int, float] = {}

    def matter_mean(self, matter: str) -> float:
        learned = self.matter_minutes.get(matter)
        return learned if learned is not None else self._centre.matter(matter).expected_minutes

    def expected_minutes(self, matter: str, window: int) -> float:
        return self.matter_mean(matter) * self.window_factor.get(window, 1.0)

    def record(self, matter: str, window: int, minutes: float) -> None:
        """Learn from one finished ticket: ``minutes`` from its call to its finish."""
        mean = self.matter_mean(matter)
        minutes = min(max(minutes, mean / OUTLIER_RATIO), mean * OUTLIER_RATIO)
        w = self._weight
        self.matter_minutes[matter] = (1 - w) * mean + w * minutes
        factor = self.window_factor.get(window, 1.0)
        ratio = min(max(minutes / mean, MIN_FACTOR), MAX_FACTOR)
        self.window_factor[window] = (1 - w) * factor + w * ratio


@dataclass(frozen=True, slots=True)
class ForecastCall:
    at: dt.datetime
    window: int
    order: int
    """Position in the forecast's sequence of calls, hall-wide."""


@dataclass(frozen=True, slots=True)
class Position:
    """What a citizen is told: how many go before them and roughly how long it takes."""

    people_ahead: int
    expected_call: dt.datetime | None
    """None when no staffed window can serve the ticket."""
    estimated_wait: dt.timedelta | None


def window_free_at(
    state: WindowState,
    holding: Ticket | None,
    stats: HandlingStats,
    calendar: WorkCalendar,
    now: dt.datetime,
) -> dt.datetime:
    """When a staffed window is expected to call its next ticket."""
    free = now
    if state.status is WindowStatus.PAUSED:
        ends = state.pause_ends() if state.pause_minutes is not None else None
        if ends is None and state.since is not None:
            ends = state.since + dt.timedelta(minutes=UNPLANNED_PAUSE_MINUTES)
        free = max(free, ends or now)
    if holding is not None and holding.called_at is not None:
        expected_end = holding.called_at + dt.timedelta(minutes=stats.expected_minutes(holding.matter, state.number))
        overdue = now + dt.timedelta(minutes=OVERDUE_GRACE_MINUTES)
        free = max(free, expected_end if expected_end > now else overdue)
    return calendar.next_service_instant(free)


def forecast(
    router: Router,
    stats: HandlingStats,
    calendar: WorkCalendar,
    now: dt.datetime,
    windows: Iterable[WindowState],
    holding: Mapping[int, Ticket],
    waiting: Sequence[Ticket],
) -> dict[int, ForecastCall]:
    """Play the hall forward: when each waiting ticket (by serial) is expected to be called."""
    heap: list[tuple[dt.datetime, int]] = [
        (window_free_at(w, holding.get(w.number), stats, calendar, now), w.number) for w in windows if w.staffed
    ]
    heapq.heapify(heap)
    remaining = list(waiting)
    calls: dict[int, ForecastCall] = {}
    while heap and remaining:
        free, window = heapq.heappop(heap)
        choice = router.choose(window, remaining)
        if choice is None:
            continue
        calls[choice.ticket.serial] = ForecastCall(free, window, len(calls))
        passed = {t.serial for t in choice.passed_over}
        remaining = [
            replace(t, passed_over=t.passed_over + 1) if t.serial in passed else t
            for t in remaining
            if t.serial != choice.ticket.serial
        ]
        busy = dt.timedelta(minutes=stats.expected_minutes(choice.ticket.matter, window))
        heapq.heappush(heap, (calendar.next_service_instant(free + busy), window))
    return calls


def position_of(ticket: Ticket, calls: Mapping[int, ForecastCall], router: Router, now: dt.datetime) -> Position:
    """People ahead: tickets forecast to be called earlier, at windows that could serve this one."""
    mine = calls.get(ticket.serial)
    if mine is None:
        return Position(people_ahead=0, expected_call=None, estimated_wait=None)
    ahead = sum(
        1
        for serial, call in calls.items()
        if call.at < mine.at and serial != ticket.serial and router.can_serve(call.window, ticket)
    )
    return Position(ahead, mine.at, max(mine.at - now, dt.timedelta()))
