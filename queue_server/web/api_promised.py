"""Promised cases (承诺件) over the API: the list of those due and overdue, and the handing over.

A ticket finished as a promised case carries its due date (working days after acceptance). The
list says which are due, overdue or delivered; a delivery is an action (one request id, once), by
whoever hands the result over (the result window, the desk, a manager).

A case accepted at one centre may be handed to the centre responsible for it (a village station
to the district centre): an action at the accepting centre, once per case. The receiving centre
then lists it (with ``centre``, where it was accepted) and delivers it, naming that centre as
``origin``; the accepting centre lists it as ``handed_over`` and may no longer deliver it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from queue_server.accounts import Action
from queue_server.domain.errors import InvalidTransition, NotFound
from queue_server.domain.hall import Hall
from queue_server.service import Answer
from queue_server.store.database import Connection
from queue_server.store.lookup import list_centres
from queue_server.store.promised import (
    PromisedCase,
    promised_case,
    promised_cases,
    record_delivery,
    record_handover,
)
from queue_server.views import iso
from queue_server.web.api import READ_HALL, _centre, _int_param, _service, read_body, request_id_of
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.keys import DATABASE
from queue_server.web.problems import (
    answer_response,
    json_response,
)
from queue_server.web.routes import Access, Route
from queue_server.web.schemas import INTEGER, STRING, Schema, nullable, obj, ref

DELIVER = Access(Action.DELIVER)


CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class PromisedQuery(BaseModel):
    state: Literal["open", "due", "overdue", "delivered", "handed_over", "all"] = Field(
        default="open",
        description="open (due or overdue here, the default), due, overdue, delivered, handed_over or all",
    )


def case_view(case: PromisedCase, today: dt.date, here: str) -> dict[str, Any]:
    return {
        "centre": case.centre,
        "serial": case.serial,
        "number": case.number,
        "service_day": case.service_day.isoformat(),
        "matter": case.matter,
        "window": case.window,
        "staff": case.staff,
        "due_date": case.due_date.isoformat(),
        "state": case.state(today, here),
        "days_left": (case.due_date - today).days,
        "delivered_at": iso(case.delivered_at),
        "delivered_by": case.delivered_by,
        "note": case.note,
        "handed_to": case.handed_to,
        "handed_at": iso(case.handed_at),
        "handed_by": case.handed_by,
        "handover_note": case.handover_note,
    }


async def list_promised(request: web.Request) -> web.StreamResponse:
    query = PromisedQuery.model_validate(dict(request.query))  # a bad state is a 422 naming it
    service, centre = _service(request), _centre(request)
    hall = await service.hall(centre)
    today = hall.calendar.local_date(service.clock.now())
    async with request.app[DATABASE].read() as conn:
        cases = await promised_cases(conn, centre)
    views = [case_view(case, today, centre) for case in cases]
    wanted = {"open": {"due", "overdue"}, "all": {"due", "overdue", "delivered", "handed_over"}}.get(
        query.state, {query.state}
    )
    return json_response(
        {
            "centre": centre,
            "today": today.isoformat(),
            "overdue": sum(1 for v in views if v["state"] == "overdue"),
            "cases": [v for v in views if v["state"] in wanted],
        }
    )


class DeliveryBody(ActionBody):
    note: str = Field(default="", max_length=500, description="How it was handed over (by post, in person ...)")
    origin: str | None = Field(
        default=None,
        pattern=CODE_PATTERN,
        description="The centre that accepted the case, when it was handed to this one; default this centre",
    )


async def deliver(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = DeliveryBody.model_validate(await read_body(request))
    request_id = request_id_of(request, body)
    service, centre, serial = _service(request), _centre(request), _int_param(request, "serial")
    origin = body.origin or centre

    async def work(conn: Connection, hall: Hall, now: dt.datetime) -> Answer:
        case = await promised_case(conn, origin, serial)
        if case is None or centre not in (origin, case.handed_to):
            where = "" if origin == centre else f" accepted at {origin} and handed to this centre"
            raise NotFound(f"Ticket #{serial} is no promised case (承诺件){where} at {hall.centre.centre.name}")
        if case.held_by() != centre:
            raise InvalidTransition(
                f"Cannot deliver promised case {case.number} ({case.service_day}) at {centre}: it was handed"
                f" to {case.handed_to} at {iso(case.handed_at)}, which follows and delivers it"
            )
        if case.delivered_at is not None:
            raise InvalidTransition(
                f"Cannot deliver promised case {case.number} ({case.service_day}): it was delivered at"
                f" {case.delivered_at.isoformat()} by {case.delivered_by}"
            )
        await record_delivery(conn, origin, serial, principal.actor, body.note, now)
        delivered = await promised_case(conn, origin, serial)
        assert delivered is not None
        return Answer(200, case_view(delivered, hall.calendar.local_date(now), centre))

    answer = await service.locked(centre, actor=principal.actor, request_id=request_id, name="deliver", work=work)
    return answer_response(answer)


class HandoverBody(ActionBody):
    to_centre: str = Field(pattern=CODE_PATTERN, description="The code of the centre responsible for the case")
    note: str = Field(default="", max_length=500, description="What was sent with it (papers, the file number ...)")


async def hand_over(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = HandoverBody.model_validate(await read_body(request))
    request_id = request_id_of(request, body)
    service, centre, serial = _service(request), _centre(request), _int_param(request, "serial")

    async def work(conn: Connection, hall: Hall, now: dt.datetime) -> Answer:
        case = await promised_case(conn, centre, serial)
        if case is None:
            raise NotFound(f"Ticket #{serial} is no promised case (承诺件) at {hall.centre.centre.name}")
        if body.to_centre == centre:
            raise InvalidTransition(f"Cannot hand promised case {case.number} over to {centre}: it is there")
        if case.delivered_at is not None:
            raise InvalidTransition(
                f"Cannot hand promised case {case.number} ({case.service_day}) over: it was delivered at"
                f" {case.delivered_at.isoformat()} by {case.delivered_by}"
            )
        if case.handed_to is not None:
            raise InvalidTransition(
                f"Cannot hand promised case {case.number} ({case.service_day}) over again: it was handed to"
                f" {case.handed_to} at {iso(case.handed_at)} by {case.handed_by}"
            )
        if body.to_centre not in {row.code for row in await list_centres(conn)}:
            raise NotFound(f"Cannot hand promised case {case.number} over to {body.to_centre!r}: no such centre")
        await record_handover(conn, centre, serial, body.to_centre, principal.actor, body.note, now)
        handed = await promised_case(conn, centre, serial)
        assert handed is not None
        return Answer(200, case_view(handed, hall.calendar.local_date(now), centre))

    answer = await service.locked(centre, actor=principal.actor, request_id=request_id, name="hand_over", work=work)
    return answer_response(answer)


SCHEMAS: dict[str, Schema] = {
    "PromisedCase": obj(
        "A promised case (承诺件): its ticket, due date, and whether its result was handed over",
        {
            "centre": STRING,
            "serial": INTEGER,
            "number": STRING,
            "service_day": STRING,
            "matter": STRING,
            "window": nullable(INTEGER),
            "staff": nullable(STRING),
            "due_date": STRING,
            "state": {"type": "string", "enum": ["due", "overdue", "delivered", "handed_over"]},
            "days_left": INTEGER,
            "delivered_at": nullable(STRING),
            "delivered_by": nullable(STRING),
            "note": STRING,
            "handed_to": nullable(STRING),
            "handed_at": nullable(STRING),
            "handed_by": nullable(STRING),
            "handover_note": STRING,
        },
    ),
    "PromisedList": obj(
        "Promised cases, soonest due first, and how many are overdue",
        {
            "centre": STRING,
            "today": STRING,
            "overdue": INTEGER,
            "cases": {"type": "array", "items": ref("PromisedCase")},
        },
    ),
}

ROUTES: list[Route] = [
    Route(
        "GET",
        "/centres/{centre}/promised",
        "list_promised",
        "List the promised cases, due and overdue",
        list_promised,
        READ_HALL,
        "reads",
        "PromisedList",
        query=PromisedQuery,
        description="Tickets finished as 承诺件 with their due date in working days; overdue from the day after.",
    ),
    Route(
        "POST",
        "/centres/{centre}/promised/{serial}/deliver",
        "deliver_promised",
        "Record that a promised case's result was handed over",
        deliver,
        DELIVER,
        "ticket actions",
        "PromisedCase",
        body=DeliveryBody,
        action=True,
        description=(
            "Once per case; a second delivery is refused (409). A case handed to this centre is delivered"
            " here, naming the centre that accepted it as origin; the accepting centre may no longer (409)."
        ),
    ),
    Route(
        "POST",
        "/centres/{centre}/promised/{serial}/hand-over",
        "hand_over_promised",
        "Hand a promised case over to the centre responsible for it",
        hand_over,
        DELIVER,
        "ticket actions",
        "PromisedCase",
        body=HandoverBody,
        action=True,
        description="Once per case: that centre then lists, follows and delivers it; a second one is refused (409).",
    ),
]
