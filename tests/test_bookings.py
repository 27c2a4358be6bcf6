"""Bookings as pure rules: the slots a day offers, booking, changing, checking in, the person kept minimal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from queue_server.domain.bookings import (
    Arrival,
    Booking,
    BookingChannel,
    BookingStatus,
    age_on,
    arrival,
    bookable_days,
    check_book,
    check_change,
    check_check_in,
    find_slot,
    id_number,
    mask_phone,
    missed,
    person_key,
    personal_data_expired,
    slots_on,
)
from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.centre import Centre
from queue_server.domain.errors import DomainError
from queue_server.domain.refusal_codes import RefusalCode
from tests.factories import make_centre, make_hall, shanghai

BOOKINGS: dict[str, Any] = {
    "ahead_days": 7,
    "cancel_until_minutes": 60,
    "early_minutes": 30,
    "late_minutes": 15,
    "active_per_person": 1,
    "keep_days": 30,
    "matters": [
        {
            "matter": "pension",
            "slots": [{"start": "09:00", "end": "09:30", "places": 3}, {"start": "14:00", "end": "14:30", "places": 2}],
            "extended": [{"start": "09:00", "end": "12:00", "places": 4, "days": ["saturday"], "windows": [1]}],
        },
        {"prefix": "B", "slots": [{"start": "10:00", "end": "11:00", "places": 1}]},
    ],
}
ID = "11010519491231002X"  # a valid check digit; born 31 December 1949
KEY = b"k" * 32


def centre() -> Centre:
    return make_centre(bookings=BOOKINGS)


def booking(start: dt.datetime, **changes: Any) -> Booking:
    return Booking(
        code="ACDE3467",
        matter="pension",
        slot_start=start,
        slot_end=start + dt.timedelta(minutes=30),
        person=person_key(KEY, ID),
        phone=mask_phone("13812345678"),
        channel=BookingChannel.DESK,
        booked_at=start - dt.timedelta(days=1),
        **changes,
    )


def refused(code: RefusalCode, call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as raised:
        call(*args, **kwargs)
    assert raised.value.code is code, raised.value.message
    return raised.value


def test_a_working_day_offers_its_slots_and_a_group_rule_covers_its_matters() -> None:
    c = centre()
    calendar = WorkCalendar(c)
    monday = dt.date(2026, 11, 30)
    slots = slots_on(c, calendar, "pension", monday)
    assert [(s.start, s.places, s.extended) for s in slots] == [
        (shanghai(2026, 11, 30, 9, 0), 3, False),
        (shanghai(2026, 11, 30, 14, 0), 2, False),
    ]
    assert [s.start for s in slots_on(c, calendar, "id_card", monday)] == [shanghai(2026, 11, 30, 10, 0)]
    assert slots_on(c, calendar, "medical", monday) == [], "medical takes no bookings"


def test_holidays_close_slots_and_adjusted_working_days_open_them() -> None:
    c = centre()
    calendar = WorkCalendar(c)
    assert slots_on(c, calendar, "pension", dt.date(2026, 10, 2)) == [], "a holiday"
    adjusted = slots_on(c, calendar, "pension", dt.date(2026, 10, 10))  # a Saturday worked (调休)
    assert [s.extended for s in adjusted] == [False, True, False], "the ordinary slots and the Saturday's extended one"
    sunday = dt.date(2026, 12, 6)
    assert slots_on(c, calendar, "pension", sunday) == []


def test_an_extended_slot_outside_opening_hours_names_the_windows_it_opens() -> None:
    c = centre()
    saturday = dt.date(2026, 12, 5)
    (slot,) = slots_on(c, WorkCalendar(c), "pension", saturday)
    assert slot.extended and slot.windows == (1,) and slot.places == 4
    assert not WorkCalendar(c).is_open_day(saturday), "the centre itself is closed that day"
    holiday_saturday = dt.date(2026, 10, 3)
    assert slots_on(c, WorkCalendar(c), "pension", holiday_saturday) == []


def test_the_centre_file_refuses_bookings_of_unknown_things() -> None:
    for bad, where in (
        (
            {"matters": [{"matter": "nope", "slots": [{"start": "09:00", "end": "09:30", "places": 1}]}]},
            "unknown matter 'nope'",
        ),
        (
            {"matters": [{"prefix": "Z", "slots": [{"start": "09:00", "end": "09:30", "places": 1}]}]},
            "unknown ticket group 'Z'",
        ),
        (
            {
                "matters": [
                    {
                        "matter": "pension",
                        "extended": [
                            {"start": "18:00", "end": "19:00", "places": 1, "days": ["friday"], "windows": [7]}
                        ],
                    }
                ]
            },
            "unknown window 7",
        ),
    ):
        with pytest.raises(ValueError, match=where):
            make_centre(bookings=bad)
    with pytest.raises(ValueError, match="end after it starts"):
        make_centre(
            bookings={"matters": [{"matter": "pension", "slots": [{"start": "10:00", "end": "09:00", "places": 1}]}]}
        )
    with pytest.raises(ValueError, match="either a matter"):
        make_centre(bookings={"matters": [{"slots": [{"start": "09:00", "end": "09:30", "places": 1}]}]})


def test_booking_is_refused_when_past_too_far_full_or_over_the_persons_limit() -> None:
    c = centre()
    calendar = WorkCalendar(c)
    now = shanghai(2026, 11, 30, 8, 0)
    matter = c.matter("pension")
    slot = find_slot(c, calendar, "pension", shanghai(2026, 11, 30, 9, 0))
    check_book(c.bookings, calendar, matter, slot, taken=2, active=0, now=now)
    refused(RefusalCode.BOOKING_SLOT_FULL, check_book, c.bookings, calendar, matter, slot, taken=3, active=0, now=now)
    refused(RefusalCode.BOOKING_LIMIT, check_book, c.bookings, calendar, matter, slot, taken=0, active=1, now=now)
    late = shanghai(2026, 11, 30, 9, 0)
    refused(RefusalCode.BOOKING_SLOT_PAST, check_book, c.bookings, calendar, matter, slot, taken=0, active=0, now=late)
    far = find_slot(c, calendar, "pension", shanghai(2026, 12, 8, 9, 0))
    refused(RefusalCode.BOOKING_TOO_FAR, check_book, c.bookings, calendar, matter, far, taken=0, active=0, now=now)
    refused(RefusalCode.BOOKING_SLOT_NOT_FOUND, find_slot, c, calendar, "pension", shanghai(2026, 11, 30, 9, 5))
    assert len(bookable_days(c.bookings, calendar, now)) == 8


def test_cancel_and_reschedule_close_before_the_slot_and_only_while_active() -> None:
    rules = centre().bookings
    start = shanghai(2026, 11, 30, 9, 0)
    check_change(rules, booking(start), start - dt.timedelta(minutes=60))
    refused(RefusalCode.BOOKING_CHANGE_TOO_LATE, check_change, rules, booking(start), start - dt.timedelta(minutes=59))
    cancelled = booking(start, status=BookingStatus.CANCELLED)
    refused(RefusalCode.BOOKING_NOT_ACTIVE, check_change, rules, cancelled, start - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(-31, Arrival.TOO_EARLY), (-30, Arrival.ON_TIME), (0, Arrival.ON_TIME), (15, Arrival.ON_TIME), (16, Arrival.LATE)],
)
def test_a_check_in_is_early_on_time_or_late(minutes: int, expected: Arrival) -> None:
    rules = centre().bookings
    start = shanghai(2026, 11, 30, 9, 0)
    assert arrival(rules, booking(start), start + dt.timedelta(minutes=minutes)) is expected
    assert missed(rules, booking(start), start + dt.timedelta(minutes=minutes)) is (expected is Arrival.LATE)


def test_a_check_in_too_early_says_from_when_and_another_days_booking_is_refused() -> None:
    c = centre()
    calendar = WorkCalendar(c)
    start = shanghai(2026, 11, 30, 9, 0)
    error = refused(
        RefusalCode.BOOKING_TOO_EARLY,
        check_check_in,
        c.bookings,
        calendar,
        booking(start),
        shanghai(2026, 11, 30, 8, 0),
    )
    assert error.facts["time"] == "08:30"
    tomorrow = booking(shanghai(2026, 12, 1, 9, 0))
    refused(RefusalCode.BOOKING_OTHER_DAY, check_check_in, c.bookings, calendar, tomorrow, start)
    used = booking(start, status=BookingStatus.CHECKED_IN)
    refused(RefusalCode.BOOKING_NOT_ACTIVE, check_check_in, c.bookings, calendar, used, start)
    assert check_check_in(c.bookings, calendar, booking(start), start) is Arrival.ON_TIME


def test_the_person_is_kept_as_a_masked_phone_and_a_keyed_hash() -> None:
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone("+8613812345678") == "138****5678"
    refused(RefusalCode.BOOKING_PHONE, mask_phone, "12345")
    hashed = person_key(KEY, ID.lower())
    assert hashed == person_key(KEY, ID) and ID not in hashed and len(hashed) == 64
    assert hashed != person_key(b"another key 32 bytes long.......", ID), "the key matters"
    refused(RefusalCode.BOOKING_ID_NUMBER, id_number, "110105194912310021")  # wrong check digit
    refused(RefusalCode.BOOKING_ID_NUMBER, id_number, "1101051949")
    assert age_on(ID, dt.date(2026, 11, 30)) == 76
    assert age_on(ID, dt.date(2026, 12, 31)) == 77


def test_personal_data_is_due_for_deletion_keep_days_after_the_slot() -> None:
    rules = centre().bookings
    start = shanghai(2026, 11, 30, 9, 0)
    end = start + dt.timedelta(minutes=30)
    assert not personal_data_expired(rules, booking(start), end + dt.timedelta(days=29))
    assert personal_data_expired(rules, booking(start), end + dt.timedelta(days=30))


def test_a_due_booked_ticket_is_called_before_older_walk_ins_within_the_bound() -> None:
    """K=2 in the test centre: two walk-ins may be passed over twice, then the oldest goes first."""
    hall, clock = make_hall(centre(), at=shanghai(2026, 11, 30, 8, 50), staffed=False)
    hall.sign_on(1, "s1")
    walk_ins = [hall.issue("pension").ticket for _ in range(2)]
    slot = shanghai(2026, 11, 30, 9, 0)
    early = hall.issue("pension", booked_from=slot).ticket
    assert early is not None and early.booked
    first = hall.call_next(1).ticket
    assert first is not None and first.serial == walk_ins[0].serial, "not due yet: in its place"  # type: ignore[union-attr]
    hall.finish(1, _outcome())
    clock.advance(dt.timedelta(minutes=10))  # 09:00: the slot begins
    later = [hall.issue("pension", booked_from=slot).ticket for _ in range(3)]
    called = []
    for _ in range(4):
        ticket = hall.call_next(1).ticket
        assert ticket is not None
        called.append(ticket.serial)
        hall.finish(1, _outcome())
    waiting_walk_in = walk_ins[1]
    assert waiting_walk_in is not None and early is not None
    assert called[0] == early.serial, "the due booking before the older walk-in"
    assert called[1] == later[0].serial  # type: ignore[union-attr]
    assert called[2] == waiting_walk_in.serial, "passed over K=2 times: the oldest is called"
    assert hall.ticket(waiting_walk_in.serial).passed_over == 2


def _outcome() -> Any:
    from queue_server.domain.tickets import Outcome

    return Outcome.ON_THE_SPOT


BOOKING_FILE = """
[bookings]
ahead_days = 7
late_minutes = 10

[[bookings.matters]]
matter = "m1"
slots = [{start = "09:00", end = "09:30", places = 3}]
extended = [{start = "17:30", end = "19:00", places = 2, days = ["monday"], windows = [1]}]
"""


def test_a_centre_file_with_bookings_reads_back_what_it_exports() -> None:
    from queue_server.config.centre_file import centre_to_toml, parse_centre
    from tests.test_centre_file import CENTRE, SOURCE

    parsed = parse_centre(CENTRE + BOOKING_FILE, SOURCE)
    assert parsed.bookings.late_minutes == 10
    assert parsed.bookings.matters[0].extended[0].start == dt.time(17, 30)
    exported = centre_to_toml(parsed)
    assert "[bookings]" in exported
    assert parse_centre(exported, SOURCE) == parsed
    assert "[bookings]" not in centre_to_toml(parse_centre(CENTRE, SOURCE)), "no bookings: not written"


def test_a_slot_naming_an_unknown_window_is_located_in_the_file() -> None:
    from tests.test_centre_file import CENTRE, problems_of

    (problem,) = problems_of(CENTRE + BOOKING_FILE.replace("windows = [1]", "windows = [4]"))
    assert "unknown window 4" in problem.message
    assert problem.line is not None and problem.line > CENTRE.count("\n")


def test_an_extended_slot_is_checked_in_outside_opening_hours_at_a_window_staffed_for_it() -> None:
    """Saturday 09:00-12:00 (延时服务): the hall is closed for walk-ins, the booked are served at window 1."""
    from queue_server.domain.errors import IssueRefused
    from queue_server.domain.tickets import Outcome

    c = centre()
    saturday = dt.date(2026, 12, 5)
    (slot,) = slots_on(c, WorkCalendar(c), "pension", saturday)
    hall, _ = make_hall(c, at=shanghai(2026, 12, 5, 8, 50), staffed=False)
    assert check_check_in(c.bookings, hall.calendar, booking(slot.start), hall.clock.now()) is Arrival.ON_TIME
    with pytest.raises(IssueRefused):
        hall.issue("pension", booked_from=slot.start)  # no window staffed for it yet
    hall.sign_on(slot.windows[0], "s1")
    ticket = hall.issue("pension", booked_from=slot.start).ticket
    assert ticket is not None and ticket.booked
    with pytest.raises(IssueRefused) as walk_in:
        hall.issue("pension")
    assert walk_in.value.reason.value == "closed_today"
    hall.clock.advance(dt.timedelta(minutes=15))  # type: ignore[attr-defined]
    called = hall.call_next(slot.windows[0]).ticket
    assert called is not None and called.serial == ticket.serial
    hall.finish(slot.windows[0], Outcome.ON_THE_SPOT)


def with_day_places(*days: dict[str, Any]) -> Centre:
    rules = {**BOOKINGS, "matters": [{**BOOKINGS["matters"][0], "days": list(days)}, BOOKINGS["matters"][1]]}
    return make_centre(bookings=rules)


def test_a_days_places_replace_the_standing_ones_that_day_only() -> None:
    c = with_day_places(
        {"day": "2026-12-01", "start": "14:00", "places": 5}, {"day": "2026-12-05", "start": "09:00", "places": 0}
    )
    calendar = WorkCalendar(c)
    assert [s.places for s in slots_on(c, calendar, "pension", dt.date(2026, 12, 1))] == [3, 5]
    assert [s.places for s in slots_on(c, calendar, "pension", dt.date(2026, 12, 2))] == [3, 2]
    (saturday,) = slots_on(c, calendar, "pension", dt.date(2026, 12, 5))
    assert saturday.extended and saturday.places == 0, "an extended slot's day too; 0 offers it to nobody"


@pytest.mark.parametrize(
    ("days", "words"),
    [
        ([{"day": "2026-12-01", "start": "10:00", "places": 1}], "no slot starts at 10:00"),
        ([{"day": "2026-12-01", "start": "14:00", "places": 1}] * 2, "given twice"),
        ([{"day": "2026-12-01", "start": "14:00", "places": -1}], "greater than or equal to 0"),
    ],
)
def test_a_days_places_name_a_slot_of_the_matter_once(days: list[dict[str, Any]], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        with_day_places(*days)


def test_a_change_leaving_fewer_places_than_booked_is_found_with_the_slot() -> None:
    from queue_server.domain.bookings import Overbooked, overbooked

    two = shanghai(2026, 12, 1, 14, 0)
    booked = {("pension", two): 2, ("pension", shanghai(2026, 12, 1, 9, 0)): 1}
    assert overbooked(centre(), booked) is None
    assert overbooked(with_day_places({"day": "2026-12-01", "start": "14:00", "places": 1}), booked) == Overbooked(
        "pension", two, 1, 2
    )
    closed = centre().model_copy(
        update={"calendar": centre().calendar.model_copy(update={"holidays": (dt.date(2026, 12, 1),)})}
    )
    assert overbooked(closed, booked) == Overbooked("pension", shanghai(2026, 12, 1, 9, 0), 0, 1), (
        "a holiday after booking"
    )
    assert overbooked(centre(), {("gone", two): 1}) == Overbooked("gone", two, 0, 1)


def test_the_difference_of_places_is_said_slot_by_slot() -> None:
    from queue_server.store.seed import describe_difference

    standing = {
        **BOOKINGS,
        "matters": [
            BOOKINGS["matters"][0],
            {"prefix": "B", "slots": [{"start": "10:00", "end": "11:00", "places": 4}]},
        ],
    }
    assert describe_difference(centre(), make_centre(bookings=standing)) == ["~ bookings group B 10:00: places: 1 -> 4"]
    one_day = with_day_places({"day": "2026-12-01", "start": "14:00", "places": 5})
    assert describe_difference(centre(), one_day) == ["~ bookings pension 2026-12-01 14:00: places: 2 -> 5"]
    assert describe_difference(one_day, centre()) == ["~ bookings pension 2026-12-01 14:00: places: 5 -> 2"]
