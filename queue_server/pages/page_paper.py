"""A case's papers at the counter (受理通知书, 补正材料通知书, 不予受理通知书, 告知承诺书, 容缺受理通知书,
送达回证), laid out for A4.

``/console/paper/{serial}/{kind}`` renders the paper from the finished ticket (``domain.papers``):
the case number, the centre, who handled it, and what the kind needs (the materials received and
the due date, a joint case's lead department or a reported case's level; the missing materials and
the date to bring them by; the reasons, the basis and the remedies; the commitment and when it is
verified; the materials to follow and by when; the signature lines). The counter and the desk
print them; the window's thermal printer prints the same notice on its own. A ticket whose outcome
gives no such paper is a friendly 404.
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from queue_server.app.tickets import finished_ticket
from queue_server.domain.errors import NotFound
from queue_server.domain.papers import REMEDY_EN, REMEDY_ZH, PaperKind, date_zh, paper, papers_for
from queue_server.http_common.keys import SERVICE, SESSION
from queue_server.pages.paper_words import PAPER_WORDS
from queue_server.pages.render import centre_code, language_of, render
from queue_server.pages.routes import COUNTER, DESK, PageRoute
from queue_server.pages.wording import words


def _date(day: dt.date | None) -> str:
    return date_zh(day) if day is not None else ""


def _not_found(request: web.Request, heading: str, detail: str) -> web.Response:
    return render(
        request, "error.html", title=heading, heading=heading, detail=detail, page_words=PAPER_WORDS, status=404
    )


async def paper_page(request: web.Request) -> web.StreamResponse:
    """The paper the path names."""
    return await _paper(request, request.match_info["kind"])


async def notice_page(request: web.Request) -> web.StreamResponse:
    """The first paper of the ticket's outcome (the console's "notice" key): the notice to
    supplement, of non-acceptance, or of acceptance."""
    return await _paper(request, None)


async def _paper(request: web.Request, kind_name: str | None) -> web.StreamResponse:
    said = words(language_of(request), PAPER_WORDS)
    code = centre_code(request, request[SESSION].principal)
    raw = request.match_info["serial"]
    if not raw.isdigit() or len(raw) > 18 or (kind_name is not None and kind_name not in set(PaperKind)):
        return _not_found(request, said["paper_none"], said["paper_none_detail"])
    try:
        hall, ticket = await finished_ticket(request.app[SERVICE], code, int(raw))
    except NotFound as error:
        return _not_found(request, said["paper_missing_ticket"], str(error))
    given = papers_for(ticket.outcome)
    kind = PaperKind(kind_name) if kind_name is not None else (given[0] if given else None)
    if kind is None or kind not in given:
        return _not_found(request, said["paper_none"], said["paper_none_detail"])
    shown = paper(hall.centre, hall.calendar, ticket, kind)
    english = language_of(request) == "en"
    return render(
        request,
        "paper.html",
        title=f"{shown.title} {shown.case_number}",
        page_words=PAPER_WORDS,
        p=shown,
        day_text=_date(shown.day),
        due_line=shown.due_line(english),
        deadline=shown.deadline(english),
        remedy=REMEDY_EN if english else REMEDY_ZH,
        contact=said["paper_contact"]
        .replace("{address}", shown.centre_address or "—")
        .replace("{phone}", shown.centre_phone or "—"),
    )


ROUTES: list[PageRoute] = [
    PageRoute(method="GET", path="/console/notice/{serial}", name="console_notice", handler=notice_page, roles=COUNTER),
    PageRoute(
        method="GET", path="/console/paper/{serial}/{kind}", name="case_paper", handler=paper_page, roles=COUNTER | DESK
    ),
]
