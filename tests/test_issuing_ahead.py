"""Reading ahead whether a matter can be issued: the same answer Hall.issue refuses by, and when it changes."""

from __future__ import annotations

import datetime as dt

import pytest

from queue_server.domain.errors import IssueRefused, RefusalReason
from queue_server.domain.issuing import hall_closed, next_change, next_opening
from tests.factories import make_centre, make_hall, shanghai

# Monday 30 November 2026 is a working day (08:30-12:00, 14:00-17:30, no ticket after 17:00);
# Sunday 6 December is not.
CASES = [
    (shanghai(2026, 12, 6, 10, 0), "pension", RefusalReason.CLOSED_TODAY),
    (shanghai(2026, 11, 30, 8, 0), "pension", RefusalReason.BEFORE_OPENING),
    (shanghai(2026, 11, 30, 17, 10), "pension", RefusalReason.STOPPED_ISSUING),
    (shanghai(2026, 11, 30, 18, 0), "pension", RefusalReason.AFTER_CLOSING),
    (shanghai(2026, 11, 30, 9, 0), "pension", None),
]


@pytest.mark.parametrize(("at", "matter", "reason"), CASES)
def test_the_read_ahead_and_the_refusal_give_the_same_reason(
    at: dt.datetime, matter: str, reason: RefusalReason | None
) -> None:
    hall, _ = make_hall(at=shanghai(2026, 11, 30, 9, 0))
    bar = hall.cannot_issue(hall.centre.matter(matter), at)
    assert (bar.reason if bar else None) is reason
    if reason is not None:
        with pytest.raises(IssueRefused) as caught:
            hall.issue(matter, now=at)
        assert caught.value.reason is reason


def test_a_matter_without_an_open_window_or_tickets_left_is_read_as_such() -> None:
    hall, _ = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    for _ in range(3):
        hall.issue("medical")
    assert hall.cannot_issue(hall.centre.matter("pension")) is None
    assert hall.cannot_issue(hall.centre.matter("medical")).reason is RefusalReason.QUOTA_USED_UP  # type: ignore[union-attr]
    assert hall.cannot_issue(hall.centre.matter("id_card")).reason is RefusalReason.NO_WINDOW_OPEN  # type: ignore[union-attr]


def test_the_lunch_break_stops_issuing_only_when_the_policy_says_so() -> None:
    noon = shanghai(2026, 11, 30, 12, 30)
    issuing, _ = make_hall(at=noon)
    assert issuing.cannot_issue(issuing.centre.matter("pension")) is None
    strict, _ = make_hall(make_centre(policy={"issue_during_lunch": False}), at=noon)
    bar = strict.cannot_issue(strict.centre.matter("pension"))
    assert bar is not None and bar.reason is RefusalReason.LUNCH_BREAK and bar.later_today == dt.time(14, 0)


def test_the_next_opening_is_later_today_or_on_the_next_open_day() -> None:
    hall, _ = make_hall()
    policy, calendar = hall.centre.policy, hall.calendar
    early = hall_closed(calendar, policy, shanghai(2026, 11, 30, 8, 0))
    assert early is not None and next_opening(calendar, early) == shanghai(2026, 11, 30, 8, 30)
    sunday = hall_closed(calendar, policy, shanghai(2026, 12, 6, 10, 0))
    assert sunday is not None and next_opening(calendar, sunday) == shanghai(2026, 12, 7, 8, 30)
    evening = hall_closed(calendar, policy, shanghai(2026, 12, 4, 17, 5))  # a Friday, after the stop
    assert evening is not None and next_opening(calendar, evening) == shanghai(2026, 12, 7, 8, 30)


@pytest.mark.parametrize(
    ("at", "then"),
    [
        (shanghai(2026, 11, 30, 8, 29), shanghai(2026, 11, 30, 8, 30)),
        (shanghai(2026, 11, 30, 8, 30), shanghai(2026, 11, 30, 12, 0)),
        (shanghai(2026, 11, 30, 15, 0), shanghai(2026, 11, 30, 17, 0)),  # the stop-issuing time
        (shanghai(2026, 11, 30, 17, 45), shanghai(2026, 12, 1, 0, 0)),
        (shanghai(2026, 12, 6, 10, 0), shanghai(2026, 12, 7, 0, 0)),
    ],
)
def test_a_screen_knows_when_to_read_again(at: dt.datetime, then: dt.datetime) -> None:
    hall, _ = make_hall()
    assert next_change(hall.calendar, hall.centre.policy, at) == then
