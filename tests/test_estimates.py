"""Wait estimates: the hall played forward with the real router and learned handling times."""

from __future__ import annotations

import datetime as dt

import pytest

from queue_server.domain.clock import ManualClock
from queue_server.domain.errors import IssueRefused, RefusalReason
from queue_server.domain.hall import Hall
from queue_server.domain.tickets import Category, Outcome, Ticket
from queue_server.domain.windows import PauseReason
from tests.factories import make_centre, make_hall, shanghai


def only_window_one() -> tuple[Hall, ManualClock]:
    hall, clock = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    return hall, clock


def issue(hall: Hall, matter: str = "pension", category: Category | None = None) -> Ticket:
    ticket = hall.issue(matter, category=category).ticket
    assert ticket is not None
    return ticket


def test_people_ahead_and_wait_with_one_window() -> None:
    hall, _ = only_window_one()
    tickets = [issue(hall) for _ in range(4)]
    positions = hall.positions()
    assert [positions[t.serial].people_ahead for t in tickets] == [0, 1, 2, 3]
    assert [positions[t.serial].estimated_wait for t in tickets] == [dt.timedelta(minutes=10 * i) for i in range(4)]


def test_two_windows_halve_the_wait() -> None:
    hall, _ = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    hall.sign_on(2, "s2")
    tickets = [issue(hall) for _ in range(4)]
    waits = [hall.position(t.serial).estimated_wait for t in tickets]
    assert waits == [dt.timedelta(0), dt.timedelta(0), dt.timedelta(minutes=10), dt.timedelta(minutes=10)]


def test_green_channel_ticket_goes_ahead_in_the_estimate() -> None:
    hall, _ = only_window_one()
    ordinary = [issue(hall) for _ in range(3)]
    green = issue(hall, category=Category.DISABLED)
    assert hall.position(green.serial).people_ahead == 0
    assert hall.position(ordinary[0].serial).people_ahead == 1


def test_estimates_learn_from_real_handling_times() -> None:
    hall, clock = only_window_one()
    for _ in range(6):
        issue(hall)
        hall.call_next(1)
        clock.advance(minutes=4)  # the window takes 4 minutes, not the expected 10
        hall.finish(1, Outcome.ON_THE_SPOT)
    waiting = [issue(hall) for _ in range(3)]
    learned = hall.position(waiting[2].serial).estimated_wait
    assert learned is not None
    assert learned < dt.timedelta(minutes=2 * 8), "two tickets ahead at well under the expected 10 minutes each"
    assert hall.stats.matter_mean("pension") < 10


def test_current_ticket_and_pause_delay_the_window() -> None:
    hall, clock = only_window_one()
    issue(hall)
    hall.call_next(1)
    clock.advance(minutes=4)
    behind = issue(hall)
    assert hall.position(behind.serial).estimated_wait == dt.timedelta(minutes=6), "10 expected, 4 gone"
    hall.finish(1, Outcome.ON_THE_SPOT)
    hall.pause(1, PauseReason.MEETING, minutes=25)
    assert hall.position(behind.serial).estimated_wait == dt.timedelta(minutes=25)


def test_lunch_break_pushes_the_expected_call_to_the_afternoon() -> None:
    hall, clock = only_window_one()
    clock.set(shanghai(2026, 11, 30, 11, 50))
    first, second = issue(hall), issue(hall)
    assert hall.position(first.serial).expected_call == shanghai(2026, 11, 30, 11, 50)
    assert hall.position(second.serial).expected_call == shanghai(2026, 11, 30, 14, 0)


def test_no_estimate_for_a_ticket_no_staffed_window_can_serve() -> None:
    hall, _ = make_hall(staffed=False)
    hall.sign_on(3, "s3")
    police = issue(hall, "id_card")
    hall.close_window(3)
    position = hall.position(police.serial)
    assert position.expected_call is None and position.estimated_wait is None


def test_called_tickets_have_no_position() -> None:
    hall, _ = only_window_one()
    ticket = issue(hall)
    hall.call_next(1)
    assert hall.position(ticket.serial).people_ahead == 0
    assert hall.position(ticket.serial).expected_call is None


def test_fixed_stop_issuing_time() -> None:
    centre = make_centre(policy={"stop_issuing_at": "16:00", "stop_issuing_before_close": 0})
    hall, clock = make_hall(centre)
    clock.set(shanghai(2026, 11, 30, 15, 59))
    assert hall.issue("pension").ticket is not None
    clock.set(shanghai(2026, 11, 30, 16, 0))
    with pytest.raises(IssueRefused, match="停止取号") as refused:
        hall.issue("pension")
    assert refused.value.reason is RefusalReason.STOPPED_ISSUING


def test_a_tickets_own_position_counts_the_green_channel_tickets_that_came_later_and_go_first() -> None:
    hall, _ = make_hall(staffed=False)
    hall.sign_on(1, "s1")  # one window: the green ticket goes before the ordinary one
    ordinary = hall.issue("pension").ticket
    green = hall.issue("pension", category=Category.ELDERLY).ticket
    assert ordinary is not None and green is not None
    assert hall.position(ordinary.serial).green_ahead == 1
    assert hall.position(green.serial).green_ahead == 0
    assert all(p.green_ahead is None for p in hall.positions().values()), "the queue's bulk reading does not count"
