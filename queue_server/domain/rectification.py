"""Rectification cases (整改): every bad rating, and every complaint, is followed up to its end.

A case moves new → verified → rectified → followed up → closed, one step at a time, each step by a
named person with a note; it may be handed to another assignee at any step before it closes, and
a case found unfounded when checked is closed from ``verified`` with the note saying why. It is
due a number of working days after it opened (the centre's ``policy.rectification_days``) and is
overdue from the day after, until it closes. A case of a named bad rating (the citizen left a
number) keeps its follow-up calls (queue_server.domain.follow_up) and neither reaches
``followed_up`` nor closes before its follow-up has an outcome. A case of a rating may carry the
window's appeal of that rating (queue_server.domain.appeals), decided once by a supervisor.
Pure: the store keeps cases, the API moves them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from queue_server.domain.appeals import MAX_APPEAL_TEXT, MAX_EVIDENCE_FILES, Appeal, AppealStatus, EvidenceFile
from queue_server.domain.errors import InvalidTransition, NotAllowed
from queue_server.domain.follow_up import MAX_CALL_NOTE, CallResult, FollowUpCall, FollowUpOutcome, outcome_of
from queue_server.domain.refusal_codes import RefusalCode


class CaseStatus(StrEnum):
    NEW = "new"
    VERIFIED = "verified"
    """The facts were checked (with the window, the staff member, the recording)."""
    RECTIFIED = "rectified"
    """What went wrong was put right."""
    FOLLOWED_UP = "followed_up"
    """The citizen was contacted again (回访) and asked whether it is now right."""
    CLOSED = "closed"


class CaseSource(StrEnum):
    RATING = "rating"
    """A 不满意 or 非常不满意 rating opened it by itself."""
    COMPLAINT = "complaint"
    """Opened by hand at the complaint window (有诉即办)."""


CASE_STATUS_NAMES_ZH = {
    CaseStatus.NEW: "待核实",
    CaseStatus.VERIFIED: "已核实",
    CaseStatus.RECTIFIED: "已整改",
    CaseStatus.FOLLOWED_UP: "已回访",
    CaseStatus.CLOSED: "已办结",
}

NEXT_STEP: dict[CaseStatus, CaseStatus] = {
    CaseStatus.NEW: CaseStatus.VERIFIED,
    CaseStatus.VERIFIED: CaseStatus.RECTIFIED,
    CaseStatus.RECTIFIED: CaseStatus.FOLLOWED_UP,
    CaseStatus.FOLLOWED_UP: CaseStatus.CLOSED,
}
"""The one step each status may take; ``verified`` may also close a case found unfounded."""
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class CaseNote:
    at: dt.datetime
    actor: str
    status: CaseStatus
    """The status the case reached with this note (or kept, for a note alone or a new assignee)."""
    text: str
    assignee: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    source: CaseSource
    opened_at: dt.datetime
    due_on: dt.date
    status: CaseStatus = CaseStatus.NEW
    serial: int | None = None
    """The ticket rated, or the one a complaint is about (if any)."""
    window: int | None = None
    staff: str | None = None
    matter: str | None = None
    level: int | None = None
    reasons: tuple[str, ...] = ()
    comment: str = ""
    assignee: str | None = None
    closed_at: dt.datetime | None = None
    notes: tuple[CaseNote, ...] = field(default_factory=tuple)
    named: bool = False
    """The citizen left a number for the follow-up call with the rating (实名差评)."""
    calls: tuple[FollowUpCall, ...] = ()
    follow_up: FollowUpOutcome | None = None
    """What the follow-up came to; None while it goes on (or for a case that needs none)."""
    appeal: Appeal | None = None

    def overdue(self, today: dt.date) -> bool:
        return self.status is not CaseStatus.CLOSED and today > self.due_on

    @property
    def needs_follow_up(self) -> bool:
        """A named bad rating is called back, every one (实名差评回访率 100%)."""
        return self.source is CaseSource.RATING and self.named


def _note_text(text: str, what: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidTransition(f"Cannot {what}: say what was done in the note", RefusalCode.CASE_NOTE_MISSING)
    if len(cleaned) > MAX_NOTE:
        raise InvalidTransition(
            f"Cannot {what}: a note is at most {MAX_NOTE} characters", RefusalCode.CASE_NOTE_TOO_LONG, most=MAX_NOTE
        )
    return cleaned


def advance(case: Case, to: CaseStatus, *, note: str, actor: str, at: dt.datetime) -> Case:
    """Move a case one step (or close a verified case found unfounded), with the note that says why."""
    what = f"move case {case.id} from {case.status.value} to {to.value}"
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition(f"Cannot {what}: it is closed", RefusalCode.CASE_CLOSED, case=case.id)
    allowed = {NEXT_STEP[case.status]}
    if case.status is CaseStatus.VERIFIED:
        allowed.add(CaseStatus.CLOSED)
    if to not in allowed:
        steps = " or ".join(sorted(s.value for s in allowed))
        raise InvalidTransition(
            f"Cannot {what}: from {case.status.value} it goes to {steps}",
            RefusalCode.CASE_STEP,
            case=case.id,
            status=case.status.value,
            to=to.value,
        )
    if to in (CaseStatus.FOLLOWED_UP, CaseStatus.CLOSED) and case.needs_follow_up and case.follow_up is None:
        raise InvalidTransition(
            f"Cannot {what}: the citizen left a number and the follow-up call has no outcome yet",
            RefusalCode.CASE_FOLLOW_UP_MISSING,
            case=case.id,
        )
    text = _note_text(note, what)
    return replace(
        case,
        status=to,
        closed_at=at if to is CaseStatus.CLOSED else None,
        notes=(*case.notes, CaseNote(at, actor, to, text)),
    )


def assign(case: Case, assignee: str, *, note: str, actor: str, at: dt.datetime) -> Case:
    """Hand the case to someone (a manager, the window's head); the note says why."""
    what = f"assign case {case.id}"
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition(f"Cannot {what}: it is closed", RefusalCode.CASE_CLOSED, case=case.id)
    who = assignee.strip()
    if not who or len(who) > 80:
        raise InvalidTransition(f"Cannot {what}: name the person (1 to 80 characters)", RefusalCode.CASE_ASSIGNEE)
    text = note.strip()[:MAX_NOTE] or f"assigned to {who}"
    return replace(case, assignee=who, notes=(*case.notes, CaseNote(at, actor, case.status, text, who)))


def record_call(case: Case, result: CallResult, *, note: str, actor: str, at: dt.datetime, tries: int) -> Case:
    """Keep one follow-up call; the first that reaches the citizen, or the ``tries``-th unanswered,
    gives the follow-up its outcome, after which no further call is recorded."""
    what = f"record a follow-up call on case {case.id}"
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition(f"Cannot {what}: it is closed", RefusalCode.CASE_CLOSED, case=case.id)
    if case.follow_up is not None:
        raise InvalidTransition(
            f"Cannot {what}: its follow-up came to {case.follow_up.value} already",
            RefusalCode.CASE_FOLLOWED_UP_ALREADY,
            case=case.id,
        )
    calls = (*case.calls, FollowUpCall(at, actor, result, _bounded(note, what, MAX_CALL_NOTE)))
    return replace(case, calls=calls, follow_up=outcome_of(calls, tries))


def _bounded(text: str, what: str, most: int) -> str:
    """``text`` stripped, refused when longer than ``most`` characters."""
    cleaned = text.strip()
    if len(cleaned) > most:
        raise InvalidTransition(
            f"Cannot {what}: a text is at most {most} characters", RefusalCode.CASE_NOTE_TOO_LONG, most=most
        )
    return cleaned


def _appeal_text(text: str, what: str, code: RefusalCode) -> str:
    """A reason the appeal or its decision must give."""
    cleaned = _bounded(text, what, MAX_APPEAL_TEXT)
    if not cleaned:
        raise InvalidTransition(f"Cannot {what}: give the reason", code)
    return cleaned


def file_appeal(
    case: Case,
    *,
    reason: str,
    evidence: str,
    actor: str,
    at: dt.datetime,
    files: Sequence[EvidenceFile] = (),
) -> Case:
    """The window appeals the bad rating of this case, once, with its reason and evidence (words and
    at most :data:`MAX_EVIDENCE_FILES` files): the centre's manager for any window, a staff member
    (actor ``staff:<code>``) for their own rating."""
    what = f"appeal the rating of case {case.id}"
    if actor.startswith("staff:") and actor != f"staff:{case.staff}":
        raise NotAllowed(f"Cannot {what}: a staff member appeals only their own ratings", RefusalCode.APPEAL_NOT_YOURS,
                         case=case.id)  # fmt: skip
    if case.source is not CaseSource.RATING:
        raise InvalidTransition(f"Cannot {what}: it is a complaint, not a rating", RefusalCode.APPEAL_NOT_RATING,
                                case=case.id)  # fmt: skip
    if case.appeal is not None:
        raise InvalidTransition(f"Cannot {what}: it was appealed already", RefusalCode.APPEAL_FILED_ALREADY,
                                case=case.id)  # fmt: skip
    text = _appeal_text(reason, what, RefusalCode.APPEAL_REASON_MISSING)
    shown = _bounded(evidence, what, MAX_APPEAL_TEXT)
    if len(files) > MAX_EVIDENCE_FILES:
        raise InvalidTransition(
            f"Cannot {what}: {len(files)} files are more than the {MAX_EVIDENCE_FILES} an appeal may carry",
            RefusalCode.APPEAL_TOO_MANY_FILES,
            case=case.id,
            most=MAX_EVIDENCE_FILES,
        )
    appeal = Appeal(filed_at=at, filed_by=actor, reason=text, evidence=shown, files=tuple(files))
    return replace(case, appeal=appeal)


def decide_appeal(case: Case, *, uphold: bool, note: str, actor: str, at: dt.datetime) -> Case:
    """Uphold or reject the appeal, once, with the reason; never by whoever filed it or the staff
    member whose rating it is."""
    what = f"decide the appeal of case {case.id}"
    appeal = case.appeal
    if appeal is None:
        raise InvalidTransition(f"Cannot {what}: nobody appealed it", RefusalCode.APPEAL_MISSING, case=case.id)
    if appeal.status is not AppealStatus.PENDING:
        raise InvalidTransition(
            f"Cannot {what}: it was {appeal.status.value} already", RefusalCode.APPEAL_DECIDED, case=case.id
        )
    if actor == appeal.filed_by or (case.staff is not None and actor == f"staff:{case.staff}"):
        raise NotAllowed(f"Cannot {what}: the window that appealed cannot decide", RefusalCode.APPEAL_OWN,
                         case=case.id)  # fmt: skip
    text = _appeal_text(note, what, RefusalCode.APPEAL_DECISION_MISSING)
    status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
    decided = replace(appeal, status=status, decided_at=at, decided_by=actor, decision_note=text)
    return replace(case, appeal=decided)
