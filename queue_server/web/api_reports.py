"""The supervision reports over the API: a period's figures per centre, window, staff member or
matter, the ranking for the model windows (标杆窗口), as JSON, a CSV file or an .xlsx workbook.

:func:`figure_table` is the one definition of the spreadsheet columns; reading the report and its
JSON view are the application's (queue_server.app.reports), shared with the report page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import cast

from aiohttp import web

from queue_server.app.promised_report import promised_view
from queue_server.app.reports import Report, ReportQuery, ReportView, ranked_view, read_report, report_body, row_view
from queue_server.auth.accounts import Action
from queue_server.domain.ratings import RATING_ITEM_NAMES_ZH, RATING_NAMES_ZH, RatingItem, RatingLevel
from queue_server.domain.windows import PAUSE_REASON_NAMES_ZH, PauseReason
from queue_server.reports.figures import Dimension
from queue_server.reports.spreadsheet import CONTENT_TYPE as XLSX_TYPE
from queue_server.reports.spreadsheet import Cell, Sheet, workbook
from queue_server.web.api import _centre, _service
from queue_server.web.problems import json_response
from queue_server.web.routes import Access, Route

REPORT = Access(Action.REPORT)


def _query(request: web.Request) -> ReportQuery:
    """The report asked for; a bad parameter is a 422 naming it (the problem middleware's translation)."""
    return ReportQuery.model_validate(dict(request.query))


async def get_report(request: web.Request) -> web.StreamResponse:
    query = _query(request)
    report = await read_report(_service(request), _centre(request), query)
    if query.format == "csv":
        return _csv(report)
    if query.format == "xlsx":
        return _xlsx(report)
    return json_response(report_body(report))


CSV_COLUMNS = [
    ("key", "编号"), ("name", "名称"), ("issued", "取号数"), ("served", "服务数"), ("concluded", "办结数"),
    ("accepted", "受理数"), ("returned", "退回数"), ("supplemented", "补正数"),
    ("committed", "告知承诺数"), ("deferred", "容缺受理数"), ("assisted", "帮办代办数"), ("cancelled", "取消数"),
    ("no_shows", "过号次数"), ("transfers", "转出次数"), ("transfers_in", "转入次数"),
    ("wait_mean_minutes", "平均等候(分钟)"),
    ("wait_p90_minutes", "90%等候(分钟)"), ("wait_longest_minutes", "最长等候(分钟)"),
    ("handling_mean_minutes", "平均办理(分钟)"), ("green_channel", "绿色通道数"),
    ("green_channel_wait_mean_minutes", "绿色通道平均等候(分钟)"), ("rated", "评价数"), ("unrated", "未评价数"),
    ("satisfaction_rate", "满意率"), ("appeals_upheld", "申诉成立数"), ("named_bad_ratings", "实名差评数"),
    ("followed_up", "已回访数"), ("follow_up_rate", "实名差评回访率"),
    ("estimate_error_mean_minutes", "预计等候平均误差(分钟)"), ("estimate_inside_share", "实际等候在预计区间内比例"),
]  # fmt: skip


RANKING_COLUMNS = [
    ("rank", "名次"), ("key", "编号"), ("name", "名称"), ("satisfaction_rate", "满意率"), ("rated", "评价数"),
    ("served", "服务数"), ("wait_mean_minutes", "平均等候(分钟)"),
]  # fmt: skip


def figure_table(report: Report) -> tuple[list[str], list[list[Cell]]]:
    """The header and rows both spreadsheet files write: CSV_COLUMNS, ratings by level, pauses by reason."""
    levels = list(RatingLevel)
    reasons = list(PauseReason)
    header = (
        [title for _, title in CSV_COLUMNS]
        + [RATING_NAMES_ZH[level] for level in levels]
        + [f"暂停:{PAUSE_REASON_NAMES_ZH[reason]}(分钟)" for reason in reasons]
        + [f"{RATING_ITEM_NAMES_ZH[item]}满意率" for item in RatingItem]
    )
    rows: list[list[Cell]] = []
    for row in report.rows:
        shown = row_view(row, report.names)
        rows.append(
            _cells(shown, CSV_COLUMNS)
            + [row.ratings.get(int(level), 0) for level in levels]
            + [row.paused_minutes.get(reason.value, 0) for reason in reasons]
            + [row.item_rate(item.value) for item in RatingItem]
        )
    return header, rows


def ranking_table(report: Report) -> tuple[list[str], list[list[Cell]]]:
    """The ranking for the model windows; an unranked place (too few ratings) has no rank."""
    rows = [ranked_view(entry, report.names) for entry in report.ranked]
    return [title for _, title in RANKING_COLUMNS], [_cells(row, RANKING_COLUMNS) for row in rows]


PROMISED_COLUMNS = [
    ("due", "期内到期承诺件"), ("kept", "按期办结"), ("kept_rate", "按期率"), ("overdue_now", "今日超期"),
]  # fmt: skip
OVERDUE_COLUMNS = [
    ("case_number", "受理编号"), ("number", "号码"), ("matter", "事项"), ("due_date", "承诺日期"),
    ("days_overdue", "超期天数"),
]  # fmt: skip


def promised_tables(report: Report) -> list[Sheet]:
    """The promised cases (承诺件): the period's figures on one sheet, those overdue today on another."""
    shown = promised_view(report.promised, report.matter_names)
    overdue = [_cells(case, OVERDUE_COLUMNS) for case in shown["overdue"]]
    return [
        Sheet("承诺件", [title for _, title in PROMISED_COLUMNS], [_cells(shown, PROMISED_COLUMNS)]),
        Sheet("超期承诺件", [title for _, title in OVERDUE_COLUMNS], overdue),
    ]


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
    """The figures on one sheet, per window or staff member the ranking on a second, then the promised cases."""
    sheets = [Sheet("报表", *figure_table(report))]
    if report.by in (Dimension.WINDOW, Dimension.STAFF):
        sheets.append(Sheet("标杆窗口排名", *ranking_table(report)))
    sheets.extend(promised_tables(report))
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
