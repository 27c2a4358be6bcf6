"""The supervision reports over the API: a period's figures per centre, window, staff member or
matter, the ranking for the model windows (标杆窗口), as JSON, a CSV file or an .xlsx workbook.

:func:`read_report` and :func:`report_body` are shared with the report page, so the page shows the
API's figures; :func:`figure_table` is the one definition of the spreadsheet columns."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from aiohttp import web
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from queue_server.app.service import HallService
from queue_server.app.view_fields import documented
from queue_server.auth.accounts import Action
from queue_server.domain.ratings import RATING_NAMES_ZH, RatingLevel
from queue_server.domain.windows import PAUSE_REASON_NAMES_ZH, PauseReason
from queue_server.reports.figures import Dimension, Figures, Ranked, figures, ranking
from queue_server.reports.periods import Period, PeriodKind
from queue_server.reports.spreadsheet import CONTENT_TYPE as XLSX_TYPE
from queue_server.reports.spreadsheet import Cell, Sheet, workbook
from queue_server.store.report_data import period_pauses, period_tickets
from queue_server.web.api import _centre, _service
from queue_server.web.problems import json_response
from queue_server.web.routes import Access, Route

REPORT = Access(Action.REPORT)


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


def _query(request: web.Request) -> ReportQuery:
    """The report asked for; a bad parameter is a 422 naming it (the problem middleware's translation)."""
    return ReportQuery.model_validate(dict(request.query))


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
    rows = figures(tickets, pauses, query.by)
    ranked = ranking(rows) if query.by in (Dimension.WINDOW, Dimension.STAFF) else []
    return Report(code, centre.name, day, period, query.by, rows, ranked, _names(centre, query.by))


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
    cancelled: int
    no_shows: int
    transfers: int
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
class ReportView(TypedDict):
    """A period's figures, one row per window, staff member, matter (or the centre), and the ranking"""

    centre: str
    period: PeriodView
    by: str
    rows: list[ReportRow]
    ranking: list[RankedRow]


def report_body(report: Report) -> ReportView:
    """The report as the API's JSON answer."""
    period = report.period
    return {
        "centre": report.centre,
        "period": {"kind": period.kind.value, "label": period.label, "first": period.first.isoformat(),
                   "last": period.last.isoformat()},
        "by": report.by.value,
        "rows": [_row(row, report.names) for row in report.rows],
        "ranking": [_ranked(entry, report.names) for entry in report.ranked],
    }  # fmt: skip


async def get_report(request: web.Request) -> web.StreamResponse:
    query = _query(request)
    report = await read_report(_service(request), _centre(request), query)
    if query.format == "csv":
        return _csv(report)
    if query.format == "xlsx":
        return _xlsx(report)
    return json_response(report_body(report))


def _names(centre: Any, by: Dimension) -> dict[str, str]:
    if by is Dimension.WINDOW:
        return {str(w.number): f"{w.number}号窗口 {w.name}" for w in centre.windows}
    if by is Dimension.STAFF:
        return {s.code: s.name for s in centre.staff}
    if by is Dimension.MATTER:
        return {m.code: m.name for m in centre.matters}
    return {"all": centre.name}


def _row(row: Figures, names: dict[str, str]) -> ReportRow:
    return {
        "key": row.key,
        "name": names.get(row.key, row.key),
        "issued": row.issued,
        "served": row.served,
        "cancelled": row.cancelled,
        "no_shows": row.no_shows,
        "transfers": row.transfers,
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
    }


def _ranked(entry: Ranked, names: dict[str, str]) -> RankedRow:
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


CSV_COLUMNS = [
    ("key", "编号"), ("name", "名称"), ("issued", "取号数"), ("served", "办结数"), ("cancelled", "取消数"),
    ("no_shows", "过号次数"), ("transfers", "转移次数"), ("wait_mean_minutes", "平均等候(分钟)"),
    ("wait_p90_minutes", "90%等候(分钟)"), ("wait_longest_minutes", "最长等候(分钟)"),
    ("handling_mean_minutes", "平均办理(分钟)"), ("green_channel", "绿色通道数"),
    ("green_channel_wait_mean_minutes", "绿色通道平均等候(分钟)"), ("rated", "评价数"), ("unrated", "未评价数"),
    ("satisfaction_rate", "满意率"),
]  # fmt: skip


RANKING_COLUMNS = [
    ("rank", "名次"), ("key", "编号"), ("name", "名称"), ("satisfaction_rate", "满意率"), ("rated", "评价数"),
    ("served", "办结数"), ("wait_mean_minutes", "平均等候(分钟)"),
]  # fmt: skip


def figure_table(report: Report) -> tuple[list[str], list[list[Cell]]]:
    """The header and rows both spreadsheet files write: CSV_COLUMNS, ratings by level, pauses by reason."""
    levels = list(RatingLevel)
    reasons = list(PauseReason)
    header = (
        [title for _, title in CSV_COLUMNS]
        + [RATING_NAMES_ZH[level] for level in levels]
        + [f"暂停:{PAUSE_REASON_NAMES_ZH[reason]}(分钟)" for reason in reasons]
    )
    rows: list[list[Cell]] = []
    for row in report.rows:
        shown = _row(row, report.names)
        rows.append(
            _cells(shown, CSV_COLUMNS)
            + [row.ratings.get(int(level), 0) for level in levels]
            + [row.paused_minutes.get(reason.value, 0) for reason in reasons]
        )
    return header, rows


def ranking_table(report: Report) -> tuple[list[str], list[list[Cell]]]:
    """The ranking for the model windows; an unranked place (too few ratings) has no rank."""
    rows = [_ranked(entry, report.names) for entry in report.ranked]
    return [title for _, title in RANKING_COLUMNS], [_cells(row, RANKING_COLUMNS) for row in rows]


def _cells(view: Mapping[str, object], columns: Iterable[tuple[str, str]]) -> list[Cell]:
    """A view's values in the order of a table's columns (each value a number, a text or None)."""
    return [cast(Cell, view[key]) for key, _ in columns]


def _filename(report: Report, extension: str) -> str:
    return f"onewindow-{report.centre}-{report.period.label}-{report.by.value}.{extension}"


def _attachment(report: Report, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{_filename(report, extension)}"'}


def _csv(report: Report) -> web.Response:
    """A CSV with a BOM, which spreadsheet programs need to read the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    header, rows = figure_table(report)
    writer.writerow(header)
    writer.writerows([["" if cell is None else cell for cell in row] for row in rows])
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode(),
        content_type="text/csv",
        charset="utf-8",
        headers=_attachment(report, "csv"),
    )


def _xlsx(report: Report) -> web.Response:
    """The figures on one sheet and, per window or staff member, the ranking on a second."""
    sheets = [Sheet("报表", *figure_table(report))]
    if report.by in (Dimension.WINDOW, Dimension.STAFF):
        sheets.append(Sheet("标杆窗口排名", *ranking_table(report)))
    return web.Response(body=workbook(sheets), content_type=XLSX_TYPE, headers=_attachment(report, "xlsx"))


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/reports",
        operation_id="get_report",
        summary="Read the supervision report of a period",
        handler=get_report,
        access=REPORT,
        tag="reports",
        response=ReportView,
        query=ReportQuery,
        description=(
            "Tickets served, waits (mean, 90th percentile, longest), handling time, no-shows, transfers,"
            " minutes paused by reason, the green channel's share and waits, ratings by level and the"
            " satisfaction rate (基本满意 or better among the ratings given; unrated never counts as"
            " satisfied), per window, staff member or matter; windows and staff ranked for the model"
            " windows (标杆窗口). format=csv or format=xlsx gives a spreadsheet file (the xlsx with the ranking"
            " on a second sheet)."
        ),
    ),
]
