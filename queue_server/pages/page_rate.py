"""The rating page a window display's QR code opens (/rate/<code>): one service, rated once.

After each finish the window display shows a code made for that service alone; the window's next
finish retires it. This page is public (the code is the proof, as a status token is for a
ticket's page) and works without a script: the form posts back here, the rating runs as the
citizen's action (``RateTicket`` with the code, which the hall checks), and the page then shows
the service as it stands. A code that names no service gets a 404 page; a retired one says it
has expired and why; a service rated already, or whose time to rate has passed, says so.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from queue_server.app.commands import RateTicket
from queue_server.app.request_ids import citizen_request_id
from queue_server.domain.centre import Centre
from queue_server.domain.ratings import RatingItem, RatingLevel, RatingStatus
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.refusal_words import say
from queue_server.domain.tickets import Ticket
from queue_server.http_common.keys import DATABASE, SERVICE
from queue_server.pages.rate_words import RATE_WORDS
from queue_server.pages.render import language_of, render
from queue_server.pages.routes import PageRoute
from queue_server.pages.wording import words
from queue_server.store.lookup import find_ticket_by_rating_code
from queue_server.store.repository import load_ticket

CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,32}")
SOURCE = "window-code"
"""How a rating by the window display's code is recorded (the ticket's own page: ``citizen``)."""
ACTOR = "citizen"


async def _service_of(request: web.Request) -> tuple[Centre, Ticket] | None:
    """The centre and ticket of the path's rating code; None for a code that names no service."""
    code = request.match_info["code"]
    if not CODE_PATTERN.fullmatch(code):
        return None
    async with request.app[DATABASE].read() as conn:
        found = await find_ticket_by_rating_code(conn, code)
        ticket = await load_ticket(conn, *found) if found is not None else None
    if found is None or ticket is None:
        return None
    return (await request.app[SERVICE].hall(found[0])).centre, ticket


def _shown(request: web.Request, centre: Centre, ticket: Ticket, *, error: str = "", status: int = 200) -> web.Response:
    """The page for the service as it stands: the form while it may be rated by this code, else why not."""
    language = language_of(request)
    said = words(language, RATE_WORDS)
    named = {"ticket": ticket.number}
    closed: tuple[str, str] | None = None
    now = request.app[SERVICE].clock.now()
    if ticket.rating_code_retired_at is not None:
        refusal = say(RefusalCode.RATING_CODE_RETIRED, {**named, "window": ticket.window or 0}, centre)
        closed = (said["rate_retired"], f"{getattr(refusal, language)} {said['rate_retired_help']}")
    elif ticket.rating_status is RatingStatus.RATED:
        closed = (said["rate_done"], said["rate_done_detail"].format(**named))
    elif ticket.rating_status is not RatingStatus.REQUESTED or (
        ticket.rating_expires_at is not None and now >= ticket.rating_expires_at
    ):
        closed = (said["rate_expired"], said["rate_expired_detail"].format(**named))
    window = centre.windows_by_number.get(ticket.window or 0)
    window_label = (
        f"{window.number}号窗口（{window.name}）" if window and language == "zh" else f"window {ticket.window}"
    )
    until = ""
    if ticket.rating_expires_at is not None:
        local = ticket.rating_expires_at.astimezone(centre.zone)
        until = said["rate_until"].format(time=local.strftime("%H:%M"))
    return render(
        request,
        "rate.html",
        title=said["rate_page_title"],
        page_words=RATE_WORDS,
        status=status,
        heading=said["rate_heading"].format(window=window_label, ticket=ticket.number),
        closed=closed,
        error=error,
        until=until,
        levels=[int(level) for level in sorted(RatingLevel, reverse=True)],
        items=[item.value for item in RatingItem],
        reasons=list(centre.policy.bad_rating_reasons),
        request_id=secrets.token_urlsafe(12),
    )


def _not_found(request: web.Request) -> web.Response:
    said = words(language_of(request), RATE_WORDS)
    return render(
        request,
        "error.html",
        title=said["rate_unknown"],
        page_words=RATE_WORDS,
        heading=said["rate_unknown"],
        detail=said["rate_unknown_detail"],
        status=404,
    )


async def rate_page(request: web.Request) -> web.StreamResponse:
    found = await _service_of(request)
    if found is None:
        return _not_found(request)
    return _shown(request, *found)


def _form_rating(form: Any, serial: int, code: str, reasons_known: tuple[str, ...]) -> RateTicket | str:
    """The citizen's form as the rating it asks for, or the words of what is wrong with it."""
    level = form.get("level", "")
    if level not in {str(int(value)) for value in RatingLevel}:
        return "rate_pick_level"
    chosen = tuple(reason for reason in form.getall("reasons", []) if reason in reasons_known)
    rated = RatingLevel(int(level))
    if rated.bad and not chosen:
        return "rate_pick_reason"
    if chosen and not rated.bad:
        return "rate_reasons_not_bad"
    items = {item: form.get(f"item-{item.value}", "") for item in RatingItem}
    try:
        return RateTicket(
            serial=serial,
            level=rated,
            source=SOURCE,
            reasons=chosen,
            comment=str(form.get("comment", "")).strip()[:500],
            items={item: RatingLevel(int(value)) for item, value in items.items() if value.isdigit()},
            code=code,
        )
    except (ValidationError, ValueError):
        return "rate_pick_level"


async def rate_submit(request: web.Request) -> web.StreamResponse:
    found = await _service_of(request)
    if found is None:
        return _not_found(request)
    centre, ticket = found
    form = await request.post()
    command = _form_rating(form, ticket.serial, request.match_info["code"], centre.policy.bad_rating_reasons)
    said = words(language_of(request), RATE_WORDS)
    if isinstance(command, str):
        return _shown(request, centre, ticket, error=said[command], status=422)
    request_id = str(form.get("request_id", "")) or secrets.token_urlsafe(12)
    service = request.app[SERVICE]
    answer = await service.act(
        centre.code, command, actor=ACTOR, request_id=citizen_request_id(ticket.serial, request_id[:64])
    )
    if answer.refusal is not None:
        async with request.app[DATABASE].read() as conn:
            now = await load_ticket(conn, centre.code, ticket.serial) or ticket
        refusal = answer.refusal
        detail = (refusal.message if language_of(request) == "zh" else refusal.message_en) or refusal.detail
        return _shown(request, centre, now, error=f"{said['rate_refused']}：{detail}", status=409)
    raise web.HTTPSeeOther(location=request.path)


ROUTES: list[PageRoute] = [
    PageRoute(method="GET", path="/rate/{code}", name="rate", handler=rate_page, roles=None),
    PageRoute(method="POST", path="/rate/{code}", name="rate_submit", handler=rate_submit, roles=None, html=False),
]
