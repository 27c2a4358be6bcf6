"""The counter console (窗口工作台) and the printable one-time notice (一次性告知书).

The console is one page whose script does everything through the JSON API with the session: the
window actions, the queue and the live stream. The server gives it only what it needs to start:
the centre's configuration (windows, matters with their materials, staff, the rejection reasons)
and who is looking. The notice page is rendered here from the finished ticket, so what a window
hands over on paper is what the record says.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from queue_server.app.tickets import read_ticket
from queue_server.app.views import centre_view
from queue_server.auth.accounts import Principal
from queue_server.domain.errors import NotFound
from queue_server.domain.tickets import Outcome
from queue_server.http_common.keys import SERVICE, SESSION
from queue_server.pages.console_words import CONSOLE_WORDS
from queue_server.pages.render import centre_code, language_of, render
from queue_server.pages.routes import COUNTER, PageRoute
from queue_server.pages.wording import words


def _principal(request: web.Request) -> Principal:
    """The session's principal; the page middleware let only a signed-in counter role through."""
    return request[SESSION].principal


def _window_asked(request: web.Request) -> int | None:
    raw = request.query.get("window", "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 9999 else None


async def console(request: web.Request) -> web.StreamResponse:
    principal = _principal(request)
    code = centre_code(request, principal)
    hall = await request.app[SERVICE].hall(code)
    data: dict[str, Any] = {
        "centre": centre_view(hall.centre),
        "role": principal.role.value,
        "staff_code": principal.staff_code,
        "window_asked": _window_asked(request),
    }
    said = words(language_of(request), CONSOLE_WORDS)
    return render(request, "console.html", title=said["console_title"], page_words=CONSOLE_WORDS, data=data)


def _local_date(instant: str | None, zone: str) -> str:
    if instant is None:
        return ""
    return dt.datetime.fromisoformat(instant).astimezone(ZoneInfo(zone)).date().isoformat()


def _not_found(request: web.Request, heading: str, detail: str) -> web.Response:
    return render(
        request,
        "error.html",
        title=heading,
        heading=heading,
        detail=detail,
        page_words=CONSOLE_WORDS,
        status=404,
    )


async def notice(request: web.Request) -> web.StreamResponse:
    """The one-time notice of a returned or supplement case, laid out to print on A4 or A5."""
    principal = _principal(request)
    code = centre_code(request, principal)
    said = words(language_of(request), CONSOLE_WORDS)
    raw = request.match_info["serial"]
    if not raw.isdigit() or len(raw) > 18:
        return _not_found(request, said["notice_missing"], said["notice_missing"])
    serial = int(raw)
    try:
        config, ticket = await read_ticket(request.app[SERVICE], code, serial)
    except NotFound as error:
        return _not_found(request, said["notice_missing"], str(error))
    if ticket["outcome"] is None or not Outcome(ticket["outcome"]).needs_notice:
        return _not_found(request, said["notice_none"], said["notice_none_detail"])
    info = config.centre
    window = config.windows_by_number.get(ticket["window"]) if ticket["window"] is not None else None
    english = language_of(request) == "en"
    return render(
        request,
        "console_notice.html",
        title=said["notice_heading"],
        page_words=CONSOLE_WORDS,
        centre_name=(info.name_en or info.name) if english else info.name,
        phone=info.phone,
        address=info.address,
        number=ticket["number"],
        matter_name=(ticket["matter_name_en"] or ticket["matter_name"]) if english else ticket["matter_name"],
        outcome_name=said["outcome_" + ticket["outcome"]],
        reasons=ticket["reasons"],
        missing_materials=ticket["missing_materials"],
        window_name=f"{said['window_n'].format(n=window.number)} {window.name}" if window is not None else "",
        date=_local_date(ticket["ended_at"], info.time_zone),
    )


ROUTES: list[PageRoute] = [
    PageRoute(method="GET", path="/console", name="console", handler=console, roles=COUNTER),
    PageRoute(method="GET", path="/console/notice/{serial}", name="console_notice", handler=notice, roles=COUNTER),
]
