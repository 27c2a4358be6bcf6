"""Where a promised case's result stands, after the counter: accepted, ready, delivered or refused.

The approval belongs to the province's business system, not to the hall: it says when a result is
ready for collection (办结), when it was refused (不予许可, with the reason), and when it was
delivered (collected at a window, or posted with a courier and a tracking number). The states only
move forward, each once: a case accepted becomes ready or refused; a ready result is delivered.
A collection recorded at the window may also close a case whose readiness never came through (a
centre not linked to the business system), but never a refused one.

A case is named by its case number (``CODE-YEAR-SERIAL``, queue_server.domain.papers.case_number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from queue_server.domain.errors import InvalidTransition
from queue_server.domain.refusal_codes import RefusalCode


class ResultState(StrEnum):
    ACCEPTED = "accepted"
    """受理: the application was accepted at the window; the decision is pending."""
    READY = "ready"
    """办结: the result is ready for collection (or to be posted)."""
    DELIVERED = "delivered"
    """送达: the result reached the citizen, at a window or by post."""
    REFUSED = "refused"
    """不予许可: the application was decided against, with the reason."""


class DeliveryMethod(StrEnum):
    WINDOW = "window"
    """领取: collected at a window."""
    POST = "post"
    """邮件寄递: posted, with the courier and the tracking number."""


NEXT_STATES: dict[ResultState, frozenset[ResultState]] = {
    ResultState.ACCEPTED: frozenset({ResultState.READY, ResultState.REFUSED}),
    ResultState.READY: frozenset({ResultState.DELIVERED}),
    ResultState.DELIVERED: frozenset(),
    ResultState.REFUSED: frozenset(),
}
"""Where each state may go as the business system reports it: forward only, each state once."""

WHY_NOT: dict[tuple[ResultState, ResultState], str] = {
    (ResultState.ACCEPTED, ResultState.DELIVERED): "its result is not ready yet (it is delivered once ready)",
    (ResultState.READY, ResultState.READY): "it is ready already",
    (ResultState.READY, ResultState.REFUSED): "its result is ready: a ready case is no longer refused",
    (ResultState.DELIVERED, ResultState.DELIVERED): "it was delivered already",
    (ResultState.REFUSED, ResultState.REFUSED): "it was refused already",
}


def check_step(case_number: str, current: ResultState, wanted: ResultState) -> None:
    """Refuse a report that does not move the case forward, saying where it stands and why not."""
    if wanted in NEXT_STATES[current]:
        return
    why = WHY_NOT.get((current, wanted), f"it is {current} and a case {current} moves no further")
    raise InvalidTransition(
        f"Cannot mark case {case_number} {wanted}: {why}",
        RefusalCode.RESULT_STATE_WRONG,
        case=case_number,
        state=current.value,
        to=wanted.value,
    )


def check_collection(case_number: str, current: ResultState) -> None:
    """A collection at a window closes an accepted or ready case, never a refused or delivered one."""
    if current in (ResultState.ACCEPTED, ResultState.READY):
        return
    check_step(case_number, current, ResultState.DELIVERED)


CASE_NUMBER = re.compile(r"(?P<centre>[A-Za-z0-9][A-Za-z0-9_-]{0,39})-(?P<year>[0-9]{4})-(?P<serial>[0-9]{6,18})")
"""A case number as papers print it: the centre's code in capitals, the year, the serial (6 digits or more)."""


@dataclass(frozen=True, slots=True)
class CaseNumber:
    centre: str
    """The centre's code as the store keeps it (lower case)."""
    year: int
    serial: int

    def __str__(self) -> str:
        return f"{self.centre.upper()}-{self.year}-{self.serial:06d}"


def parse_case_number(text: str) -> CaseNumber | None:
    """The case number in ``text`` (spaces around it allowed, any case), or None when it is none."""
    found = CASE_NUMBER.fullmatch(text.strip())
    if found is None:
        return None
    return CaseNumber(found["centre"].lower(), int(found["year"]), int(found["serial"]))
