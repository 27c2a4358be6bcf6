"""The application's refusals of the catalogue, through the HTTP API, said in both languages.

tests/test_refusal_catalogue.py triggers the hall's own refusals through the domain; this walks
the rest (promised cases, rectification cases, request ids, the configuration, a rating pad) and
checks each problem carries its code, its facts and the words a page shows, with no internal code
on the Chinese side.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.assembly import create_app
from queue_server.domain.case_results import CASE_NUMBER
from queue_server.domain.clock import ManualClock
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store.database import Database
from tests.api_support import Api, promised_day, rid
from tests.factories import shanghai
from tests.test_refusal_catalogue import APPLICATION_CODES, FALLBACK_CODES, TRIGGERS

C = RefusalCode


@pytest.fixture
async def api(db: Database, aiohttp_client: AiohttpClient) -> Api:
    """Monday 30 November at ``test``: A001 promised in 3 working days, A002 finished on the spot."""
    service, tokens = await promised_day(db, ManualClock(shanghai(2026, 11, 30, 9, 0)))
    return Api(await aiohttp_client(create_app(service)), tokens)


def said(body: dict[str, Any], code: RefusalCode) -> str:
    """The problem's Chinese words, after checking its code, its facts and both languages."""
    assert body.get("code") == code.value, body
    assert isinstance(body.get("args"), dict), body
    zh, en = body["message"], body["message_en"]
    assert zh and en and zh != en, body
    for internal in ("pension", "medical", "other", "nowhere", "#"):
        assert internal not in zh, f"{code}: {zh}"
    printed = CASE_NUMBER.sub("", zh)  # a case number is named as its papers print it (TEST-2026-000001)
    assert not any(word.isascii() and word.isalpha() and len(word) > 1 for word in _latin_words(printed)), zh
    return str(zh)


def _latin_words(text: str) -> list[str]:
    words, current = [], ""
    for char in text:
        if char.isascii() and char.isalnum():
            current += char
        else:
            if current:
                words.append(current)
            current = ""
    return [*words, current] if current else words


async def test_the_application_refusals_are_said_in_both_languages(api: Api) -> None:
    seen: dict[RefusalCode, str] = {}

    async def refused(status: int, code: RefusalCode, method: str, path: str, token: str, body: Any = None) -> None:
        reply = await api.call(method, path, token, body)
        assert reply.status == status, (code, reply.status, reply.body)
        seen[code] = said(reply.body, code)

    promised = "/centres/test/promised"
    for status, code, serial, state in (
        (409, C.RESULT_STATE_WRONG, 1, "delivered"),
        (404, C.CASE_NUMBER_UNKNOWN, 2, "ready"),
    ):
        result = f"/centres/test/cases/TEST-2026-{serial:06d}/result"
        await refused(status, code, "POST", result, "business", {"request_id": rid(), "state": state})
    assert "TEST-2026-000001已受理，尚未办结，不能标为已送达" in seen[C.RESULT_STATE_WRONG], "the states in words"
    await refused(
        404,
        C.CENTRE_NOT_FOUND,
        "POST",
        f"{promised}/1/hand-over",
        "guide",
        {"request_id": rid(), "to_centre": "nowhere"},
    )
    await refused(
        404,
        C.PROMISED_NOT_FOUND,
        "POST",
        f"{promised}/2/hand-over",
        "guide",
        {"request_id": rid(), "to_centre": "other"},
    )
    await refused(
        409,
        C.PROMISED_HERE_ALREADY,
        "POST",
        f"{promised}/1/hand-over",
        "guide",
        {"request_id": rid(), "to_centre": "test"},
    )
    assert (
        await api.post(f"{promised}/1/hand-over", "guide", {"request_id": rid(), "to_centre": "other"})
    ).status == 200
    await refused(
        409,
        C.PROMISED_HANDED_OVER,
        "POST",
        f"{promised}/1/hand-over",
        "guide",
        {"request_id": rid(), "to_centre": "other"},
    )
    assert "另一个便民服务中心" in seen[C.PROMISED_HANDED_OVER], "the centre by its name"
    deliver = {"request_id": rid(), "origin": "test"}
    assert (await api.post("/centres/other/promised/1/deliver", "other-guide", deliver)).status == 200
    await refused(
        409,
        C.PROMISED_DELIVERED,
        "POST",
        "/centres/other/promised/1/deliver",
        "other-guide",
        {"request_id": rid(), "origin": "test"},
    )
    await refused(404, C.CASE_NOT_FOUND, "GET", "/centres/test/rectifications/999", "manager")
    await refused(404, C.PHOTO_NOT_FOUND, "GET", f"/centres/test/staff-photos/{'0' * 64}.jpg", "manager")
    await refused(404, C.EVIDENCE_NOT_FOUND, "GET", f"/centres/test/appeal-evidence/{'0' * 64}", "manager")
    await refused(422, C.INVALID, "GET", "/centres/test/rectifications?status=bogus", "manager")
    reused = rid()
    assert (await api.post("/centres/test/windows/1/call-next", "s1", {"request_id": reused})).status == 200
    await refused(409, C.REQUEST_ID_REUSED, "POST", "/centres/test/windows/1/recall", "s1", {"request_id": reused})
    await refused(404, C.PAD_NOT_FOUND, "GET", "/centres/test/pads/pad1", "device")

    async def change(code: RefusalCode, edit: Callable[[dict[str, Any]], None]) -> None:
        config = (await api.get("/centres/test/config", "manager")).body["config"]
        edit(config)
        await refused(409, code, "PUT", "/centres/test/config", "manager", {"config": config, "dry_run": True})

    def without_group_b(config: dict[str, Any]) -> None:
        config["ticket_groups"] = [g for g in config["ticket_groups"] if g["prefix"] != "B"]
        for matter in config["matters"]:
            matter["prefix"] = "A"

    await change(C.CHANGE_WINDOW_OPEN, without_window(1))
    await api.sign_on(("s3", 3))
    await api.issue("id_card")
    await change(C.CHANGE_MATTER_OPEN, lambda config: config.update(matters=config["matters"][:2]))
    assert "「居民身份证换领」" in seen[C.CHANGE_MATTER_OPEN], "the matter by its name"
    await change(C.CHANGE_GROUP_OPEN, without_group_b)
    await api.act("/centres/test/windows/3/call-next", "s3")
    await api.act("/centres/test/windows/9/sign-on", "manager", staff="s9")
    await api.issue("pension")
    await api.act("/centres/test/windows/9/call-next", "manager")
    await change(C.CHANGE_WINDOW_BUSY, without_window(9))
    await api.act("/centres/test/windows/9/transfer", "manager", to_window=1)
    await api.act("/centres/test/windows/1/sign-off", "s1", staff="s1")
    await change(C.CHANGE_WINDOW_AWAITED, without_window(1))

    await _book_then_lower_the_places(api, change, seen)

    assert set(seen) == APPLICATION_CODES - FALLBACK_CODES
    assert not set(seen) & set(TRIGGERS)


async def test_a_transfer_to_a_closed_window_is_a_conflict_said_with_the_window_and_number(api: Api) -> None:
    """Not 403 any more: the clerk may transfer, the window is closed."""
    await api.issue()
    await api.act("/centres/test/windows/1/call-next", "s1")
    reply = await api.post("/centres/test/windows/1/transfer", "s1", {"request_id": rid(), "to_window": 2})
    assert reply.status == 409, reply.body
    assert reply.body["type"] == "urn:onewindow:problem:invalid-transition"
    assert reply.body["args"] == {"ticket": "A003", "window": 2}
    assert said(reply.body, C.TRANSFER_WINDOW_CLOSED) == "2号窗口（综合受理）已关闭，A003号不能转到该窗口"
    assert reply.body["message_en"] == "Window 2 is closed; ticket A003 cannot be transferred there"
    assert "window 2: the window is closed" in reply.body["detail"], "the English detail stays for developers"


def without_window(number: int) -> Callable[[dict[str, Any]], None]:
    return lambda config: config.update(windows=[w for w in config["windows"] if w["number"] != number])


Change = Callable[[RefusalCode, Callable[[dict[str, Any]], None]], Awaitable[None]]


async def _book_then_lower_the_places(api: Api, change: Change, seen: dict[RefusalCode, str]) -> None:
    """Pension takes bookings at 09:00, one is booked on Tuesday, and that day's places set to 0."""

    def with_places(*days: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
        pension = {"matter": "pension", "slots": [{"start": "09:00", "end": "09:30", "places": 2}], "days": days}
        return lambda config: config.update(bookings={"matters": [pension]})

    config = (await api.get("/centres/test/config", "manager")).body["config"]
    with_places()(config)
    applied = await api.call("PUT", "/centres/test/config", "manager", {"config": config, "request_id": rid()})
    assert applied.status == 200, applied.body
    tuesday_nine = shanghai(2026, 12, 1, 9, 0).isoformat()
    booking = {"request_id": rid(), "matter": "pension", "start": tuesday_nine, "id_number": "11010519491231002X"}
    booked = await api.post("/centres/test/bookings", "guide", {**booking, "phone": "13812345678"})
    assert booked.status == 201, booked.body
    await change(C.CHANGE_BELOW_BOOKED, with_places({"day": "2026-12-01", "start": "09:00", "places": 0}))
    assert "「养老保险待遇领取」12月1日（周二）09:00的时段已有1人预约" in seen[C.CHANGE_BELOW_BOOKED]
