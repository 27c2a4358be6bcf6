"""Rectification cases (整改) over the API: the list (open, overdue), a case, opening one from the
complaint window, and moving one along or handing it to someone, each step with its note; the
follow-up calls (回访) of a case, and the window's appeal of its rating (申诉) with the decision.

The use cases are queue_server.app.rectification's; here is the HTTP around them: the bodies,
the JSON views, the routes. Each step is an action: it takes a request id and runs once.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from queue_server.app import rectification as cases
from queue_server.app.appeal_evidence import MAX_NAME, file_name
from queue_server.app.once import Once, Presenter
from queue_server.app.view_fields import Day, Instant, documented, values_of
from queue_server.app.views import iso
from queue_server.auth.accounts import Action, Role
from queue_server.domain.appeals import (
    APPEAL_STATUS_NAMES_ZH,
    MAX_APPEAL_TEXT,
    MAX_EVIDENCE_FILES,
    Appeal,
    AppealStatus,
    EvidenceType,
)
from queue_server.domain.follow_up import (
    CALL_RESULT_NAMES_ZH,
    FOLLOW_UP_NAMES_ZH,
    MAX_CALL_NOTE,
    CallResult,
    FollowUpCall,
    FollowUpOutcome,
)
from queue_server.domain.rectification import CASE_STATUS_NAMES_ZH, MAX_NOTE, Case, CaseNote, CaseSource, CaseStatus
from queue_server.web.api import _centre, _int_param, _service, read_body, request_id_of
from queue_server.web.audited import reader_of, request_id_for_audit
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.problems import answer_response, json_response
from queue_server.web.routes import Access, Route

READ_CASES = Access(Action.CASES)
OPEN_CASES = Access(Action.COMPLAIN)
WORK_CASES = Access(Action.RECTIFY)
APPEAL_RATINGS = Access(Action.APPEAL)
DECIDE_APPEALS = Access(Action.DECIDE_APPEAL)


@documented
class CaseNoteView(TypedDict):
    """A step of the case: its time, who, the status reached, the note, and the new assignee if any"""

    at: Instant
    actor: str
    status: Annotated[str, values_of(CaseStatus)]
    text: str
    assignee: str | None


@documented
class FollowUpCallView(TypedDict):
    """One follow-up call (回访): when, who called, what it found, a note"""

    at: Instant
    actor: str
    result: Annotated[str, values_of(CallResult)]
    result_name: str
    note: str


@documented
class EvidenceFileView(TypedDict):
    """A file sent with an appeal: read it at /api/v1/centres/{centre}/appeal-evidence/{sha256}"""

    sha256: str
    name: str
    media_type: Annotated[str, values_of(EvidenceType)]
    size: int


@documented
class AppealView(TypedDict):
    """The window's appeal of the rating (申诉) and the supervisor's decision (复核), if made"""

    status: Annotated[str, values_of(AppealStatus)]
    status_name: str
    filed_at: Instant
    filed_by: str
    reason: str
    evidence: str
    files: list[EvidenceFileView]
    decided_at: Instant | None
    decided_by: str | None
    decision_note: str


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
    named: bool
    """The citizen left a number with the rating: a follow-up call is due before the case closes"""
    follow_up_calls: list[FollowUpCallView]
    follow_up: Annotated[str | None, values_of(FollowUpOutcome)]
    """What the follow-up came to (satisfied, reached, not_reached); null while it goes on"""
    follow_up_name: str | None
    appeal: AppealView | None


@documented
class ListedCase(RectificationCase):
    """A case in a list: the citizen's follow-up number masked"""

    contact: str | None


@documented
class RectificationCaseWithContact(RectificationCase):
    """A case with the citizen's follow-up number masked, and in full when asked for with a reason"""

    contact: str | None
    contact_phone: str | None


class RevealQuery(BaseModel):
    reason: str | None = Field(
        default=None,
        max_length=200,
        description=(
            "Why the follow-up number is needed in full (e.g. 回访核实); with it the number is shown in full"
            " and the view is recorded in the audit trail with who, when and this reason"
        ),
    )


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
        "named": case.named,
        "follow_up_calls": [_call_view(call) for call in case.calls],
        "follow_up": case.follow_up.value if case.follow_up is not None else None,
        "follow_up_name": FOLLOW_UP_NAMES_ZH[case.follow_up] if case.follow_up is not None else None,
        "appeal": _appeal_view(case.appeal) if case.appeal is not None else None,
    }


def _call_view(call: FollowUpCall) -> FollowUpCallView:
    return {"at": iso(call.at), "actor": call.actor, "result": call.result.value,
            "result_name": CALL_RESULT_NAMES_ZH[call.result], "note": call.note}  # fmt: skip


def _appeal_view(appeal: Appeal) -> AppealView:
    return {
        "status": appeal.status.value,
        "status_name": APPEAL_STATUS_NAMES_ZH[appeal.status],
        "filed_at": iso(appeal.filed_at),
        "filed_by": appeal.filed_by,
        "reason": appeal.reason,
        "evidence": appeal.evidence,
        "files": [
            {"sha256": f.sha256, "name": f.name, "media_type": f.media_type.value, "size": f.size} for f in appeal.files
        ],
        "decided_at": iso(appeal.decided_at),
        "decided_by": appeal.decided_by,
        "decision_note": appeal.decision_note,
    }


def _note_view(note: CaseNote) -> CaseNoteView:
    return {"at": iso(note.at), "actor": note.actor, "status": note.status.value, "text": note.text,
            "assignee": note.assignee}  # fmt: skip


class CaseListQuery(BaseModel):
    """Which cases to list."""

    status: str = Field(default="open", description="open (every status but closed), all, or one status")
    overdue: bool = Field(default=False, description="Only the cases past their due day")


def _own_only(request: web.Request) -> str | None:
    """A staff member reads only the cases about their own service (an account without a staff code, none)."""
    principal = principal_of(request)
    return (principal.staff_code or "") if principal.role is Role.STAFF else None


async def list_rectifications(request: web.Request) -> web.StreamResponse:
    statuses = cases.statuses_named(request.query.get("status", cases.OPEN))
    overdue_only = request.query.get("overdue") in ("1", "true", "yes")
    listed = await cases.list_rectifications(
        _service(request), _centre(request), statuses, overdue_only=overdue_only, staff=_own_only(request)
    )
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
    """One case, with the citizen's follow-up number masked; in full (the one place it is shown so)
    with a reason, which the audit trail records with who asked."""
    query = RevealQuery.model_validate(dict(request.query))
    reveal = None
    if query.reason is not None:
        reveal = cases.Reveal(reader_of(request), query.reason, request_id_for_audit(request))
    read = await cases.read_rectification(
        _service(request), _centre(request), _int_param(request, "case"), staff=_own_only(request), reveal=reveal
    )
    answer: RectificationCaseWithContact = {
        **case_view(read.case, read.today, read.ticket_number),
        "contact": read.masked,
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


class FollowUpCallBody(ActionBody):
    result: CallResult = Field(description="satisfied, not_satisfied (both reached) or not_reached")
    note: str = Field(default="", max_length=MAX_CALL_NOTE, description="What was said, for the record")


class EvidenceRef(BaseModel):
    """A file uploaded to /appeal-evidence, named for the appeal."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="As the upload answered it")
    name: str = Field(default="", max_length=MAX_NAME, description="The file's name, to show")


class RatingAppealBody(ActionBody):
    reason: str = Field(min_length=1, max_length=MAX_APPEAL_TEXT, description="Why the rating is wrong")
    evidence: str = Field(default="", max_length=MAX_APPEAL_TEXT, description="What shows it (recording, records)")
    files: tuple[EvidenceRef, ...] = Field(
        default=(),
        max_length=MAX_EVIDENCE_FILES,
        description="Photos and PDFs that show it, each uploaded first (POST .../appeal-evidence)",
    )


class AppealDecisionBody(ActionBody):
    uphold: bool = Field(description="true: the appeal holds and the rating no longer counts; false: it stands")
    note: str = Field(min_length=1, max_length=MAX_APPEAL_TEXT, description="Why, for the record")


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


async def record_follow_up_call(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = FollowUpCallBody.model_validate(await read_body(request))
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    answer = await cases.record_follow_up_call(
        _service(request), once, _int_param(request, "case"), body.result, body.note, Presenter(_case_at_view)
    )
    return answer_response(request, answer)


async def appeal_rating(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = RatingAppealBody.model_validate(await read_body(request))
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    files = [(ref.sha256, file_name(ref.name) or ref.sha256[:12]) for ref in body.files]
    answer = await cases.appeal_rating(
        _service(request), once, _int_param(request, "case"), body.reason, body.evidence, Presenter(_case_at_view),
        files,
    )  # fmt: skip
    return answer_response(request, answer)


async def decide_appeal(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = AppealDecisionBody.model_validate(await read_body(request))
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    answer = await cases.decide_rating_appeal(
        _service(request), once, _int_param(request, "case"), body.uphold, body.note, Presenter(_case_at_view)
    )
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
        description=(
            "status=open (default), all, or one status; overdue=1 for the overdue ones only. A staff member"
            " gets only the cases about their own service."
        ),
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
        query=RevealQuery,
        description=(
            "The citizen's follow-up number (回访) masked as contact; contact_phone, the one place it is shown in"
            " full, only with reason= (to the centre's management; recorded in the audit trail with who and why;"
            " a staff member reads only a case about their own service, without the number)."
        ),
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
    Route(
        method="POST",
        path="/centres/{centre}/rectifications/{case}/follow-up-calls",
        operation_id="record_follow_up_call",
        summary="Record a follow-up call (回访) of a rectification case",
        handler=record_follow_up_call,
        access=WORK_CASES,
        tag="rectification",
        response=RectificationCase,
        body=FollowUpCallBody,
        action=True,
        description=(
            "Each try is kept. The first call that reaches the citizen ends the follow-up (satisfied or"
            " reached); policy.follow_up_tries calls not reached end it as not_reached. A case of a named"
            " rating reaches followed_up or closes only after that (409 case_follow_up_missing)."
        ),
    ),
    Route(
        method="POST",
        path="/centres/{centre}/rectifications/{case}/appeal",
        operation_id="appeal_rating",
        summary="Appeal the bad rating of a rectification case (申诉)",
        handler=appeal_rating,
        access=APPEAL_RATINGS,
        tag="rectification",
        response=RectificationCase,
        body=RatingAppealBody,
        action=True,
        description="Once per rating; a staff member appeals only ratings of their own service.",
    ),
    Route(
        method="POST",
        path="/centres/{centre}/rectifications/{case}/appeal/decision",
        operation_id="decide_appeal",
        summary="Uphold or reject an appeal (复核)",
        handler=decide_appeal,
        access=DECIDE_APPEALS,
        tag="rectification",
        response=RectificationCase,
        body=AppealDecisionBody,
        action=True,
        description=(
            "A supervisor or admin, once, never whoever appealed. An upheld appeal takes the rating out of"
            " every report's and ranking's figures; the case keeps it, marked upheld."
        ),
    ),
]
