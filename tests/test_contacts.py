"""Follow-up contacts (回访): a phone number left with a rating, only with consent, masked everywhere
but its rectification case, and deleted after the centre's follow_up_days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import CallNext, Finish, SignOn, StartServing
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.domain.clock import ManualClock
from queue_server.domain.tickets import Outcome
from queue_server.store.contacts import contact_of, mask, purge_contacts
from queue_server.store.database import Database
from tests.api_support import Api, seed
from tests.factories import shanghai


@pytest.fixture
async def finished(db: Database, aiohttp_client: AiohttpClient) -> tuple[Api, HallService, ManualClock, dict[str, Any]]:
    """A ticket served at window 1 and waiting for its rating; its status token is the citizen's."""
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    service = HallService(db, clock, public_base_url="http://hall.example")
    api = Api(await aiohttp_client(create_app(service)), await seed(db))
    await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
    ticket = await api.issue()
    for n, command in enumerate(
        [CallNext(window=1), StartServing(window=1), Finish(window=1, outcome=Outcome.ON_THE_SPOT)]
    ):
        assert (await service.act("test", command, actor="staff:s1", request_id=f"s{n}")).ok
    return api, service, clock, ticket


def rating(request_id: str, **fields: Any) -> dict[str, Any]:
    return {"request_id": request_id, "level": 1, "reasons": ["服务态度不好"], **fields}


async def test_a_number_left_with_consent_is_kept_masked_and_shown_only_on_the_case(
    finished: tuple[Api, HallService, ManualClock, dict[str, Any]],
) -> None:
    api, service, clock, ticket = finished
    path = f"/status/{ticket['status_token']}/rating"
    answer = await api.post(path, None, rating("r1", contact_phone="138 1234 5678", contact_consent=True))
    assert answer.status == 200, answer.body
    assert answer.body["contact"] == "138****5678"
    (listed,) = (await api.get("/centres/test/rectifications", "manager")).body["cases"]
    assert listed["contact"] == "138****5678", "masked in the list"
    case = (await api.get(f"/centres/test/rectifications/{listed['id']}", "manager")).body
    assert (case["contact"], case["contact_phone"]) == ("138****5678", None), "masked without a reason"
    case = (await api.get(f"/centres/test/rectifications/{listed['id']}?reason=回访核实", "manager")).body
    assert case["contact_phone"] == "138 1234 5678", "in full on the case itself, with a reason"
    async with api.client.get(
        "/api/v1/centres/test/reports?by=centre&date=2026-11-30&format=csv",
        headers={"Authorization": f"Bearer {api.tokens['manager']}"},
    ) as report:
        assert report.status == 200
        assert "5678" not in (await report.read()).decode("utf-8-sig"), "never in a report"

    clock.advance(dt.timedelta(days=29))
    async with service.db.write() as conn:
        assert await purge_contacts(conn, clock.now()) == 0
    clock.advance(dt.timedelta(days=2))
    async with service.db.write() as conn:
        assert await purge_contacts(conn, clock.now()) == 1
        assert await contact_of(conn, "test", ticket["serial"]) is None


async def test_a_number_without_consent_or_not_a_number_is_refused_and_nothing_is_kept(
    finished: tuple[Api, HallService, ManualClock, dict[str, Any]],
) -> None:
    api, service, _, ticket = finished
    path = f"/status/{ticket['status_token']}/rating"
    no_consent = await api.post(path, None, rating("r1", contact_phone="13812345678"))
    assert no_consent.status == 422 and no_consent.body["errors"][0]["field"] == "contact_consent"
    not_a_number = await api.post(path, None, rating("r2", contact_phone="call me", contact_consent=True))
    assert not_a_number.status == 422 and not_a_number.body["errors"][0]["field"] == "contact_phone"
    async with service.db.read() as conn:
        assert await contact_of(conn, "test", ticket["serial"]) is None
    assert (await api.post(path, None, rating("r3"))).status == 200, "the rating itself was never taken"


def test_masking_keeps_the_ends_only() -> None:
    assert mask("13812345678") == "138****5678"
    assert mask("0571-8888 1234") == "057*****1234"
    assert mask("12345") == "*****"
