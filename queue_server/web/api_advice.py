"""The live staffing advice (人员调配建议) for the manager's page: read only.

Which matters will wait longest and which change of staffing would help, each with the hall played
forward with and without it (``domain.staffing_advice``). Reading it changes nothing: the manager
decides, and signs on, moves or resumes through the windows' own actions.
"""

from __future__ import annotations

from aiohttp import web

from queue_server.app.staffing_advice import AdviceView
from queue_server.web.api import _centre, _service
from queue_server.web.api_manager import READ_CONFIG
from queue_server.web.keys import ADVICE
from queue_server.web.problems import json_response
from queue_server.web.routes import Route


async def get_advice(request: web.Request) -> web.StreamResponse:
    hall = await _service(request).hall(_centre(request))
    answer: AdviceView = request.app[ADVICE].advice(hall)  # played before the next await: the hall as read
    return json_response(answer)


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/advice",
        operation_id="get_staffing_advice",
        summary="Read the live staffing advice",
        handler=get_advice,
        access=READ_CONFIG,
        tag="reads",
        response=AdviceView,
        description=(
            "Which matters will wait longest (the tickets waiting now, played forward with the real routing and"
            " the learned handling times) and what would help: sign a B-post on at a closed window, move a staff"
            " member (charged policy.advice_move_minutes), end a pause. Each suggestion carries the longest, mean"
            " and green-channel mean wait with and without it; only suggestions that help, best first. Kept for"
            " a few seconds between plays. Advice only: nothing changes."
        ),
    ),
]
