"""Promised cases (承诺件): listed with their due date in working days, overdue from the day after,
handed over once."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.assembly import create_app
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from tests.api_support import Api, promised_day
from tests.factories import shanghai


@pytest.fixture
async def hall(db: Database, aiohttp_client: AiohttpClient) -> tuple[Api, ManualClock]:
    """Monday 30 November: A001 promised in 3 working days (due Thursday), A002 finished on the spot."""
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    service, tokens = await promised_day(db, clock)
    return Api(await aiohttp_client(create_app(service)), tokens), clock


async def test_a_promised_case_is_due_then_overdue_then_delivered_once(hall: tuple[Api, ManualClock]) -> None:
    api, clock = hall
    listed = await api.get("/centres/test/promised", "manager")
    assert listed.status == 200, listed.body
    (case,) = listed.body["cases"]
    assert (case["number"], case["due_date"], case["state"], case["days_left"]) == ("A001", "2026-12-03", "due", 3)
    assert (case["window"], case["staff"]) == (1, "s1")

    clock.advance(dt.timedelta(days=4))
    listed = await api.get("/centres/test/promised?state=overdue", "guide")
    assert listed.body["overdue"] == 1 and listed.body["cases"][0]["state"] == "overdue"

    body = {"request_id": "d-1", "note": "本人领取"}
    delivered = await api.post("/centres/test/promised/1/deliver", "s1", body)
    assert delivered.status == 200, delivered.body
    assert (delivered.body["state"], delivered.body["delivered_by"]) == ("delivered", "staff:s1")
    assert (await api.post("/centres/test/promised/1/deliver", "s1", body)).headers.get("Idempotent-Replay") == "true"
    again = await api.post("/centres/test/promised/1/deliver", "guide", {"request_id": "d-2"})
    assert again.status == 409 and "delivered" in again.body["detail"]
    assert (await api.get("/centres/test/promised", "manager")).body["cases"] == []
    assert len((await api.get("/centres/test/promised?state=all", "manager")).body["cases"]) == 1


async def test_only_a_promised_case_is_delivered_and_bad_queries_are_named(hall: tuple[Api, ManualClock]) -> None:
    api, _ = hall
    assert (await api.post("/centres/test/promised/2/deliver", "s1", {"request_id": "x"})).status == 404
    assert (await api.post("/centres/test/promised/1/deliver", "kiosk", {"request_id": "y"})).status == 403
    bad = await api.get("/centres/test/promised?state=later", "manager")
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "state"
