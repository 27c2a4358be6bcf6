"""The report page (统计报表): a period's figures per window, staff member, matter or the centre, the
ranking for the model windows, charts and the spreadsheet downloads; and every centre side by side.

The page is made on the server from the API's own report (:func:`read_report`), so what it shows
is what the API and the spreadsheets give; the charts are SVG drawn in Python, so the page prints
as it looks and needs no chart script.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from pydantic import ValidationError

from queue_server.app.reports import Report, ReportQuery, read_report, report_body
from queue_server.http_common.keys import SERVICE, SESSION
from queue_server.pages.render import centre_code, language_of, render
from queue_server.pages.reports_words import REPORTS_WORDS
from queue_server.pages.routes import MANAGEMENT, PageRoute
from queue_server.pages.wording import words
from queue_server.reports.charts import Bar, bar_chart, percent
from queue_server.reports.figures import Dimension
from queue_server.reports.periods import PeriodKind

DIMENSIONS = (Dimension.WINDOW, Dimension.STAFF, Dimension.MATTER, Dimension.CENTRE)
"""The choices in the page's order: a manager most often compares windows."""


def _query(request: web.Request) -> tuple[ReportQuery, bool]:
    """The report asked for in the address, and whether it had to fall back to the default."""
    asked = {name: request.query[name] for name in ("period", "date", "by") if request.query.get(name)}
    try:
        return ReportQuery.model_validate(asked), False
    except ValidationError:
        return ReportQuery(), True


def _download(report: Report, extension: str) -> str:
    query = {"period": report.period.kind.value, "date": report.day.isoformat(), "by": report.by.value}
    return f"/api/v1/centres/{report.centre}/reports?{urlencode(query | {'format': extension})}"


def _charts(said: dict[str, str], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Satisfaction rate and mean wait per row, as SVG (labels escaped by the chart module)."""

    def minutes(value: float) -> str:
        return said["minutes"].format(n=f"{value:.1f}")

    def chart(title: str, field: str, shown: Callable[[float], str], top: float | None, name: str) -> str:
        return bar_chart(title, [Bar(row["name"], row[field]) for row in rows], shown=shown, top=top, css_class=name)

    return [
        chart(said["chart_satisfaction"], "satisfaction_rate", percent, 1.0, "satisfaction"),
        chart(said["chart_wait"], "wait_mean_minutes", minutes, None, "wait"),
    ]


async def reports(request: web.Request) -> web.StreamResponse:
    principal = request[SESSION].principal
    code = centre_code(request, principal)
    said = words(language_of(request), REPORTS_WORDS)
    query, bad = _query(request)
    report = await read_report(request.app[SERVICE], code, query)
    body = report_body(report)
    return render(
        request,
        "reports.html",
        title=said["reports_title"],
        page_words=REPORTS_WORDS,
        data={"centre": code, "report": body},
        report=body,
        bad_query=bad,
        day=report.day.isoformat(),
        centre=code,
        centre_name=report.centre_name,
        centres=principal.centres,
        periods=[kind.value for kind in PeriodKind],
        dimensions=[dimension.value for dimension in DIMENSIONS],
        charts=_charts(said, body["rows"]),
        csv_url=_download(report, "csv"),
        xlsx_url=_download(report, "xlsx"),
    )


async def centres(request: web.Request) -> web.StreamResponse:
    """Each centre the account may see, one row each, with the centre-level figures of one period."""
    principal = request[SESSION].principal
    said = words(language_of(request), REPORTS_WORDS)
    query, bad = _query(request)
    whole = query.model_copy(update={"by": Dimension.CENTRE})
    rows: list[dict[str, Any]] = []
    shown_day: dt.date | None = None
    label = first = last = ""
    for code in principal.centres:
        report = await read_report(request.app[SERVICE], code, whole)
        body = report_body(report)
        shown_day = shown_day or report.day
        label, first, last = body["period"]["label"], body["period"]["first"], body["period"]["last"]
        found = body["rows"][0] if body["rows"] else {"satisfaction_rate": None, "wait_mean_minutes": None}
        rows.append(
            found | {"key": code, "name": report.centre_name, "empty": not body["rows"], "promised": body["promised"]}
        )
    return render(
        request,
        "report_centres.html",
        title=said["centres_title"],
        page_words=REPORTS_WORDS,
        data={"centres": rows},
        rows=rows,
        bad_query=bad,
        day=shown_day.isoformat() if shown_day else "",
        period_kind=whole.period.value,
        period={"label": label, "first": first, "last": last},
        periods=[kind.value for kind in PeriodKind],
        charts=_charts(said, rows),
    )


ROUTES: list[PageRoute] = [
    PageRoute(method="GET", path="/reports", name="reports", handler=reports, roles=MANAGEMENT),
    PageRoute(method="GET", path="/reports/centres", name="report_centres", handler=centres, roles=MANAGEMENT),
]
