"""A kiosk cannot flood the queue: tickets per kiosk and per client address are limited.

The token bucket on its own with a hand-turned clock, then at both edges: the HTTP API (429
problem+json with Retry-After, in Chinese and English) and a button kiosk's ticket request over a
real Mosquitto (a refused answer of type ``rate-limited``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select

from queue_server.app.ratelimit import RateLimiter, whole_seconds
from queue_server.app.ticket_limits import Scope, TicketLimits
from queue_server.assembly import create_app
from queue_server.bus.connection import BrokerAddress
from queue_server.domain.clock import ManualClock
from queue_server.store import schema
from queue_server.store.database import Database
from tests.api_support import PROBLEM_JSON, Api, hall_service, rid, seed
from tests.brokers import Mosquitto
from tests.factories import make_centre
from tests.test_bus import DEVICES, hall_on, request, watcher


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- The bucket -----------------------------------------------------------------------------------


def test_a_bucket_allows_its_burst_then_one_per_interval() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    assert all(limiter.take("k", 30) is None for _ in range(30)), "a burst of the whole minute's tickets"
    wait = limiter.take("k", 30)
    assert wait == pytest.approx(2.0), "then one every 60/30 s"
    clock.now += 1.0
    assert limiter.take("k", 30) == pytest.approx(1.0), "a refusal takes nothing: the wait only shrinks"
    clock.now += 1.0
    assert limiter.take("k", 30) is None
    assert limiter.take("k", 30) == pytest.approx(2.0)
    clock.now += 600
    assert all(limiter.take("k", 30) is None for _ in range(30)), "a quiet kiosk has its burst back, no more"
    assert limiter.take("k", 30) is not None


def test_keys_are_apart_zero_is_no_limit_and_a_clock_set_back_gives_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    assert limiter.take("a", 1) is None
    assert limiter.take("a", 1) == pytest.approx(60.0)
    assert limiter.take("b", 1) is None, "another key has its own bucket"
    assert all(limiter.take("c", 0) is None for _ in range(1000))
    clock.now -= 3600
    assert limiter.take("a", 1) is not None


def test_buckets_of_many_addresses_stay_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(clock, max_keys=100)
    for n in range(1000):
        assert limiter.take(f"10.0.{n // 256}.{n % 256}", 10) is None
        clock.now += 0.01
    assert len(limiter) <= 100
    assert limiter.take("10.0.3.231", 10) is None


def test_whole_seconds_rounds_up() -> None:
    assert [whole_seconds(w) for w in (0.01, 1.0, 1.2, 2.0, 59.9)] == [1, 1, 2, 2, 60]


def test_ticket_limits_name_the_kiosk_or_the_address_in_both_languages() -> None:
    centre = make_centre(policy={"kiosk_tickets_per_minute": 2, "address_tickets_per_minute": 3})

    class Service:
        clock = ManualClock(dt.datetime(2026, 11, 30, 1, tzinfo=dt.UTC))

    limits = TicketLimits(lambda: Service.clock.now().timestamp())
    assert limits.take(centre, kiosk="k-1", address="10.0.0.1") is None
    assert limits.take(centre, kiosk="k-1", address="10.0.0.1") is None
    kiosk = limits.take(centre, kiosk="k-1", address="10.0.0.1")
    assert kiosk is not None and kiosk.scope is Scope.KIOSK and kiosk.retry_after == 30
    assert "kiosk k-1" in kiosk.detail and "2 tickets a minute" in kiosk.detail
    assert kiosk.message == "取号过于频繁，请 30 秒后再试。"
    assert kiosk.message_en == "Too many tickets in a short time; please try again in 30 s."
    assert limits.take(centre, kiosk="k-2", address="10.0.0.1") is None
    address = limits.take(centre, kiosk="k-3", address="10.0.0.1")
    assert address is not None and address.scope is Scope.ADDRESS and "address 10.0.0.1" in address.detail
    Service.clock.advance(seconds=30)
    assert limits.take(centre, kiosk="k-1", address="10.0.0.2") is None


# --- HTTP -----------------------------------------------------------------------------------------


async def issued(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(schema.tickets)) or 0)


async def test_the_api_answers_429_past_the_address_limit_and_the_kiosk_limit(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    service = hall_service(db)
    api = Api(await aiohttp_client(create_app(service)), await seed(db))
    await api.sign_on(("s1", 1))

    async def issue(token: str = "kiosk", address: str | None = None) -> Any:
        headers = {"X-Forwarded-For": f"198.51.100.7, {address}"} if address else None
        return await api.post(
            "/centres/test/tickets", token, {"matter": "pension", "request_id": rid()}, headers=headers
        )

    first = {"matter": "pension", "request_id": rid()}
    assert (await api.post("/centres/test/tickets", "kiosk", first)).status == 201
    for _ in range(19):  # the default: 20 a minute from one address
        assert (await issue()).status == 201
    again = await api.post("/centres/test/tickets", "kiosk", first)
    assert again.status == 201, "a repeat of an answered request is answered again, free of charge"
    refused = await issue()
    assert refused.status == 429 and refused.content_type == PROBLEM_JSON
    assert refused.headers["Retry-After"] == "3"
    body = refused.body
    assert body["type"] == "urn:onewindow:problem:rate-limited" and body["reason"] == "rate_limited"
    assert body["message"] == "取号过于频繁，请 3 秒后再试。"
    assert body["message_en"] == "Too many tickets in a short time; please try again in 3 s."
    assert "address 127.0.0.1" in body["detail"]
    desk = await issue("guide")
    assert desk.status == 429, "the address is counted whatever the token"
    assert await issued(db) == 20, "a refused request issues nothing"

    for n in range(10):  # other addresses, behind the local proxy: the kiosk's own 30 a minute remain
        assert (await issue(address=f"203.0.113.{n}")).status == 201
    kiosk = await issue(address="203.0.113.99")
    assert kiosk.status == 429 and "kiosk kiosk1" in kiosk.body["detail"]
    assert kiosk.headers["Retry-After"] == "2"

    assert isinstance(service.clock, ManualClock)
    service.clock.advance(seconds=3)
    assert (await issue()).status == 201, "the wait said is enough"
    assert await issued(db) == 31


# --- MQTT -----------------------------------------------------------------------------------------


async def test_a_button_kiosk_past_its_limit_gets_a_rate_limited_answer(db: Database, mosquitto: Mosquitto) -> None:
    broker = BrokerAddress.from_url(mosquitto.url)
    centre = make_centre(devices=DEVICES, policy={"kiosk_tickets_per_minute": 3})
    async with hall_on(db, broker, centre) as hall, watcher(broker, "kiosk") as device:
        await device.subscribe("onewindow/test/+/+/response/+", qos=1)
        for n in range(3):
            answer = await request(device, "kiosk", "k-1", "ticket", {"request_id": f"boot-{n}", "matter": "pension"})
            assert answer.ok, answer
        repeat = await request(device, "kiosk", "k-1", "ticket", {"request_id": "boot-2", "matter": "pension"})
        assert repeat.ok and repeat.result == answer.result, "a kiosk that missed its answer asks again, free of charge"
        refused = await request(device, "kiosk", "k-1", "ticket", {"request_id": "boot-3", "matter": "pension"})
        assert not refused.ok and refused.error is not None and refused.error.type == "rate-limited"
        assert refused.request_id == "boot-3"
        assert "kiosk k-1" in refused.error.detail and "取号过于频繁" in refused.error.detail
        assert await issued(db) == 3
        keypad = await request(device, "keypad", "kp-1", "next", {"request_id": "boot-4"})
        assert keypad.ok, "only tickets are limited"
        assert isinstance(hall.service.clock, ManualClock)
        hall.service.clock.advance(seconds=20)
        again = await request(device, "kiosk", "k-1", "ticket", {"request_id": "boot-3", "matter": "pension"})
        assert again.ok, "the refused request id was not spent: the kiosk's retry is issued"
