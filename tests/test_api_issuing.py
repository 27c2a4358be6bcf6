"""GET .../issuing: the kiosk reads, before a tap, whether each matter can be issued now and why not."""

from __future__ import annotations

from typing import Any

from pytest_aiohttp.plugin import AiohttpClient

from queue_server.assembly import create_app
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from queue_server.web.openapi import document
from queue_server.web.route_table import all_routes
from tests.api_support import Api, hall_service, seed
from tests.factories import shanghai
from tests.test_openapi import conforms


def by_matter(answer: dict[str, Any]) -> dict[str, str | None]:
    return {m["matter"]: m["reason"] for m in answer["matters"] if not m["can_issue"]} | {
        m["matter"]: None for m in answer["matters"] if m["can_issue"]
    }


async def test_each_matter_says_whether_it_can_be_issued_as_the_hall_would_answer(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    service = hall_service(db)
    api = Api(await aiohttp_client(create_app(service)), await seed(db))
    await api.sign_on(("s1", 1))
    for _ in range(3):
        await api.act("/centres/test/tickets", "kiosk", matter="medical")
    answer = (await api.get("/centres/test/issuing", "kiosk")).body
    conforms(document(list(all_routes())), "IssuingView", answer)
    assert answer["closed"] is None and answer["next_opening"] is None
    assert by_matter(answer) == {"pension": None, "medical": "quota_used_up", "id_card": "no_window_open"}
    assert answer["hours_day"] == "2026-11-30"
    assert answer["hours"] == [{"start": "08:30", "end": "12:00"}, {"start": "14:00", "end": "17:30"}]
    assert answer["recheck_at"] == shanghai(2026, 11, 30, 12, 0).isoformat()
    refused = await api.post("/centres/test/tickets", "kiosk", {"matter": "id_card", "request_id": "r-id"})
    assert refused.body["reason"] == "no_window_open", "the read and the refusal agree"


async def test_on_a_closed_day_the_hall_says_when_it_opens_next(db: Database, aiohttp_client: AiohttpClient) -> None:
    service = hall_service(db)
    api = Api(await aiohttp_client(create_app(service)), await seed(db))
    clock = service.clock
    assert isinstance(clock, ManualClock)
    clock.set(shanghai(2026, 12, 6, 10, 0))  # a Sunday
    answer = (await api.get("/centres/test/issuing", "kiosk")).body
    assert answer["closed"] == "closed_today"
    assert answer["next_opening"] == shanghai(2026, 12, 7, 8, 30).isoformat()
    assert answer["hours_day"] == "2026-12-07" and answer["hours"][0] == {"start": "08:30", "end": "12:00"}
    assert set(by_matter(answer).values()) == {"closed_today"}
    assert answer["recheck_at"] == shanghai(2026, 12, 7, 0, 0).isoformat()
