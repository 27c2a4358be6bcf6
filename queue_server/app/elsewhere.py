"""Where else a matter is served (全城通办): the other centres of the deployment that take it.

The use case behind the elsewhere route (queue_server.web.api_city); the kiosk page reads the
other halls too, to offer the matters only other centres serve.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from typing_extensions import TypedDict

from queue_server.app.service import HallService
from queue_server.app.view_fields import documented, values_of
from queue_server.domain.calendar import OpeningState, WorkCalendar
from queue_server.domain.hall import Hall
from queue_server.domain.tickets import TicketStatus
from queue_server.store.database import Database
from queue_server.store.lookup import list_centres


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
