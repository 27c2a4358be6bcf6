"""Rectification (整改跟踪): the open cases from bad ratings and complaints, each followed to its end,
and the promised cases (承诺件) whose results are due.

The script does its work through the JSON API with the session; the server hands it the centre's
configuration (windows, staff, matters, to name what a case is about) and whether this account may
act: a supervisor reads the same page without forms, and the API refuses their changes anyway.
"""

from __future__ import annotations

from aiohttp import web

from queue_server.accounts import Role
from queue_server.pages.rectification_words import RECTIFICATION_WORDS
from queue_server.pages.render import centre_code, language_of, render
from queue_server.pages.routes import MANAGEMENT, PageRoute
from queue_server.pages.wording import words
from queue_server.views import centre_view
from queue_server.web.keys import SERVICE, SESSION

WORKERS = frozenset({Role.MANAGER, Role.ADMIN})
"""Who moves and assigns cases, opens complaints and hands results over; the supervisor only reads."""


async def rectification(request: web.Request) -> web.StreamResponse:
    principal = request[SESSION].principal
    code = centre_code(request, principal)
    config = (await request.app[SERVICE].hall(code)).centre
    can_act = principal.role in WORKERS
    said = words(language_of(request), RECTIFICATION_WORDS)
    return render(
        request,
        "rectification.html",
        title=said["rect_title"],
        page_words=RECTIFICATION_WORDS,
        data={"centre": centre_view(config), "can_act": can_act},
        can_act=can_act,
    )


ROUTES: list[PageRoute] = [PageRoute("GET", "/rectification", "rectification", rectification, MANAGEMENT)]
