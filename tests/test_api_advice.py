"""The live staffing advice over real HTTP on both databases: read only, kept a few seconds, and
what the domain's play of the same hall says."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.assembly import create_app
from queue_server.domain.clock import ManualClock
from queue_server.domain.staffing_advice import snapshot, staffing_advice
from queue_server.http_common.keys import SERVICE
from queue_server.store.database import Database
from queue_server.web.openapi import document
from queue_server.web.route_table import all_routes
from tests.api_support import Api, counts, hall_service, rid, seed
from tests.test_openapi import conforms

ADVICE = "/centres/test/advice"


@pytest.fixture
async def api(db: Database, aiohttp_client: AiohttpClient) -> Api:
    api = Api(await aiohttp_client(create_app(hall_service(db))), await seed(db))
    config = (await api.get("/centres/test/config", "manager")).body["config"]
    for person in config["staff"]:
        person["b_post"] = person["code"] == "s10"
    reply = await api.call("PUT", "/centres/test/config", "manager", {"config": config, "request_id": rid()})
    assert reply.status == 200, reply.body
    await api.sign_on(("s1", 1))
    for _ in range(6):
        await api.issue("pension")
    return api


def clock(api: Api) -> ManualClock:
    found = api.client.app[SERVICE].clock
    assert isinstance(found, ManualClock)
    return found


async def test_the_advice_names_the_long_wait_and_the_b_post_that_would_shorten_it(api: Api) -> None:
    reply = await api.get(ADVICE, "manager")
    assert reply.status == 200, reply.body
    advice: dict[str, Any] = reply.body
    assert advice["matters"][0]["matter"] == "pension" and advice["matters"][0]["waiting"] == 6
    assert advice["longest_minutes"] == 50.0  # six tickets, ten minutes each, one window
    best = advice["suggestions"][0]
    assert best["kind"] == "sign_on" and best["staff"] == "s10" and best["staff_name"] == "陈静"
    assert best["window"] in (2, 9) and best["matters"] == ["pension"]
    assert best["move_minutes"] == 3.0  # the policy's default walk
    assert best["longest_after"] < best["longest_before"] == 50.0
    [pension] = best["matter_effects"]
    assert pension["matter"] == "pension" and pension["longest_before"] == 50.0
    assert pension["longest_after"] == best["longest_after"] and pension["mean_after"] < pension["mean_before"]
    conforms(document(all_routes()), "AdviceView", reply.body)


async def test_reading_the_advice_changes_nothing(api: Api, db: Database) -> None:
    service = api.client.app[SERVICE]
    await service.ranges_kept("test")  # the issues' round may send the board a newcomer range
    before, positions = await counts(db), (await service.hall("test")).positions()
    for token in ("manager", "supervisor", "admin"):
        assert (await api.get(ADVICE, token)).status == 200
    assert await counts(db) == before
    assert (await service.hall("test")).positions() == positions


async def test_the_advice_is_the_domain_s_play_of_the_hall_kept_a_few_seconds(api: Api) -> None:
    service = api.client.app[SERVICE]
    first = (await api.get(ADVICE, "manager")).body
    expected = staffing_advice(snapshot(await service.hall("test")))
    assert [(s["kind"], s["window"], s["staff"]) for s in first["suggestions"]] == [
        (s.kind.value, s.window, s.staff) for s in expected.suggestions
    ]
    await api.issue("pension")
    assert (await api.get(ADVICE, "manager")).body == first, "kept: played again at most every few seconds"
    clock(api).advance(seconds=15)
    again = (await api.get(ADVICE, "manager")).body
    assert again["matters"][0]["waiting"] == 7
    assert again["computed_at"] != first["computed_at"]


async def test_staff_and_the_kiosk_may_not_read_the_advice(api: Api) -> None:
    for token in ("s1", "kiosk", "guide"):
        assert (await api.get(ADVICE, token)).status == 403
