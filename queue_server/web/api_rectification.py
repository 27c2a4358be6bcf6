"""Rectification cases (整改) over the API: the list (open, overdue), a case, opening one from the
complaint window, and moving one along or handing it to someone, each step with its note.

A bad rating opens its case by itself (queue_server.store.rectification.open_rating_cases); a
complaint is opened here. Each step is an action: it takes a request id and runs once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from queue_server.accounts import Action
from queue_server.domain.errors import NotFound
from queue_server.domain.hall import Hall
from queue_server.domain.rectification import (
    CASE_STATUS_NAMES_ZH,
    MAX_NOTE,
    Case,
    CaseNote,
    CaseSource,
    CaseStatus,
    advance,
    assign,
)
from queue_server.service import Answer
from queue_server.store.contacts import contact_of, mask
from queue_server.store.database import Connection
from queue_server.store.rectification import insert_case, list_cases, load_case, next_case_id, save_case
from queue_server.views import iso
from queue_server.web.api import _centre, _int_param, _service, read_body, request_id_of
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.keys import DATABASE
from queue_server.web.problems import (
    ProblemError,
    answer_response,
    invalid_request,
    json_response,
    what_failed,
)
from queue_server.web.routes import Access, Route
from queue_server.web.schemas import INTEGER, STRING, STRINGS, Schema, nullable, obj, ref

READ_CASES = Access(Action.REPORT)
OPEN_CASES = Access(Action.COMPLAIN)
WORK_CASES = Access(Action.RECTIFY)


def case_view(case: Case, today: dt.date) -> dict[str, Any]:
    return {
        "id": case.id,
        "source": case.source.value,
        "status": case.status.value,
        "status_name": CASE_STATUS_NAMES_ZH[case.status],
        "serial": case.serial,
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


def _note_view(note: CaseNote) -> dict[str, Any]:
    return {"at": iso(note.at), "actor": note.actor, "status": note.status.value, "text": note.text,
            "assignee": note.assignee}  # fmt: skip


async def _today(request: web.Request) -> dt.date:
    service = _service(request)
    hall = await service.hall(_centre(request))
    return hall.calendar.local_date(service.clock.now())


class CaseListQuery(BaseModel):
    """Which cases to list."""

    status: str = Field(default="open", description="open (every status but closed), all, or one status")
    overdue: bool = Field(default=False, description="Only the cases past their due day")


async def list_rectifications(request: web.Request) -> web.StreamResponse:
    centre = _centre(request)
    wanted = request.query.get("status", "open")
    statuses: list[CaseStatus] | None
    if wanted == "open":
        statuses = [s for s in CaseStatus if s is not CaseStatus.CLOSED]
    elif wanted == "all":
        statuses = None
    else:
        try:
            statuses = [CaseStatus(wanted)]
        except ValueError:
            message = f"{wanted!r} is not open, all or one of {', '.join(s.value for s in CaseStatus)}"
            raise ProblemError(
                invalid_request(what_failed(request), [{"field": "status", "message": message}])
            ) from None
    today = await _today(request)
    async with request.app[DATABASE].read() as conn:
        cases = await list_cases(conn, centre, statuses)
        if request.query.get("overdue") in ("1", "true", "yes"):
            cases = [case for case in cases if case.overdue(today)]
        views = [
            case_view(case, today) | {"contact": await _masked_contact(conn, centre, case.serial)} for case in cases
        ]
    return json_response(
        {"centre": centre, "today": today.isoformat(), "overdue": sum(1 for v in views if v["overdue"]), "cases": views}
    )


async def get_rectification(request: web.Request) -> web.StreamResponse:
    """One case, with the citizen's follow-up number in full: the one place it is shown so."""
    centre, case_id = _centre(request), _int_param(request, "case")
    async with request.app[DATABASE].read() as conn:
        found = await load_case(conn, centre, case_id)
        if found is None:
            raise NotFound(f"There is no rectification case {case_id} at centre {centre!r}")
        case = found[0]
        phone = await contact_of(conn, centre, case.serial) if case.serial is not None else None
    return json_response(case_view(case, await _today(request)) | {"contact_phone": phone})


async def _masked_contact(conn: Connection, centre: str, serial: int | None) -> str | None:
    phone = await contact_of(conn, centre, serial) if serial is not None else None
    return mask(phone) if phone else None


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


def _check_about(request: web.Request, hall: Hall, body: ComplaintBody) -> None:
    """422 naming each field that names a window, staff member, matter or ticket the centre lacks."""
    centre = hall.centre
    name = centre.centre.name
    problems = []
    if body.window is not None and body.window not in centre.windows_by_number:
        problems.append({"field": "window", "message": f"there is no window {body.window} at {name}"})
    if body.staff is not None and body.staff not in {s.code for s in centre.staff}:
        problems.append({"field": "staff", "message": f"there is no staff member {body.staff!r} at {name}"})
    if body.matter is not None and body.matter not in centre.matters_by_code:
        problems.append({"field": "matter", "message": f"there is no matter {body.matter!r} at {name}"})
    if body.serial is not None and not 1 <= body.serial <= hall.last_serial:
        problems.append({"field": "serial", "message": f"there is no ticket #{body.serial} at {name}"})
    if problems:
        raise ProblemError(invalid_request(what_failed(request), problems))


async def open_complaint(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = ComplaintBody.model_validate(await read_body(request))
    request_id = request_id_of(request, body)
    service, centre = _service(request), _centre(request)
    _check_about(request, await service.hall(centre), body)

    async def work(conn: Connection, hall: Hall, now: dt.datetime) -> Answer:
        today = hall.calendar.local_date(now)
        case = Case(
            id=await next_case_id(conn, centre),
            source=CaseSource.COMPLAINT,
            opened_at=now,
            due_on=hall.calendar.add_working_days(today, hall.centre.policy.rectification_days),
            serial=body.serial,
            window=body.window,
            staff=body.staff,
            matter=body.matter,
            comment=body.comment,
            notes=(CaseNote(now, principal.actor, CaseStatus.NEW, body.comment),),
        )
        await insert_case(conn, centre, case)
        return Answer(201, case_view(case, today))

    answer = await service.locked(centre, actor=principal.actor, request_id=request_id, name="complaint", work=work)
    return answer_response(answer)


async def _step(request: web.Request, name: str, model: type[AdvanceBody | AssignBody]) -> web.StreamResponse:
    principal = principal_of(request)
    body: AdvanceBody | AssignBody = model.model_validate(await read_body(request))
    request_id = request_id_of(request, body)
    service, centre, case_id = _service(request), _centre(request), _int_param(request, "case")

    async def work(conn: Connection, hall: Hall, now: dt.datetime) -> Answer:
        found = await load_case(conn, centre, case_id)
        if found is None:
            raise NotFound(f"There is no rectification case {case_id} at centre {centre!r}")
        case, version = found
        if isinstance(body, AdvanceBody):
            moved = advance(case, body.to, note=body.note, actor=principal.actor, at=now)
        else:
            moved = assign(case, body.assignee, note=body.note, actor=principal.actor, at=now)
        await save_case(conn, centre, moved, version)  # under the centre lock: the version holds
        return Answer(200, case_view(moved, hall.calendar.local_date(now)))

    answer = await service.locked(centre, actor=principal.actor, request_id=request_id, name=name, work=work)
    return answer_response(answer)


async def advance_rectification(request: web.Request) -> web.StreamResponse:
    return await _step(request, "rectification_advance", AdvanceBody)


async def assign_rectification(request: web.Request) -> web.StreamResponse:
    return await _step(request, "rectification_assign", AssignBody)


_NOTE = obj(
    "A step of the case: its time, who, the status reached, the note, and the new assignee if any",
    {"at": STRING, "actor": STRING, "status": STRING, "text": STRING, "assignee": nullable(STRING)},
)
SCHEMAS: dict[str, Schema] = {
    "RectificationCase": obj(
        "A rectification case (整改): what it is about, where it stands, its steps",
        {
            "id": INTEGER,
            "source": {"type": "string", "enum": [s.value for s in CaseSource]},
            "status": {"type": "string", "enum": [s.value for s in CaseStatus]},
            "status_name": STRING,
            "serial": nullable(INTEGER),
            "window": nullable(INTEGER),
            "staff": nullable(STRING),
            "matter": nullable(STRING),
            "level": nullable(INTEGER),
            "reasons": STRINGS,
            "comment": STRING,
            "assignee": nullable(STRING),
            "opened_at": STRING,
            "due_on": STRING,
            "overdue": {"type": "boolean"},
            "closed_at": nullable(STRING),
            "notes": {"type": "array", "items": _NOTE},
        },
    ),
    "RectificationList": obj(
        "Rectification cases, newest first (each with the citizen's follow-up number masked), and how many are overdue",
        {
            "centre": STRING,
            "today": STRING,
            "overdue": INTEGER,
            "cases": {
                "type": "array",
                "items": {
                    "allOf": [ref("RectificationCase"), obj("The follow-up number", {"contact": nullable(STRING)})]
                },
            },
        },
    ),
    "RectificationCaseWithContact": {
        "allOf": [
            ref("RectificationCase"),
            obj("The citizen's follow-up number in full, if they left one", {"contact_phone": nullable(STRING)}),
        ]
    },
}

ROUTES: list[Route] = [
    Route(
        "GET",
        "/centres/{centre}/rectifications",
        "list_rectifications",
        "List the rectification cases",
        list_rectifications,
        READ_CASES,
        "rectification",
        "RectificationList",
        query=CaseListQuery,
        description="status=open (default), all, or one status; overdue=1 for the overdue ones only.",
    ),
    Route(
        "GET",
        "/centres/{centre}/rectifications/{case}",
        "get_rectification",
        "Read a rectification case",
        get_rectification,
        READ_CASES,
        "rectification",
        "RectificationCaseWithContact",
        description="The one place the citizen's follow-up number (回访) is shown in full.",
    ),
    Route(
        "POST",
        "/centres/{centre}/rectifications",
        "open_complaint",
        "Open a rectification case from a complaint",
        open_complaint,
        OPEN_CASES,
        "rectification",
        "RectificationCase",
        status=201,
        body=ComplaintBody,
        action=True,
        description="A complaint taken at the complaint window (有诉即办); due after the policy's working days.",
    ),
    Route(
        "POST",
        "/centres/{centre}/rectifications/{case}/advance",
        "advance_rectification",
        "Move a rectification case one step",
        advance_rectification,
        WORK_CASES,
        "rectification",
        "RectificationCase",
        body=AdvanceBody,
        action=True,
        description="new → verified → rectified → followed_up → closed, each with a note; verified may close.",
    ),
    Route(
        "POST",
        "/centres/{centre}/rectifications/{case}/assign",
        "assign_rectification",
        "Hand a rectification case to someone",
        assign_rectification,
        WORK_CASES,
        "rectification",
        "RectificationCase",
        body=AssignBody,
        action=True,
    ),
]
