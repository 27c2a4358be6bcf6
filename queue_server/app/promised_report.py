"""Promised cases (承诺件) in a supervision report: those due in the period, how many were decided
by their promised date, and those overdue today.

A case keeps its promise when its result was decided (ready or refused, as the business system
reported) or delivered on or before its promised date, at the centre's local time. A case is
overdue from the day after its promised date while nothing of the kind has happened; the list of
those overdue is as of today, whichever period the report shows, since that is what a manager or
a supervisor acts on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from typing_extensions import TypedDict

from queue_server.app.promised import seen_at
from queue_server.app.service import HallService
from queue_server.app.view_fields import Day, documented
from queue_server.domain.hall import Hall
from queue_server.reports.periods import Period
from queue_server.store.promised import PromisedCase, promised_cases


@dataclass(frozen=True, slots=True)
class OverdueCase:
    case_number: str
    number: str
    matter: str
    due_date: dt.date
    days_overdue: int
    """Calendar days since the promised date."""


@dataclass(frozen=True, slots=True)
class PromisedFigures:
    due: int
    """Cases whose promised date falls in the period."""
    kept: int
    """Of those, decided or delivered by their promised date."""
    overdue_now: list[OverdueCase]
    """Every case followed here and overdue today, the longest overdue first."""


def settled_on(hall: Hall, case: PromisedCase) -> dt.date | None:
    """The local day the case was decided (ready or refused) or delivered, whichever came first."""
    instants = [at for at in (case.decided_at, case.delivered_at) if at is not None]
    return hall.calendar.local_date(min(instants)) if instants else None


def figures_of(hall: Hall, cases: list[PromisedCase], period: Period, today: dt.date) -> PromisedFigures:
    """The period's promised figures at ``hall``'s centre, and what is overdue on ``today``."""
    code = hall.centre.code
    due = [case for case in cases if period.first <= case.due_date <= period.last and case.held_by() == code]
    kept = sum(1 for case in due if (settled := settled_on(hall, case)) is not None and settled <= case.due_date)
    overdue = [
        OverdueCase(
            seen_at(hall, case, today, code).case_number,
            case.number,
            case.matter,
            case.due_date,
            (today - case.due_date).days,
        )
        for case in cases
        if case.state(today, code) == "overdue"
    ]
    return PromisedFigures(len(due), kept, overdue)


async def promised_figures(service: HallService, code: str, period: Period) -> PromisedFigures:
    hall = await service.hall(code)
    today = hall.calendar.local_date(service.clock.now())
    async with service.db.read() as conn:
        cases = await promised_cases(conn, code)
    return figures_of(hall, cases, period, today)


@documented
class OverdueCaseView(TypedDict):
    """A promised case overdue today"""

    case_number: str
    number: str
    matter: str
    """The matter's name"""
    due_date: Day
    days_overdue: int


@documented
class PromisedFiguresView(TypedDict):
    """Promised cases (承诺件): due in the period, kept by their promised date, overdue today"""

    due: int
    kept: int
    kept_rate: float | None
    """kept / due, from 0 to 1; null when none was due"""
    overdue_now: int
    overdue: list[OverdueCaseView]


def promised_view(figures: PromisedFigures, matter_names: dict[str, str]) -> PromisedFiguresView:
    return {
        "due": figures.due,
        "kept": figures.kept,
        "kept_rate": figures.kept / figures.due if figures.due else None,
        "overdue_now": len(figures.overdue_now),
        "overdue": [
            {
                "case_number": case.case_number,
                "number": case.number,
                "matter": matter_names.get(case.matter, case.matter),
                "due_date": case.due_date.isoformat(),
                "days_overdue": case.days_overdue,
            }
            for case in sorted(figures.overdue_now, key=lambda case: case.due_date)
        ],
    }
