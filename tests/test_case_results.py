"""A promised case's result after the counter, on both databases: the business system's reports by
case number (ready, refused, delivered), forward only and once per request id; the result window's
search by case number or QR code; the postal address taken with consent and deleted with the delivery."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select

from queue_server.assembly import create_app
from queue_server.domain.case_results import CaseNumber, ResultState, check_collection, check_step, parse_case_number
from queue_server.domain.clock import ManualClock
from queue_server.domain.errors import InvalidTransition
from queue_server.store import schema
from queue_server.store.database import Database
from tests.api_support import Api, promised_day
from tests.factories import shanghai

CASE = "TEST-2026-000001"
"""A001 of the promised day: the centre's code, the year, the ticket's serial."""
RESULT = f"/centres/test/cases/{CASE}/result"
ADDRESS = {"recipient": "张三", "phone": "138 0013 8000", "address": "广东省深圳市南山区科技园路1号", "consent": True}


@pytest.fixture
async def hall(db: Database, aiohttp_client: AiohttpClient) -> tuple[Api, ManualClock, Database]:
    """Monday 30 November: A001 promised in 3 working days (due Thursday), A002 finished on the spot."""
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    service, tokens = await promised_day(db, clock)
    return Api(await aiohttp_client(create_app(service)), tokens), clock, db


async def status_token(db: Database, serial: int) -> str:
    """The token the ticket's QR code carries (only its holder and the ticket printer see it)."""
    t = schema.tickets.c
    async with db.read() as conn:
        return str(
            (await conn.execute(select(t.status_token).where(t.centre == "test", t.serial == serial))).scalar_one()
        )


async def rows(db: Database, table: str) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(schema.metadata.tables[table]))).scalar_one())


async def test_the_business_system_moves_a_case_forward_once_each_step(
    hall: tuple[Api, ManualClock, Database],
) -> None:
    api, clock, _ = hall
    clock.advance(dt.timedelta(days=1))
    ready = await api.post(RESULT, "business", {"request_id": "r-1", "state": "ready"})
    assert ready.status == 200, ready.body
    body = ready.body
    assert (body["case_number"], body["result_state"], body["state"], body["decided_by"]) == (
        CASE,
        "ready",
        "ready",
        "business:province",
    )
    replay = await api.post(RESULT, "business", {"request_id": "r-1", "state": "ready"})
    assert replay.replayed and replay.body == ready.body

    again = await api.post(RESULT, "business", {"request_id": "r-2", "state": "ready"})
    assert again.status == 409 and "ready already" in again.body["detail"], again.body
    refused = await api.post(RESULT, "business", {"request_id": "r-3", "state": "refused", "reason": "材料不实"})
    assert refused.status == 409 and "no longer refused" in refused.body["detail"]

    posted = {"state": "delivered", "method": "post", "courier": "EMS", "tracking_number": "EA123456789CN"}
    delivered = await api.post(RESULT, "business", {"request_id": "r-4", **posted})
    assert delivered.status == 200, delivered.body
    assert (delivered.body["state"], delivered.body["method"], delivered.body["tracking_number"]) == (
        "delivered",
        "post",
        "EA123456789CN",
    )
    assert delivered.body["delivered_by"] == "business:province"
    twice = await api.post(RESULT, "business", {"request_id": "r-5", **posted})
    assert twice.status == 409 and "delivered already" in twice.body["detail"]
    at_window = await api.post("/centres/test/promised/1/deliver", "s1", {"request_id": "w-1"})
    assert at_window.status == 409


async def test_delivered_before_ready_and_unknown_cases_are_refused_and_change_nothing(
    hall: tuple[Api, ManualClock, Database],
) -> None:
    api, _, db = hall
    early = await api.post(RESULT, "business", {"request_id": "e-1", "state": "delivered"})
    assert early.status == 409, early.body
    assert early.body["detail"].endswith(f"Cannot mark case {CASE} delivered: its result is not ready yet"
                                         " (it is delivered once ready)")  # fmt: skip
    assert early.body["code"] == "result_state_wrong"
    assert await rows(db, "promised_deliveries") == 0

    for number in ("TEST-2026-000002", "TEST-2025-000001", "TEST-2026-000099", "OTHER-2026-000001", "A001"):
        body = {"request_id": f"u-{number}", "state": "ready"}
        unknown = await api.post(f"/centres/test/cases/{number}/result", "business", body)
        assert unknown.status == 404, (number, unknown.body)
        assert unknown.body["code"] == "case_number_unknown" and number in unknown.body["detail"]
    assert await rows(db, "promised_results") == 0


async def test_a_refusal_gives_its_reason_and_ends_the_case(hall: tuple[Api, ManualClock, Database]) -> None:
    api, clock, _ = hall
    bare = await api.post(RESULT, "business", {"request_id": "f-0", "state": "refused"})
    assert bare.status == 422 and bare.body["errors"][0]["field"] == "reason"
    posted = await api.post(RESULT, "business", {"request_id": "f-1", "state": "delivered", "method": "post"})
    assert {e["field"] for e in posted.body["errors"]} == {"courier", "tracking_number"}

    refused = await api.post(RESULT, "business", {"request_id": "f-2", "state": "refused", "reason": "不符合申领条件"})
    assert (refused.body["state"], refused.body["reason"]) == ("refused", "不符合申领条件"), refused.body
    clock.advance(dt.timedelta(days=10))
    listed = await api.get("/centres/test/promised?state=all", "manager")
    assert listed.body["overdue"] == 0 and listed.body["cases"][0]["state"] == "refused"
    assert (await api.post("/centres/test/promised/1/deliver", "s1", {"request_id": "w-1"})).status == 409
    assert (await api.post(RESULT, "business", {"request_id": "f-3", "state": "ready"})).status == 409


async def test_the_business_token_acts_only_at_its_centres(hall: tuple[Api, ManualClock, Database]) -> None:
    api, _, _ = hall
    assert (await api.post(RESULT, "other-business", {"request_id": "o-1", "state": "ready"})).status == 403
    assert (await api.post(RESULT, "s1", {"request_id": "o-2", "state": "ready"})).status == 403
    assert (await api.post(RESULT, None, {"request_id": "o-3", "state": "ready"})).status == 401
    assert (await api.get("/centres/test/promised", "business")).status == 403


async def test_the_result_window_finds_a_case_by_number_or_by_the_tickets_qr(
    hall: tuple[Api, ManualClock, Database],
) -> None:
    api, _, db = hall
    by_number = await api.get(f"/centres/test/promised/find?q={CASE.lower()}", "s1")
    assert by_number.status == 200 and by_number.body["number"] == "A001", by_number.body
    token = await status_token(db, 1)
    for scanned in (f"http://hall.example/ticket/{token}", token):
        found = await api.get(f"/centres/test/promised/find?q={scanned}", "s1")
        assert found.status == 200 and found.body["case_number"] == CASE, found.body
    on_the_spot = await status_token(db, 2)
    missing = await api.get(f"/centres/test/promised/find?q={on_the_spot}", "s1")
    assert missing.status == 404 and missing.body["code"] == "case_number_unknown"
    assert (await api.get("/centres/test/promised/find?q=", "s1")).status == 422


async def test_a_postal_address_needs_consent_is_masked_and_is_deleted_with_the_delivery(
    hall: tuple[Api, ManualClock, Database],
) -> None:
    api, _, db = hall
    refused = await api.post("/centres/test/promised/1/postal-address", "s1", {"request_id": "a-0", **ADDRESS,
                                                                             "consent": False})  # fmt: skip
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "consent"
    assert await rows(db, "postal_addresses") == 0

    taken = await api.post("/centres/test/promised/1/postal-address", "s1", {"request_id": "a-1", **ADDRESS})
    assert taken.status == 200, taken.body
    assert taken.body["post_to"] == "张* 138****8000 广东省深圳市****"
    full = await api.get(f"/centres/test/cases/{CASE}/postal-address", "business")
    assert (full.body["address"], full.body["recipient"]) == (ADDRESS["address"], "张三")
    assert "删除" in full.body["consent"]

    await api.act(RESULT, "business", state="ready")
    posted = {"state": "delivered", "method": "post", "courier": "EMS", "tracking_number": "EA1"}
    await api.act(RESULT, "business", **posted)
    assert await rows(db, "postal_addresses") == 0
    assert (await api.get(f"/centres/test/cases/{CASE}/postal-address", "business")).status == 404


async def test_the_citizens_status_shows_the_promised_case(hall: tuple[Api, ManualClock, Database]) -> None:
    api, _, db = hall
    token = await status_token(db, 1)
    status = await api.get(f"/status/{token}")
    promised = status.body["promised"]
    assert (promised["case_number"], promised["state"], promised["due_date"]) == (CASE, "accepted", "2026-12-03")
    assert promised["collection"]
    await api.act(RESULT, "business", state="ready")
    assert (await api.get(f"/status/{token}")).body["promised"]["state"] == "ready"
    other = await status_token(db, 2)
    assert (await api.get(f"/status/{other}")).body["promised"] is None


@pytest.mark.parametrize(
    ("current", "wanted", "allowed"),
    [
        (ResultState.ACCEPTED, ResultState.READY, True),
        (ResultState.ACCEPTED, ResultState.REFUSED, True),
        (ResultState.READY, ResultState.DELIVERED, True),
        (ResultState.ACCEPTED, ResultState.DELIVERED, False),
        (ResultState.READY, ResultState.READY, False),
        (ResultState.READY, ResultState.REFUSED, False),
        (ResultState.REFUSED, ResultState.READY, False),
        (ResultState.REFUSED, ResultState.DELIVERED, False),
        (ResultState.DELIVERED, ResultState.READY, False),
        (ResultState.DELIVERED, ResultState.DELIVERED, False),
    ],
)
def test_a_case_only_moves_forward_each_step_once(current: ResultState, wanted: ResultState, allowed: bool) -> None:
    if allowed:
        check_step(CASE, current, wanted)
        return
    with pytest.raises(InvalidTransition, match=f"Cannot mark case {CASE} {wanted}: ") as refused:
        check_step(CASE, current, wanted)
    assert refused.value.facts == {"case": CASE, "state": current.value, "to": wanted.value}


def test_a_collection_at_a_window_closes_an_accepted_or_ready_case_only() -> None:
    check_collection(CASE, ResultState.ACCEPTED)
    check_collection(CASE, ResultState.READY)
    for done in (ResultState.REFUSED, ResultState.DELIVERED):
        with pytest.raises(InvalidTransition):
            check_collection(CASE, done)


def test_a_case_number_is_read_as_the_papers_print_it() -> None:
    assert parse_case_number(" test-2026-000012 ") == CaseNumber("test", 2026, 12)
    assert str(CaseNumber("village-1", 2027, 1234567)) == "VILLAGE-1-2027-1234567"
    assert parse_case_number("VILLAGE-1-2027-1234567") == CaseNumber("village-1", 2027, 1234567)
    for wrong in ("", "A001", "TEST-26-000001", "TEST-2026-12", "TEST 2026 000001", "TEST-2026-000001/x"):
        assert parse_case_number(wrong) is None, wrong


async def test_a_case_handed_to_another_centre_is_found_and_collected_there(
    hall: tuple[Api, ManualClock, Database],
) -> None:
    api, _, db = hall
    await api.act("/centres/test/promised/1/hand-over", "guide", to_centre="other")
    await api.act(RESULT, "business", state="ready")
    status = await api.get(f"/status/{await status_token(db, 1)}")
    assert (status.body["promised"]["state"], status.body["promised"]["collect_at"]) == ("ready", "另一个便民服务中心")

    found = await api.get(f"/centres/other/promised/find?q={CASE}", "other-staff")
    assert (found.status, found.body["centre"], found.body["state"]) == (200, "test", "ready"), found.body
    delivered = await api.act("/centres/other/promised/1/deliver", "other-staff", origin="test")
    assert delivered["state"] == "delivered"
    elsewhere = await api.get("/centres/other/promised/find?q=OTHER-2026-000001", "other-staff")
    assert elsewhere.status == 404, "the number of the receiving centre's own ticket 1 names no promised case"


async def test_the_postal_address_is_read_by_case_number_only(hall: tuple[Api, ManualClock, Database]) -> None:
    api, _, db = hall
    await api.act("/centres/test/promised/1/postal-address", "s1", **ADDRESS)
    by_token = await api.get(f"/centres/test/cases/{await status_token(db, 1)}/postal-address", "business")
    assert by_token.status == 404 and by_token.body["code"] == "case_number_unknown"
    assert (await api.get(f"/centres/test/cases/{CASE}/postal-address", "business")).status == 200
