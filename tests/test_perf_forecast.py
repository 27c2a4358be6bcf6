"""The fast wait forecast against the plain one it replaced, on random halls.

``queue_server.domain.estimates.forecast`` keeps per-window lists so a forecast is linear in the
queue. The reference here is the straightforward play: every free window runs ``Router.choose``
over the whole remaining queue and the passed-over counts are copied forward. Both must give the
same calls, in the same order, at the same instants, and the same positions.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queue_server.app.projections import waiting_groups
from queue_server.app.views import waiting_counts
from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.centre import Centre
from queue_server.domain.clock import ManualClock
from queue_server.domain.errors import DomainError
from queue_server.domain.estimates import (
    FORECAST_REUSE,
    ForecastCall,
    HandlingStats,
    forecast,
    position_of,
    positions_of,
    window_free_at,
)
from queue_server.domain.hall import Hall
from queue_server.domain.hall_ratings import awaiting_rating
from queue_server.domain.routing import Router
from queue_server.domain.tickets import Category, Channel, Outcome, Ticket, TicketStatus
from queue_server.domain.windows import PauseReason, WindowState, WindowStatus
from tests.factories import WEEKDAY_HOURS, make_centre, make_hall, shanghai

HALF_HOUR = dt.timedelta(minutes=30)
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def plain_forecast(
    router: Router,
    stats: HandlingStats,
    calendar: WorkCalendar,
    now: dt.datetime,
    windows: Iterable[WindowState],
    holding: Mapping[int, Ticket],
    waiting: Sequence[Ticket],
) -> dict[int, ForecastCall]:
    """The forecast as first written: a whole-queue ``choose`` per call."""
    heap = [(window_free_at(w, holding.get(w.number), stats, calendar, now), w.number) for w in windows if w.staffed]
    heapq.heapify(heap)
    remaining = list(waiting)
    calls: dict[int, ForecastCall] = {}
    while heap and remaining:
        free, window = heapq.heappop(heap)
        choice = router.choose(window, remaining, now=now)
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


@st.composite
def centres(draw: st.DrawFn) -> Centre:
    """A random centre: 1-3 window kinds, 1-4 matters, 1-6 windows, all-day or with a lunch break."""
    kinds = [f"k{i}" for i in range(draw(st.integers(1, 3)))]
    some_kinds = st.lists(st.sampled_from(kinds), min_size=1, max_size=len(kinds), unique=True)
    windows: list[dict[str, Any]] = [
        {"number": n, "name": f"窗口{n}", "kinds": draw(some_kinds), "green_channel": draw(st.booleans())}
        for n in range(1, draw(st.integers(1, 6)) + 1)
    ]
    served = sorted({k for w in windows for k in w["kinds"]})
    matters = [
        {
            "code": f"m{i}",
            "name": f"事项{i}",
            "domain": "d",
            "window_kinds": [*draw(some_kinds), served[0]],
            "expected_minutes": draw(st.sampled_from([1, 2.5, 7, 10, 30, 90])),
            "prefix": "A",
        }
        for i in range(draw(st.integers(1, 4)))
    ]
    hours = draw(st.sampled_from([[["00:00", "24:00"]], WEEKDAY_HOURS]))
    return Centre.model_validate(
        {
            "centre": {"code": "prop", "name": "随机中心", "time_zone": "Asia/Shanghai"},
            "policy": {"max_passed_over": draw(st.integers(0, 4)), "stop_issuing_before_close": 0},
            "hours": dict.fromkeys(DAYS, hours),
            "domains": [{"code": "d", "name": "综合"}],
            "window_kinds": [{"code": k, "name": k} for k in kinds],
            "ticket_groups": [{"prefix": "A", "name": "A"}],
            "matters": matters,
            "windows": windows,
            "staff": [{"code": f"s{w['number']}", "name": f"员工{w['number']}"} for w in windows],
        }
    )


@st.composite
def halls(draw: st.DrawFn) -> tuple[Centre, dt.datetime, list[WindowState], dict[int, Ticket], list[Ticket]]:
    """A centre at some instant, its windows (open, paused, closed), what they hold and a queue."""
    centre = draw(centres())
    now = shanghai(2026, 11, 30, 8, 0) + dt.timedelta(minutes=draw(st.integers(0, 11 * 60)))
    matters = [m.code for m in centre.matters]
    numbers = [w.number for w in centre.windows]
    windows: list[WindowState] = []
    holding: dict[int, Ticket] = {}
    for number in numbers:
        status = draw(st.sampled_from([WindowStatus.OPEN, WindowStatus.OPEN, WindowStatus.PAUSED, WindowStatus.CLOSED]))
        since = now - dt.timedelta(minutes=draw(st.integers(0, 40)))
        minutes = draw(st.sampled_from([None, 5, 30])) if status is WindowStatus.PAUSED else None
        reason = PauseReason.MEETING if status is WindowStatus.PAUSED else None
        windows.append(
            WindowState(number, status, staff=f"s{number}", since=since, pause_reason=reason, pause_minutes=minutes)
        )
        if status is WindowStatus.OPEN and draw(st.booleans()):
            called = now - dt.timedelta(minutes=draw(st.integers(0, 60)))
            holding[number] = ticket(0, draw(st.sampled_from(matters)), now, TicketStatus.CALLED, number, called)
    queue = [
        replace(
            ticket(serial, draw(st.sampled_from(matters)), now),
            category=draw(st.sampled_from([None, None, None, Category.ELDERLY])),
            target_window=draw(st.sampled_from([None, None, None, *numbers])),
            passed_over=draw(st.integers(0, 5)),
            booked_from=draw(st.sampled_from([None, None, None, now - dt.timedelta(minutes=5), now + HALF_HOUR])),
        )
        for serial in range(1, draw(st.integers(0, 40)) + 1)
    ]
    return centre, now, windows, holding, queue


def ticket(
    serial: int,
    matter: str,
    now: dt.datetime,
    status: TicketStatus = TicketStatus.WAITING,
    window: int | None = None,
    called_at: dt.datetime | None = None,
) -> Ticket:
    return Ticket(
        serial=serial,
        place=serial,
        number=f"A{serial:03d}",
        service_day=now.date(),
        matter=matter,
        category=None,
        channel=Channel.KIOSK,
        issued_at=now,
        status=status,
        window=window,
        called_at=called_at,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(halls(), st.data())
def test_fast_forecast_is_the_plain_forecast(
    hall: tuple[Centre, dt.datetime, list[WindowState], dict[int, Ticket], list[Ticket]], data: st.DataObject
) -> None:
    centre, now, windows, holding, queue = hall
    router, stats, calendar = Router(centre), HandlingStats(centre), WorkCalendar(centre)
    for number in data.draw(st.lists(st.sampled_from([w.number for w in centre.windows]), max_size=3)):
        stats.window_factor[number] = data.draw(st.sampled_from([0.5, 1.3, 2.0]))
    expected = plain_forecast(router, stats, calendar, now, windows, holding, queue)
    got = forecast(router, stats, calendar, now, windows, holding, queue)
    assert got == expected
    assert list(got) == list(expected), "the same calls in the same order"
    assert positions_of(queue, got, router, now) == {t.serial: position_of(t, expected, router, now) for t in queue}
    for t in queue:
        partial = forecast(router, stats, calendar, now, windows, holding, queue, until=t.serial)
        assert position_of(t, partial, router, now) == position_of(t, expected, router, now)
    asked = data.draw(st.lists(st.sampled_from(queue), max_size=5)) if queue else []
    partial = forecast(router, stats, calendar, now, windows, holding, queue, until=[t.serial for t in asked])
    assert positions_of(asked, partial, router, now) == {t.serial: position_of(t, expected, router, now) for t in asked}


def test_a_long_queue_is_forecast_like_the_plain_play() -> None:
    """Six hundred tickets with green-channel ones among them, over the lunch break and into the next day."""
    centre = make_centre()
    router, stats, calendar = Router(centre), HandlingStats(centre), WorkCalendar(centre)
    now = shanghai(2026, 11, 30, 10, 0)
    windows = [WindowState(n, WindowStatus.OPEN, staff=f"s{n}") for n in (1, 2, 3, 9)]
    matters = ("pension", "medical", "id_card")
    queue = [
        replace(ticket(serial, matters[serial % 3], now), category=Category.ELDERLY if serial % 7 == 0 else None)
        for serial in range(1, 601)
    ]
    expected = plain_forecast(router, stats, calendar, now, windows, {}, queue)
    assert forecast(router, stats, calendar, now, windows, {}, queue) == expected
    assert len(expected) == 600
    assert max(call.at for call in expected.values()) > shanghai(2026, 12, 1, 8, 30)


ISSUE, GREEN, BOOKED, CALL_NEXT, FINISH, CANCEL, LATER = "issue", "green", "booked", "call", "finish", "cancel", "later"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(centres(), st.data())
def test_a_ticket_issued_after_others_at_the_same_instant_gets_the_whole_forecast(
    centre: Centre, data: st.DataObject
) -> None:
    """Issuing reuses the last forecast while only ordinary tickets came since at the same instant:
    each new ticket's position must be what a whole forecast gives it. The queue and its counts per
    group, kept by the hall between changes, must be what going through its tickets gives, and a
    call (which skips the walk past the oldest ticket while no green one waits) what a full walk gives."""
    clock = ManualClock(shanghai(2026, 11, 30, 8, 0) + dt.timedelta(minutes=data.draw(st.integers(0, 11 * 60))))
    hall = Hall(centre, clock)
    for window in centre.windows:
        if data.draw(st.booleans()):
            hall.sign_on(window.number, f"s{window.number}")
    matters = [m.code for m in centre.matters]
    steps = st.tuples(
        st.sampled_from([ISSUE, ISSUE, ISSUE, GREEN, BOOKED, CALL_NEXT, FINISH, CANCEL, LATER]),
        st.sampled_from(matters),
    )
    for step, matter in data.draw(st.lists(steps, max_size=40)):
        if step == LATER:
            clock.advance(minutes=3)
        elif step == CALL_NEXT:
            open_windows = [w.number for w in hall.windows() if w.staffed and hall.holding(w.number) is None]
            if open_windows:
                window = data.draw(st.sampled_from(open_windows))
                expected = hall.router.choose(window, hall.waiting(), now=clock.now())  # the full walk of the queue
                change = hall.call_next(window)
                assert change.ticket == (None if expected is None else hall.ticket(expected.ticket.serial))
        elif step == FINISH:
            busy = [w.number for w in hall.windows() if hall.holding(w.number) is not None]
            if busy:
                hall.finish(data.draw(st.sampled_from(busy)), Outcome.ON_THE_SPOT)
        elif step == CANCEL:
            if queue := hall.waiting():
                hall.cancel(data.draw(st.sampled_from(queue)).serial)
        else:
            try:
                slot = clock.now() + HALF_HOUR * data.draw(st.integers(-1, 1)) if step == BOOKED else None
                change = hall.issue(matter, category=Category.DISABLED if step == GREEN else None, booked_from=slot)
            except DomainError:
                continue
            assert change.ticket is not None
            told = change.position  # the forecast's position, with the range told at issue beside it
            assert told is not None and replace(told, wait_range=None) == hall.position(change.ticket.serial)
        known = sorted(t.serial for t in hall.tickets())
        asked = data.draw(st.lists(st.sampled_from(known), max_size=4)) if known else []
        waiting = {t.serial for t in hall.waiting()}
        one_play = hall.positions_for(asked)  # the SMS notices' check at a call: one forecast for them all
        assert one_play == {s: replace(hall.position(s), green_ahead=None) for s in asked if s in waiting}
        hall.compact()
        assert all(not t.status.ended or awaiting_rating(t) for t in hall.tickets()), "ended tickets are let go"
        queue = sorted((t for t in hall.tickets() if t.status is TicketStatus.WAITING), key=lambda t: t.place)
        assert hall.waiting() == queue, "the kept queue is the hall's queue"
        assert waiting_groups(hall) == waiting_counts(centre, queue)


def test_issues_a_moment_apart_extend_the_last_forecast_and_count_the_wait_from_their_own_instant() -> None:
    """Batches of issues follow each other closely: within ``FORECAST_REUSE`` the last whole play
    places the next ordinary ticket (the queue is not played again), as that play has it, with its
    wait counted from the instant it was issued. Later than that, a whole forecast."""
    at_once, _ = make_hall()
    apart, clock = make_hall()
    for _ in range(5):
        at_once.issue("pension")
        apart.issue("pension")
    expected = at_once.issue("pension").position
    clock.advance(FORECAST_REUSE / 2)
    reused = apart.issue("pension").position
    assert expected is not None and reused is not None and expected.estimated_wait is not None
    assert (reused.people_ahead, reused.expected_call) == (expected.people_ahead, expected.expected_call)
    assert reused.estimated_wait == expected.estimated_wait - FORECAST_REUSE / 2
    clock.advance(FORECAST_REUSE * 2)
    later = apart.issue("pension")
    assert later.ticket is not None
    assert later.position is not None
    assert replace(later.position, wait_range=None) == apart.position(later.ticket.serial)
