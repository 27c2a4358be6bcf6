"""A promised case (承诺件) whose service was not rated at the window is asked again when its
result is delivered (送达): on the ticket's own page, once, never on the window's pad or display.
A case rated at the window keeps its one rating."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from queue_server.app.commands import ExpireRatings, RateTicket
from queue_server.app.views import pad_view, window_state_view
from queue_server.assembly import create_app
from queue_server.cli.server import expire_ratings
from queue_server.domain.clock import ManualClock
from queue_server.domain.errors import InvalidTransition
from queue_server.domain.events import replay
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from queue_server.store.schema import tickets
from tests.api_support import Api, promised_day, rid
from tests.factories import make_hall, shanghai


async def status_token(db: Database, serial: int) -> str:
    async with db.read() as conn:
        return str((await conn.execute(select(tickets.c.status_token).where(tickets.c.serial == serial))).scalar())


@pytest.fixture
async def hall(db: Database, aiohttp_client: AiohttpClient) -> tuple[Api, Any, ManualClock]:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    service, tokens = await promised_day(db, clock)
    return Api(await aiohttp_client(create_app(service)), tokens), service, clock


async def test_a_delivered_case_not_rated_at_the_window_is_rated_once_on_its_page(
    db: Database, hall: tuple[Api, Any, ManualClock]
) -> None:
    api, service, clock = hall
    clock.advance(dt.timedelta(days=2))
    assert (await service.act("test", ExpireRatings(), actor="system", request_id="expire")).ok
    token = await status_token(db, 1)
    assert (await api.get(f"/status/{token}", None)).body["ticket"]["rating_status"] == "expired"

    delivered = await api.post("/centres/test/promised/1/deliver", "s1", {"request_id": "d-1", "window": 1})
    assert delivered.status == 200, delivered.body
    seen = (await api.get(f"/status/{token}", None)).body["ticket"]
    assert seen["rating_status"] == "requested", "the ticket's page offers the rating"
    assert seen["rating_expires_at"] == "2026-12-03T01:00:00+00:00", "for a day after the delivery"
    live = await service.hall("test")
    assert pad_view(live, 1) == {"state": "idle", "window": 1}, "not the pad's: the citizen is elsewhere"
    assert window_state_view(live, 1)["rating"] is None

    assert (await api.post("/centres/test/promised/1/deliver", "s1", {"request_id": "d-1", "window": 1})).replayed
    rated = await api.post(f"/status/{token}/rating", None, {"request_id": rid(), "level": 4, "items": {"skill": 5}})
    assert rated.status == 200, rated.body
    again = await api.post(f"/status/{token}/rating", None, {"request_id": rid(), "level": 5})
    assert again.status == 409 and again.body["code"] == "rated_already"


async def test_a_case_rated_at_the_window_keeps_its_one_rating(hall: tuple[Api, Any, ManualClock]) -> None:
    api, service, clock = hall
    rated = await service.act(
        "test", RateTicket(serial=1, level=RatingLevel.SATISFIED, window=1), actor="device:pad-1", request_id="pad"
    )
    assert rated.ok, rated.body
    clock.advance(dt.timedelta(days=2))
    delivered = await api.post("/centres/test/promised/1/deliver", "s1", {"request_id": "d-1"})
    assert delivered.status == 200, delivered.body  # the delivery stands; no second rating is asked
    async with service.db.read() as conn:
        query = select(tickets.c.rating_status, tickets.c.rating_reopened_at).where(tickets.c.serial == 1)
        row = (await conn.execute(query)).first()
    assert row is not None and (row.rating_status, row.rating_reopened_at) == ("rated", None)


def test_only_a_promised_case_is_asked_again_and_only_once() -> None:
    hall, clock = make_hall()
    for outcome in (Outcome.PROMISED, Outcome.ON_THE_SPOT):
        hall.issue("pension")
        hall.call_next(1)
        hall.finish(1, outcome, promised_days=3 if outcome is Outcome.PROMISED else None)
    with pytest.raises(InvalidTransition, match="it is no promised case") as refused:
        hall.reopen_rating(2)
    assert refused.value.code == "rating_not_promised"
    clock.advance(dt.timedelta(hours=2))
    hall.expire_ratings()
    hall.reopen_rating(1)
    with pytest.raises(InvalidTransition, match="asked again when its result was delivered"):
        hall.reopen_rating(1)
    with pytest.raises(InvalidTransition, match="time to rate it at the window has passed"):
        hall.check_rating_code(1, hall.ticket(1).rating_code)
    hall.rate(1, RatingLevel.BASICALLY_SATISFIED, source="citizen")
    assert replay(hall.ticket_log(1)) == hall.ticket(1), "state = history"


async def test_the_servers_check_expires_the_open_requests_once_due(hall: tuple[Api, Any, ManualClock]) -> None:
    """The daily jobs' look (``cli.server.expire_ratings``) reads the hall's open requests, not every ticket."""
    _api, service, clock = hall
    await expire_ratings(service)
    live = await service.hall("test")
    assert live.ratings.requested == {1, 2}, "not due yet"
    clock.advance(dt.timedelta(days=2))
    await expire_ratings(service)
    live = await service.hall("test")
    assert live.ratings.requested == set() and pad_view(live, 1) == {"state": "idle", "window": 1}
