"""A window's call order as the clerk's list shows it: who comes next, and why they jump ahead."""

from __future__ import annotations

from queue_server.domain.routing import Why
from queue_server.domain.tickets import Category, Outcome
from tests.factories import make_hall


def test_a_green_channel_ticket_comes_first_and_says_why() -> None:
    hall, _ = make_hall()
    first = hall.issue("pension").ticket
    green = hall.issue("pension", category=Category.ELDERLY).ticket
    assert first is not None and green is not None
    shown = [(u.ticket.number, u.why) for u in hall.router.call_order(1, hall.waiting(), limit=8, now=hall.clock.now())]
    assert shown == [(green.number, Why.GREEN_CHANNEL), (first.number, Why.IN_ORDER)]


def test_a_ticket_passed_over_too_often_is_called_first_before_the_green_channel() -> None:
    hall, _ = make_hall()  # max_passed_over = 2
    old = hall.issue("pension").ticket
    assert old is not None
    for _ in range(2):  # two green tickets pass the old one over at window 1
        hall.issue("pension", category=Category.DISABLED)
        hall.call_next(1)
        hall.finish(1, Outcome.ON_THE_SPOT)
    green = hall.issue("pension", category=Category.ELDERLY).ticket
    assert green is not None
    shown = [(u.ticket.number, u.why) for u in hall.router.call_order(1, hall.waiting(), limit=8, now=hall.clock.now())]
    assert shown == [(old.number, Why.PASSED_OVER_BOUND), (green.number, Why.IN_ORDER)]
    assert hall.call_next(1).ticket.number == old.number  # type: ignore[union-attr]


def test_the_list_holds_only_what_the_window_may_call_and_stops_at_the_limit() -> None:
    hall, _ = make_hall()
    for _ in range(5):
        hall.issue("pension")
    police = next(m.code for m in hall.centre.matters if m.prefix == "B")
    hall.issue(police)
    shown = hall.router.call_order(1, hall.waiting(), limit=3, now=hall.clock.now())
    assert [u.ticket.number for u in shown] == ["A001", "A002", "A003"]
    assert all(
        u.ticket.matter != police for u in hall.router.call_order(1, hall.waiting(), limit=100, now=hall.clock.now())
    )
