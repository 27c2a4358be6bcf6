"""Rectification cases (整改) over the API: the list (open, overdue), a case, opening one from the
complaint window, and moving one along or handing it to someone, each step with its note.

The use cases are queue_server.app.rectification's; here is the HTTP around them: the bodies,
the JSON views, the routes. Each step is an action: it takes a request id and runs once.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from queue_server.app import rectification as cases
from queue_server.app.once import Once, Presenter
from queue_server.app.view_fields import Day, Instant, documented, values_of
from queue_server.app.views import iso
from queue_server.auth.accounts import Action
from queue_server.domain.rectification import CASE_STATUS_NAMES_ZH, MAX_NOTE, Case, CaseNote, CaseSource, CaseStatus
from queue_server.web.api import _centre, _int_param, _service, read_body, request_id_of
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.problems import answer_response, json_response
from queue_server.web.routes import Access, Route

READ_CASES = Access(Action.REPORT)
OPEN_CASES = Access(Action.COMPLAIN)
WORK_CASES = Access(Action.RECTIFY)


@documented
class CaseNoteView(TypedDict):
    """A step of the case: its time, who, the status reached, the note, and the new assignee if any"""

    at: Instant
    actor: str
    status: Annotated[str, values_of(CaseStatus)]
    text: str
    assignee: str | None


@documented
class RectificationCase(TypedDict):
    """A rectification case (整改): what it is about, where it stands, its steps"""

    id: int
    source: Annotated[str, values_of(CaseSource)]
    status: Annotated[str, values_of(CaseStatus)]
    status_name: str
    serial: int | None
    ticket_number: str | None
    """The number of the ticket it is about (e.g. C001), as people name it"""
    window: int | None
    staff: str | None
    matter: str | None
    level: int | None
    reasons: list[str]
    comment: str
    assignee: str | None
    opened_at: Instant
    due_on: Day
    overdue: bool
    closed_at: Instant | None
    notes: list[CaseNoteView]


@documented
class ListedCase(RectificationCase):
    """A case in a list: the citizen's follow-up number masked"""

    contact: str | None


@documented
class RectificationCaseWithContact(RectificationCase):
    """A case with the citizen's follow-up number in full, if they left one"""

    contact_phone: str | None


@documented
class RectificationList(TypedDict):
    """Rectification cases, newest first (each with the citizen's follow-up number masked), and how many are overdue"""

    centre: str
    today: Day
    overdue: int
    cases: list[ListedCase]


def case_view(case: Case, today: dt.date, ticket_number: str | None = None) -> RectificationCase:
    return {
        "id": case.id,
        "source": case.source.value,
        "status": case.status.value,
        "status_name": CASE_STATUS_NAMES_ZH[case.status],
        "serial": case.serial,
        "ticket_number": ticket_number,
        "window": case.window,
        "staff": case.staff,
        "matter": case.matter,
        "level": case.level,
        "reasons": list(case.reasons),
        "comment": case.comment,
        "assignee": case.assignee,
        "opened_at": iso(case.opened_at),
        "due_on": case.due_on.isoformat(),
        "overdue": case.overdue(today),
        "closed_at": iso(case.closed_at),
        "notes": [_note_view(note) for note in case.notes],
    }


def _note_view(note: CaseNote) -> CaseNoteView:
    return {"at": iso(note.at), "actor": note.actor, "status": note.status.value, "text": note.text,
            "assignee": note.assignee}  # fmt: skip


class CaseListQuery(BaseModel):
    """Which cases to list."""

    status: str = Field(default="open", description="open (every status but closed), all, or one status")
    overdue: bool = Field(default=False, description="Only the cases past their due day")


async def list_rectifications(request: web.Request) -> web.StreamResponse:
    statuses = cases.statuses_named(request.query.get("status", cases.OPEN))
    overdue_only = request.query.get("overdue") in ("1", "true", "yes")
    listed = await cases.list_rectifications(_service(request), _centre(request), statuses, overdue_only=overdue_only)
    answer: RectificationList = {
        "centre": listed.centre,
        "today": listed.today.isoformat(),
        "overdue": listed.overdue,
        "cases": [
            {**case_view(item.case, listed.today, item.ticket_number), "contact": item.contact} for item in listed.cases
        ],
    }
    return json_response(answer)


async def get_rectification(request: web.Request) -> web.StreamResponse:
    """One case, with the citizen's follow-up number in full: the one place it is shown so."""
    read = await cases.read_rectification(_service(request), _centre(request), _int_param(request, "case"))
    answer: RectificationCaseWithContact = {
        **case_view(read.case, read.today, read.ticket_number),
        "contact_phone": read.phone,
    }
    return json_response(answer)


class ComplaintBody(ActionBody):
    """A complaint taken at the complaint window (有诉即办): what it is about and what was said."""

    comment: str = Field(min_length=1, max_length=MAX_NOTE, description="What the citizen complains of")
    window: int | None = Field(default=None, ge=1, le=9999, description="The window it is about, if any")
    staff: str | None = Field(default=None, max_length=40, description="The staff member it is about, if any")
    matter: str | None = Field(default=None, max_length=40, description="The matter it is about, if any")
    serial: int | None = Field(default=None, ge=1, description="The ticket it is about, if any")


class AdvanceBody(ActionBody):
    to: CaseStatus = Field(description="The next status: verified, rectified, followed_up or closed")
    note: str = Field(min_length=1, max_length=MAX_NOTE, description="What was done, for the record")


class AssignBody(ActionBody):
    assignee: str = Field(min_length=1, max_length=80, description="Who works the case now")
    note: str = Field(default="", max_length=MAX_NOTE, description="Why, for the record")


def _case_at_view(seen: cases.CaseAt) -> dict[str, Any]:
    return dict(case_view(seen.case, seen.today, seen.ticket_number))


async def open_complaint(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = ComplaintBody.model_validate(await read_body(request))
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    complaint = cases.Complaint(body.comment, body.window, body.staff, body.matter, body.serial)
    answer = await cases.open_complaint(_service(request), once, complaint, Presenter(_case_at_view, created=True))
    return answer_response(request, answer)


async def advance_rectification(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = AdvanceBody.model_validate(await read_body(request))
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    answer = await cases.advance_rectification(
        _service(request), once, _int_param(request, "case"), body.to, body.note, Presenter(_case_at_view)
    )
    return answer_response(request, answer)


async def assign_rectification(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = AssignBody.model_validate(await read_body(request))
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    answer = await cases.assign_rectification(
        _service(request), once, _int_param(request, "case"), body.assignee, body.note,
        Presenter(_case_at_view),
    )  # fmt: skip
    return answer_response(request, answer)


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/rectifications",
        operation_id="list_rectifications",
        summary="List the rectification cases",
        handler=list_rectifications,
        access=READ_CASES,
        tag="rectification",
        response=RectificationList,
        query=CaseListQuery,
        description="status=open (default), all, or one status; overdue=1 for the overdue ones only.",
    ),
    Route(
        method="GET",
        path="/centres/{centre}/rectifications/{case}",
        operation_id="get_rectification",
        summary="Read a rectification case",
        handler=get_rectification,
        access=READ_CASES,
        tag="rectification",
        response=RectificationCaseWithContact,
        description="The one place the citizen's follow-up number (回访) is shown in full.",
    ),
    Route(
        method="POST",
        path="/centres/{centre}/rectifications",
        operation_id="open_complaint",
        summary="Open a rectification case from a complaint",
        handler=open_complaint,
        access=OPEN_CASES,
        tag="rectification",
        response=RectificationCase,
        status=201,
        body=ComplaintBody,
        action=True,
        description="A complaint taken at the complaint window (有诉即办); due after the policy's working days.",
    ),
    Route(
        method="POST",
        path="/centres/{centre}/rectifications/{case}/advance",
        operation_id="advance_rectification",
        summary="Move a rectification case one step",
        handler=advance_rectification,
        access=WORK_CASES,
        tag="rectification",
        response=RectificationCase,
        body=AdvanceBody,
        action=True,
        description="new → verified → rectified → followed_up → closed, each with a note; verified may close.",
    ),
    Route(
        method="POST",
        path="/centres/{centre}/rectifications/{case}/assign",
        operation_id="assign_rectification",
        summary="Hand a rectification case to someone",
        handler=assign_rectification,
        access=WORK_CASES,
        tag="rectification",
        response=RectificationCase,
        body=AssignBody,
        action=True,
    ),
]
