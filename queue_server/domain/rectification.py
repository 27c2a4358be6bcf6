"""Rectification cases (整改): every bad rating, and every complaint, is followed up to its end.

A case moves new → verified → rectified → followed up → closed, one step at a time, each step by a
named person with a note; it may be handed to another assignee at any step before it closes, and
a case found unfounded when checked is closed from ``verified`` with the note saying why. It is
due a number of working days after it opened (the centre's ``policy.rectification_days``) and is
overdue from the day after, until it closes. Pure: the store keeps cases, the API moves them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from queue_server.domain.errors import InvalidTransition
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

    def overdue(self, today: dt.date) -> bool:
        return self.status is not CaseStatus.CLOSED and today > self.due_on


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
