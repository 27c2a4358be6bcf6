"""Rectification cases (整改) on their own: one step at a time, each with a note, due and overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import CallNext, Finish, IssueTicket, RateTicket, SignOn, StartServing
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.domain.clock import ManualClock
from queue_server.domain.errors import InvalidTransition
from queue_server.domain.rectification import Case, CaseSource, CaseStatus, advance, assign
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from tests.api_support import Api, seed
from tests.factories import shanghai

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


# --- Cases opened by bad ratings and complaints, worked through the API ----------------------------


@pytest.fixture
async def hall(db: Database, aiohttp_client: AiohttpClient) -> tuple[Api, HallService, ManualClock]:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    service = HallService(db, clock, public_base_url="http://hall.example")
    tokens = await seed(db)
    api = Api(await aiohttp_client(create_app(service)), tokens)
    for step, (command, actor) in enumerate(
        [
            (SignOn(window=1, staff="s1"), "staff:s1"),
            (IssueTicket(matter="pension"), "kiosk:k"),
            (IssueTicket(matter="pension"), "kiosk:k"),
            (CallNext(window=1), "staff:s1"),
            (StartServing(window=1), "staff:s1"),
            (Finish(window=1, outcome=Outcome.ON_THE_SPOT), "staff:s1"),
            (RateTicket(serial=1, level=1, window=1, source="pad:pad-1", reasons=("等候时间过长",)), "device:pad-1"),
            (CallNext(window=1), "staff:s1"),
            (StartServing(window=1), "staff:s1"),
            (Finish(window=1, outcome=Outcome.ON_THE_SPOT), "staff:s1"),
            (RateTicket(serial=2, level=4, window=1, source="pad:pad-1"), "device:pad-1"),
        ]
    ):
        answer = await service.act("test", command, actor=actor, request_id=f"day-{step}")
        assert answer.ok, answer.body
    return api, service, clock


async def test_a_bad_rating_opens_one_case_and_a_good_one_none(hall: tuple[Api, HallService, ManualClock]) -> None:
    api, service, _ = hall
    listed = await api.get("/centres/test/rectifications", "manager")
    assert listed.status == 200, listed.body
    (case,) = listed.body["cases"]
    assert (case["source"], case["status"], case["serial"], case["level"]) == ("rating", "new", 1, 1)
    assert (case["window"], case["staff"], case["matter"], case["reasons"]) == (1, "s1", "pension", ["等候时间过长"])
    assert case["due_on"] == "2026-12-07", "five working days after Monday 30 November"
    again = await service.act(
        "test", RateTicket(serial=1, level=1, window=1, source="pad:pad-1"), actor="device:pad-1", request_id="day-6"
    )
    assert again.replayed
    assert len((await api.get("/centres/test/rectifications?status=all", "supervisor")).body["cases"]) == 1


async def test_a_case_is_worked_to_its_end_once_per_request_id(hall: tuple[Api, HallService, ManualClock]) -> None:
    api, _, _ = hall
    path = "/centres/test/rectifications/1"
    assert (await api.post(f"{path}/advance", "s1", {"request_id": "x", "to": "verified", "note": "n"})).status == 403
    refused = await api.post(f"{path}/advance", "manager", {"request_id": "skip", "to": "closed", "note": "n"})
    assert refused.status == 409 and "goes to verified" in refused.body["detail"]
    body = {"request_id": "v1", "to": "verified", "note": "查看录像，属实"}
    first = await api.post(f"{path}/advance", "manager", body)
    repeat = await api.post(f"{path}/advance", "manager", body)
    assert first.status == repeat.status == 200
    assert repeat.headers.get("Idempotent-Replay") == "true"
    assigned = await api.post(f"{path}/assign", "manager", {"request_id": "a1", "assignee": "wang.fang"})
    assert assigned.body["assignee"] == "wang.fang"
    for step, to in enumerate(("rectified", "followed_up", "closed")):
        reply = await api.post(f"{path}/advance", "manager", {"request_id": f"s{step}", "to": to, "note": to})
        assert reply.status == 200, reply.body
    case = (await api.get(path, "manager")).body
    assert case["status"] == "closed" and case["closed_at"] is not None
    assert [n["status"] for n in case["notes"]] == ["verified", "verified", "rectified", "followed_up", "closed"]
    assert (await api.get("/centres/test/rectifications", "manager")).body["cases"] == [], "open cases only"


async def test_a_complaint_opens_a_case_and_bad_fields_are_named(hall: tuple[Api, HallService, ManualClock]) -> None:
    api, _, _ = hall
    body = {"request_id": "c1", "comment": "窗口人员态度生硬", "window": 1, "staff": "s1"}
    opened = await api.post("/centres/test/rectifications", "s1", body)
    assert opened.status == 201, opened.body
    assert (opened.body["id"], opened.body["source"], opened.body["notes"][0]["text"]) == (
        2,
        "complaint",
        body["comment"],
    )
    bad = await api.post(
        "/centres/test/rectifications", "guide", {"request_id": "c2", "comment": "x", "window": 99, "matter": "nope"}
    )
    assert bad.status == 422
    assert {e["field"] for e in bad.body["errors"]} == {"window", "matter"}
    empty = await api.post("/centres/test/rectifications", "guide", {"request_id": "c3", "comment": ""})
    assert empty.status == 422 and empty.body["errors"][0]["field"] == "comment"
    assert (await api.post("/centres/test/rectifications", "kiosk", {"request_id": "c4", "comment": "x"})).status == 403


async def test_an_open_case_past_its_day_is_overdue(hall: tuple[Api, HallService, ManualClock]) -> None:
    api, _, clock = hall
    assert (await api.get("/centres/test/rectifications?overdue=1", "manager")).body["cases"] == []
    clock.advance(dt.timedelta(days=8))
    listed = await api.get("/centres/test/rectifications?overdue=1", "manager")
    assert listed.body["overdue"] == 1 and listed.body["cases"][0]["overdue"]
    bad = await api.get("/centres/test/rectifications?status=lost", "manager")
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "status"
