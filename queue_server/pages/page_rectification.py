"""Rectification (整改跟踪): the open cases from bad ratings and complaints, each followed to its end,
and the promised cases (承诺件) whose results are due.

The script does its work through the JSON API with the session; the server hands it the centre's
configuration (windows, staff, matters, to name what a case is about) and what this account may do:
a manager works the cases (steps, follow-up calls, complaints) and appeals ratings; a supervisor
reads the same page and only decides appeals; a staff member sees the cases about their own service
and may appeal them. The forms an account may not use are not on its page, and the API refuses
their actions anyway.
It also names the other centres of the deployment: a promised case may be handed to one of them
(全城通办), and a case handed here is listed with the centre that accepted it.
"""

from __future__ import annotations

from aiohttp import web

from queue_server.app.views import centre_view
from queue_server.auth.accounts import Role
from queue_server.http_common.keys import DATABASE, SERVICE, SESSION
from queue_server.pages.rectification_words import RECTIFICATION_WORDS
from queue_server.pages.render import centre_code, language_of, render
from queue_server.pages.routes import MANAGEMENT, PageRoute
from queue_server.pages.wording import words
from queue_server.store.lookup import list_centres

WORKERS = frozenset({Role.MANAGER, Role.ADMIN})
"""Who moves and assigns cases, records their follow-up calls, opens complaints, delivers promised
cases and hands them to another centre (the API lets staff and the desk deliver and hand over too,
from their own pages)."""
DECIDERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""Who decides the appeals of ratings (申诉复核): never the window's own people."""
READERS = MANAGEMENT | {Role.STAFF}
"""Who opens the page: the centre's management and supervision, and staff for their own cases."""
APPELLANTS = frozenset({Role.STAFF, Role.MANAGER, Role.ADMIN})
"""Who appeals a rating from the page: the manager for any window, a staff member for their own
service (the page and the API show a staff member only the cases about them)."""


async def rectification(request: web.Request) -> web.StreamResponse:
    principal = request[SESSION].principal
    code = centre_code(request, principal)
    config = (await request.app[SERVICE].hall(code)).centre
    can_act = principal.role in WORKERS
    can_decide = principal.role in DECIDERS
    said = words(language_of(request), RECTIFICATION_WORDS)
    async with request.app[DATABASE].read() as conn:
        others = [{"code": row.code, "name": row.name} for row in await list_centres(conn) if row.code != code]
    return render(
        request,
        "rectification.html",
        title=said["rect_title"],
        page_words=RECTIFICATION_WORDS,
        data={
            "centre": centre_view(config),
            "can_act": can_act,
            "can_decide": can_decide,
            "can_appeal": principal.role in APPELLANTS,
            "follow_up_tries": config.policy.follow_up_tries,
            "other_centres": others,
        },
        can_act=can_act,
        can_appeal=principal.role in APPELLANTS,
        can_decide=can_decide,
        own_only=principal.role is Role.STAFF,
    )


ROUTES: list[PageRoute] = [
    PageRoute(method="GET", path="/rectification", name="rectification", handler=rectification, roles=READERS)
]
