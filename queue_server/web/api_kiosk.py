"""What the kiosk reads before a tap: whether each matter can be issued now, and why not.

The kiosk shows the hall closed, with its next opening, and a matter it cannot issue as such,
instead of letting a citizen tap and answer the green-channel question only to be refused.
"""

from __future__ import annotations

from aiohttp import web

from queue_server.app.issuing import IssuingView, issuing_view
from queue_server.web.api import READ, _centre, _service
from queue_server.web.problems import json_response
from queue_server.web.routes import Route


async def get_issuing(request: web.Request) -> web.StreamResponse:
    hall = await _service(request).hall(_centre(request))
    return json_response(issuing_view(hall))


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/issuing",
        operation_id="get_issuing",
        summary="Read whether each matter can be issued now",
        handler=get_issuing,
        access=READ,
        tag="reads",
        response=IssuingView,
        description=(
            "The rule issuing refuses by, read ahead: the hall closed (and its next opening and hours),"
            " and for each matter whether a ticket can be had now and why not. Read it again at"
            " recheck_at, and when the centre's live stream says the hall changed."
        ),
    ),
]
