"""Issuing tickets: numbers per local day, every refusal reason, quotas, closing and carrying."""

from __future__ import annotations

import datetime as dt

import pytest

from queue_server.domain.errors import IssueRefused, RefusalReason
from queue_server.domain.events import TicketCarried, replay
from queue_server.domain.hall import Hall
from queue_server.domain.numbering import format_number
from queue_server.domain.tickets import CancelReason, Category, Channel, TicketStatus
from queue_server.domain.windows import PauseReason
from tests.factories import make_centre, make_hall, shanghai

ALWAYS_OPEN = {
    day: [["00:00", "23:59"]] for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


def refusal_of(hall: Hall, matter: str = "pension") -> IssueRefused:
    with pytest.raises(IssueRefused) as caught:
        hall.issue(matter)
    return caught.value


def test_numbers_count_per_prefix_and_keep_a_width() -> None:
    hall, _ = make_hall()
    numbers = [hall.issue(m).ticket.number for m in ("pension", "id_card", "medical", "pension")]  # type: ignore[union-attr]
    assert numbers == ["A001", "B001", "A002", "A003"]
    assert format_number("A", 1000, 3) == "A1000"


def test_numbers_reset_at_the_centres_midnight_not_utc_midnight() -> None:
    centre = make_centre(hours=ALWAYS_OPEN, policy={"stop_issuing_before_close": 0})
    # 23:50 in Shanghai is 15:50 UTC: the UTC date does not change at the centre's midnight.
    hall, clock = make_hall(centre, at=shanghai(2026, 11, 30, 23, 50))
    first = hall.issue("pension").ticket
    second = hall.issue("pension").ticket
    clock.advance(minutes=20)  # 00:10 on 1 December in Shanghai, still 30 November in UTC
    assert clock.now().date() == dt.date(2026, 11, 30)
    third = hall.issue("pension").ticket
    assert first and second and third
    assert (first.number, second.number, third.number) == ("A001", "A002", "A001")
    assert third.service_day == dt.date(2026, 12, 1)
    assert third.serial > second.serial, "serials never reset: they are the ticket's identity"
    clock.advance(dt.timedelta(hours=8))  # 08:10 local, and now 1 December in UTC as well
    assert hall.issue("pension").ticket.number == "A002"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("when", "reason", "words"),
    [
        (shanghai(2026, 11, 29, 10, 0), RefusalReason.CLOSED_TODAY, "今天不办公"),
        (shanghai(2026, 10, 1, 10, 0), RefusalReason.CLOSED_TODAY, "10月8日（周四）"),
        (shanghai(2026, 11, 30, 8, 0), RefusalReason.BEFORE_OPENING, "08:30开始取号"),
        (shanghai(2026, 11, 30, 18, 0), RefusalReason.AFTER_CLOSING, "12月1日（周二）"),
        (shanghai(2026, 11, 30, 17, 0), RefusalReason.STOPPED_ISSUING, "停止取号"),
    ],
)
def test_refusals_by_time(when: dt.datetime, reason: RefusalReason, words: str) -> None:
    hall, _ = make_hall(at=shanghai(2026, 11, 30, 10, 0))
    hall.clock.set(when)  # type: ignore[attr-defined]
    refused = refusal_of(hall)
    assert refused.reason is reason
    assert words in refused.message
    assert refused.message_en


def test_lunch_break_refuses_only_when_the_policy_says_so() -> None:
    hall, clock = make_hall(make_centre(policy={"issue_during_lunch": False}))
    clock.set(shanghai(2026, 11, 30, 12, 30))
    refused = refusal_of(hall)
    assert refused.reason is RefusalReason.LUNCH_BREAK
    assert "14:00" in refused.message
    issuing, clock = make_hall(make_centre(policy={"issue_during_lunch": True}))
    clock.set(shanghai(2026, 11, 30, 12, 30))
    assert issuing.issue("pension").ticket is not None


def test_quota_is_per_matter_per_day() -> None:
    hall, clock = make_hall()
    for _ in range(3):
        hall.issue("medical")
    refused = refusal_of(hall, "medical")
    assert refused.reason is RefusalReason.QUOTA_USED_UP
    assert "每日3个" in refused.message
    assert hall.issue("pension").ticket is not None, "other matters are not limited"
    clock.set(shanghai(2026, 12, 1, 9, 0))
    assert hall.issue("medical").ticket is not None, "the quota starts again the next day"


def test_no_window_open_for_the_matter() -> None:
    hall, _ = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    assert hall.issue("pension").ticket is not None
    refused = refusal_of(hall, "id_card")
    assert refused.reason is RefusalReason.NO_WINDOW_OPEN
    assert "居民身份证换领" in refused.message
    hall.pause(1, reason=PauseReason.BREAK, actor="staff:s1")
    assert hall.issue("pension").ticket is not None, "a paused window is coming back: tickets still issue"
    hall.close_window(1)
    assert refusal_of(hall).reason is RefusalReason.NO_WINDOW_OPEN


def test_issue_records_category_channel_and_position() -> None:
    hall, _ = make_hall()
    change = hall.issue("pension", category=Category.ELDERLY, channel=Channel.DESK, actor="desk:g1")
    ticket = change.ticket
    assert ticket is not None
    assert ticket.green and ticket.channel is Channel.DESK
    assert change.position is not None and change.position.people_ahead == 0
    assert hall.ticket_log(ticket.serial)[0].actor == "desk:g1"


def test_unknown_matter_is_not_found() -> None:
    hall, _ = make_hall()
    with pytest.raises(Exception, match="no matter 'nope'"):
        hall.issue("nope")


def test_closing_cancels_waiting_tickets_by_default() -> None:
    hall, clock = make_hall()
    waiting = hall.issue("pension").ticket
    called = hall.issue("pension").ticket
    assert waiting and called
    hall.call_ticket(1, called.serial, reason="预约")
    clock.set(shanghai(2026, 11, 30, 17, 30))
    change = hall.close_day()
    assert [t.serial for t in change.tickets] == [waiting.serial]
    assert hall.ticket(waiting.serial).status is TicketStatus.CANCELLED
    assert hall.ticket(waiting.serial).cancel_reason is CancelReason.CLOSING
    assert hall.ticket(called.serial).status is TicketStatus.CALLED, "a ticket at a window is left to its staff"


def test_carried_tickets_get_a_new_number_and_keep_their_place() -> None:
    centre = make_centre(policy={"at_closing": "carry"})
    hall, clock = make_hall(centre, at=shanghai(2026, 12, 4, 16, 0))  # a Friday
    a1, a2, b1 = (hall.issue(m).ticket for m in ("pension", "medical", "id_card"))
    assert a1 and a2 and b1
    clock.set(shanghai(2026, 12, 4, 17, 30))
    change = hall.close_day()
    assert all(isinstance(e, TicketCarried) for e in change.ticket_events)
    monday = dt.date(2026, 12, 7)
    carried = [hall.ticket(t.serial) for t in (a1, a2, b1)]
    assert [(t.number, t.service_day) for t in carried] == [("A001", monday), ("A002", monday), ("B001", monday)]
    assert [t.place for t in carried] == [a1.place, a2.place, b1.place]
    clock.set(shanghai(2026, 12, 7, 8, 45))
    fresh = hall.issue("pension").ticket
    assert fresh is not None and fresh.number == "A003", "new tickets continue after the carried ones"
    choice = hall.call_next(1).ticket
    assert choice is not None and choice.serial == a1.serial, "the carried ticket is called before new ones"
    for ticket in carried:
        assert replay(hall.ticket_log(ticket.serial)) == hall.ticket(ticket.serial)


def test_closing_twice_changes_nothing_more() -> None:
    hall, clock = make_hall(make_centre(policy={"at_closing": "carry"}))
    hall.issue("pension")
    clock.set(shanghai(2026, 11, 30, 17, 30))
    assert not hall.close_day().empty
    assert hall.close_day().empty
