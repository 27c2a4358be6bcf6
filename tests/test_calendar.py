"""Opening hours, holidays and adjusted working days (调休), answered in the centre's zone."""

from __future__ import annotations

import datetime as dt

import pytest

from queue_server.domain.calendar import OpeningState, WorkCalendar
from tests.factories import make_centre, shanghai


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar(make_centre())


@pytest.mark.parametrize(
    ("when", "state"),
    [
        (shanghai(2026, 11, 30, 8, 29), OpeningState.BEFORE_OPENING),
        (shanghai(2026, 11, 30, 8, 30), OpeningState.OPEN),
        (shanghai(2026, 11, 30, 12, 0), OpeningState.LUNCH_BREAK),
        (shanghai(2026, 11, 30, 14, 0), OpeningState.OPEN),
        (shanghai(2026, 11, 30, 17, 30), OpeningState.AFTER_CLOSING),
        (shanghai(2026, 11, 29, 10, 0), OpeningState.CLOSED_TODAY),  # a Sunday
        (shanghai(2026, 10, 5, 10, 0), OpeningState.CLOSED_TODAY),  # National Day holiday, a Monday
        (shanghai(2026, 10, 10, 10, 0), OpeningState.OPEN),  # 调休 Saturday
    ],
)
def test_opening_state(calendar: WorkCalendar, when: dt.datetime, state: OpeningState) -> None:
    assert calendar.opening(when).state is state


def test_local_date_follows_the_centre_zone_not_utc(calendar: WorkCalendar) -> None:
    just_after_midnight = dt.datetime(2026, 11, 30, 16, 1, tzinfo=dt.UTC)  # 00:01 on 1 December in Shanghai
    assert calendar.local_date(just_after_midnight) == dt.date(2026, 12, 1)
    assert calendar.local_date(just_after_midnight - dt.timedelta(minutes=2)) == dt.date(2026, 11, 30)


def test_naive_instants_are_refused(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="naive"):
        calendar.opening(dt.datetime(2026, 11, 30, 9))


def test_adjusted_saturday_counts_as_a_working_day_for_promised_cases(calendar: WorkCalendar) -> None:
    # Accepted Friday 9 October 2026; Saturday 10 October is a 调休 working day.
    assert calendar.is_working_day(dt.date(2026, 10, 10))
    assert calendar.add_working_days(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 10)
    assert calendar.add_working_days(dt.date(2026, 10, 9), 2) == dt.date(2026, 10, 12)


def test_ordinary_saturday_is_not_a_working_day_even_when_open() -> None:
    calendar = WorkCalendar(make_centre(hours={"saturday": [["09:00", "12:00"]]}))
    saturday = dt.date(2026, 11, 28)
    assert calendar.is_open_day(saturday)
    assert not calendar.is_working_day(saturday)
    assert calendar.add_working_days(dt.date(2026, 11, 27), 1) == dt.date(2026, 11, 30)


def test_working_days_skip_the_national_holiday(calendar: WorkCalendar) -> None:
    # Accepted Tuesday 29 September; 30 Sep is a working day, 1–7 Oct holidays, 8 Oct Thursday.
    assert calendar.add_working_days(dt.date(2026, 9, 29), 3) == dt.date(2026, 10, 9)


def test_adjusted_day_uses_monday_hours_unless_given(calendar: WorkCalendar) -> None:
    assert calendar.periods(dt.date(2026, 10, 10)) == calendar.periods(dt.date(2026, 11, 30))
    special = WorkCalendar(
        make_centre(calendar={"working_days": [dt.date(2026, 10, 10)], "working_day_hours": [["09:00", "12:00"]]})
    )
    assert [p.end for p in special.periods(dt.date(2026, 10, 10))] == [dt.time(12, 0)]


def test_next_service_instant_skips_lunch_nights_and_holidays(calendar: WorkCalendar) -> None:
    assert calendar.next_service_instant(shanghai(2026, 11, 30, 12, 30)) == shanghai(2026, 11, 30, 14, 0)
    assert calendar.next_service_instant(shanghai(2026, 11, 30, 18, 0)) == shanghai(2026, 12, 1, 8, 30)
    assert calendar.next_service_instant(shanghai(2026, 9, 30, 18, 0)) == shanghai(2026, 10, 8, 8, 30)
    open_now = shanghai(2026, 11, 30, 10, 0)
    assert calendar.next_service_instant(open_now) == open_now


def test_next_open_day_after_a_friday(calendar: WorkCalendar) -> None:
    assert calendar.next_open_day(dt.date(2026, 12, 4)) == dt.date(2026, 12, 7)
    assert calendar.next_open_day(dt.date(2026, 10, 9)) == dt.date(2026, 10, 10)


def test_a_promise_is_at_least_one_day(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="at least one day"):
        calendar.add_working_days(dt.date(2026, 11, 30), 0)


def test_a_period_may_run_to_midnight() -> None:
    every_day = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    calendar = WorkCalendar(make_centre(hours={day: [["00:00", "24:00"]] for day in every_day}, calendar={}))
    assert calendar.opening(shanghai(2026, 11, 30, 23, 59)).state is OpeningState.OPEN
    assert calendar.opening(shanghai(2026, 12, 1, 0, 0)).state is OpeningState.OPEN
    assert calendar.closing_time(dt.date(2026, 11, 30)) == shanghai(2026, 12, 1, 0, 0) - dt.timedelta(microseconds=1)


def test_the_calendar_is_known_through_the_last_year_it_lists_or_as_the_file_says() -> None:
    listed = WorkCalendar(make_centre())  # 2026's National Day week and its 调休
    assert listed.known_through == dt.date(2026, 12, 31)
    assert not listed.is_provisional(dt.date(2026, 12, 31)) and listed.is_provisional(dt.date(2027, 1, 4))
    told = WorkCalendar(make_centre(calendar={"holidays": [dt.date(2026, 10, 1)], "known_through": "2027-06-30"}))
    assert told.known_through == dt.date(2027, 6, 30) and not told.is_provisional(dt.date(2027, 1, 4))
    unknown = WorkCalendar(make_centre(calendar={"holidays": [], "working_days": []}))
    assert unknown.known_through is None and unknown.is_provisional(dt.date(2026, 12, 1))


def test_from_november_the_calendar_says_next_years_holidays_are_missing() -> None:
    cal = WorkCalendar(make_centre())
    assert not cal.next_year_missing(dt.date(2026, 10, 31))
    assert cal.next_year_missing(dt.date(2026, 11, 1))
    later = WorkCalendar(make_centre(calendar={"holidays": [dt.date(2027, 1, 1)]}))
    assert not later.next_year_missing(dt.date(2026, 12, 20))
