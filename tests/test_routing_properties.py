"""Routing on random centres and random arrivals, checked against an independent record.

The test keeps its own account of who waited, who was called by which window, and which
windows could have served each ticket (from the centre's kinds, not from the router), then
checks the promises of docs/routing.md on every call. Some arrivals are bookings checked in,
with slots that began a while ago or begin later: once due they go first like the green channel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queue_server.domain.centre import Centre
from queue_server.domain.clock import ManualClock
from queue_server.domain.errors import DomainError
from queue_server.domain.hall import Hall
from queue_server.domain.routing import Why
from queue_server.domain.tickets import Category, Outcome
from tests.factories import shanghai

ALL_DAY = [["00:00", "23:59"]]
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@st.composite
def centres(draw: st.DrawFn) -> Centre:
    """A random centre: 1–3 window kinds, 1–5 matters, 1–5 windows, maybe a green-channel one."""
    kinds = [f"k{i}" for i in range(draw(st.integers(1, 3)))]
    some_kinds = st.lists(st.sampled_from(kinds), min_size=1, max_size=len(kinds), unique=True)
    windows: list[dict[str, Any]] = [
        {"number": n, "name": f"窗口{n}", "kinds": draw(some_kinds), "green_channel": False}
        for n in range(1, draw(st.integers(1, 5)) + 1)
    ]
    if draw(st.booleans()):
        windows[-1]["green_channel"] = True
        windows[-1]["kinds"] = kinds
    served = {k for w in windows for k in w["kinds"]}
    matters = []
    for i in range(draw(st.integers(1, 5))):
        matter_kinds = draw(some_kinds)
        if served.isdisjoint(matter_kinds):
            matter_kinds = [*matter_kinds, sorted(served)[0]]
        matters.append(
            {
                "code": f"m{i}",
                "name": f"事项{i}",
                "domain": "d",
                "window_kinds": matter_kinds,
                "expected_minutes": draw(st.integers(1, 30)),
                "prefix": "A" if i % 2 else "B",
            }
        )
    return Centre.model_validate(
        {
            "centre": {"code": "prop", "name": "随机中心"},
            "policy": {"max_passed_over": draw(st.integers(0, 4)), "stop_issuing_before_close": 0},
            "hours": dict.fromkeys(DAYS, ALL_DAY),
            "domains": [{"code": "d", "name": "综合"}],
            "window_kinds": [{"code": k, "name": k} for k in kinds],
            "ticket_groups": [{"prefix": "A", "name": "A"}, {"prefix": "B", "name": "B"}],
            "matters": matters,
            "windows": windows,
            "staff": [{"code": f"s{w['number']}", "name": f"员工{w['number']}"} for w in windows],
        }
    )


ARRIVE, BOOKED, CALL, FINISH, NO_SHOW, TRANSFER = "arrive", "booked", "call", "finish", "no_show", "transfer"

steps = st.lists(
    st.one_of(
        st.tuples(st.just(ARRIVE), st.integers(0, 4), st.sampled_from([None, *Category])),
        st.tuples(st.just(BOOKED), st.integers(0, 4), st.sampled_from([-10, 0, 5, 20])),
        st.tuples(st.just(CALL), st.integers(1, 5), st.none()),
        st.tuples(st.just(FINISH), st.integers(1, 5), st.none()),
        st.tuples(st.just(NO_SHOW), st.integers(1, 5), st.none()),
        st.tuples(st.just(TRANSFER), st.integers(1, 5), st.integers(0, 4)),
    ),
    min_size=30,
    max_size=150,
)


@dataclass
class Record:
    """The test's own account of the hall, kept without the router."""

    centre: Centre
    place: dict[int, int] = field(default_factory=dict)
    matter: dict[int, str] = field(default_factory=dict)
    green: dict[int, bool] = field(default_factory=dict)
    booked_from: dict[int, dt.datetime] = field(default_factory=dict)
    waiting: set[int] = field(default_factory=set)
    ever_called: set[int] = field(default_factory=set)
    passed_over: dict[int, int] = field(default_factory=dict)

    def serves(self, window: int, serial: int) -> bool:
        kinds = set(self.centre.window(window).kinds)
        return not kinds.isdisjoint(self.centre.matter(self.matter[serial]).window_kinds)

    def first(self, serial: int, now: dt.datetime) -> bool:
        """Green channel, or a booking whose slot has begun."""
        return self.green[serial] or (serial in self.booked_from and self.booked_from[serial] <= now)

    def check_call(self, window: int, serial: int, now: dt.datetime) -> None:
        k = self.centre.policy.max_passed_over
        assert serial in self.waiting, f"ticket #{serial} handed out while not waiting"
        assert serial not in self.ever_called, f"ticket #{serial} handed out twice"
        assert self.serves(window, serial), f"window {window} got matter {self.matter[serial]} it does not serve"
        eligible = [s for s in self.waiting if self.serves(window, s)]
        if not self.first(serial, now) and any(self.first(s, now) for s in eligible):
            oldest = min(eligible, key=self.place.__getitem__)
            assert serial == oldest and any(self.passed_over.get(s, 0) >= k for s in eligible), (
                f"ordinary ticket #{serial} called before a waiting green or due booked ticket without the bound"
            )
        for other in self.waiting - {serial}:
            if self.first(other, now) and not self.first(serial, now) and self.matter[other] == self.matter[serial]:
                assert self.place[other] > self.place[serial], (
                    f"green or due booked ticket #{other} waited while a later ordinary ticket #{serial} was called"
                )
            if self.place[other] < self.place[serial] and self.serves(window, other):
                self.passed_over[other] = self.passed_over.get(other, 0) + 1
                if not self.first(other, now):
                    assert self.passed_over[other] <= k, f"ordinary ticket #{other} passed over more than K={k} times"
                if other not in self.booked_from and not self.green[other]:
                    assert self.passed_over[other] <= k, f"walk-in #{other} passed over more than K={k} times"
        self.waiting.discard(serial)
        self.ever_called.add(serial)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(centre=centres(), actions=steps)
def test_routing_keeps_its_promises(centre: Centre, actions: list[tuple[str, int, Any]]) -> None:
    clock = ManualClock(shanghai(2026, 11, 30, 1, 0))
    hall = Hall(centre, clock)
    for window in centre.windows:
        hall.sign_on(window.number, f"s{window.number}")
    record = Record(centre)
    numbers = [w.number for w in centre.windows]
    matters = [m.code for m in centre.matters]
    for action, index, extra in actions:
        clock.advance(dt.timedelta(seconds=30))
        window = numbers[(index - 1) % len(numbers)]
        if action in (ARRIVE, BOOKED):
            slot = clock.now() + dt.timedelta(minutes=extra) if action == BOOKED else None
            category = extra if action == ARRIVE else None
            ticket = hall.issue(matters[index % len(matters)], category=category, booked_from=slot).ticket
            assert ticket is not None
            record.place[ticket.serial] = ticket.place
            record.matter[ticket.serial] = ticket.matter
            record.green[ticket.serial] = ticket.green
            if slot is not None:
                record.booked_from[ticket.serial] = slot
            record.waiting.add(ticket.serial)
        elif action == CALL:
            try:
                change = hall.call_next(window)
            except DomainError:
                assert hall.holding(window) is not None
                continue
            if change.ticket is None:
                assert not any(record.serves(window, s) for s in record.waiting), "a waiting ticket was left"
            else:
                record.check_call(window, change.ticket.serial, clock.now())
        elif hall.holding(window) is not None:
            if action == FINISH:
                hall.finish(window, Outcome.ON_THE_SPOT)
            elif action == NO_SHOW:
                hall.no_show(window)
            else:
                serial = hall.holding(window).serial  # type: ignore[union-attr]
                target = matters[extra % len(matters)]
                try:
                    hall.transfer(window, to_matter=target)
                except DomainError:
                    continue
                record.matter[serial] = target
                record.ever_called.discard(serial)
                record.waiting.add(serial)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(centre=centres(), actions=steps, pick=st.integers(0, 4))
def test_a_windows_call_order_is_the_order_its_calls_come_in(
    centre: Centre, actions: list[tuple[str, int, Any]], pick: int
) -> None:
    """The clerk's list: what call_order foretells is what the window's next calls give, one by one."""
    clock = ManualClock(shanghai(2026, 11, 30, 1, 0))
    hall = Hall(centre, clock)
    numbers = [w.number for w in centre.windows]
    for number in numbers:
        hall.sign_on(number, f"s{number}")
    matters = [m.code for m in centre.matters]
    for action, index, extra in actions:  # a morning of arrivals and calls elsewhere, some passing tickets over
        clock.advance(dt.timedelta(seconds=30))
        window = numbers[(index - 1) % len(numbers)]
        if action == ARRIVE:
            hall.issue(matters[index % len(matters)], category=extra)
        elif action == BOOKED:
            hall.issue(matters[index % len(matters)], booked_from=clock.now() + dt.timedelta(minutes=extra))
        elif action == CALL and hall.holding(window) is None:
            hall.call_next(window)
        elif action == FINISH and hall.holding(window) is not None:
            hall.finish(window, Outcome.ON_THE_SPOT)
    window = numbers[pick % len(numbers)]
    if hall.holding(window) is not None:
        hall.finish(window, Outcome.ON_THE_SPOT)
    foretold = hall.router.call_order(window, hall.waiting(), limit=1000, now=clock.now())
    called = []
    while (change := hall.call_next(window)).ticket is not None:
        called.append(change.ticket.serial)
        hall.finish(window, Outcome.ON_THE_SPOT)
    assert [upcoming.ticket.serial for upcoming in foretold] == called
    if foretold:
        assert foretold[0].why in set(Why)
    short = hall.router.call_order(window, [], limit=5, now=clock.now())
    assert short == []
