"""When the centre is open, and which days count as working days.

Two different questions are answered here. *Opening* decides when tickets are issued and
called: the weekday's periods, closed on holidays, open on adjusted working days (调休).
*Working days* count the due date of a promised case (承诺件): Monday to Friday, less public
holidays, plus the adjusted weekend days. A centre that opens on Saturday mornings still does
not count an ordinary Saturday as a working day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from queue_server.domain.centre import WEEKDAYS, CalendarRules, Centre, Period
from queue_server.domain.clock import require_utc

SEARCH_HORIZON_DAYS = 400
"""How far ahead to look for the next opening: more than a year of holidays in a row is a typo."""


class OpeningState(StrEnum):
    CLOSED_TODAY = "closed_today"
    BEFORE_OPENING = "before_opening"
    OPEN = "open"
    LUNCH_BREAK = "lunch_break"
    AFTER_CLOSING = "after_closing"


@dataclass(frozen=True, slots=True)
class Opening:
    """The centre's state at one instant, with the local facts a message needs."""

    state: OpeningState
    local: dt.datetime
    periods: tuple[Period, ...]

    @property
    def day(self) -> dt.date:
        return self.local.date()

    @property
    def next_start(self) -> dt.time | None:
        """The next period start later today, if any."""
        now = self.local.time()
        return next((p.start for p in self.periods if p.start > now), None)


def known_through(rules: CalendarRules) -> dt.date | None:
    """The last day whose holidays and 调休 are known: as the centre file says, else the end of the
    latest year it lists a holiday or an adjusted working day for; None when it lists none."""
    if rules.known_through is not None:
        return rules.known_through
    listed = max((d.year for d in (*rules.holidays, *rules.working_days)), default=None)
    return dt.date(listed, 12, 31) if listed is not None else None


def is_provisional(day: dt.date, known: dt.date | None) -> bool:
    """Whether ``day`` lies beyond the known holidays and 调休, so a date counted to it may move."""
    return known is None or day > known


class WorkCalendar:
    """The centre's calendar, answering in its own time zone."""

    def __init__(self, centre: Centre) -> None:
        self._centre = centre
        self._zone = centre.zone
        self._holidays = frozenset(centre.calendar.holidays)
        self._working_days = frozenset(centre.calendar.working_days)
        self.known_through = known_through(centre.calendar)
        self._extended: dict[int, list[tuple[tuple[str, ...], Period]]] = {}
        """Per window, the extended slots (延时服务) that name it: their weekdays and their time."""
        for bookable in centre.bookings.matters:
            for rule in bookable.extended:
                for window in rule.windows:
                    self._extended.setdefault(window, []).append((rule.days, Period(start=rule.start, end=rule.end)))

    # Local time

    def local(self, instant: dt.datetime) -> dt.datetime:
        return require_utc(instant).astimezone(self._zone)

    def local_date(self, instant: dt.datetime) -> dt.date:
        """The centre's calendar day at an instant: numbering resets when it changes."""
        return self.local(instant).date()

    def instant(self, day: dt.date, time: dt.time) -> dt.datetime:
        """The UTC instant of a local wall-clock time on a local day."""
        return dt.datetime.combine(day, time, self._zone).astimezone(dt.UTC)

    # Opening

    def periods(self, day: dt.date) -> tuple[Period, ...]:
        """The opening periods of a local day: none on a holiday, adjusted hours on 调休 days."""
        if day in self._holidays:
            return ()
        if day in self._working_days:
            rules = self._centre.calendar
            return rules.working_day_hours if rules.working_day_hours is not None else self._centre.hours.monday
        return self._centre.hours.for_weekday(day.weekday())

    def is_open_day(self, day: dt.date) -> bool:
        return bool(self.periods(day))

    def opening(self, instant: dt.datetime) -> Opening:
        local = self.local(instant)
        periods = self.periods(local.date())
        now = local.time()
        if not periods:
            state = OpeningState.CLOSED_TODAY
        elif now < periods[0].start:
            state = OpeningState.BEFORE_OPENING
        elif now >= periods[-1].end:
            state = OpeningState.AFTER_CLOSING
        elif any(p.start <= now < p.end for p in periods):
            state = OpeningState.OPEN
        else:
            state = OpeningState.LUNCH_BREAK
        return Opening(state, local, periods)

    def closing_time(self, day: dt.date) -> dt.datetime | None:
        """The instant the day's last period ends, or None on a closed day."""
        periods = self.periods(day)
        return self.instant(day, periods[-1].end) if periods else None

    def next_open_day(self, after: dt.date) -> dt.date:
        """The first open day strictly after ``after``."""
        day = after
        for _ in range(SEARCH_HORIZON_DAYS):
            day += dt.timedelta(days=1)
            if self.is_open_day(day):
                return day
        raise ValueError(f"{self._centre.name} has no opening day within {SEARCH_HORIZON_DAYS} days")

    def own_hours(self, window: int) -> bool:
        """Whether ``window`` serves hours of its own (an extended slot names it); else it serves
        the centre's opening periods, the same as every other such window."""
        return window in self._extended

    def service_periods(self, day: dt.date, window: int | None = None) -> tuple[Period, ...]:
        """When ``window`` serves on ``day``: the opening periods, and the extended slots (延时服务)
        that name it on their weekdays unless the day is a holiday (a Saturday morning, 17:30-19:00),
        merged where they touch. Without a window, the opening periods."""
        periods = self.periods(day)
        extended = self._extended.get(window, ()) if window is not None and day not in self._holidays else ()
        weekday = WEEKDAYS[day.weekday()]
        extra = [period for days, period in extended if weekday in days]
        if not extra:
            return periods
        merged: list[Period] = []
        for period in sorted((*periods, *extra), key=lambda p: p.start):
            if merged and period.start <= merged[-1].end:
                if period.end > merged[-1].end:
                    merged[-1] = Period(start=merged[-1].start, end=period.end)
            else:
                merged.append(period)
        return tuple(merged)

    def extended_bounds(self, day: dt.date) -> list[dt.datetime]:
        """The starts and ends of the extended slots (延时服务) of ``day``: the instants a window opens or
        closes for them."""
        if day in self._holidays:
            return []
        weekday = WEEKDAYS[day.weekday()]
        periods = {period for slots in self._extended.values() for days, period in slots if weekday in days}
        return sorted(self.instant(day, at) for period in periods for at in (period.start, period.end))

    def next_service_instant(self, instant: dt.datetime, window: int | None = None) -> dt.datetime:
        """``instant`` if the centre is open then (or ``window`` serves an extended slot then), else the
        start of the next such period."""
        local = self.local(instant)
        day, now = local.date(), local.time()
        for period in self.service_periods(day, window):
            if now < period.end:
                return instant if now >= period.start else self.instant(day, period.start)
        if window is None or window not in self._extended:
            next_day = self.next_open_day(day)
            return self.instant(next_day, self.periods(next_day)[0].start)
        for _ in range(SEARCH_HORIZON_DAYS):
            day += dt.timedelta(days=1)
            periods = self.service_periods(day, window)
            if periods:
                return self.instant(day, periods[0].start)
        raise ValueError(f"{self._centre.name} has no opening day within {SEARCH_HORIZON_DAYS} days")

    # How far the calendar is known

    def is_provisional(self, day: dt.date) -> bool:
        return is_provisional(day, self.known_through)

    def next_year_missing(self, today: dt.date) -> bool:
        """From November on, whether next year's holidays and 调休 are still to be loaded: the
        State Council publishes them late in the year, and promised cases soon run into January."""
        return today.month >= 11 and (self.known_through is None or self.known_through.year <= today.year)

    # Working days

    def is_working_day(self, day: dt.date) -> bool:
        """An official working day: weekdays less holidays, plus adjusted weekend days (调休)."""
        if day in self._working_days:
            return True
        return day.weekday() < 5 and day not in self._holidays

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The due date of a case promised within ``days`` working days of ``start``.

        The day of acceptance does not count; the due date is the last of the working days.
        """
        if days < 1:
            raise ValueError(f"Cannot count {days} working days: a promise is at least one day")
        day, left = start, days
        for _ in range(days * 7 + SEARCH_HORIZON_DAYS):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
                if left == 0:
                    return day
        raise ValueError(f"Cannot find {days} working days after {start.isoformat()}")
