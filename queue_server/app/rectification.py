"""Rectification cases (整改): list them, read one, open one from a complaint, move one a step,
hand one to someone. Each change is an action, once per request id (queue_server.app.once).

A bad rating opens its case by itself (queue_server.app.projections.rating_cases); a
complaint is opened here, by whoever takes it: the complaint window's page or a device.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from queue_server.app import audit
from queue_server.app.answers import Answer
from queue_server.app.once import Once, Presenter, run_once
from queue_server.app.refusals import FieldProblem, Refusal, RefusalKind
from queue_server.app.service import HallService
from queue_server.domain.appeals import EvidenceFile, EvidenceType
from queue_server.domain.audit import Actor, AuditAct, AuditKind
from queue_server.domain.follow_up import CallResult
from queue_server.domain.hall import Hall
from queue_server.domain.rectification import (
    Case,
    CaseNote,
    CaseSource,
    CaseStatus,
    advance,
    assign,
    decide_appeal,
    file_appeal,
    record_call,
)
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store.appeal_evidence import StoredEvidence, evidence_data, stored_evidence
from queue_server.store.contacts import contact_of, mask
from queue_server.store.database import Connection
from queue_server.store.lookup import ticket_numbers
from queue_server.store.rectification import insert_case, list_cases, load_case, next_case_id, save_case

OPEN_COMPLAINT = "complaint"
ADVANCE = "rectification_advance"
ASSIGN = "rectification_assign"
CALL = "rectification_follow_up_call"
APPEAL = "rating_appeal"
DECIDE = "rating_appeal_decision"
"""The actions' names, recorded with each request id."""

ALL = "all"
OPEN = "open"
"""The words a list may ask for besides one status: every case, or every case not closed."""


@dataclass(frozen=True, slots=True)
class CaseAt:
    """A case as the centre's day ``today`` sees it (overdue or not)."""

    case: Case
    today: dt.date
    ticket_number: str | None = None
    """The number of the ticket it is about (C001), as staff and citizens name a ticket."""


@dataclass(frozen=True, slots=True)
class ListedCase:
    case: Case
    contact: str | None
    """The citizen's follow-up number, masked: a list never shows it in full."""
    ticket_number: str | None = None
    """The number of the ticket it is about (C001), as staff and citizens name a ticket."""


@dataclass(frozen=True, slots=True)
class CaseList:
    centre: str
    today: dt.date
    cases: list[ListedCase]

    @property
    def overdue(self) -> int:
        return sum(1 for listed in self.cases if listed.case.overdue(self.today))


@dataclass(frozen=True, slots=True)
class CaseWithContact:
    case: Case
    today: dt.date
    phone: str | None
    """The citizen's follow-up number in full, when asked for with a reason (recorded in the audit trail)."""
    ticket_number: str | None = None
    masked: str | None = None
    """The number masked (138****5678), shown without a reason."""


@dataclass(frozen=True, slots=True)
class Complaint:
    """A complaint taken at the complaint window (有诉即办): what was said, and what it is about."""

    comment: str
    window: int | None = None
    staff: str | None = None
    matter: str | None = None
    serial: int | None = None


def statuses_named(word: str, field: str = "status") -> list[CaseStatus] | None:
    """The statuses ``word`` asks for: open (all but closed), all (None) or one status."""
    if word == OPEN:
        return [s for s in CaseStatus if s is not CaseStatus.CLOSED]
    if word == ALL:
        return None
    try:
        return [CaseStatus(word)]
    except ValueError:
        message = f"{word!r} is not open, all or one of {', '.join(s.value for s in CaseStatus)}"
        raise Refusal.invalid([FieldProblem(field, message)]) from None


async def _today(service: HallService, centre: str) -> dt.date:
    hall = await service.hall(centre)
    return hall.calendar.local_date(service.clock.now())


async def list_rectifications(
    service: HallService,
    centre: str,
    statuses: list[CaseStatus] | None,
    *,
    overdue_only: bool = False,
    staff: str | None = None,
) -> CaseList:
    """The cases with these statuses (None: all), newest first, each with its masked contact;
    with ``staff``, only the cases about that staff member's service (what they may appeal)."""
    today = await _today(service, centre)
    async with service.db.read() as conn:
        cases = await list_cases(conn, centre, statuses)
        if overdue_only:
            cases = [case for case in cases if case.overdue(today)]
        if staff is not None:
            cases = [case for case in cases if case.staff == staff]
        numbers = await ticket_numbers(conn, centre, (c.serial for c in cases if c.serial is not None))
        listed = [
            ListedCase(case, await _masked_contact(conn, centre, case.serial), numbers.get(case.serial or 0))
            for case in cases
        ]
    return CaseList(centre, today, listed)


async def _masked_contact(conn: Connection, centre: str, serial: int | None) -> str | None:
    phone = await contact_of(conn, centre, serial) if serial is not None else None
    return mask(phone) if phone else None


async def _ticket_number(conn: Connection, centre: str, serial: int | None) -> str | None:
    return (await ticket_numbers(conn, centre, [serial])).get(serial) if serial is not None else None


def _no_case(centre: str, case_id: int) -> Refusal:
    return Refusal(
        RefusalKind.NOT_FOUND,
        f"There is no rectification case {case_id} at centre {centre!r}",
        code=RefusalCode.CASE_NOT_FOUND,
        facts={"case": case_id},
    )


@dataclass(frozen=True, slots=True)
class Reveal:
    """Who asks to see a case's follow-up number in full, and why: recorded before it is shown."""

    reader: Actor
    reason: str
    request_id: str = ""


async def read_rectification(
    service: HallService, centre: str, case_id: int, *, staff: str | None = None, reveal: Reveal | None = None
) -> CaseWithContact:
    """One case with the follow-up number masked, and in full with ``reveal`` (the reason is required
    and recorded in the audit trail first); with ``staff``, only a case about that staff member's
    service, and without the number (the centre's manager makes the call)."""
    async with service.db.read() as conn:
        found = await load_case(conn, centre, case_id)
        if found is None or (staff is not None and found[0].staff != staff):
            raise _no_case(centre, case_id)
        case = found[0]
        shown = case.serial is not None and staff is None
        phone = await contact_of(conn, centre, case.serial) if shown and case.serial is not None else None
        number = await _ticket_number(conn, centre, case.serial)
    masked = mask(phone) if phone else None
    full = None
    if reveal is not None and phone:
        act = AuditAct.by(
            reveal.reader,
            AuditKind.PERSONAL_VIEWED,
            centre,
            f"rectification:{case_id}",
            reason=audit.require_reason(reveal.reason),
            request_id=reveal.request_id,
            detail={"data": "follow_up_phone", "shown": masked},
        )
        await audit.record(service.db, service.clock, act)
        full = phone
    return CaseWithContact(case, await _today(service, centre), full, number, masked)


APPEAL_PURPOSE = "申诉复核 (deciding an appeal)"
"""Why an appeal's file is opened: what it was given for (it may show the citizen)."""


async def open_evidence(
    service: HallService, centre: str, sha256: str, reader: Actor, request_id: str
) -> tuple[str, bytes] | None:
    """An appeal's file (its media type and bytes), or None when the centre has none by that hash;
    opening it is recorded in the audit trail first, since a photo may show the citizen."""
    async with service.db.read() as conn:
        found = await evidence_data(conn, centre, sha256)
    if found is not None:
        act = AuditAct.by(
            reader,
            AuditKind.PERSONAL_VIEWED,
            centre,
            f"appeal-file:{sha256[:12]}",
            reason=APPEAL_PURPOSE,
            request_id=request_id,
            detail={"data": "appeal_evidence", "media_type": found[0]},
        )
        await audit.record(service.db, service.clock, act)
    return found


def check_complaint(hall: Hall, complaint: Complaint) -> None:
    """Refuse (INVALID, naming each field) a complaint about a window, staff member, matter or
    ticket the centre lacks."""
    centre = hall.centre
    name = centre.name
    problems = []
    if complaint.window is not None and complaint.window not in centre.windows_by_number:
        problems.append(FieldProblem("window", f"there is no window {complaint.window} at {name}"))
    if complaint.staff is not None and complaint.staff not in {s.code for s in centre.staff}:
        problems.append(FieldProblem("staff", f"there is no staff member {complaint.staff!r} at {name}"))
    if complaint.matter is not None and complaint.matter not in centre.matters_by_code:
        problems.append(FieldProblem("matter", f"there is no matter {complaint.matter!r} at {name}"))
    if complaint.serial is not None and not 1 <= complaint.serial <= hall.last_serial:
        problems.append(FieldProblem("serial", f"there is no ticket #{complaint.serial} at {name}"))
    if problems:
        raise Refusal.invalid(problems)


async def open_complaint(service: HallService, once: Once, complaint: Complaint, present: Presenter[CaseAt]) -> Answer:
    """Open a case from a complaint, due after the policy's working days.

    A complaint about something the centre lacks is refused before the action runs (raised, not
    recorded): the same request id may then be sent again, corrected.
    """
    check_complaint(await service.hall(once.centre), complaint)

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> CaseAt:
        today = hall.calendar.local_date(now)
        case = Case(
            id=await next_case_id(conn, once.centre),
            source=CaseSource.COMPLAINT,
            opened_at=now,
            due_on=hall.calendar.add_working_days(today, hall.centre.policy.rectification_days),
            serial=complaint.serial,
            window=complaint.window,
            staff=complaint.staff,
            matter=complaint.matter,
            comment=complaint.comment,
            notes=(CaseNote(now, once.actor, CaseStatus.NEW, complaint.comment),),
        )
        await insert_case(conn, once.centre, case)
        return CaseAt(case, today, await _ticket_number(conn, once.centre, case.serial))

    answer = await run_once(service, once, OPEN_COMPLAINT, step, present)
    if answer.ok and not answer.replayed:
        service.cases_changed(once.centre)
    return answer


async def advance_rectification(
    service: HallService, once: Once, case_id: int, to: CaseStatus, note: str, present: Presenter[CaseAt]
) -> Answer:
    """Move a case one step (new → verified → rectified → followed_up → closed), with its note."""

    def move(case: Case, hall: Hall, now: dt.datetime) -> Case:
        return advance(case, to, note=note, actor=once.actor, at=now)

    return await _work_case(service, once, ADVANCE, case_id, move, present)


async def assign_rectification(
    service: HallService, once: Once, case_id: int, assignee: str, note: str, present: Presenter[CaseAt]
) -> Answer:
    """Hand a case to ``assignee``, with why."""

    def move(case: Case, hall: Hall, now: dt.datetime) -> Case:
        return assign(case, assignee, note=note, actor=once.actor, at=now)

    return await _work_case(service, once, ASSIGN, case_id, move, present)


async def record_follow_up_call(
    service: HallService, once: Once, case_id: int, result: CallResult, note: str, present: Presenter[CaseAt]
) -> Answer:
    """Keep one follow-up call (回访) and what it found; the centre's ``policy.follow_up_tries``
    unanswered calls end the follow-up as not reached."""

    def move(case: Case, hall: Hall, now: dt.datetime) -> Case:
        tries = hall.centre.policy.follow_up_tries
        return record_call(case, result, note=note, actor=once.actor, at=now, tries=tries)

    return await _work_case(service, once, CALL, case_id, move, present)


async def appeal_rating(
    service: HallService,
    once: Once,
    case_id: int,
    reason: str,
    evidence: str,
    present: Presenter[CaseAt],
    files: Sequence[tuple[str, str]] = (),
) -> Answer:
    """The window appeals the bad rating of the case (申诉), with its reason and evidence: words,
    and ``files`` (hash, name) uploaded before (queue_server.app.appeal_evidence)."""
    stored: dict[str, StoredEvidence] = {}

    async def find(conn: Connection) -> None:
        stored.update(await stored_evidence(conn, once.centre, [sha for sha, _ in files]))
        missing = [
            FieldProblem(f"files.{n}.sha256", f"no file {sha[:12]}… was uploaded to this centre")
            for n, (sha, _) in enumerate(files)
            if sha not in stored
        ]
        if missing:
            raise Refusal.invalid(missing)

    def move(case: Case, hall: Hall, now: dt.datetime) -> Case:
        sent = [EvidenceFile(sha, name, EvidenceType(stored[sha].media_type), stored[sha].size) for sha, name in files]
        return file_appeal(case, reason=reason, evidence=evidence, actor=once.actor, at=now, files=sent)

    return await _work_case(service, once, APPEAL, case_id, move, present, before=find)


async def decide_rating_appeal(
    service: HallService, once: Once, case_id: int, uphold: bool, note: str, present: Presenter[CaseAt]
) -> Answer:
    """A supervisor upholds or rejects the appeal (复核), once, with the reason."""

    def move(case: Case, hall: Hall, now: dt.datetime) -> Case:
        return decide_appeal(case, uphold=uphold, note=note, actor=once.actor, at=now)

    return await _work_case(service, once, DECIDE, case_id, move, present)


async def _work_case(
    service: HallService,
    once: Once,
    name: str,
    case_id: int,
    move: Callable[[Case, Hall, dt.datetime], Case],
    present: Presenter[CaseAt],
    before: Callable[[Connection], Awaitable[None]] | None = None,
) -> Answer:
    """Load the case, ``move`` it through the domain, and save it, once for the request id;
    ``before`` reads (and checks) what the move needs besides the case, in the same transaction."""

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> CaseAt:
        if before is not None:
            await before(conn)
        found = await load_case(conn, once.centre, case_id)
        if found is None:
            raise _no_case(once.centre, case_id)
        case, version = found
        moved = move(case, hall, now)
        await save_case(conn, once.centre, moved, version)  # under the centre lock: the version holds
        return CaseAt(moved, hall.calendar.local_date(now), await _ticket_number(conn, once.centre, moved.serial))

    answer = await run_once(service, once, name, step, present)
    if answer.ok and not answer.replayed:
        service.cases_changed(once.centre)
    return answer
