"""A year's public holidays and adjusted working days (调休) put into a centre's calendar.

Each autumn the State Council publishes next year's holidays (放假) and the weekend days worked in
exchange (调休上班). A manager types them as the notice gives them, ranges for the holidays and days
for the working days; they replace that year's in the centre's calendar, and the calendar is then
known through the year's end, so due dates counted in working days stop being provisional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from queue_server.domain.centre import Centre

MAX_RANGE_DAYS = 31
"""No holiday in the notice is longer; a longer range is a typing error."""


class HolidayInputError(ValueError):
    """A day or range that cannot be one of the year's holidays or adjusted working days."""


@dataclass(frozen=True, slots=True)
class YearCalendar:
    """One year's notice: the days off, and the weekend days worked."""

    year: int
    holidays: tuple[dt.date, ...]
    working_days: tuple[dt.date, ...]


def parse_days(texts: Iterable[str], year: int, what: str) -> tuple[dt.date, ...]:
    """``2027-02-15..2027-02-23`` and ``2027-02-14`` as days, each checked to fall in ``year``."""
    days: list[dt.date] = []
    for text in texts:
        first_text, _, last_text = text.partition("..")
        try:
            first = dt.date.fromisoformat(first_text.strip())
            last = dt.date.fromisoformat(last_text.strip()) if last_text else first
        except ValueError:
            raise HolidayInputError(f"{what}: {text!r} is not a day (YYYY-MM-DD) or a range (FIRST..LAST)") from None
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            raise HolidayInputError(f"{what}: {text!r} is not a range of 1 to {MAX_RANGE_DAYS} days")
        for offset in range((last - first).days + 1):
            day = first + dt.timedelta(days=offset)
            if day.year != year:
                raise HolidayInputError(f"{what}: {day.isoformat()} is not in {year}")
            days.append(day)
    return tuple(sorted(set(days)))


def year_calendar(year: int, holidays: Iterable[str], working_days: Iterable[str]) -> YearCalendar:
    """The notice as typed, checked: working days are weekend days, and no day is both."""
    off = parse_days(holidays, year, "holidays")
    worked = parse_days(working_days, year, "working days")
    weekdays = [d.isoformat() for d in worked if d.weekday() < 5]
    if weekdays:
        verb = "is a weekday" if len(weekdays) == 1 else "are weekdays"
        raise HolidayInputError(f"working days: {', '.join(weekdays)} {verb}; 调休 working days are weekend days")
    both = sorted(set(off) & set(worked))
    if both:
        raise HolidayInputError(f"{', '.join(d.isoformat() for d in both)} listed both as a holiday and a working day")
    if not off:
        raise HolidayInputError(f"holidays: give the {year} notice's days off")
    return YearCalendar(year, off, worked)


def with_year(centre: Centre, notice: YearCalendar) -> Centre:
    """``centre`` with ``notice`` replacing its year's holidays and working days, known through the year's end."""
    rules = centre.calendar
    year_end = dt.date(notice.year, 12, 31)
    known = rules.known_through
    calendar = {
        **rules.model_dump(mode="json"),
        "holidays": sorted([d for d in rules.holidays if d.year != notice.year] + list(notice.holidays)),
        "working_days": sorted([d for d in rules.working_days if d.year != notice.year] + list(notice.working_days)),
        "known_through": max(known, year_end) if known is not None else None,
    }
    data = centre.model_dump(mode="json")
    data["calendar"] = calendar
    return Centre.model_validate(data)
