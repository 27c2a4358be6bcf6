"""A promised case (承诺件) handed to the centre responsible for it, followed and delivered there.

A001 is accepted at centre ``test`` (due in three working days) and handed to ``other``: ``other``
lists it with the centre that accepted it and delivers it; ``test`` lists it as handed over and
may no longer deliver it. A handover happens once, for a promised case, to a centre that exists.
"""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.assembly import create_app
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from tests.api_support import Api, promised_day
from tests.factories import shanghai


@pytest.fixture
async def api(db: Database, aiohttp_client: AiohttpClient) -> Api:
    """Monday 30 November at ``test``: A001 promised in 3 working days, A002 finished on the spot."""
    service, tokens = await promised_day(db, ManualClock(shanghai(2026, 11, 30, 9, 0)))
    return Api(await aiohttp_client(create_app(service)), tokens)


async def test_a_handed_case_is_followed_and_delivered_at_the_receiving_centre(api: Api) -> None:
    body = {"request_id": "h-1", "to_centre": "other", "note": "材料已寄送"}
    handed = await api.post("/centres/test/promised/1/hand-over", "guide", body)
    assert handed.status == 200, handed.body
    assert (handed.body["state"], handed.body["handed_to"], handed.body["handed_by"]) == (
        "handed_over",
        "other",
        "guide:desk1",
    )
    assert (await api.post("/centres/test/promised/1/hand-over", "guide", body)).replayed
    again = await api.post("/centres/test/promised/1/hand-over", "manager", {"request_id": "h-2", "to_centre": "other"})
    assert again.status == 409 and "again" in again.body["detail"]

    assert (await api.get("/centres/test/promised", "manager")).body["cases"] == []
    away = (await api.get("/centres/test/promised?state=handed_over", "manager")).body["cases"]
    assert [(c["number"], c["handed_to"], c["handover_note"]) for c in away] == [("A001", "other", "材料已寄送")]
    (there,) = (await api.get("/centres/other/promised", "other-manager")).body["cases"]
    assert (there["centre"], there["serial"], there["state"], there["due_date"]) == ("test", 1, "due", "2026-12-03")

    refused = await api.post("/centres/test/promised/1/deliver", "s1", {"request_id": "d-1"})
    assert refused.status == 409 and "handed to other" in refused.body["detail"]
    unnamed = await api.post("/centres/other/promised/1/deliver", "other-guide", {"request_id": "d-2"})
    assert unnamed.status == 404, "the receiving centre's own ticket #1 is no promised case"
    delivered = await api.post(
        "/centres/other/promised/1/deliver", "other-guide", {"request_id": "d-3", "origin": "test", "note": "本人领取"}
    )
    assert delivered.status == 200, delivered.body
    assert (delivered.body["state"], delivered.body["delivered_by"]) == ("delivered", "guide:desk1")
    assert (await api.get("/centres/other/promised", "other-manager")).body["cases"] == []
    (done,) = (await api.get("/centres/test/promised?state=all", "manager")).body["cases"]
    assert done["state"] == "delivered", "the accepting centre sees the delivery made where it was handed"


async def test_only_a_promised_case_goes_and_only_to_another_centre(api: Api) -> None:
    not_promised = await api.post(
        "/centres/test/promised/2/hand-over", "guide", {"request_id": "a", "to_centre": "other"}
    )
    assert not_promised.status == 404
    nowhere = await api.post("/centres/test/promised/1/hand-over", "guide", {"request_id": "b", "to_centre": "nowhere"})
    assert nowhere.status == 404 and "no such centre" in nowhere.body["detail"]
    itself = await api.post("/centres/test/promised/1/hand-over", "guide", {"request_id": "c", "to_centre": "test"})
    assert itself.status == 409
    bad = await api.post("/centres/test/promised/1/hand-over", "guide", {"request_id": "d", "to_centre": "Not A Code"})
    assert bad.status == 422
    not_handed = await api.post(
        "/centres/other/promised/1/deliver", "other-guide", {"request_id": "e", "origin": "test"}
    )
    assert not_handed.status == 404, "a case not handed to a centre is not delivered there"
    assert (
        await api.post("/centres/test/promised/1/hand-over", "kiosk", {"request_id": "f", "to_centre": "other"})
    ).status == 403
