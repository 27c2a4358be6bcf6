"""Rectification cases (整改) on their own: one step at a time, each with a note, due and overdue."""

from __future__ import annotations

import datetime as dt

import pytest

from queue_server.domain.errors import InvalidTransition
from queue_server.domain.rectification import Case, CaseSource, CaseStatus, advance, assign

AT = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


def new_case() -> Case:
    return Case(id=7, source=CaseSource.RATING, opened_at=AT, due_on=dt.date(2026, 12, 7), serial=3, level=1)


def test_a_case_goes_through_every_step_with_notes() -> None:
    case = new_case()
    for step, note in (
        (CaseStatus.VERIFIED, "看了录像，确实等了很久"),
        (CaseStatus.RECTIFIED, "午间加开一个窗口"),
        (CaseStatus.FOLLOWED_UP, "电话回访，群众表示满意"),
        (CaseStatus.CLOSED, "办结"),
    ):
        case = advance(case, step, note=note, actor="manager:li", at=AT)
    assert case.status is CaseStatus.CLOSED and case.closed_at == AT
    assert [n.status for n in case.notes] == [
        CaseStatus.VERIFIED,
        CaseStatus.RECTIFIED,
        CaseStatus.FOLLOWED_UP,
        CaseStatus.CLOSED,
    ]
    with pytest.raises(InvalidTransition, match="closed"):
        advance(case, CaseStatus.CLOSED, note="again", actor="manager:li", at=AT)


def test_no_step_is_skipped_and_none_without_a_note() -> None:
    with pytest.raises(InvalidTransition, match="goes to verified"):
        advance(new_case(), CaseStatus.RECTIFIED, note="skip", actor="m", at=AT)
    with pytest.raises(InvalidTransition, match="note"):
        advance(new_case(), CaseStatus.VERIFIED, note="   ", actor="m", at=AT)


def test_an_unfounded_case_closes_once_verified() -> None:
    verified = advance(new_case(), CaseStatus.VERIFIED, note="核实：评价人误点", actor="m", at=AT)
    closed = advance(verified, CaseStatus.CLOSED, note="不属实，办结", actor="m", at=AT)
    assert closed.status is CaseStatus.CLOSED


def test_assigning_keeps_the_status_and_records_who() -> None:
    case = assign(new_case(), "wang.fang", note="请窗口负责人核实", actor="manager:li", at=AT)
    assert (case.status, case.assignee, case.notes[-1].assignee) == (CaseStatus.NEW, "wang.fang", "wang.fang")
    with pytest.raises(InvalidTransition, match="name the person"):
        assign(case, " ", note="", actor="m", at=AT)


def test_overdue_from_the_day_after_it_is_due_until_it_closes() -> None:
    case = new_case()
    assert not case.overdue(dt.date(2026, 12, 7))
    assert case.overdue(dt.date(2026, 12, 8))
    verified = advance(case, CaseStatus.VERIFIED, note="n", actor="m", at=AT)
    closed = advance(verified, CaseStatus.CLOSED, note="n", actor="m", at=AT)
    assert not closed.overdue(dt.date(2027, 1, 1))
