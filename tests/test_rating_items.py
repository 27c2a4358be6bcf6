"""The items of a rating (服务效率, 服务水平, 服务态度) besides its level: optional, refused when
unknown, kept with the ticket and its log, and in the reports per window, staff member and matter."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from queue_server.app.commands import CallNext, Finish, IssueTicket, RateTicket, SignOn, StartServing
from queue_server.assembly import create_app
from queue_server.domain.errors import InvalidTransition
from queue_server.domain.events import event_from_record, replay
from queue_server.domain.ratings import RatingItem, RatingLevel, item_levels, items_of
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from queue_server.store.lookup import ticket_event_records
from queue_server.store.schema import tickets
from tests.api_support import Api, hall_service, rid, seed


def test_items_are_kept_in_their_order_with_the_unrated_ones_as_zero() -> None:
    assert item_levels({}, "A001") == ()
    assert item_levels({"attitude": 2, "efficiency": 5}, "A001") == (5, 0, 2)
    assert items_of((5, 0, 2)) == {"efficiency": 5, "attitude": 2}
    for wrong in ({"speed": 5}, {"attitude": 6}, {"skill": 0}):
        with pytest.raises(InvalidTransition, match="not an item") as refused:
            item_levels(wrong, "A001")
        assert refused.value.code == "rating_item_unknown"
    assert [item.value for item in RatingItem] == ["efficiency", "skill", "attitude"]


async def rate(api: Api, service: Any, n: int, window: int, level: int, items: dict[str, int]) -> dict[str, Any]:
    issued = await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id=f"i{n}")
    for step, command in enumerate((CallNext(window=window), StartServing(window=window),
                                    Finish(window=window, outcome=Outcome.ON_THE_SPOT))):  # fmt: skip
        assert (await service.act("test", command, actor=f"staff:s{window}", request_id=f"{n}-{step}")).ok
    token = issued.body["ticket"]["status_token"]
    reply = await api.post(f"/status/{token}/rating", None, {"request_id": rid(), "level": level, "items": items})
    assert reply.status == 200, reply.body
    return issued.body["ticket"]  # type: ignore[no-any-return]


async def test_items_go_with_the_rating_and_into_the_reports(db: Database, aiohttp_client: Any) -> None:
    service = hall_service(db)
    api = Api(await aiohttp_client(create_app(service)), await seed(db))
    for window in (1, 2):
        assert (await service.act("test", SignOn(window=window, staff=f"s{window}"), actor=f"staff:s{window}",
                                  request_id=f"on{window}")).ok  # fmt: skip
    first = await rate(api, service, 1, 1, 5, {"efficiency": 5, "attitude": 2})
    await rate(api, service, 2, 1, 4, {"attitude": 4})
    await rate(api, service, 3, 2, 4, {})
    async with db.read() as conn:
        records = await ticket_event_records(conn, "test", first["serial"])
        query = select(tickets.c.rating, tickets.c.rating_items).where(tickets.c.serial == first["serial"])
        stored = (await conn.execute(query)).one()
    assert records[-1]["items"] == [5, 0, 2]
    assert tuple(stored) == (5, [5, 0, 2])
    replayed = replay([event_from_record({k: v for k, v in record.items() if k != "seq"}) for record in records])
    assert (replayed.rating, replayed.rating_items) == (RatingLevel.VERY_SATISFIED, (5, 0, 2)), "state = history"

    wrong = await service.act("test", RateTicket(serial=3, level=RatingLevel.SATISFIED), actor="citizen",
                              request_id="again")  # fmt: skip
    assert not wrong.ok
    report = await api.get("/centres/test/reports?by=window&date=2026-11-30", "manager")
    rows = {row["key"]: row for row in report.body["rows"]}
    assert rows["1"]["item_ratings"] == {"efficiency": {"5": 1}, "attitude": {"4": 1, "2": 1}}
    assert rows["1"]["item_satisfaction"] == {"efficiency": 1.0, "skill": None, "attitude": 0.5}
    assert rows["2"]["item_satisfaction"] == {"efficiency": None, "skill": None, "attitude": None}
    by_matter = await api.get("/centres/test/reports?by=matter&date=2026-11-30", "manager")
    (pension,) = [row for row in by_matter.body["rows"] if row["key"] == "pension"]
    assert pension["item_ratings"] == {"efficiency": {"5": 1}, "attitude": {"4": 1, "2": 1}}
    async with api.client.get(
        "/api/v1/centres/test/reports?by=staff&date=2026-11-30&format=csv",
        headers={"Authorization": f"Bearer {api.tokens['manager']}"},
    ) as reply:
        lines = (await reply.read()).decode("utf-8-sig").splitlines()
    assert lines[0].endswith("服务效率满意率,服务水平满意率,服务态度满意率")
    assert lines[1].startswith("s1,") and lines[1].endswith(",1.0,,0.5")
    unknown = await api.post(f"/status/{first['status_token']}/rating", None,
                             {"request_id": rid(), "level": 5, "items": {"speed": 5}})  # fmt: skip
    assert unknown.status == 422 and unknown.body["errors"][0]["field"].startswith("items")
