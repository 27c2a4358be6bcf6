"""The monthly ranking page (月度排名通报): a month's windows and staff ranked, last month's places
beside them, and the windows at the bottom two months running named at the top for the supervisor.

Made on the server from the API's own ranking (:func:`read_monthly_ranking`), so the page, the
JSON and the spreadsheets show the same places; it needs no script and prints as it looks.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web
from pydantic import ValidationError

from queue_server.app.monthly_ranking import RankingQuery, ranking_body, read_monthly_ranking
from queue_server.http_common.keys import SERVICE, SESSION
from queue_server.pages.ranking_words import RANKING_WORDS
from queue_server.pages.render import centre_code, language_of, render
from queue_server.pages.routes import MANAGEMENT, PageRoute
from queue_server.pages.wording import words


def _query(request: web.Request) -> tuple[RankingQuery, bool]:
    """The month asked for in the address, and whether it had to fall back to this month."""
    asked = {"month": request.query["month"]} if request.query.get("month") else {}
    try:
        return RankingQuery.model_validate(asked), False
    except ValidationError:
        return RankingQuery(), True


async def ranking(request: web.Request) -> web.StreamResponse:
    principal = request[SESSION].principal
    code = centre_code(request, principal)
    said = words(language_of(request), RANKING_WORDS)
    query, bad = _query(request)
    found = ranking_body(await read_monthly_ranking(request.app[SERVICE], code, query))
    month = found["month"]["label"]
    download = f"/api/v1/centres/{code}/reports/monthly-ranking?"
    return render(
        request,
        "ranking.html",
        title=said["ranking_title"],
        page_words=RANKING_WORDS,
        ranking=found,
        month=month,
        bad_query=bad,
        centre=code,
        centres=principal.centres,
        flagged=[place["name"] for place in found["windows"] if place["bottom_twice"]],
        csv_url=download + urlencode({"month": month, "format": "csv"}),
        xlsx_url=download + urlencode({"month": month, "format": "xlsx"}),
    )


ROUTES: list[PageRoute] = [
    PageRoute(method="GET", path="/ranking", name="ranking", handler=ranking, roles=MANAGEMENT),
]
