"""Promised cases (承诺件) over the API: the list of those due and overdue, and the handing over.

A ticket finished as a promised case carries its due date (working days after acceptance). The
list says which are due, overdue or delivered; a delivery is an action (one request id, once), by
whoever hands the result over (the result window, the desk, a manager).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.accounts import Action
from queue_server.domain.errors import InvalidTransition, NotFound
from queue_server.domain.hall import Hall
from queue_server.service import Answer
from queue_server.store.promised import PromisedCase, promised_case, promised_cases, record_delivery
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


class PromisedQuery(BaseModel):
    state: Literal["open", "due", "overdue", "delivered", "all"] = Field(
        default="open", description="open (due or overdue, the default), due, overdue, delivered or all"
    )


def case_view(case: PromisedCase, today: dt.date) -> dict[str, Any]:
    return {
        "serial": case.serial,
        "number": case.number,
        "service_day": case.service_day.isoformat(),
        "matter": case.matter,
        "window": case.window,
        "staff": case.staff,
        "due_date": case.due_date.isoformat(),
        "state": case.state(today),
        "days_left": (case.due_date - today).days,
        "delivered_at": iso(case.delivered_at),
        "delivered_by": case.delivered_by,
        "note": case.note,
    }


async def list_promised(request: web.Request) -> web.StreamResponse:
    query = PromisedQuery.model_validate(dict(request.query))  # a bad state is a 422 naming it
    service, centre = _service(request), _centre(request)
    hall = await service.hall(centre)
    today = hall.calendar.local_date(service.clock.now())
    async with request.app[DATABASE].read() as conn:
        cases = await promised_cases(conn, centre)
    views = [case_view(case, today) for case in cases]
    wanted = {"open": {"due", "overdue"}, "all": {"due", "overdue", "delivered"}}.get(query.state, {query.state})
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


async def deliver(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = DeliveryBody.model_validate(await read_body(request))
    request_id = request_id_of(request, body)
    service, centre, serial = _service(request), _centre(request), _int_param(request, "serial")

    async def work(conn: AsyncConnection, hall: Hall, now: dt.datetime) -> Answer:
        case = await promised_case(conn, centre, serial)
        if case is None:
            raise NotFound(f"Ticket #{serial} is no promised case (承诺件) at {hall.centre.centre.name}")
        if case.delivered_at is not None:
            raise InvalidTransition(
                f"Cannot deliver promised case {case.number} ({case.service_day}): it was delivered at"
                f" {case.delivered_at.isoformat()} by {case.delivered_by}"
            )
        await record_delivery(conn, centre, serial, principal.actor, body.note, now)
        delivered = await promised_case(conn, centre, serial)
        assert delivered is not None
        return Answer(200, case_view(delivered, hall.calendar.local_date(now)))

    answer = await service.locked(centre, actor=principal.actor, request_id=request_id, name="deliver", work=work)
    return answer_response(answer)


SCHEMAS: dict[str, Schema] = {
    "PromisedCase": obj(
        "A promised case (承诺件): its ticket, due date, and whether its result was handed over",
        {
            "serial": INTEGER,
            "number": STRING,
            "service_day": STRING,
            "matter": STRING,
            "window": nullable(INTEGER),
            "staff": nullable(STRING),
            "due_date": STRING,
            "state": {"type": "string", "enum": ["due", "overdue", "delivered"]},
            "days_left": INTEGER,
            "delivered_at": nullable(STRING),
            "delivered_by": nullable(STRING),
            "note": STRING,
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
        description="Once per case; a second delivery is refused (409).",
    ),
]
