"""Where else a matter is served (全城通办): the other centres of the deployment that take it.

A citizen may take a ticket for any matter at any centre that serves it. A kiosk, the desk or a
page asks this when a matter is not served here (a village station sends the citizen to the
district centre), or when the queue is long: each other centre that has the matter, with its
address, whether it is open now and how many wait for that matter there. Matters are known by
their code, which the centres of one deployment share (the province's list of matters).
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from queue_server.app.elsewhere import OtherCentre, centres_serving
from queue_server.app.view_fields import documented
from queue_server.web.api import READ, _centre, _service
from queue_server.web.keys import DATABASE
from queue_server.web.problems import json_response
from queue_server.web.routes import Route


class ElsewhereQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    matter: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$", description="The matter's code, e.g. hukou_move_in")


@documented
class Elsewhere(TypedDict):
    """Whether this centre serves a matter, and every other centre that does (open ones first, shortest queue)"""

    centre: str
    matter: str
    served_here: bool
    centres: list[OtherCentre]


async def elsewhere(request: web.Request) -> web.StreamResponse:
    query = ElsewhereQuery.model_validate(dict(request.query))  # a bad code is a 422 naming it
    service, here = _service(request), _centre(request)
    own = await service.hall(here)
    others = await centres_serving(service, request.app[DATABASE], here, query.matter)
    answer: Elsewhere = {
        "centre": here,
        "matter": query.matter,
        "served_here": query.matter in own.centre.matters_by_code,
        "centres": others,
    }
    return json_response(answer)


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/elsewhere",
        operation_id="matter_elsewhere",
        summary="List the other centres that serve a matter",
        handler=elsewhere,
        access=READ,
        tag="reads",
        response=Elsewhere,
        query=ElsewhereQuery,
        description=(
            "全城通办: a citizen may take a ticket for a matter at any centre that serves it. Kiosks may ask,"
            " to send a citizen on when the matter is not served here."
        ),
    ),
]
