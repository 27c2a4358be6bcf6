"""Reading a supervision report: a period's figures at a centre, per window, staff member or matter.

The use case behind the report route (queue_server.web.api_reports, JSON and spreadsheets) and the
report page (queue_server.pages.page_reports), so both show the same figures; the figures
themselves are computed in queue_server.reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from queue_server.app.promised_report import PromisedFigures, PromisedFiguresView, promised_figures, promised_view
from queue_server.app.service import HallService
from queue_server.app.view_fields import documented
from queue_server.reports.figures import ACCEPTED, CONCLUDED, ITEMS, Dimension, Figures, Ranked, figures, ranking
from queue_server.reports.periods import Period, PeriodKind
from queue_server.store.bookings import booking_counts
from queue_server.store.report_data import period_pauses, period_tickets, period_transfers
from queue_server.vocabulary import Outcome

EARLIEST_DAY, LATEST_DAY = dt.date(1970, 1, 1), dt.date(2999, 12, 31)
"""The days a report may be asked for: a period at the ends of Python's calendar (year 1 or 9999)
cannot be turned into UTC instants, which was a 500 (found by tests/test_fuzz_http.py)."""


class ReportQuery(BaseModel):
    """What report to make."""

    period: PeriodKind = Field(default=PeriodKind.DAY, description="day, week (ISO, Monday first) or month")
    date: dt.date | None = Field(
        default=None,
        ge=EARLIEST_DAY,
        le=LATEST_DAY,
        description="A day of the period, from 1970-01-01 to 2999-12-31 (default: today at the centre)",
    )
    by: Dimension = Field(default=Dimension.WINDOW, description="centre, window, staff or matter")
    format: Literal["json", "csv", "xlsx"] = Field(default="json", description="json, or csv or xlsx for a spreadsheet")


@dataclass(frozen=True, slots=True)
class Report:
    """A period's figures at one centre, with the names to show for their keys."""

    centre: str
    centre_name: str
    day: dt.date
    """The day asked for (today at the centre when none was)."""
    period: Period
    by: Dimension
    rows: list[Figures]
    ranked: list[Ranked]
    names: dict[str, str]
    promised: PromisedFigures
    matter_names: dict[str, str]
    bookings: dict[str, int]
    """Bookings of slots in the period by status: booked (still to check in), checked_in, late,
    cancelled, no_show (never checked in)."""
    whole: Figures | None
    """The centre's figures of the period (the waits of booked and walk-in tickets); None without tickets."""


async def read_report(service: HallService, code: str, query: ReportQuery) -> Report:
    """The report ``query`` asks for at centre ``code``; the period holds today when no date is given."""
    hall = await service.hall(code)
    centre = hall.centre
    now = service.clock.now()
    day = query.date or hall.calendar.local_date(now)
    period = Period.holding(query.period, day)
    async with service.db.read() as conn:
        tickets = await period_tickets(conn, code, period)
        pauses = await period_pauses(conn, code, period, centre.centre.time_zone, now)
        transfers = await period_transfers(conn, code, period)
        first, after = hall.calendar.instant(period.first, dt.time()), hall.calendar.instant(period.last, dt.time())
        bookings = await booking_counts(conn, code, first, after + dt.timedelta(days=1))
    rows = figures(tickets, pauses, query.by, transfers)
    ranked = ranking(rows) if query.by in (Dimension.WINDOW, Dimension.STAFF) else []
    promised = await promised_figures(service, code, period)
    matters = dimension_names(centre, Dimension.MATTER)
    names = dimension_names(centre, query.by)
    whole = next(iter(figures(tickets, [], Dimension.CENTRE)), None)
    return Report(code, centre.name, day, period, query.by, rows, ranked, names, promised, matters, bookings, whole)


@documented
class PeriodView(TypedDict):
    """The period"""

    kind: str
    label: str
    first: str
    last: str


@documented
class ReportRow(TypedDict):
    """What one window, staff member or matter did: waits and handling in minutes, shares from 0 to 1"""

    key: str
    name: str
    issued: int
    served: int
    """Tickets finished at a window, whatever the outcome (服务)"""
    concluded: int
    """Of those, cases concluded on the spot (办结, 即办件)"""
    accepted: int
    """Cases accepted to be concluded later (受理: 承诺件, 联办件, 上报件)"""
    returned: int
    """Cases not accepted (退回件): not concluded"""
    supplemented: int
    """Cases sent back for materials (补正): not concluded"""
    committed: int
    """Cases accepted on the applicant's written commitment (告知承诺): not concluded, verified later"""
    deferred: int
    """Cases accepted with materials to follow (容缺受理): not concluded"""
    assisted: int
    """Tickets finished with a 帮办代办 record (someone helped or acted for)"""
    cancelled: int
    no_shows: int
    transfers: int
    """Tickets sent on from here to another window or matter (转出)"""
    transfers_in: int
    """Tickets sent here from another window or matter (转入)"""
    wait_mean_minutes: float | None
    wait_p90_minutes: float | None
    wait_longest_minutes: float | None
    handling_mean_minutes: float | None
    green_channel: int
    green_channel_share: float | None
    green_channel_wait_mean_minutes: float | None
    paused_minutes: dict[str, float]
    ratings: dict[str, int]
    rated: int
    unrated: int
    satisfaction_rate: float | None
    outcomes: dict[str, int]
    appeals_upheld: int
    """Ratings left out because the window's appeal of them was upheld (申诉成立)"""
    named_bad_ratings: int
    """Bad ratings given with a number for the follow-up call (实名差评)"""
    followed_up: int
    """Of those, the ones whose follow-up call (回访) has an outcome"""
    follow_up_rate: float | None
    """实名差评回访率: followed_up / named_bad_ratings; null when there were none"""
    item_ratings: dict[str, dict[str, int]]
    """The items rated besides the level (efficiency 服务效率, skill 服务水平, attitude 服务态度): by level"""
    item_satisfaction: dict[str, float | None]
    booked: int
    """Booked tickets (预约) checked in on time"""
    booked_wait_mean_minutes: float | None
    """From the slot's start (or the check-in, if later) to the call"""
    walk_in_wait_mean_minutes: float | None
    """Each item's satisfaction rate among the ratings that rated it; null when none did"""
    estimate_error_mean_minutes: float | None
    """Mean minutes between the wait estimate told at issue and the real wait"""
    estimate_inside_share: float | None
    """Share of real waits inside the wait range told at issue (of the tickets told one)"""


@documented
class RankedRow(TypedDict):
    """A place in the ranking for the model windows; rank null when too few ratings to rank"""

    rank: int | None
    key: str
    name: str
    satisfaction_rate: float | None
    rated: int
    served: int
    wait_mean_minutes: float | None


@documented
class BookingCountsView(TypedDict):
    """The period's bookings (预约) by what became of them"""

    booked: int
    """Still to check in"""
    checked_in: int
    late: int
    """Came after the check-in window: served as walk-ins"""
    cancelled: int
    no_show: int
    """Never checked in"""
    booked_wait_mean_minutes: float | None
    """Booked tickets' mean wait from the slot's start (or the check-in, if later) to the call"""
    walk_in_wait_mean_minutes: float | None


@documented
class ReportView(TypedDict):
    """A period's figures, one row per window, staff member, matter (or the centre), and the ranking"""

    centre: str
    period: PeriodView
    by: str
    rows: list[ReportRow]
    ranking: list[RankedRow]
    promised: PromisedFiguresView
    bookings: BookingCountsView


def period_view(period: Period) -> PeriodView:
    return {"kind": period.kind.value, "label": period.label, "first": period.first.isoformat(),
            "last": period.last.isoformat()}  # fmt: skip


def report_body(report: Report) -> ReportView:
    """The report as the API's JSON answer."""
    return {
        "centre": report.centre,
        "period": period_view(report.period),
        "by": report.by.value,
        "rows": [row_view(row, report.names) for row in report.rows],
        "ranking": [ranked_view(entry, report.names) for entry in report.ranked],
        "promised": promised_view(report.promised, report.matter_names),
        "bookings": {
            "booked": report.bookings["booked"],
            "checked_in": report.bookings["checked_in"],
            "late": report.bookings["late"],
            "cancelled": report.bookings["cancelled"],
            "no_show": report.bookings["no_show"],
            "booked_wait_mean_minutes": report.whole.booked_wait_mean if report.whole else None,
            "walk_in_wait_mean_minutes": report.whole.walk_in_wait_mean if report.whole else None,
        },
    }  # fmt: skip


def dimension_names(centre: Any, by: Dimension) -> dict[str, str]:
    """How a report names each key: a window by its number and name, a staff member, a matter."""
    if by is Dimension.WINDOW:
        return {str(w.number): f"{w.number}号窗口 {w.name}" for w in centre.windows}
    if by is Dimension.STAFF:
        return {s.code: s.name for s in centre.staff}
    if by is Dimension.MATTER:
        return {m.code: m.name for m in centre.matters}
    return {"all": centre.name}


def row_view(row: Figures, names: dict[str, str]) -> ReportRow:
    return {
        "key": row.key,
        "name": names.get(row.key, row.key),
        "issued": row.issued,
        "served": row.served,
        "concluded": row.outcome_count(CONCLUDED),
        "accepted": row.outcome_count(ACCEPTED),
        "returned": row.outcome_count({Outcome.RETURNED}),
        "supplemented": row.outcome_count({Outcome.SUPPLEMENT}),
        "committed": row.outcome_count({Outcome.COMMITMENT}),
        "deferred": row.outcome_count({Outcome.DEFERRED}),
        "assisted": row.assisted,
        "cancelled": row.cancelled,
        "no_shows": row.no_shows,
        "transfers": row.transfers,
        "transfers_in": row.transfers_in,
        "wait_mean_minutes": row.wait_mean,
        "wait_p90_minutes": row.wait_p90,
        "wait_longest_minutes": row.wait_longest,
        "handling_mean_minutes": row.handling_mean,
        "green_channel": row.green,
        "green_channel_share": row.green_share,
        "green_channel_wait_mean_minutes": row.green_wait_mean,
        "paused_minutes": row.paused_minutes,
        "ratings": {str(level): count for level, count in row.ratings.items()},
        "rated": row.rated,
        "unrated": row.unrated,
        "satisfaction_rate": row.satisfaction_rate,
        "outcomes": row.outcomes,
        "appeals_upheld": row.appeals_upheld,
        "named_bad_ratings": row.named_bad,
        "followed_up": row.followed_up,
        "follow_up_rate": row.follow_up_rate,
        "item_ratings": {item: {str(level): n for level, n in given.items()} for item, given in row.items.items()},
        "item_satisfaction": {item: row.item_rate(item) for item in ITEMS},
        "booked": row.booked,
        "booked_wait_mean_minutes": row.booked_wait_mean,
        "walk_in_wait_mean_minutes": row.walk_in_wait_mean,
        "estimate_error_mean_minutes": row.estimate_error_mean,
        "estimate_inside_share": row.estimate_inside_share,
    }


def ranked_view(entry: Ranked, names: dict[str, str]) -> RankedRow:
    row = entry.figures
    return {
        "rank": entry.rank,
        "key": row.key,
        "name": names.get(row.key, row.key),
        "satisfaction_rate": row.satisfaction_rate,
        "rated": row.rated,
        "served": row.served,
        "wait_mean_minutes": row.wait_mean,
    }
