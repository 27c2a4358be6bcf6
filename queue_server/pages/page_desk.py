"""The consultation desk (咨询导办台): issue a ticket for someone, look a ticket up, put it back,
cancel it or reprint it, book, move, cancel and check in bookings (预约), and see the hall's queues.

Like every page, the desk's script does its work through the JSON API with the session, so the
API's checks and problems are the page's. The server hands it only what it needs to start: the
centre's configuration (domains, matters, ticket groups), its printers and the green-channel groups.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from queue_server.app.views import centre_view
from queue_server.domain.bookings import bookable
from queue_server.domain.devices import DeviceKind
from queue_server.domain.tickets import Category
from queue_server.http_common.keys import SERVICE, SESSION
from queue_server.pages.desk_words import DESK_WORDS
from queue_server.pages.render import centre_code, language_of, render
from queue_server.pages.routes import DESK, PageRoute
from queue_server.pages.wording import words


async def desk(request: web.Request) -> web.StreamResponse:
    principal = request[SESSION].principal
    code = centre_code(request, principal)
    service = request.app[SERVICE]
    hall = await service.hall(code)
    config = hall.centre
    data: dict[str, Any] = {
        "centre": centre_view(config),
        "bookable": [m.code for m in config.matters if bookable(config.bookings, config, m.code) is not None],
        "today": hall.calendar.local_date(service.clock.now()).isoformat(),
        "printers": [d.id for d in config.devices if d.kind is DeviceKind.PRINTER],
        "categories": [c.value for c in Category],
    }
    said = words(language_of(request), DESK_WORDS)
    bookings = bool(data["bookable"])  # the bookings card, only where the centre takes bookings
    notifier = request.app[SERVICE].notifier
    consent = notifier.consent_words(code, english=language_of(request) == "en") if notifier.offers(code) else None
    return render(
        request,
        "desk.html",
        title=said["desk_title"],
        page_words=DESK_WORDS,
        data=data,
        bookings=bookings,
        sms_consent=consent,
    )


ROUTES: list[PageRoute] = [PageRoute(method="GET", path="/desk", name="desk", handler=desk, roles=DESK)]
