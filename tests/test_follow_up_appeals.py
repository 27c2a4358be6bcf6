"""The follow-up record (回访) and appeals (申诉复核) of rectification cases: the domain's rules, then
the API on both databases: a named bad rating's case cannot close before its follow-up, and an
upheld appeal takes the rating out of the figures while the case keeps it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import CallNext, Finish, SignOn, StartServing
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.domain.appeals import AppealStatus
from queue_server.domain.clock import ManualClock
from queue_server.domain.errors import InvalidTransition, NotAllowed
from queue_server.domain.follow_up import CallResult, FollowUpOutcome
from queue_server.domain.rectification import (
    Case,
    CaseSource,
    CaseStatus,
    advance,
    decide_appeal,
    file_appeal,
    record_call,
)
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from tests.api_support import Api, rid, seed
from tests.factories import shanghai

AT = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


def named_case(status: CaseStatus = CaseStatus.RECTIFIED) -> Case:
    return Case(3, CaseSource.RATING, AT, dt.date(2026, 12, 7), status=status, staff="s1", level=1, named=True)


def call(case: Case, result: CallResult, tries: int = 3) -> Case:
    return record_call(case, result, note="", actor="manager:li", at=AT, tries=tries)


# --- The domain ------------------------------------------------------------------------------------


def test_a_named_case_neither_reaches_followed_up_nor_closes_before_its_follow_up() -> None:
    with pytest.raises(InvalidTransition, match="follow-up call has no outcome") as refused:
        advance(named_case(), CaseStatus.FOLLOWED_UP, note="回访", actor="m", at=AT)
    assert refused.value.code == "case_follow_up_missing"
    verified = named_case(CaseStatus.VERIFIED)
    with pytest.raises(InvalidTransition, match="follow-up"):
        advance(verified, CaseStatus.CLOSED, note="不属实", actor="m", at=AT)
    done = call(named_case(), CallResult.SATISFIED)
    assert advance(done, CaseStatus.FOLLOWED_UP, note="回访满意", actor="m", at=AT).status is CaseStatus.FOLLOWED_UP


def test_a_case_nobody_named_closes_without_a_call() -> None:
    anonymous = dataclasses.replace(named_case(CaseStatus.VERIFIED), named=False)
    assert advance(anonymous, CaseStatus.CLOSED, note="不属实", actor="m", at=AT).status is CaseStatus.CLOSED
    complaint = dataclasses.replace(named_case(), source=CaseSource.COMPLAINT)
    assert not complaint.needs_follow_up


def test_the_first_call_that_reaches_the_citizen_ends_the_follow_up() -> None:
    case = call(named_case(), CallResult.NOT_REACHED)
    assert case.follow_up is None and len(case.calls) == 1
    case = call(case, CallResult.NOT_SATISFIED)
    assert case.follow_up is FollowUpOutcome.REACHED
    with pytest.raises(InvalidTransition, match="came to reached already"):
        call(case, CallResult.SATISFIED)


def test_the_policys_tries_unanswered_end_it_as_not_reached() -> None:
    case = named_case()
    for _ in range(2):
        case = call(case, CallResult.NOT_REACHED, tries=3)
        assert case.follow_up is None
    case = call(case, CallResult.NOT_REACHED, tries=3)
    assert (case.follow_up, len(case.calls)) == (FollowUpOutcome.NOT_REACHED, 3)
    assert advance(case, CaseStatus.FOLLOWED_UP, note="三次未接通", actor="m", at=AT).follow_up is not None


def test_an_appeal_is_decided_once_and_never_by_the_window_that_filed_it() -> None:
    appealed = file_appeal(named_case(), reason="评价人误点", evidence="录像 10:02", actor="staff:s1", at=AT)
    assert appealed.appeal is not None and appealed.appeal.status is AppealStatus.PENDING
    with pytest.raises(NotAllowed, match="cannot decide"):
        decide_appeal(appealed, uphold=True, note="属实", actor="staff:s1", at=AT)
    with pytest.raises(InvalidTransition, match="appealed already"):
        file_appeal(appealed, reason="again", evidence="", actor="manager:li", at=AT)
    upheld = decide_appeal(appealed, uphold=True, note="录像证实误点", actor="supervisor:zhao", at=AT)
    assert upheld.appeal is not None and upheld.appeal.upheld and upheld.appeal.decided_by == "supervisor:zhao"
    with pytest.raises(InvalidTransition, match="upheld already"):
        decide_appeal(upheld, uphold=False, note="改判", actor="supervisor:zhao", at=AT)
    by_manager = file_appeal(named_case(), reason="误评", evidence="", actor="manager:li", at=AT)
    with pytest.raises(NotAllowed, match="cannot decide"):
        decide_appeal(by_manager, uphold=False, note="x", actor="staff:s1", at=AT)  # the rated staff member neither


def test_a_staff_member_appeals_only_their_own_rating() -> None:
    with pytest.raises(NotAllowed, match="only their own"):
        file_appeal(named_case(), reason="误评", evidence="", actor="staff:s2", at=AT)


# --- Through the API, on both databases ------------------------------------------------------------


@pytest.fixture
async def rated(db: Database, aiohttp_client: AiohttpClient) -> tuple[Api, HallService, ManualClock]:
    """Monday 30 November: A001 rated 非常不满意 with a number (case 1, named), A002 rated 非常不满意
    on the pad (case 2), A003..A007 rated 满意, all at window 1 by s1."""
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    service = HallService(db, clock, public_base_url="http://hall.example")
    api = Api(await aiohttp_client(create_app(service)), await seed(db))
    await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
    for n in range(7):
        ticket = await api.issue()
        for step, command in enumerate(
            [CallNext(window=1), StartServing(window=1), Finish(window=1, outcome=Outcome.ON_THE_SPOT)]
        ):
            assert (await service.act("test", command, actor="staff:s1", request_id=f"t{n}-{step}")).ok
        body: dict[str, Any] = {"request_id": rid(), "level": 1 if n < 2 else 4}
        if n < 2:
            body["reasons"] = ["服务态度不好"]
        if n == 0:
            body |= {"contact_phone": "138 1234 5678", "contact_consent": True}
        reply = await api.post(f"/status/{ticket['status_token']}/rating", None, body)
        assert reply.status == 200, reply.body
    return api, service, clock


CASE = "/centres/test/rectifications/{}"


async def step(api: Api, case: int, to: str, token: str = "manager") -> Any:
    return await api.post(CASE.format(case) + "/advance", token, {"request_id": rid(), "to": to, "note": to})


async def test_a_named_rating_cannot_close_until_its_follow_up_is_recorded(
    rated: tuple[Api, HallService, ManualClock],
) -> None:
    api, _, _ = rated
    case = (await api.get(CASE.format(1), "manager")).body
    assert (case["named"], case["follow_up"], case["follow_up_calls"]) == (True, None, [])
    assert (await api.get(CASE.format(2), "manager")).body["named"] is False, "rated on the pad, no number"
    assert (await step(api, 1, "verified")).status == 200
    refused = await step(api, 1, "closed")
    assert refused.status == 409, refused.body
    assert refused.body["code"] == "case_follow_up_missing"
    assert "回访" in refused.body["message"]
    for _ in range(2):
        tried = await api.act(CASE.format(1) + "/follow-up-calls", "manager", result="not_reached", note="无人接听")
        assert tried["follow_up"] is None
    assert (await step(api, 1, "rectified")).status == 200
    assert (await step(api, 1, "followed_up")).status == 409
    done = await api.act(CASE.format(1) + "/follow-up-calls", "manager", result="not_reached", note="关机")
    assert (done["follow_up"], done["follow_up_name"]) == ("not_reached", "多次联系未果")
    assert [c["result"] for c in done["follow_up_calls"]] == ["not_reached"] * 3
    assert done["follow_up_calls"][0]["actor"] == "manager:manager"
    again = await api.post(CASE.format(1) + "/follow-up-calls", "manager", {"request_id": rid(), "result": "satisfied"})
    assert again.status == 409 and again.body["code"] == "case_followed_up_already"
    for to in ("followed_up", "closed"):
        assert (await step(api, 1, to)).status == 200
    assert (await step(api, 2, "verified")).status == 200
    assert (await step(api, 2, "closed")).status == 200, "a rating without a number closes without a call"
    wrong = await api.post(CASE.format(2) + "/follow-up-calls", "manager", {"request_id": rid(), "result": "maybe"})
    assert wrong.status == 422


async def report_row(api: Api, by: str, token: str = "manager") -> dict[str, Any]:
    report = await api.get(f"/centres/test/reports?by={by}&date=2026-11-30", token)
    assert report.status == 200, report.body
    (row,) = report.body["rows"]
    return row  # type: ignore[no-any-return]


async def test_an_upheld_appeal_leaves_the_figures_and_stays_on_the_case(
    rated: tuple[Api, HallService, ManualClock],
) -> None:
    api, _, _ = rated
    before = await report_row(api, "window")
    assert (before["rated"], before["satisfaction_rate"]) == (7, round(5 / 7, 4))
    assert (before["named_bad_ratings"], before["followed_up"], before["follow_up_rate"]) == (1, 0, 0.0)
    own = (await api.get("/centres/test/rectifications?status=all", "s1")).body["cases"]
    assert [c["id"] for c in own] == [2, 1], "s1's own cases"
    assert (await api.get("/centres/test/rectifications?status=all", "s2")).body["cases"] == []
    assert (await api.get(CASE.format(1), "s2")).status == 404, "another's case is not shown"
    mine = await api.get(CASE.format(1), "s1")
    assert (mine.status, mine.body["contact_phone"]) == (200, None), "the number stays with the manager"
    other = await api.post(CASE.format(2) + "/appeal", "s2", {"request_id": rid(), "reason": "不是我办的"})
    assert other.status == 403 and other.body["code"] == "appeal_not_yours"
    filed = await api.act(CASE.format(2) + "/appeal", "s1", reason="群众误点了非常不满意", evidence="录像 09:12")
    assert (filed["appeal"]["status"], filed["appeal"]["filed_by"]) == ("pending", "staff:s1")
    twice = await api.post(CASE.format(2) + "/appeal", "manager", {"request_id": rid(), "reason": "再申诉"})
    assert twice.status == 409 and twice.body["code"] == "appeal_filed_already"
    no_reason = await api.post(CASE.format(2) + "/appeal/decision", "supervisor", {"request_id": rid(), "uphold": True})
    assert no_reason.status == 422
    assert (await api.post(CASE.format(2) + "/appeal/decision", "manager", {"request_id": rid(), "uphold": True,
                                                                              "note": "x"})).status == 403  # fmt: skip
    upheld = await api.act(CASE.format(2) + "/appeal/decision", "supervisor", uphold=True, note="录像证实误点")
    assert (upheld["appeal"]["status"], upheld["appeal"]["decided_by"]) == ("upheld", "supervisor:supervisor")
    assert upheld["level"] == 1, "the rating stays in the record"
    again = await api.post(CASE.format(2) + "/appeal/decision", "admin", {"request_id": rid(), "uphold": False,
                                                                          "note": "改判"})  # fmt: skip
    assert again.status == 409 and again.body["code"] == "appeal_decided"
    for by in ("window", "staff", "centre", "matter"):
        row = await report_row(api, by)
        assert (row["rated"], row["appeals_upheld"], row["satisfaction_rate"]) == (6, 1, round(5 / 6, 4)), by
    rejected_filed = await api.act(CASE.format(1) + "/appeal", "manager", reason="态度无问题", evidence="")
    assert rejected_filed["appeal"]["filed_by"] == "manager:manager"
    await api.act(CASE.format(1) + "/appeal/decision", "admin", uphold=False, note="录像显示态度生硬")
    row = await report_row(api, "window")
    assert (row["rated"], row["appeals_upheld"]) == (6, 1), "a rejected appeal changes nothing"
