"""Wait estimates: the hall played forward with the real routing rule and learned handling times.

Each staffed window becomes free when its current ticket is expected to end (or its pause to
end, or the lunch break), and then calls exactly what ``Router.choose`` would give it. The
handling times come from what this centre's windows really took for each matter, learned as an
exponentially weighted average that starts from the matter's expected minutes, together with how
much they vary (their spread) and how fast each staff member works.

A wait is told as a range: the hall is played forward several times with handling times drawn from
what was learned (log-normal, with each matter's mean and spread), from a seed fixed by the instant
and the ticket, so the same hall gives the same range; the range holds the middle of those plays.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
import random
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Protocol

from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.centre import Centre
from queue_server.domain.routing import Router
from queue_server.domain.tickets import Ticket, TicketStatus
from queue_server.domain.windows import WindowState, WindowStatus

if TYPE_CHECKING:
    from queue_server.domain.wait_moves import WaitMove

UNPLANNED_PAUSE_MINUTES = 15
"""How long a pause without planned minutes is expected to last."""
OVERDUE_GRACE_MINUTES = 1.0
"""A ticket at a window past its expected time is expected to end this much later."""
MIN_FACTOR, MAX_FACTOR = 0.25, 4.0
OUTLIER_RATIO = 5.0
"""A handling time beyond this many times the learned mean counts as that bound (a forgotten finish)."""
PRIOR_SPREAD = 0.6
"""A matter's spread (standard deviation / mean of its handling minutes) before any was measured:
what a service hall's handling times show when nothing else is known."""
MIN_SPREAD, MAX_SPREAD = 0.05, 2.0
SPREAD_WEIGHT_SHARE = 0.5
"""The spread learns at this share of the mean's weight: a variance needs more cases to settle."""
RANGE_PLAYS = 40
"""Sampled plays behind a wait range."""
RANGE_QUANTILES = (0.05, 0.95)
"""The share of sampled plays below the range's low end and below its high end: wider than the
middle 80 %, because the plays cannot know the citizens still to come (a green-channel ticket goes
ahead) nor the pauses not yet announced; with it about 80 % of real waits fall inside on the
simulator's profiles (docs/simulator.md)."""


class HandlingModel(Protocol):
    """Mean and spread of the handling minutes of a matter at a window (with its staff member)."""

    def mean_spread(self, matter: str, window: int, staff: str | None) -> tuple[float, float]: ...


class HandlingStats:
    """Learned handling minutes per matter, and each window's speed relative to them."""

    def __init__(self, centre: Centre) -> None:
        self._centre = centre
        self._weight = centre.policy.estimate_weight
        self.matter_minutes: dict[str, float] = {}
        self.window_factor: dict[int, float] = {}
        self.matter_spread: dict[str, float] = {}
        """Learned coefficient of variation per matter (from the squared relative deviations)."""
        self.staff_factor: dict[str, float] = {}
        """Each staff member's speed relative to the matters' means: it goes with them to any window."""

    def matter_mean(self, matter: str) -> float:
        learned = self.matter_minutes.get(matter)
        return learned if learned is not None else self._centre.matter(matter).expected_minutes

    def spread(self, matter: str) -> float:
        return self.matter_spread.get(matter, PRIOR_SPREAD)

    def expected_minutes(self, matter: str, window: int, staff: str | None = None) -> float:
        factor = self.staff_factor.get(staff) if staff is not None else None
        return self.matter_mean(matter) * (factor if factor is not None else self.window_factor.get(window, 1.0))

    def mean_spread(self, matter: str, window: int, staff: str | None) -> tuple[float, float]:
        return self.expected_minutes(matter, window, staff), self.spread(matter)

    def record(self, matter: str, window: int, minutes: float, staff: str | None = None) -> None:
        """Learn from one finished ticket: ``minutes`` from its call to its finish, by ``staff``."""
        mean = self.matter_mean(matter)
        minutes = min(max(minutes, mean / OUTLIER_RATIO), mean * OUTLIER_RATIO)
        w = self._weight
        speed = self.expected_minutes(matter, window, staff) / mean
        deviation = (minutes - mean * speed) / (mean * speed)
        spread = self.spread(matter)
        ws = w * SPREAD_WEIGHT_SHARE
        learned = math.sqrt((1 - ws) * spread * spread + ws * deviation * deviation)
        self.matter_spread[matter] = min(max(learned, MIN_SPREAD), MAX_SPREAD)
        self.matter_minutes[matter] = (1 - w) * mean + w * minutes
        ratio = min(max(minutes / mean, MIN_FACTOR), MAX_FACTOR)
        factor = self.window_factor.get(window, 1.0)
        self.window_factor[window] = (1 - w) * factor + w * ratio
        if staff is not None:
            own = self.staff_factor.get(staff, 1.0)
            self.staff_factor[staff] = (1 - w) * own + w * ratio


_STANDARD = NormalDist()


class SampledTimes:
    """Handling minutes drawn for sampled plays: log-normal with the model's mean and spread.

    The shapes are worked out once per matter and window; ``rng`` is each play's own stream."""

    def __init__(self, model: HandlingModel, rng: random.Random) -> None:
        self._model = model
        self.rng = rng
        self._shapes: dict[tuple[str, int, str | None], tuple[float, float]] = {}

    def shape(self, matter: str, window: int, staff: str | None) -> tuple[float, float]:
        """The log-normal's mu and sigma."""
        key = (matter, window, staff)
        found = self._shapes.get(key)
        if found is None:
            mean, spread = self._model.mean_spread(matter, window, staff)
            sigma2 = math.log1p(spread * spread)
            found = self._shapes[key] = (math.log(max(mean, 0.01)) - sigma2 / 2, math.sqrt(sigma2))
        return found

    def minutes(self, matter: str, window: int, staff: str | None) -> float:
        mu, sigma = self.shape(matter, window, staff)
        return self.rng.lognormvariate(mu, sigma)


class _SampledStart:
    """What every sampled play of one hall starts from: each window's first free instant but for
    the service it holds (drawn per play from the times longer than it has lasted), and the queue."""

    def __init__(
        self,
        router: Router,
        stats: HandlingStats,
        calendar: WorkCalendar,
        now: dt.datetime,
        staffed: Sequence[WindowState],
        holding: Mapping[int, Ticket],
        waiting: Sequence[Ticket],
        drawn: SampledTimes,
    ) -> None:
        self.now = now
        self.services = _ServiceTime.of_windows(calendar, (w.number for w in staffed))
        self.queue = _Queue(router, [w.number for w in staffed], waiting, now)
        self.starts: list[tuple[dt.datetime, int, tuple[float, float, float, float] | None]] = []
        for state in staffed:
            base = window_free_at(state, None, stats, calendar, now, self.services[state.number])
            held = holding.get(state.number)
            serving = None
            if held is not None and held.called_at is not None:
                mu, sigma = drawn.shape(held.matter, state.number, state.acting_staff)
                elapsed = max((now - held.called_at).total_seconds() / 60, 0.0)
                floor = _STANDARD.cdf((math.log(elapsed) - mu) / sigma) if elapsed > 0 else 0.0
                serving = (mu, sigma, floor, elapsed)
            self.starts.append((base, state.number, serving))

    def heap(self, drawn: SampledTimes) -> list[tuple[dt.datetime, int]]:
        heap = []
        random, inv_cdf, exp, now = drawn.rng.random, _STANDARD.inv_cdf, math.exp, self.now
        for base, number, serving in self.starts:
            if serving is None:
                heap.append((base, number))
                continue
            mu, sigma, floor, elapsed = serving
            u = min(max(floor + (1 - floor) * random(), 1e-9), 1 - 1e-9)
            ends = now + dt.timedelta(minutes=max(exp(mu + sigma * inv_cdf(u)) - elapsed, 0.0))
            service = self.services[number]
            if not service.start <= ends < service.end:
                ends = service(ends)
            heap.append((ends if ends > base else base, number))
        return heap


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
    green_ahead: int | None = None
    """Of those ahead, the green-channel tickets issued after this one (绿色通道优先): why a wait
    can grow. Counted on one ticket's own reading (:func:`position_of` with its tickets), else None."""
    wait_range: WaitRange | None = None
    """The range told for the wait (sampled plays, :func:`wait_ranges`), when one was computed."""
    moved: WaitMove | None = None
    """The last time the told wait moved, and why (queue_server.domain.wait_moves)."""


def whole_minutes(delta: dt.timedelta | None) -> int | None:
    """A wait as told, in whole minutes rounded up: a citizen told "0 minutes" should not have to wait at all."""
    if delta is None:
        return None
    return int(-(-delta.total_seconds() // 60))


def window_free_at(
    state: WindowState,
    holding: Ticket | None,
    stats: HandlingStats,
    calendar: WorkCalendar,
    now: dt.datetime,
    service: Callable[[dt.datetime], dt.datetime] | None = None,
) -> dt.datetime:
    """When a staffed window is expected to call its next ticket; ``service``, the window's
    ``next_service_instant`` when a play has one at hand (:class:`_ServiceTime`)."""
    free = now
    if state.status is WindowStatus.PAUSED:
        ends = state.pause_ends() if state.pause_minutes is not None else None
        if ends is None and state.since is not None:
            ends = state.since + dt.timedelta(minutes=UNPLANNED_PAUSE_MINUTES)
        free = max(free, ends or now)
    if holding is not None and holding.called_at is not None:
        expected_end = holding.called_at + dt.timedelta(
            minutes=stats.expected_minutes(holding.matter, state.number, state.acting_staff)
        )
        overdue = now + dt.timedelta(minutes=OVERDUE_GRACE_MINUTES)
        free = max(free, expected_end if expected_end > now else overdue)
    if service is not None:
        return service(free)
    return calendar.next_service_instant(free, state.number)


def forecast(
    router: Router,
    stats: HandlingStats,
    calendar: WorkCalendar,
    now: dt.datetime,
    windows: Iterable[WindowState],
    holding: Mapping[int, Ticket],
    waiting: Sequence[Ticket],
    *,
    until: int | Collection[int] | None = None,
) -> dict[int, ForecastCall]:
    """Play the hall forward: when each waiting ticket (by serial) is expected to be called.

    Each staffed window, when it becomes free, calls exactly what ``Router.choose`` would give it
    from the tickets still waiting. ``until`` stops the play once that ticket is called (or every
    one of those serials): every call before it is known then, which is all its position needs.

    The play runs in time linear in the queue (times the windows a ticket may go to), not
    quadratic: each window keeps its own linked list of the tickets it may call, in order of
    place, plus its green-channel tickets and its starving tickets (passed over K times), so a
    choice reads the heads of those lists instead of scanning the queue (tests/test_perf_forecast.py
    checks it against the plain scan).
    """
    calls: dict[int, ForecastCall] = {}
    wanted = None if until is None else {until} if isinstance(until, int) else set(until)
    if wanted is None or wanted:
        _play(router, stats, calendar, now, windows, holding, waiting, calls, wanted, None)
    return calls


def forecast_end(
    router: Router,
    stats: HandlingStats,
    calendar: WorkCalendar,
    now: dt.datetime,
    windows: Iterable[WindowState],
    holding: Mapping[int, Ticket],
    waiting: Sequence[Ticket],
) -> PlayEnd:
    """Where the whole forecast of this queue ends, without keeping its calls."""
    end = PlayEnd(now, {}, {})
    _play(router, stats, calendar, now, windows, holding, waiting, None, None, end)
    return end


def _play(
    router: Router,
    stats: HandlingStats,
    calendar: WorkCalendar,
    now: dt.datetime,
    windows: Iterable[WindowState],
    holding: Mapping[int, Ticket],
    waiting: Sequence[Ticket],
    calls: dict[int, ForecastCall] | None,
    until: set[int] | None,
    end: PlayEnd | None,
    drawn: SampledTimes | None = None,
    sampled: _SampledStart | None = None,
) -> None:
    """One play; with ``drawn`` and ``sampled``, one of ``sampled_plays``' (the windows' first free
    instants drawn, the queue built once for all its plays)."""
    staffed = [w for w in windows if w.staffed]
    staff = {w.number: w.acting_staff for w in staffed}
    times: dict[int, list[dt.datetime]] | None = None
    if end is not None:
        times = end.times = {w.number: [] for w in staffed}
        end.staff = staff
    if sampled is not None and drawn is not None:
        heap = sampled.heap(drawn)
        play = sampled.queue.copy()
        services = sampled.services
    else:
        services = _ServiceTime.of_windows(calendar, (w.number for w in staffed))
        heap = [
            (window_free_at(w, holding.get(w.number), stats, calendar, now, services[w.number]), w.number)
            for w in staffed
        ]
        play = _Queue(router, [w.number for w in staffed], waiting, now)
    heapq.heapify(heap)
    tickets = play.tickets
    durations: dict[tuple[str, int], dt.timedelta] = {}
    pop, push = heapq.heappop, heapq.heappush
    while heap and play.left:
        free, window = pop(heap)
        chosen = play.choose(window)
        if chosen is None:
            if end is not None:
                end.next_free[window] = (free, window)
            continue
        ticket = tickets[chosen]
        if calls is not None:
            calls[ticket.serial] = ForecastCall(free, window, len(calls))
            if until is not None and ticket.serial in until:
                until.discard(ticket.serial)
                if not until:
                    return
        if drawn is not None:
            busy = dt.timedelta(minutes=drawn.minutes(ticket.matter, window, staff[window]))
        else:
            known = durations.get((ticket.matter, window))
            if known is None:
                known = durations[ticket.matter, window] = dt.timedelta(
                    minutes=stats.expected_minutes(ticket.matter, window, staff[window])
                )
            busy = known
        later = free + busy
        service = services[window]
        if not service.start <= later < service.end:  # the open period known last: the common case
            later = service(later)
        push(heap, (later, window))
        if times is not None:
            times[window].append(free)
    if end is not None:
        end.next_free.update((window, (free, window)) for free, window in heap)


FORECAST_REUSE = dt.timedelta(seconds=1)
"""How old a whole forecast may be and still place a newly issued ordinary ticket.

While only ordinary tickets were issued since, the play of up to this long ago is extended instead
of played again over the whole queue (which costs the queue's length on every batch of issues):
an idle window then counts as free at that instant rather than this one, so the expected call
can be up to this much early. Estimates are shown in minutes."""


@dataclass(slots=True)
class PlayEnd:
    """Where a whole forecast's play ended: enough to forecast one more ordinary ticket.

    A ticket issued now goes last in the queue, and an ordinary one never changes what any
    window chooses before it (routing passes over only tickets older than the one called, and
    the starvation bound looks only at those). So it is called the first time a window that may
    call it would otherwise find nothing: at the earliest ``next_free`` of those windows, and
    the people ahead of it are the calls before that instant at those windows. ``extend`` adds
    it without going through every window (after one pass per kind of ticket); the hall keeps
    this only while nothing else changed and the clock reads the same instant.
    """

    now: dt.datetime
    next_free: dict[int, tuple[dt.datetime, int]]
    """Per staffed window, when it would next look for a ticket and find none (and its number)."""
    times: dict[int, list[dt.datetime]]
    """Per staffed window, the instants of its forecast calls, in order."""
    staff: dict[int, str | None] = field(default_factory=dict)
    """Per staffed window, who serves at it (their speed is learned apart)."""
    _serving: dict[tuple[str, int | None], _Serving] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Per kind of ticket extended (matter, window sent to), the windows that may call it, kept
    ordered: an issue at a hall of 1,000 windows reads a heap's top and one sorted list, not
    every window's next instant and calls."""

    def copy(self) -> PlayEnd:
        """Another play end to ``extend``, leaving this one as it is."""
        return PlayEnd(self.now, dict(self.next_free), {n: list(t) for n, t in self.times.items()}, dict(self.staff))

    def extend(
        self,
        ticket: Ticket,
        router: Router,
        stats: HandlingStats,
        calendar: WorkCalendar,
        now: dt.datetime | None = None,
    ) -> Position:
        """The position of ``ticket``, an ordinary one just put last in the queue, and the play
        with it (``forecast`` then ``position_of`` would give the same at the play's instant).

        ``now`` is the issue's instant when it is a little later than the play's (see
        ``FORECAST_REUSE``): the wait is counted from it."""
        serving = self._serving_of(ticket, router)
        if not serving.windows:
            return Position(people_ahead=0, expected_call=None, estimated_wait=None)
        at, window = serving.first(self.next_free)
        ahead = bisect.bisect_left(serving.calls, at)
        busy = dt.timedelta(minutes=stats.expected_minutes(ticket.matter, window, self.staff.get(window)))
        free = self.next_free[window] = (calendar.next_service_instant(at + busy, window), window)
        self.times[window].append(at)
        for kept in self._serving.values():
            if window in kept.windows:
                kept.called(free, at)
        since = self.now if now is None else now
        return Position(ahead, at, max(at - since, dt.timedelta()), green_ahead=0)  # nobody came later

    def _serving_of(self, ticket: Ticket, router: Router) -> _Serving:
        key = (ticket.matter, ticket.target_window)
        found = self._serving.get(key)
        if found is None:
            windows = frozenset(number for number in self.next_free if router.can_serve(number, ticket))
            found = self._serving[key] = _Serving(
                windows,
                sorted(self.next_free[number] for number in windows),  # a sorted list is a heap
                sorted(at for number in windows for at in self.times[number]),
            )
        return found


@dataclass(slots=True)
class _Serving:
    """The windows that may call one kind of ticket, as :meth:`PlayEnd.extend` reads them."""

    windows: frozenset[int]
    free: list[tuple[dt.datetime, int]]
    """A heap of the windows' next instants; an entry a later one replaced is dropped when on top."""
    calls: list[dt.datetime]
    """Every forecast call at these windows, in order of time (the people ahead are those before an instant)."""

    def first(self, next_free: Mapping[int, tuple[dt.datetime, int]]) -> tuple[dt.datetime, int]:
        """The earliest next instant of these windows (and its window), as ``next_free`` has them now."""
        free = self.free
        while free[0] != next_free[free[0][1]]:
            heapq.heappop(free)
        return free[0]

    def called(self, free: tuple[dt.datetime, int], at: dt.datetime) -> None:
        """One of these windows was given a call at ``at`` and is next free at ``free``."""
        heapq.heappush(self.free, free)
        bisect.insort(self.calls, at)


_END = -2
"""The tail of every window's linked list; -1 is its head."""


class _Queue:
    """The waiting tickets as each staffed window sees them, for one forecast.

    Tickets are known by their index in the queue (order of place). Windows that may call the
    same tickets (the same matters, and no ticket sent to one of them in particular) share one
    view: a hall of a thousand like windows keeps one. For each view: a doubly linked list of the
    tickets it may call (``Router.can_serve``), its green-channel tickets in order, and a heap of
    its ordinary tickets passed over K times or more (green-channel here includes due bookings). A
    called ticket leaves every list it is in; the green and starving lists drop called tickets lazily.
    """

    def __init__(self, router: Router, windows: Sequence[int], waiting: Sequence[Ticket], now: dt.datetime) -> None:
        self.max_passed_over = router.max_passed_over
        self.tickets = [t for t in waiting if t.status is TicketStatus.WAITING]
        first = [t.goes_first(now) for t in self.tickets]
        self.left = len(self.tickets)
        self.passed = [t.passed_over for t in self.tickets]
        self.called = bytearray(len(self.tickets))
        staffed = set(windows)
        sent_to = {t.target_window for t in self.tickets if t.target_window in staffed}
        self.view_of: dict[int, Hashable] = {}
        members: dict[Hashable, list[int]] = {}
        by_matter: dict[str, list[Hashable]] = {}
        for number in windows:
            matters = router.served_matters(number)
            view: Hashable = ("window", number) if number in sent_to else frozenset(matters)
            self.view_of[number] = view
            if view not in members:  # the first window of its kind
                members[view] = []
                for matter in matters:
                    by_matter.setdefault(matter, []).append(view)
        self.serving: list[Sequence[Hashable]] = []
        for index, ticket in enumerate(self.tickets):
            if ticket.target_window is not None:
                serving: Sequence[Hashable] = (
                    (self.view_of[ticket.target_window],) if ticket.target_window in staffed else ()
                )
            else:
                serving = by_matter.get(ticket.matter, ())
            self.serving.append(serving)
            for view in serving:
                members[view].append(index)
        self.next: dict[Hashable, dict[int, int]] = {}
        self.prev: dict[Hashable, dict[int, int]] = {}
        self.greens: dict[Hashable, list[int]] = {}
        self.green_at: dict[Hashable, int] = {}
        self.starving: dict[Hashable, list[int]] = {}
        for view, indices in members.items():
            self.next[view] = dict(zip([-1, *indices], [*indices, _END], strict=True))
            self.prev[view] = dict(zip([*indices, _END], [-1, *indices], strict=True))
            self.greens[view] = [i for i in indices if first[i]]
            self.green_at[view] = 0
            self.starving[view] = [i for i in indices if self.passed[i] >= self.max_passed_over and not first[i]]

    def copy(self) -> _Queue:
        """A queue to play on, this one left as it is (its fixed parts shared)."""
        other = object.__new__(_Queue)
        other.max_passed_over = self.max_passed_over
        other.tickets = self.tickets
        other.left = self.left
        other.passed = list(self.passed)
        other.called = bytearray(self.called)
        other.view_of = self.view_of
        other.serving = self.serving
        other.next = {view: dict(links) for view, links in self.next.items()}
        other.prev = {view: dict(links) for view, links in self.prev.items()}
        other.greens = self.greens
        other.green_at = dict(self.green_at)
        other.starving = {view: list(heap) for view, heap in self.starving.items()}
        return other

    def choose(self, window: int) -> int | None:
        """The index of the ticket ``window`` calls now (``Router.choose``), taken out of the queue."""
        view = self.view_of[window]
        links = self.next[view]
        oldest = links[-1]
        if oldest == _END:
            return None
        called = self.called
        greens = self.greens[view]
        at = self.green_at[view]
        while at < len(greens) and called[greens[at]]:
            at += 1
        self.green_at[view] = at
        chosen = oldest
        if at < len(greens) and greens[at] != oldest:
            green = greens[at]
            starving = self.starving[view]
            while starving and called[starving[0]]:
                heapq.heappop(starving)
            if not starving or starving[0] > green:
                chosen = green
                index = oldest
                while index != green:  # every older ticket this window may call is passed over
                    self._pass_over(index)
                    index = links[index]
        self._take(chosen)
        return chosen

    def _pass_over(self, index: int) -> None:
        self.passed[index] += 1
        if self.passed[index] == self.max_passed_over:
            for view in self.serving[index]:
                heapq.heappush(self.starving[view], index)

    def _take(self, index: int) -> None:
        self.called[index] = 1
        self.left -= 1
        for view in self.serving[index]:
            links, back = self.next[view], self.prev[view]
            before, after = back.pop(index), links.pop(index)
            links[before] = after
            back[after] = before


_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


class _ServiceTime:
    """``WorkCalendar.next_service_instant`` of one window for many instants in a row, remembering
    the period it last found: an instant inside it is its own answer without a time-zone lookup.

    A period is remembered only when the zone's offset is the same at its start, at its end and
    at the instant, so a clock change inside it cannot make the shortcut answer differently.
    """

    def __init__(self, calendar: WorkCalendar, window: int | None) -> None:
        self._calendar = calendar
        self._window = window
        """None: the centre's opening periods, which every window without hours of its own serves."""
        self.start = self.end = _NEVER
        """The open period found last, [start, end); empty at first."""

    @staticmethod
    def of_windows(calendar: WorkCalendar, windows: Iterable[int]) -> dict[int, _ServiceTime]:
        """One per window with hours of its own, and one shared by all the others: a play at a hall
        of 1,000 windows looks the opening period up once, not once per window."""
        opening = _ServiceTime(calendar, None)
        return {n: _ServiceTime(calendar, n) if calendar.own_hours(n) else opening for n in windows}

    def __call__(self, instant: dt.datetime) -> dt.datetime:
        if self.start <= instant < self.end:
            return instant
        found = self._calendar.next_service_instant(instant, self._window)
        if found == instant:
            self._remember(instant)
        return found

    def _remember(self, instant: dt.datetime) -> None:
        calendar = self._calendar
        local = calendar.local(instant)
        day, time = local.date(), local.time()
        for period in calendar.service_periods(day, self._window):
            if period.start <= time < period.end:
                start, end = calendar.instant(day, period.start), calendar.instant(day, period.end)
                offsets = {calendar.local(at).utcoffset() for at in (start, end, instant)}
                if len(offsets) == 1 and start <= instant < end:
                    self.start, self.end = start, end
                return


def position_of(
    ticket: Ticket,
    calls: Mapping[int, ForecastCall],
    router: Router,
    now: dt.datetime,
    tickets: Mapping[int, Ticket] | None = None,
) -> Position:
    """People ahead: tickets forecast to be called earlier, at windows that could serve this one;
    with ``tickets``, also how many of them are green-channel tickets that came later."""
    mine = calls.get(ticket.serial)
    if mine is None:
        return Position(people_ahead=0, expected_call=None, estimated_wait=None)
    ahead = [
        serial
        for serial, call in calls.items()
        if call.at < mine.at and serial != ticket.serial and router.can_serve(call.window, ticket)
    ]
    green = None
    if tickets is not None:
        green = sum(1 for serial in ahead if (t := tickets.get(serial)) and t.green and t.place > ticket.place)
    return Position(len(ahead), mine.at, max(mine.at - now, dt.timedelta()), green)


def positions_of(
    waiting: Sequence[Ticket], calls: Mapping[int, ForecastCall], router: Router, now: dt.datetime
) -> dict[int, Position]:
    """``position_of`` for every waiting ticket at once, counting with a sorted list per set of
    windows a ticket may go to instead of scanning every call for every ticket."""
    by_windows: dict[int | str, list[dt.datetime]] = {}
    out: dict[int, Position] = {}
    for ticket in waiting:
        mine = calls.get(ticket.serial)
        if mine is None:
            out[ticket.serial] = Position(people_ahead=0, expected_call=None, estimated_wait=None)
            continue
        key: int | str = ticket.target_window if ticket.target_window is not None else ticket.matter
        times = by_windows.get(key)
        if times is None:
            times = by_windows[key] = sorted(
                call.at for call in calls.values() if router.can_serve(call.window, ticket)
            )
        ahead = bisect.bisect_left(times, mine.at)  # its own call is not earlier than itself
        out[ticket.serial] = Position(ahead, mine.at, max(mine.at - now, dt.timedelta()))
    return out


@dataclass(frozen=True, slots=True)
class WaitRange:
    """A wait told as a range: most waits of the hall as it stands fall between ``low`` and ``high``."""

    low: dt.timedelta
    high: dt.timedelta

    @property
    def width(self) -> dt.timedelta:
        return self.high - self.low

    def whole_minutes(self) -> tuple[int, int]:
        """The range as printed, in whole minutes: the low end rounded down, the high end up."""
        return math.floor(self.low.total_seconds() / 60), math.ceil(self.high.total_seconds() / 60)


def sampled_plays(
    router: Router,
    model: HandlingModel,
    stats: HandlingStats,
    calendar: WorkCalendar,
    now: dt.datetime,
    windows: Iterable[WindowState],
    holding: Mapping[int, Ticket],
    waiting: Sequence[Ticket],
    *,
    plays: int,
    seed: str,
    until: int | Collection[int] | None,
    waits: dict[int, list[dt.timedelta]],
    newcomers: Newcomers | None = None,
) -> Iterator[None]:
    """The wait of each waiting ticket (by serial) in each of ``plays`` plays of the hall with
    handling times drawn from ``model`` (the play of ``forecast``, same router and calendar), the
    draws seeded by ``seed``, gathered in ``waits``; ``until`` as in ``forecast``. A ticket no
    window serves has none. It yields after each play, so that a caller on an event loop lets other
    work run between two (a long queue's forty plays would hold the loop for seconds). The hall is
    copied before the first play: what changes after does not reach the plays under way.

    With ``newcomers`` (and no ``until``: a newcomer comes after the whole queue), each play also
    gives their waits (:class:`Newcomers`), read off the play's end: no play more."""
    staffed = [w for w in windows if w.staffed]
    holding, waiting = dict(holding), list(waiting)
    wanted = None if until is None else {until} if isinstance(until, int) else set(until)
    zero = dt.timedelta()
    drawn = SampledTimes(model, random.Random(seed))
    start = _SampledStart(router, stats, calendar, now, staffed, holding, waiting, drawn)
    if wanted is not None:
        newcomers = None
    for play in range(plays):
        calls: dict[int, ForecastCall] = {}
        drawn.rng = random.Random(f"{seed}:{play}")
        end = PlayEnd(now, {}, {}) if newcomers is not None else None
        _play(router, stats, calendar, now, staffed, holding, waiting, calls, None if wanted is None else set(wanted),
              end, drawn, start)  # fmt: skip
        for serial, call in calls.items():
            waits.setdefault(serial, []).append(max(call.at - now, zero))
        if newcomers is not None and end is not None:
            newcomers.played(end)
        yield


class Newcomers:
    """Phantom newcomers: per matter, an ordinary ticket put last in the queue, played with it.

    A phantom never delays a real ticket nor another phantom: an ordinary ticket last in the queue
    changes no choice made before it (:class:`PlayEnd`), so it is called the first time a window
    that may call it finds nothing, and each phantom is read off the same play's end as if it were
    the only one (they are not played against each other: each tells what one newcomer of its
    matter would wait, and only one comes at a time). Its handling time never counts, as nobody
    comes after it. So the plays that give the real tickets' ranges give the newcomers' too."""

    def __init__(self, now: dt.datetime, windows: Mapping[str, Collection[int]]) -> None:
        self.now = now
        kinds: dict[int, set[str]] = {}
        for matter, numbers in windows.items():
            for number in numbers:
                kinds.setdefault(number, set()).add(matter)
        self._kinds: dict[frozenset[str], list[int]] = {}
        """The windows by the matters (of these) they may call: a play's end is read per kind."""
        for number, matters in kinds.items():
            self._kinds.setdefault(frozenset(matters), []).append(number)
        self.waits: dict[str, list[dt.timedelta]] = {}
        """Per matter, its phantom's wait in each play so far (none when no window may call it)."""

    def calls(self, end: PlayEnd) -> dict[str, dt.datetime]:
        """Per matter, when a phantom newcomer would be called after the play ended at ``end``."""
        out: dict[str, dt.datetime] = {}
        next_free = end.next_free
        for matters, numbers in self._kinds.items():
            found = [next_free[n][0] for n in numbers if n in next_free]
            if not found:
                continue
            first = min(found)
            for matter in matters:
                if matter not in out or first < out[matter]:
                    out[matter] = first
        return out

    def played(self, end: PlayEnd) -> None:
        """Take in one play's end: each phantom's wait in it."""
        zero = dt.timedelta()
        for matter, at in self.calls(end).items():
            self.waits.setdefault(matter, []).append(max(at - self.now, zero))

    def ranges(self) -> dict[str, WaitRange]:
        """Per matter, the range of its phantom's waits (``RANGE_QUANTILES``), as a real ticket's."""
        return {matter: quantile_range(found) for matter, found in self.waits.items()}


def quantile_range(waits: Sequence[dt.timedelta], quantiles: tuple[float, float] = RANGE_QUANTILES) -> WaitRange:
    """The range between two quantiles of sampled waits (linear between neighbouring samples)."""
    ordered = sorted(waits)
    return WaitRange(_quantile(ordered, quantiles[0]), _quantile(ordered, quantiles[1]))


def narrowest_range(waits: Sequence[dt.timedelta], coverage: float) -> WaitRange:
    """The narrowest range holding ``coverage`` of the sampled waits."""
    ordered = sorted(waits)
    inside = max(1, math.ceil(coverage * len(ordered)))
    best = min(range(len(ordered) - inside + 1), key=lambda i: ordered[i + inside - 1] - ordered[i])
    return WaitRange(ordered[best], ordered[best + inside - 1])


def _quantile(ordered: Sequence[dt.timedelta], q: float) -> dt.timedelta:
    at = q * (len(ordered) - 1)
    below = math.floor(at)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (at - below)


def wait_range_plays(
    router: Router,
    stats: HandlingStats,
    calendar: WorkCalendar,
    now: dt.datetime,
    windows: Iterable[WindowState],
    holding: Mapping[int, Ticket],
    waiting: Sequence[Ticket],
    *,
    seed: str,
    until: int | Collection[int] | None = None,
    plays: int = RANGE_PLAYS,
    ranges: dict[int, WaitRange],
    newcomers: Newcomers | None = None,
) -> Iterator[None]:
    """The range told for each waiting ticket's wait, in ``ranges`` after the last play: the middle
    of the sampled plays of the hall with the learned handling times (``RANGE_QUANTILES``), one
    play a step (see ``sampled_plays``); the ``newcomers``' waits in the same plays."""
    waits: dict[int, list[dt.timedelta]] = {}
    yield from sampled_plays(
        router, stats, stats, calendar, now, windows, holding, waiting, plays=plays, seed=seed, until=until,
        waits=waits, newcomers=newcomers,
    )  # fmt: skip
    ranges.update({serial: quantile_range(found) for serial, found in waits.items()})
