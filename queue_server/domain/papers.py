"""The papers a case's outcome gives the citizen, worded from the finished ticket alone.

The policy asks for written notices at the counter: a 受理通知书 when an application is accepted
(promised, joint or reported cases; a joint case names its lead department, a reported one its
level, each its time limit), a 补正材料通知书 naming every missing material with a date to bring
them by, a 不予受理通知书 with the reasons and the citizen's remedies (and no "bring the
materials" sentence), a 告知承诺书 the applicant signs (what they commit to, by when the centre
verifies it, what follows if it is untrue), a 容缺受理通知书 (the materials to follow, by when,
what follows if they do not), and a 送达回证 the citizen signs when the result is handed over. Each names its
case number, the centre (name, address, phone) and who handled it. Everything here is pure: the
pages and the printers lay a :class:`Paper` out; nothing is stored but the ticket.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.case_results import CaseNumber
from queue_server.domain.case_terms import LEVEL_NAMES_ZH, CaseTerms
from queue_server.domain.centre import Centre, ShowStaff
from queue_server.domain.tickets import OUTCOME_NAMES_ZH, Outcome, Ticket


class PaperKind(StrEnum):
    ACCEPTANCE = "acceptance"
    """受理通知书: the application is accepted; when and how the result comes."""
    SUPPLEMENT = "supplement"
    """补正材料通知书: what is missing, by when, and what happens then."""
    REFUSAL = "refusal"
    """不予受理通知书: why not, on what basis, and the right to review or sue."""
    DELIVERY = "delivery"
    """送达回证: the result handed over, signed for by the citizen."""
    COMMITMENT = "commitment"
    """告知承诺书: accepted on the applicant's commitment; when it is verified, what if it is untrue."""
    DEFERRED = "deferred"
    """容缺受理通知书: accepted with materials to follow; which, by when, and what happens then."""


PAPER_TITLES_ZH: dict[PaperKind, str] = {
    PaperKind.ACCEPTANCE: "受理通知书",
    PaperKind.SUPPLEMENT: "补正材料通知书",
    PaperKind.REFUSAL: "不予受理通知书",
    PaperKind.DELIVERY: "送达回证",
    PaperKind.COMMITMENT: "告知承诺书",
    PaperKind.DEFERRED: "容缺受理通知书",
}
PAPER_TITLES_EN: dict[PaperKind, str] = {
    PaperKind.ACCEPTANCE: "Notice of acceptance",
    PaperKind.SUPPLEMENT: "Notice to supplement materials",
    PaperKind.REFUSAL: "Notice of non-acceptance",
    PaperKind.DELIVERY: "Proof of delivery",
    PaperKind.COMMITMENT: "Letter of commitment",
    PaperKind.DEFERRED: "Notice of acceptance with materials to follow",
}

PAPERS_OF_OUTCOME: dict[Outcome, tuple[PaperKind, ...]] = {
    Outcome.ON_THE_SPOT: (),
    Outcome.PROMISED: (PaperKind.ACCEPTANCE, PaperKind.DELIVERY),
    Outcome.JOINT: (PaperKind.ACCEPTANCE, PaperKind.DELIVERY),
    Outcome.REPORTED: (PaperKind.ACCEPTANCE, PaperKind.DELIVERY),
    Outcome.SUPPLEMENT: (PaperKind.SUPPLEMENT,),
    Outcome.RETURNED: (PaperKind.REFUSAL,),
    Outcome.COMMITMENT: (PaperKind.COMMITMENT,),
    Outcome.DEFERRED: (PaperKind.DEFERRED,),
}
"""Which papers each outcome gives; a case done on the spot needs none."""

PRINTED_AT_WINDOW = frozenset(
    {
        Outcome.PROMISED,
        Outcome.JOINT,
        Outcome.REPORTED,
        Outcome.SUPPLEMENT,
        Outcome.RETURNED,
        Outcome.COMMITMENT,
        Outcome.DEFERRED,
    }
)
"""Outcomes whose first paper the window's thermal printer prints as the case is finished: what the
citizen must know, keep or sign before leaving the counter (the 受理通知书 of a case accepted to be
decided later, the notices, the letter of commitment)."""

REVIEW_DAYS = 60
"""《中华人民共和国行政复议法》: an application for administrative review within 60 days of knowing."""
LAWSUIT_MONTHS = 6
"""《中华人民共和国行政诉讼法》: a lawsuit within six months of knowing."""
REMEDY_ZH = (
    f"如不服本决定，可自收到本通知书之日起{REVIEW_DAYS}日内依法申请行政复议，"
    f"或者自收到本通知书之日起{LAWSUIT_MONTHS}个月内依法向人民法院提起行政诉讼。"
)
REMEDY_EN = (
    f"You may apply for administrative review within {REVIEW_DAYS} days of receiving this notice, or sue in a"
    f" people's court within {LAWSUIT_MONTHS} months."
)
DEFAULT_DELIVERY_ZH = "请凭本通知书到本中心综合出件窗口领取办理结果。"


def date_zh(day: dt.date) -> str:
    """A date as a paper prints it: 2026年12月7日."""
    return f"{day.year}年{day.month}月{day.day}日"


def date_en(day: dt.date) -> str:
    return f"{day:%d %B %Y}".lstrip("0")


def case_number(centre: Centre, calendar: WorkCalendar, ticket: Ticket) -> str:
    """The case's number on every paper: the centre, the year it was taken, the ticket's serial.

    The serial is the centre's own and never reused, so the number is unique per centre and year
    (and across centres, by the code) without a counter in the action's transaction.
    """
    return str(CaseNumber(centre.code, calendar.local_date(ticket.issued_at).year, ticket.serial))


@dataclass(frozen=True, slots=True)
class Paper:
    kind: PaperKind
    title: str
    case_number: str
    centre_name: str
    centre_address: str
    centre_phone: str
    ticket_number: str
    matter_name: str
    outcome_name: str
    window_name: str
    staff: str
    """Who handled it, as the work number (工号) and, where the policy shows names, the name."""
    day: dt.date
    """The day the case ended at the window: the paper's date."""
    received: tuple[str, ...]
    """Materials received (the matter's, less the missing ones): on the acceptance notice."""
    missing: tuple[str, ...]
    reasons: tuple[str, ...]
    note: str
    """The clerk's note on the case, printed as written."""
    due: dt.date | None
    """When a promised case is due; None for other papers."""
    due_provisional: bool
    supplement_by: dt.date | None
    legal_basis: tuple[str, ...]
    delivery: str
    """How the result reaches the citizen (from the matter's guide)."""
    due_days: int | None = None
    """The time limit the due date was counted from, in working days (the matter's or the case's)."""
    terms: CaseTerms | None = None
    """What the case was accepted on: the commitment, the materials to follow, the lead department
    or the level (``domain.case_terms``)."""

    @property
    def level_name(self) -> str:
        level = self.terms.level if self.terms is not None else None
        return LEVEL_NAMES_ZH[level] if level is not None else ""

    def due_line(self, english: bool = False) -> str:
        """When an accepted case is to be done, as the acceptance notice says it (A4 and thermal)."""
        if self.due is None:
            return ""
        words = DUE_EN if english else DUE_ZH
        day = date_en(self.due) if english else date_zh(self.due)
        line = words["due"].format(date=day, days=self.due_days or "")
        return line + (words["provisional"] if self.due_provisional else "")

    def deadline(self, english: bool = False) -> tuple[str, ...]:
        """What the citizen must do by when, and what follows otherwise: the sentences the A4 page and
        the thermal slip both print (none for a paper without a date)."""
        by = self.supplement_by or (self.terms.by if self.terms is not None else None)
        if by is None or self.kind not in DEADLINES_ZH:
            return ()
        words = DEADLINES_EN if english else DEADLINES_ZH
        day = date_en(by) if english else date_zh(by)
        return tuple(sentence.format(date=day) for sentence in words[self.kind])


DUE_ZH = {"due": "承诺办结时间：{date}前（{days}个工作日内）", "provisional": "（节假日安排公布后可能顺延）"}
"""An accepted case's promised date, and the word for a date counted past the published holidays."""
DUE_EN = {
    "due": "Done by {date} (within {days} working days)",
    "provisional": " (may move once the holidays are published)",
}

DEADLINES_ZH: dict[PaperKind, tuple[str, str]] = {
    PaperKind.SUPPLEMENT: (
        "请于{date}前补齐上述材料并交到本中心，本次申请凭本通知书续办，无需重新排队取号。",
        "逾期未补正的，视为放弃本次申请，可另行申请。",
    ),
    PaperKind.DEFERRED: (
        "请于{date}前将上述材料补交到本中心，凭本通知书续办，无需重新排队取号。",
        "逾期未补交的，本次受理终止，已作出的决定依法撤销，可另行申请。",
    ),
    PaperKind.COMMITMENT: (
        "本中心将于{date}前对承诺内容进行核查。",
        "经核查承诺不实的，依法撤销已作出的决定，申请人承担相应法律责任，并记入信用记录。",
    ),
}
"""The deadline of each paper that has one, and what follows it: written once, here."""
DEADLINES_EN: dict[PaperKind, tuple[str, str]] = {
    PaperKind.SUPPLEMENT: (
        "Bring them by {date}; the application goes on with this notice, without a new ticket.",
        "Past that date the application lapses; you may apply again.",
    ),
    PaperKind.DEFERRED: (
        "Bring them by {date}; the application goes on with this notice, without a new ticket.",
        "Past that date the acceptance ends and any decision made is revoked; you may apply again.",
    ),
    PaperKind.COMMITMENT: (
        "The centre verifies the commitment by {date}.",
        "A commitment found untrue revokes the decision made on it; the applicant is liable at law and it"
        " enters their credit record.",
    ),
}


def papers_for(outcome: Outcome | None) -> tuple[PaperKind, ...]:
    return PAPERS_OF_OUTCOME.get(outcome, ()) if outcome is not None else ()


def paper(centre: Centre, calendar: WorkCalendar, ticket: Ticket, kind: PaperKind) -> Paper:
    """The paper ``kind`` of the finished ``ticket``; ValueError when its outcome gives no such paper."""
    if kind not in papers_for(ticket.outcome) or ticket.ended_at is None or ticket.outcome is None:
        raise ValueError(f"Ticket {ticket.number} has no {PAPER_TITLES_EN[kind].lower()}")
    info = centre.centre
    matter = centre.matters_by_code.get(ticket.matter)
    window = centre.windows_by_number.get(ticket.window) if ticket.window is not None else None
    day = calendar.local_date(ticket.ended_at)
    guide = matter.guide if matter is not None else None
    materials = matter.materials if matter is not None else ()
    promised_days = matter.promised_days if matter is not None else None
    later = ticket.terms.to_follow if ticket.terms is not None else ()
    return Paper(
        kind=kind,
        title=PAPER_TITLES_ZH[kind],
        case_number=case_number(centre, calendar, ticket),
        centre_name=info.name,
        centre_address=info.address,
        centre_phone=info.phone,
        ticket_number=ticket.number,
        matter_name=matter.name if matter is not None else ticket.matter,
        outcome_name=OUTCOME_NAMES_ZH[ticket.outcome],
        window_name=f"{window.number}号窗口 {window.name}" if window is not None else "",
        staff=staff_words(centre, ticket.staff),
        day=day,
        received=tuple(m for m in materials if m not in ticket.missing_materials and m not in later),
        missing=ticket.missing_materials,
        reasons=ticket.reasons,
        note=ticket.note,
        due=ticket.due_date if kind is PaperKind.ACCEPTANCE else None,
        due_provisional=kind is PaperKind.ACCEPTANCE
        and ticket.due_date is not None
        and calendar.is_provisional(ticket.due_date),
        supplement_by=calendar.add_working_days(day, centre.policy.supplement_days)
        if kind is PaperKind.SUPPLEMENT
        else None,
        legal_basis=guide.legal_basis if guide is not None else (),
        delivery=guide.collection if guide is not None else DEFAULT_DELIVERY_ZH,
        due_days=ticket.terms.days if ticket.terms is not None and ticket.terms.days else promised_days,
        terms=ticket.terms,
    )


def staff_words(centre: Centre, code: str | None) -> str:
    """A staff member as a paper names them: the work number (工号), and the name where the policy shows it."""
    if code is None:
        return ""
    person = centre.staff_by_code.get(code)
    if person is None:
        return f"工号 {code}"
    if centre.policy.show_staff is ShowStaff.NAME_AND_NUMBER:
        return f"{person.name}（工号 {person.work_number}）"
    return f"工号 {person.work_number}"
