"""The kiosk (取号机) at the hall entrance and in the 24-hour self-service area: a touch screen for citizens.

Only an enrolled kiosk PC opens it (its year-long kiosk session); the centre is the kiosk's own.
The page does its work through the API with that session: it reads the centre's matters, issues
the ticket (with the green-channel category when the citizen asks for it), and reads how the
ticket printed, to say "take your ticket" or, when the printer cannot print, to ask the citizen to
photograph the ticket on the screen.
"""

from __future__ import annotations

from aiohttp import web

from queue_server.pages.kiosk_words import WORDS
from queue_server.pages.render import language_of, render
from queue_server.pages.routes import KIOSK, PageRoute
from queue_server.pages.wording import words
from queue_server.web.keys import SERVICE
from queue_server.web.session_auth import session_of


async def kiosk_page(request: web.Request) -> web.StreamResponse:
    session = await session_of(request)
    assert session is not None, "the page middleware lets only a kiosk session through"
    if not session.principal.centres:
        raise web.HTTPForbidden(text="This kiosk's token names no centre; enrol it again with a centre's kiosk token")
    centre = session.principal.centres[0]
    info = (await request.app[SERVICE].hall(centre)).centre.centre
    english = language_of(request) == "en" and info.name_en
    return render(
        request,
        "kiosk.html",
        title=words(language_of(request), WORDS)["kiosk_title"],
        page_words=WORDS,
        centre_name=info.name_en if english else info.name,
        data={"centre": centre, "kiosk": session.principal.subject, "time_zone": info.time_zone},
    )


ROUTES: list[PageRoute] = [PageRoute("GET", "/kiosk", "kiosk", kiosk_page, KIOSK)]
