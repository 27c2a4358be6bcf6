"""Where else a matter is served (全城通办): the other centres of the deployment that take it.

A citizen may take a ticket for any matter at any centre that serves it. A kiosk, the desk or a
page asks this when a matter is not served here (a village station sends the citizen to the
district centre), or when the queue is long: each other centre that has the matter, with its
address, whether it is open now and how many wait for that matter there. Matters are known by
their code, which the centres of one deployment share (the province's list of matters).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from queue_server.app.service import HallService
from queue_server.app.view_fields import documented, values_of
from queue_server.domain.calendar import OpeningState, WorkCalendar
from queue_server.domain.hall import Hall
from queue_server.domain.tickets import TicketStatus
from queue_server.store.database import Database
from queue_server.store.lookup import list_centres
from queue_server.web.api import READ, _centre, _service
from queue_server.web.keys import DATABASE
from queue_server.web.problems import json_response
from queue_server.web.routes import Route


class ElsewhereQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    matter: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$", description="The matter's code, e.g. hukou_move_in")


@documented
class OtherCentre(TypedDict):
    """Another centre that serves the matter: where it is, whether it is open, how many wait for it"""

    code: str
    name: str
    name_en: str
    address: str
    phone: str
    matter_name: str
    opening: Annotated[str, values_of(OpeningState)]
    waiting: int


@documented
class Elsewhere(TypedDict):
    """Whether this centre serves a matter, and every other centre that does (open ones first, shortest queue)"""

    centre: str
    matter: str
    served_here: bool
    centres: list[OtherCentre]


def other_centre_view(hall: Hall, matter: str, now: dt.datetime) -> OtherCentre | None:
    """How ``hall``'s centre serves ``matter``; None if it does not."""
    found = hall.centre.matters_by_code.get(matter)
    if found is None:
        return None
    info = hall.centre.centre
    waiting = sum(1 for t in hall.tickets() if t.matter == matter and t.status is TicketStatus.WAITING)
    return {
        "code": info.code,
        "name": info.name,
        "name_en": info.name_en,
        "address": info.address,
        "phone": info.phone,
        "matter_name": found.name,
        "opening": WorkCalendar(hall.centre).opening(now).state.value,
        "waiting": waiting,
    }


async def other_halls(service: HallService, database: Database, here: str) -> list[Hall]:
    """The halls of every centre of the deployment but ``here``, by code."""
    async with database.read() as conn:
        codes = [row.code for row in await list_centres(conn)]
    return [await service.hall(code) for code in codes if code != here]


async def centres_serving(service: HallService, database: Database, here: str, matter: str) -> list[OtherCentre]:
    """Every other centre that serves ``matter`` (:func:`other_centre_view`), open ones and short queues first.

    The elsewhere route answers with this, and the kiosk shows it when it cannot issue a ticket here.
    """
    now = service.clock.now()
    views = [other_centre_view(hall, matter, now) for hall in await other_halls(service, database, here)]
    others = [view for view in views if view is not None]
    others.sort(key=lambda v: (v["opening"] != "open", v["waiting"], v["code"]))
    return others


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
