"""Reading the monthly ranking and notice (月度排名通报): a month's windows and staff ranked, with
last month's places and the flag for those at the bottom two months running.

The use case behind the ranking route (queue_server.web.api_ranking: JSON, CSV and workbook) and
the ranking page (queue_server.pages.page_ranking), so both show the same places; the formula is
queue_server.reports.monthly's. Each month is read once and figured per window and per staff member.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from queue_server.app.reports import PeriodView, dimension_names, period_view
from queue_server.app.service import HallService
from queue_server.app.view_fields import documented
from queue_server.reports.figures import Dimension, figures
from queue_server.reports.monthly import MonthlyPlace, monthly_ranking
from queue_server.reports.periods import Period, PeriodKind
from queue_server.reports.records import HandledTicket
from queue_server.store.report_data import period_tickets

MONTH_PATTERN = r"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$"
"""YYYY-MM, from 1970-01 to 2999-12, as an ``<input type="month">`` sends it."""


class RankingQuery(BaseModel):
    """Which month to rank."""

    month: str | None = Field(default=None, pattern=MONTH_PATTERN, description="YYYY-MM (default: this month)")
    format: Literal["json", "csv", "xlsx"] = Field(default="json", description="json, or csv or xlsx for a spreadsheet")

    def first_day(self) -> dt.date | None:
        return dt.date.fromisoformat(self.month + "-01") if self.month else None


@dataclass(frozen=True, slots=True)
class Ranked:
    """One dimension's places, with the names to show for their keys."""

    by: Dimension
    places: list[MonthlyPlace]
    names: dict[str, str]


@dataclass(frozen=True, slots=True)
class MonthlyRanking:
    centre: str
    centre_name: str
    month: Period
    previous: Period
    windows: Ranked
    staff: Ranked


async def read_monthly_ranking(service: HallService, code: str, query: RankingQuery) -> MonthlyRanking:
    """The month ``query`` asks for (this month at the centre when none) ranked, against the month before."""
    hall = await service.hall(code)
    centre = hall.centre
    day = query.first_day() or hall.calendar.local_date(service.clock.now())
    month = Period.holding(PeriodKind.MONTH, day)
    previous = Period.holding(PeriodKind.MONTH, month.first - dt.timedelta(days=1))
    async with service.db.read() as conn:
        now_tickets = await period_tickets(conn, code, month)
        before_tickets = await period_tickets(conn, code, previous)

    def ranked(by: Dimension, this: list[HandledTicket], before: list[HandledTicket]) -> Ranked:
        places = monthly_ranking(figures(this, (), by), figures(before, (), by))
        return Ranked(by, places, dimension_names(centre, by))

    return MonthlyRanking(
        code,
        centre.name,
        month,
        previous,
        ranked(Dimension.WINDOW, now_tickets, before_tickets),
        ranked(Dimension.STAFF, now_tickets, before_tickets),
    )


@documented
class MonthlyPlaceView(TypedDict):
    """A place in the month's ranking; rank null when too few ratings to rank"""

    rank: int | None
    previous_rank: int | None
    """The place the month before; null when not ranked then"""
    key: str
    name: str
    satisfaction_rate: float | None
    """基本满意 or better among the ratings counted (upheld appeals left out)"""
    rated: int
    appeals_upheld: int
    served: int
    wait_mean_minutes: float | None
    bottom: bool
    """The last ranked place this month (末位)"""
    bottom_twice: bool
    """At the bottom this month and the month before (连续两个月末位): flagged"""


@documented
class MonthlyRankingView(TypedDict):
    """Windows and staff ranked for the month (月度排名通报), against the month before"""

    centre: str
    month: PeriodView
    previous: PeriodView
    windows: list[MonthlyPlaceView]
    staff: list[MonthlyPlaceView]


def place_view(place: MonthlyPlace, names: dict[str, str]) -> MonthlyPlaceView:
    row = place.figures
    return {
        "rank": place.rank,
        "previous_rank": place.previous_rank,
        "key": row.key,
        "name": names.get(row.key, row.key),
        "satisfaction_rate": row.satisfaction_rate,
        "rated": row.rated,
        "appeals_upheld": row.appeals_upheld,
        "served": row.served,
        "wait_mean_minutes": row.wait_mean,
        "bottom": place.bottom,
        "bottom_twice": place.bottom_twice,
    }


def ranking_body(found: MonthlyRanking) -> MonthlyRankingView:
    """The ranking as the API's JSON answer."""
    return {
        "centre": found.centre,
        "month": period_view(found.month),
        "previous": period_view(found.previous),
        "windows": [place_view(place, found.windows.names) for place in found.windows.places],
        "staff": [place_view(place, found.staff.names) for place in found.staff.places],
    }
