"""Promised cases (承诺件) over the API: the list of those due and overdue, and the handing over.

The use cases are queue_server.app.promised's (it says what a delivery and a handover between
centres mean); here is the HTTP around them: the query, the bodies, the JSON views, the routes. A
delivery is an action (one request id, once), by whoever hands the result over (the result window,
the desk, a manager); so is handing a case to another centre, which then delivers it naming the
accepting centre as ``origin``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from queue_server.app import promised
from queue_server.app.once import Once, Presenter
from queue_server.app.view_fields import Day, Instant, documented, one_of, values_of
from queue_server.app.views import iso
from queue_server.auth.accounts import Action
from queue_server.domain.case_results import DeliveryMethod, ResultState
from queue_server.store.promised import PromisedCase
from queue_server.web.api import READ_HALL, _centre, _int_param, _service, read_body, request_id_of
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.problems import answer_response, json_response
from queue_server.web.routes import Access, Route

DELIVER = Access(Action.DELIVER)


CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class PromisedQuery(BaseModel):
    state: promised.Wanted = Field(
        default="open",
        description="open (due, overdue or ready here, the default), due, overdue, ready, refused, delivered,"
        " handed_over or all",
    )


@documented
class PromisedCaseView(TypedDict):
    """A promised case (承诺件): its ticket, due date, and whether its result was handed over"""

    centre: str
    serial: int
    number: str
    service_day: Day
    matter: str
    window: int | None
    staff: str | None
    due_date: Day
    due_provisional: bool
    """The due date lies beyond the known holidays and 调休: a holiday announced later may move it"""
    case_number: str
    """CODE-YEAR-SERIAL, as the papers print it: how the business system and the result window name it"""
    state: Annotated[str, one_of("due", "overdue", "ready", "refused", "delivered", "handed_over")]
    result_state: Annotated[str, values_of(ResultState)]
    """Where the result stands: accepted, ready (办结), delivered, refused (不予许可)"""
    decided_at: Instant | None
    decided_by: str | None
    reason: str
    """Why it was refused (不予许可), as the business system words it"""
    method: Annotated[str | None, values_of(DeliveryMethod, nullable=True)]
    """How it was delivered: collected at a window or posted"""
    courier: str | None
    tracking_number: str | None
    post_to: str | None
    """Where the result is to be posted, masked (the full address goes only to whoever posts it)"""
    days_left: int
    delivered_at: Instant | None
    delivered_by: str | None
    note: str
    handed_to: str | None
    handed_at: Instant | None
    handed_by: str | None
    handover_note: str


@documented
class PromisedList(TypedDict):
    """Promised cases, soonest due first, and how many are overdue"""

    centre: str
    today: Day
    overdue: int
    cases: list[PromisedCaseView]


def case_view(
    case: PromisedCase, today: dt.date, here: str, provisional: bool = False, number: str = ""
) -> PromisedCaseView:
    postal = case.postal
    return {
        "centre": case.centre,
        "serial": case.serial,
        "number": case.number,
        "service_day": case.service_day.isoformat(),
        "matter": case.matter,
        "window": case.window,
        "staff": case.staff,
        "due_date": case.due_date.isoformat(),
        "due_provisional": provisional,
        "case_number": number,
        "state": case.state(today, here),
        "result_state": case.result_state.value,
        "decided_at": iso(case.decided_at),
        "decided_by": case.decided_by,
        "reason": case.reason,
        "method": case.method.value if case.method else None,
        "courier": case.courier,
        "tracking_number": case.tracking_number,
        "post_to": postal.masked() if postal else None,
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
    listed = await promised.list_promised(_service(request), _centre(request), query.state)
    answer: PromisedList = {
        "centre": listed.centre,
        "today": listed.today.isoformat(),
        "overdue": listed.overdue,
        "cases": [seen_view(seen) for seen in listed.cases],
    }
    return json_response(answer)


def seen_view(seen: promised.PromisedAt) -> PromisedCaseView:
    return case_view(seen.case, seen.today, seen.here, seen.provisional, seen.case_number)


def _seen_view(seen: promised.PromisedAt) -> dict[str, Any]:
    return dict(seen_view(seen))


class DeliveryBody(ActionBody):
    note: str = Field(default="", max_length=500, description="How it was handed over (by post, in person ...)")
    origin: str | None = Field(
        default=None,
        pattern=CODE_PATTERN,
        description="The centre that accepted the case, when it was handed to this one; default this centre",
    )
    window: int | None = Field(
        default=None,
        ge=1,
        le=9999,
        description="The window handing the result over: its printer, if it has one, prints the proof of delivery"
        " (送达回证) for the citizen to sign",
    )


async def deliver(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = DeliveryBody.model_validate(await read_body(request))
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    answer = await promised.deliver(
        _service(request), once, _int_param(request, "serial"), body.note, Presenter(_seen_view),
        origin=body.origin, window=body.window,
    )  # fmt: skip
    return answer_response(request, answer)


class HandoverBody(ActionBody):
    to_centre: str = Field(pattern=CODE_PATTERN, description="The code of the centre responsible for the case")
    note: str = Field(default="", max_length=500, description="What was sent with it (papers, the file number ...)")


async def hand_over(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = HandoverBody.model_validate(await read_body(request))
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    answer = await promised.hand_over(
        _service(request), once, _int_param(request, "serial"), body.to_centre, body.note,
        Presenter(_seen_view),
    )  # fmt: skip
    return answer_response(request, answer)


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/promised",
        operation_id="list_promised",
        summary="List the promised cases, due and overdue",
        handler=list_promised,
        access=READ_HALL,
        tag="reads",
        response=PromisedList,
        query=PromisedQuery,
        description="Tickets finished as 承诺件 with their due date in working days; overdue from the day after.",
    ),
    Route(
        method="POST",
        path="/centres/{centre}/promised/{serial}/deliver",
        operation_id="deliver_promised",
        summary="Record that a promised case's result was handed over",
        handler=deliver,
        access=DELIVER,
        tag="ticket actions",
        response=PromisedCaseView,
        body=DeliveryBody,
        action=True,
        description=(
            "Once per case; a second delivery is refused (409). A case handed to this centre is delivered"
            " here, naming the centre that accepted it as origin; the accepting centre may no longer (409)."
        ),
    ),
    Route(
        method="POST",
        path="/centres/{centre}/promised/{serial}/hand-over",
        operation_id="hand_over_promised",
        summary="Hand a promised case over to the centre responsible for it",
        handler=hand_over,
        access=DELIVER,
        tag="ticket actions",
        response=PromisedCaseView,
        body=HandoverBody,
        action=True,
        description="Once per case: that centre then lists, follows and delivers it; a second one is refused (409).",
    ),
]
