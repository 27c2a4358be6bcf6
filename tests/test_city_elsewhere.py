"""全城通办: a kiosk asks which other centres serve a matter, open ones and short queues first."""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.auth.accounts import Role, add_token
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.api_support import Api, seed
from tests.factories import centre_data, make_centre, shanghai


@pytest.fixture
async def api(db: Database, aiohttp_client: AiohttpClient) -> Api:
    """Centres test and other (same matters) and a village station taking pensions only; Monday 09:00."""
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    tokens = await seed(db)
    village = make_centre(
        centre={"code": "village", "name": "桥头村便民服务站", "address": "桥头村村委会"},
        matters=[m for m in centre_data()["matters"] if m["code"] == "pension"],
        windows=[{"number": 1, "name": "综合受理", "kinds": ["general"]}],
        staff=[{"code": "v1", "name": "周敏"}],
    )
    async with db.write() as conn:
        await create_centre(conn, village, clock.now())
        tokens["village-kiosk"] = await add_token(conn, label="v", role=Role.KIOSK, centres=["village"], subject="k")
    service = HallService(db, clock)
    await service.act("test", SignOn(window=3, staff="s3"), actor="staff:s3", request_id="on")
    answer = await service.act("test", IssueTicket(matter="id_card"), actor="kiosk:k", request_id="i")
    assert answer.ok, answer.body
    return Api(await aiohttp_client(create_app(service)), tokens)


async def test_a_matter_not_served_here_is_found_at_the_other_centres(api: Api) -> None:
    found = await api.get("/centres/village/elsewhere?matter=id_card", "village-kiosk")
    assert found.status == 200, found.body
    assert (found.body["served_here"], found.body["matter"]) == (False, "id_card")
    listed = [(c["code"], c["opening"], c["waiting"], c["matter_name"]) for c in found.body["centres"]]
    assert listed == [("other", "open", 0, "居民身份证换领"), ("test", "open", 1, "居民身份证换领")]

    here = await api.get("/centres/test/elsewhere?matter=pension", "kiosk")
    assert here.body["served_here"] is True
    assert [c["code"] for c in here.body["centres"]] == ["other", "village"]
    assert here.body["centres"][1]["address"] == "桥头村村委会"
    assert (await api.get("/centres/test/elsewhere?matter=nothing", "kiosk")).body["centres"] == []


async def test_the_question_is_checked_and_scoped(api: Api) -> None:
    bad = await api.get("/centres/test/elsewhere?matter=Not%20A%20Code", "kiosk")
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "matter"
    assert (await api.get("/centres/test/elsewhere", "kiosk")).status == 422
    assert (await api.get("/centres/village/elsewhere?matter=pension", "kiosk")).status == 403
