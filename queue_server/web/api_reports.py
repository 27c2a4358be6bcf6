"""The supervision reports over the API: a period's figures per centre, window, staff member or
matter, the ranking for the model windows (标杆窗口), as JSON or as a CSV file for a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from queue_server.accounts import Action
from queue_server.domain.ratings import RATING_NAMES_ZH, RatingLevel
from queue_server.domain.windows import PAUSE_REASON_NAMES_ZH, PauseReason
from queue_server.reports.figures import Dimension, Figures, Ranked, figures, ranking
from queue_server.reports.periods import Period, PeriodKind
from queue_server.store.report_data import period_pauses, period_tickets
from queue_server.web.api import _centre, _service
from queue_server.web.keys import DATABASE
from queue_server.web.problems import ProblemError, invalid_request, json_response, validation_errors, what_failed
from queue_server.web.routes import Access, Route
from queue_server.web.schemas import INTEGER, STRING, Schema, nullable, obj, ref

REPORT = Access(Action.REPORT)
NUMBER: Schema = {"type": "number"}


class ReportQuery(BaseModel):
    """What report to make."""

    period: PeriodKind = Field(default=PeriodKind.DAY, description="day, week (ISO, Monday first) or month")
    date: dt.date | None = Field(default=None, description="A day of the period (default: today at the centre)")
    by: Dimension = Field(default=Dimension.WINDOW, description="centre, window, staff or matter")
    format: Literal["json", "csv"] = Field(default="json", description="json, or csv for a spreadsheet")


def _query(request: web.Request) -> ReportQuery:
    try:
        return ReportQuery.model_validate(dict(request.query))
    except ValidationError as error:
        raise ProblemError(invalid_request(what_failed(request), validation_errors(error))) from None


async def get_report(request: web.Request) -> web.StreamResponse:
    query = _query(request)
    service, code = _service(request), _centre(request)
    hall = await service.hall(code)
    centre = hall.centre
    now = service.clock.now()
    day = query.date or hall.calendar.local_date(now)
    period = Period.holding(query.period, day)
    async with request.app[DATABASE].read() as conn:
        tickets = await period_tickets(conn, code, period)
        pauses = await period_pauses(conn, code, period, centre.centre.time_zone, now)
    rows = figures(tickets, pauses, query.by)
    ranked = ranking(rows) if query.by in (Dimension.WINDOW, Dimension.STAFF) else []
    names = _names(centre, query.by)
    if query.format == "csv":
        return _csv(code, period, query.by, rows, names)
    return json_response(
        {
            "centre": code,
            "period": {"kind": period.kind.value, "label": period.label, "first": period.first.isoformat(),
                       "last": period.last.isoformat()},
            "by": query.by.value,
            "rows": [_row(row, names) for row in rows],
            "ranking": [_ranked(entry, names) for entry in ranked],
        }
    )  # fmt: skip


def _names(centre: Any, by: Dimension) -> dict[str, str]:
    if by is Dimension.WINDOW:
        return {str(w.number): f"{w.number}号窗口 {w.name}" for w in centre.windows}
    if by is Dimension.STAFF:
        return {s.code: s.name for s in centre.staff}
    if by is Dimension.MATTER:
        return {m.code: m.name for m in centre.matters}
    return {"all": centre.centre.name}


def _row(row: Figures, names: dict[str, str]) -> dict[str, Any]:
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


def _ranked(entry: Ranked, names: dict[str, str]) -> dict[str, Any]:
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


def _csv(code: str, period: Period, by: Dimension, rows: list[Figures], names: dict[str, str]) -> web.Response:
    """A CSV with a BOM, which spreadsheet programs need to read the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    levels = list(RatingLevel)
    reasons = list(PauseReason)
    writer.writerow(
        [title for _, title in CSV_COLUMNS]
        + [RATING_NAMES_ZH[level] for level in levels]
        + [f"暂停:{PAUSE_REASON_NAMES_ZH[reason]}(分钟)" for reason in reasons]
    )
    for row in rows:
        shown = _row(row, names)
        writer.writerow(
            [shown[key] if shown[key] is not None else "" for key, _ in CSV_COLUMNS]
            + [row.ratings.get(int(level), 0) for level in levels]
            + [row.paused_minutes.get(reason.value, 0) for reason in reasons]
        )
    filename = f"onewindow-{code}-{period.label}-{by.value}.csv"
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


SCHEMAS: dict[str, Schema] = {
    "Report": obj(
        "A period's figures, one row per window, staff member, matter (or the centre), and the ranking",
        {
            "centre": STRING,
            "period": obj("The period", {"kind": STRING, "label": STRING, "first": STRING, "last": STRING}),
            "by": STRING,
            "rows": {"type": "array", "items": ref("ReportRow")},
            "ranking": {"type": "array", "items": ref("RankedRow")},
        },
    ),
    "ReportRow": obj(
        "What one window, staff member or matter did: waits and handling in minutes, shares from 0 to 1",
        {
            "key": STRING,
            "name": STRING,
            "issued": INTEGER,
            "served": INTEGER,
            "cancelled": INTEGER,
            "no_shows": INTEGER,
            "transfers": INTEGER,
            "wait_mean_minutes": nullable(NUMBER),
            "wait_p90_minutes": nullable(NUMBER),
            "wait_longest_minutes": nullable(NUMBER),
            "handling_mean_minutes": nullable(NUMBER),
            "green_channel": INTEGER,
            "green_channel_share": nullable(NUMBER),
            "green_channel_wait_mean_minutes": nullable(NUMBER),
            "paused_minutes": {"type": "object", "additionalProperties": NUMBER},
            "ratings": {"type": "object", "additionalProperties": INTEGER},
            "rated": INTEGER,
            "unrated": INTEGER,
            "satisfaction_rate": nullable(NUMBER),
            "outcomes": {"type": "object", "additionalProperties": INTEGER},
        },
    ),
    "RankedRow": obj(
        "A place in the ranking for the model windows; rank null when too few ratings to rank",
        {
            "rank": nullable(INTEGER),
            "key": STRING,
            "name": STRING,
            "satisfaction_rate": nullable(NUMBER),
            "rated": INTEGER,
            "served": INTEGER,
            "wait_mean_minutes": nullable(NUMBER),
        },
    ),
}

ROUTES: list[Route] = [
    Route(
        "GET",
        "/centres/{centre}/reports",
        "get_report",
        "Read the supervision report of a period",
        get_report,
        REPORT,
        "reports",
        "Report",
        query=ReportQuery,
        description=(
            "Tickets served, waits (mean, 90th percentile, longest), handling time, no-shows, transfers,"
            " minutes paused by reason, the green channel's share and waits, ratings by level and the"
            " satisfaction rate (基本满意 or better among the ratings given; unrated never counts as"
            " satisfied), per window, staff member or matter; windows and staff ranked for the model"
            " windows (标杆窗口). format=csv gives a spreadsheet file."
        ),
    ),
]
