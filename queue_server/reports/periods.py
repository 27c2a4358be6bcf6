"""Report periods: a day, the ISO week (Monday to Sunday) or the month that holds a date."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    first: dt.date
    last: dt.date
    """Both service days included."""

    @classmethod
    def holding(cls, kind: PeriodKind, day: dt.date) -> Period:
        if kind is PeriodKind.DAY:
            return cls(kind, day, day)
        if kind is PeriodKind.WEEK:
            monday = day - dt.timedelta(days=day.weekday())
            return cls(kind, monday, monday + dt.timedelta(days=6))
        last = calendar.monthrange(day.year, day.month)[1]
        return cls(kind, day.replace(day=1), day.replace(day=last))

    def utc_bounds(self, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
        """The period as UTC instants [start, end): from local midnight of the first day to that after the last."""
        zone = ZoneInfo(time_zone)
        start = dt.datetime.combine(self.first, dt.time(), zone)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.DAY:
            return self.first.isoformat()
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.first.year}-{self.first.month:02d}"
