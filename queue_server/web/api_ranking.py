"""The monthly ranking and notice (月度排名通报) over the API: windows and staff ranked for a month,
with last month's places and the two-months-at-the-bottom flag, as JSON, a CSV file or a workbook.

Reading the ranking and its JSON view are the application's (queue_server.app.monthly_ranking),
shared with the ranking page; here are the route and the spreadsheet columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import cast

from aiohttp import web

from queue_server.app.monthly_ranking import (
    MonthlyRanking,
    MonthlyRankingView,
    Ranked,
    RankingQuery,
    place_view,
    ranking_body,
    read_monthly_ranking,
)
from queue_server.auth.accounts import Action
from queue_server.reports.figures import Dimension
from queue_server.reports.spreadsheet import CONTENT_TYPE as XLSX_TYPE
from queue_server.reports.spreadsheet import Cell, Sheet, workbook
from queue_server.web.api import _centre, _service
from queue_server.web.problems import json_response
from queue_server.web.routes import Access, Route

REPORT = Access(Action.REPORT)
DIMENSION_NAMES_ZH = {Dimension.WINDOW: "窗口", Dimension.STAFF: "工作人员"}
COLUMNS = [
    ("rank", "名次"), ("previous_rank", "上月名次"), ("key", "编号"), ("name", "名称"),
    ("satisfaction_rate", "满意率"), ("rated", "评价数"), ("appeals_upheld", "申诉成立数"), ("served", "服务数"),
    ("wait_mean_minutes", "平均等候(分钟)"),
]  # fmt: skip
FLAGS = ["本月末位", "连续两个月末位"]


def ranking_rows(ranked: Ranked) -> list[list[Cell]]:
    """One dimension's places in the spreadsheet's columns; the flags as 是 or empty."""
    rows: list[list[Cell]] = []
    for place in ranked.places:
        view: Mapping[str, object] = place_view(place, ranked.names)
        cells = [cast(Cell, view[key]) for key, _ in COLUMNS]
        rows.append([*cells, "是" if place.bottom else None, "是" if place.bottom_twice else None])
    return rows


def _header() -> list[str]:
    return [title for _, title in COLUMNS] + FLAGS


def _filename(found: MonthlyRanking, extension: str) -> str:
    return f"onewindow-{found.centre}-{found.month.label}-ranking.{extension}"


async def get_monthly_ranking(request: web.Request) -> web.StreamResponse:
    query = RankingQuery.model_validate(dict(request.query))
    found = await read_monthly_ranking(_service(request), _centre(request), query)
    attachment = {"Content-Disposition": f'attachment; filename="{_filename(found, query.format)}"'}
    if query.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["类别", *_header()])
        for ranked in (found.windows, found.staff):
            for row in ranking_rows(ranked):
                writer.writerow([DIMENSION_NAMES_ZH[ranked.by], *("" if cell is None else cell for cell in row)])
        body = ("\ufeff" + out.getvalue()).encode()  # a BOM: spreadsheet programs read the Chinese right
        return web.Response(body=body, content_type="text/csv", charset="utf-8", headers=attachment)
    if query.format == "xlsx":
        sheets = [
            Sheet(f"{DIMENSION_NAMES_ZH[ranked.by]}排名", _header(), ranking_rows(ranked))
            for ranked in (found.windows, found.staff)
        ]
        return web.Response(body=workbook(sheets), content_type=XLSX_TYPE, headers=attachment)
    return json_response(ranking_body(found))


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/reports/monthly-ranking",
        operation_id="get_monthly_ranking",
        summary="Read the monthly ranking and notice (月度排名通报)",
        handler=get_monthly_ranking,
        access=REPORT,
        tag="reports",
        response=MonthlyRankingView,
        query=RankingQuery,
        description=(
            "Windows and staff with at least 5 ratings counted in the month, ranked by satisfaction rate"
            " (upheld appeals left out), then tickets served, then the shorter mean wait; the rest unranked."
            " Each place has last month's; bottom marks the last ranked place, bottom_twice the one last"
            " this month and the month before. format=csv or xlsx for a spreadsheet."
        ),
    ),
]
