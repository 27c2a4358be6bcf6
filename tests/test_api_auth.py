"""Who may call which route, walked over every route the router has, so a new one cannot slip through.

The expectations are written here, independently of the route table: a route the router has and
this table lacks fails the walk until someone decides who may call it.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import SignOn
from queue_server.app.service import HallService
from queue_server.app.staff_photos import staff_photo
from queue_server.assembly import create_app
from queue_server.auth.accounts import revoke_token
from queue_server.auth.verified_tokens import TOKEN_TTL_SECONDS
from queue_server.store.database import Database
from queue_server.store.staff_photos import keep_photo
from queue_server.web.keys import VERIFIED_TOKENS
from queue_server.web.routes import API_PREFIX
from tests.api_support import API, PROBLEM_JSON, TOKEN_SPECS, Api, counts, hall_service, rid, seed
from tests.test_staff_photos import picture

PUBLIC = None
"""Marks a public route: no token asked."""

EVERY_READER = frozenset({"admin", "manager", "s1", "guide", "supervisor", "kiosk"})
HALL_READERS = EVERY_READER - {"kiosk"}
WINDOW_ACTORS = frozenset({"admin", "manager", "s1"})
WINDOW_SEGMENTS = (
    "sign-on",
    "sign-off",
    "pause",
    "resume",
    "close",
    "call-next",
    "call",
    "recall",
    "start",
    "no-show",
    "transfer",
    "finish",
)

BOOKERS = frozenset({"admin", "manager", "guide", "platform"})
"""The desk books for someone on the phone, a provincial booking platform on a citizen's behalf."""

EXPECTED: dict[tuple[str, str], frozenset[str] | None] = {
    ("GET", f"{API}/health"): PUBLIC,
    ("GET", f"{API}/openapi.json"): PUBLIC,
    ("GET", f"{API}/status/{{token}}"): PUBLIC,
    ("POST", f"{API}/status/{{token}}/cancel"): PUBLIC,
    ("POST", f"{API}/status/{{token}}/rating"): PUBLIC,
    ("POST", f"{API}/status/{{token}}/sms"): PUBLIC,
    ("POST", f"{API}/centres/{{centre}}/tickets/{{serial}}/sms"): frozenset({"kiosk", "guide"}),
    ("GET", f"{API}/centres/{{centre}}/sms-notices"): frozenset({"admin", "manager", "supervisor"}),
    ("GET", f"{API}/centres"): EVERY_READER,
    ("GET", f"{API}/centres/{{centre}}"): EVERY_READER,
    ("GET", f"{API}/centres/{{centre}}/queue"): EVERY_READER,
    ("GET", f"{API}/centres/{{centre}}/windows"): HALL_READERS,
    ("GET", f"{API}/centres/{{centre}}/devices"): HALL_READERS,
    ("GET", f"{API}/centres/{{centre}}/windows/{{number}}"): HALL_READERS,
    ("GET", f"{API}/centres/{{centre}}/windows/{{number}}/call-order"): HALL_READERS,
    ("GET", f"{API}/centres/{{centre}}/tickets/{{serial}}"): HALL_READERS,
    ("GET", f"{API}/centres/{{centre}}/tickets/{{serial}}/events"): HALL_READERS,
    ("GET", f"{API}/centres/{{centre}}/tickets/{{serial}}/prints"): EVERY_READER,
    ("GET", f"{API}/centres/{{centre}}/tickets/by-number/{{ticket_number}}"): HALL_READERS,
    ("POST", f"{API}/centres/{{centre}}/tickets/{{serial}}/reprint"): frozenset({"admin", "manager", "guide"}),
    ("POST", f"{API}/centres/{{centre}}/tickets"): frozenset({"kiosk", "guide"}),
    **{("POST", f"{API}/centres/{{centre}}/windows/{{number}}/{s}"): WINDOW_ACTORS for s in WINDOW_SEGMENTS},
    ("POST", f"{API}/centres/{{centre}}/tickets/{{serial}}/requeue"): frozenset({"admin", "manager", "s1", "guide"}),
    ("POST", f"{API}/centres/{{centre}}/tickets/{{serial}}/cancel"): frozenset({"admin", "manager", "s1", "guide"}),
    ("POST", f"{API}/centres/{{centre}}/close-day"): frozenset({"admin", "manager"}),
    ("GET", f"{API}/centres/{{centre}}/reports"): frozenset({"admin", "manager", "supervisor"}),
    ("GET", f"{API}/metrics"): frozenset({"admin", "manager", "supervisor"}),
    ("GET", f"{API}/audit"): frozenset({"admin", "supervisor"}),
    ("GET", f"{API}/centres/{{centre}}/promised"): HALL_READERS,
    ("POST", f"{API}/centres/{{centre}}/promised/{{serial}}/deliver"): frozenset({"admin", "manager", "s1", "guide"}),
    ("POST", f"{API}/centres/{{centre}}/promised/{{serial}}/hand-over"): frozenset({"admin", "manager", "s1", "guide"}),
    ("GET", f"{API}/centres/{{centre}}/elsewhere"): EVERY_READER,
    ("GET", f"{API}/centres/{{centre}}/issuing"): EVERY_READER,
    ("GET", f"{API}/centres/{{centre}}/pads/{{device}}"): frozenset({"device"}),
    ("POST", f"{API}/centres/{{centre}}/pads/{{device}}/rating"): frozenset({"device"}),
    ("GET", f"{API}/centres/{{centre}}/reports/monthly-ranking"): frozenset({"admin", "manager", "supervisor"}),
    ("GET", f"{API}/centres/{{centre}}/rectifications"): frozenset({"admin", "manager", "supervisor", "s1"}),
    ("GET", f"{API}/centres/{{centre}}/rectifications/{{case}}"): frozenset({"admin", "manager", "supervisor", "s1"}),
    ("POST", f"{API}/centres/{{centre}}/rectifications"): frozenset({"admin", "manager", "s1", "guide"}),
    ("POST", f"{API}/centres/{{centre}}/rectifications/{{case}}/advance"): frozenset({"admin", "manager"}),
    ("POST", f"{API}/centres/{{centre}}/rectifications/{{case}}/assign"): frozenset({"admin", "manager"}),
    ("POST", f"{API}/centres/{{centre}}/rectifications/{{case}}/follow-up-calls"): frozenset({"admin", "manager"}),
    ("POST", f"{API}/centres/{{centre}}/rectifications/{{case}}/appeal"): frozenset({"admin", "manager", "s1"}),
    ("POST", f"{API}/centres/{{centre}}/appeal-evidence"): frozenset({"admin", "manager", "s1"}),
    ("GET", f"{API}/centres/{{centre}}/appeal-evidence/{{evidence}}"): frozenset(
        {"admin", "manager", "supervisor", "s1"}
    ),
    ("POST", f"{API}/centres/{{centre}}/rectifications/{{case}}/appeal/decision"): frozenset({"admin", "supervisor"}),
    ("GET", f"{API}/centres/{{centre}}/config"): frozenset({"admin", "manager", "supervisor"}),
    ("PUT", f"{API}/centres/{{centre}}/config"): frozenset({"admin", "manager"}),
    ("GET", f"{API}/centres/{{centre}}/advice"): frozenset({"admin", "manager", "supervisor"}),
    ("POST", f"{API}/centres/{{centre}}/staff-photos"): frozenset({"admin", "manager"}),
    ("GET", f"{API}/centres/{{centre}}/staff-photos/{{photo}}.jpg"): PUBLIC,
    ("GET", f"{API}/centres/{{centre}}/printers"): HALL_READERS,
    ("POST", f"{API}/centres/{{centre}}/cases/{{case_number}}/result"): frozenset({"business"}),
    ("GET", f"{API}/centres/{{centre}}/booking-slots"): BOOKERS,
    ("POST", f"{API}/centres/{{centre}}/bookings"): BOOKERS,
    ("GET", f"{API}/centres/{{centre}}/bookings/{{code}}"): BOOKERS,
    ("POST", f"{API}/centres/{{centre}}/bookings/{{code}}/cancel"): BOOKERS,
    ("POST", f"{API}/centres/{{centre}}/bookings/{{code}}/move"): BOOKERS,
    ("GET", f"{API}/public/centres/{{centre}}/booking-slots"): PUBLIC,
    ("POST", f"{API}/public/centres/{{centre}}/booking-code"): PUBLIC,
    ("POST", f"{API}/public/centres/{{centre}}/bookings"): PUBLIC,
    ("POST", f"{API}/public/centres/{{centre}}/bookings/{{code}}/cancel"): PUBLIC,
    ("POST", f"{API}/public/centres/{{centre}}/bookings/{{code}}/move"): PUBLIC,
    ("POST", f"{API}/centres/{{centre}}/check-in"): frozenset({"admin", "manager", "guide", "kiosk"}),
    ("GET", f"{API}/centres/{{centre}}/cases/{{case_number}}/postal-address"): frozenset({"business"}),
    ("GET", f"{API}/centres/{{centre}}/promised/find"): frozenset({"admin", "manager", "s1", "guide"}),
    ("POST", f"{API}/centres/{{centre}}/promised/{{serial}}/postal-address"): frozenset(
        {"admin", "manager", "s1", "guide"}
    ),
}
"""Who may call each route, by token name (see ``TOKEN_SPECS``); None for a public route."""

ROLE_TOKENS = ("admin", "manager", "s1", "guide", "supervisor", "kiosk", "device", "business", "platform")
OTHER_CENTRE = {"admin": "other-admin", "manager": "other-manager", "s1": "other-staff", "guide": "other-guide"}
OTHER_CENTRE |= {"kiosk": "other-kiosk", "business": "other-business", "platform": "other-platform"}
"""For each role, its token at centre ``other``: right role, wrong centre."""

VALID_BODY = {"request_id": "walk-1", "matter": "pension", "staff": "s1", "outcome": "on_the_spot"}
"""A body every action would at least parse far enough to act, if it got past the check."""


PHOTO = staff_photo(picture())
"""A staff photo stored at the centre, so its public route finds one."""


@pytest.fixture
async def hall(db: Database, aiohttp_client: AiohttpClient) -> tuple[Api, HallService, dict[str, Any]]:
    """The app over a hall with something at stake: window 1 open, one ticket waiting."""
    service = hall_service(db)
    tokens = await seed(db)
    api = Api(await aiohttp_client(create_app(service)), tokens)
    answer = await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id=rid())
    assert answer.ok, answer.body
    ticket = await api.issue()
    async with db.write() as conn:
        await keep_photo(conn, "test", PHOTO.sha256, PHOTO.image, "admin:admin", service.clock.now())
    return api, service, ticket


def routes_of(api: Api) -> list[tuple[str, str]]:
    """Every (method, path template) the router serves."""
    return [
        (route.method, route.resource.canonical)
        for route in api.client.app.router.routes()
        if route.resource and route.resource.canonical.startswith(API_PREFIX)
    ]  # the pages have their own walk (tests/test_pages_access.py)


def url_of(template: str, ticket: dict[str, Any]) -> str:
    return template.format(
        centre="test",
        number=1,
        serial=ticket["serial"],
        token=ticket["status_token"],
        ticket_number=ticket["number"],
        case=1,
        device="pad1",
        photo=PHOTO.sha256,
        evidence="0" * 64,
        case_number=f"TEST-2026-{ticket['serial']:06d}",
        code="ACDE3467",
    )


async def test_every_route_has_an_expectation(hall: tuple[Api, HallService, dict[str, Any]]) -> None:
    api, _, _ = hall
    routed = routes_of(api)
    missing = [route for route in routed if route not in EXPECTED]
    assert not missing, f"routes without an access expectation in this test: {missing}"
    assert len(routed) == len(set(routed)) == len(EXPECTED)


async def test_anonymous_requests_to_protected_routes_are_401(
    db: Database, hall: tuple[Api, HallService, dict[str, Any]]
) -> None:
    api, _, ticket = hall
    before = await counts(db)
    for method, template in routes_of(api):
        url = url_of(template, ticket)
        if EXPECTED[method, template] is PUBLIC:
            continue
        for headers in ({}, {"Authorization": "Basic czE6cGFzc3dvcmQ="}, {"Authorization": "Bearer ow_" + "x" * 43}):
            reply = await api.call(method, url, headers=headers, body=VALID_BODY if method == "POST" else None)
            assert reply.status == 401, (method, template, headers, reply.body)
            assert reply.content_type == PROBLEM_JSON
            assert reply.headers["WWW-Authenticate"].startswith("Bearer")
            assert method in reply.body["detail"] and url in reply.body["detail"]
    assert await counts(db) == before


async def test_public_routes_ask_for_no_token(hall: tuple[Api, HallService, dict[str, Any]]) -> None:
    api, _, ticket = hall
    for method, template in routes_of(api):
        if EXPECTED[method, template] is not PUBLIC:
            continue
        # A POST without a request id gets as far as checking its body: no token was asked for.
        query = "?matter=pension&day=2026-11-30" if template.endswith("/booking-slots") else ""
        reply = await api.call(method, url_of(template, ticket) + query, body={} if method == "POST" else None)
        assert reply.status == (422 if method == "POST" else 200), (method, template, reply.body)


async def test_wrong_roles_and_other_centres_are_403_and_change_nothing(
    db: Database, hall: tuple[Api, HallService, dict[str, Any]]
) -> None:
    api, _, ticket = hall
    before = await counts(db)
    checked = 0
    for method, template in routes_of(api):
        allowed = EXPECTED[method, template]
        if allowed is None:
            continue
        refused = [name for name in ROLE_TOKENS if name not in allowed]
        if "{centre}" in template:
            refused += [OTHER_CENTRE[name] for name in allowed if name in OTHER_CENTRE]
        for name in refused:
            body = {**VALID_BODY, "request_id": rid()} if method == "POST" else None
            reply = await api.call(method, url_of(template, ticket), name, body)
            assert reply.status == 403, (method, template, name, reply.body)
            assert reply.content_type == PROBLEM_JSON
            assert reply.body["type"] == "urn:onewindow:problem:forbidden"
            role, _, _ = TOKEN_SPECS[name]
            assert f"a {role} token" in reply.body["detail"] or "centre 'test'" in reply.body["detail"]
            checked += 1
    assert checked > 100
    assert await counts(db) == before


async def test_the_list_of_centres_shows_only_the_tokens_centres(hall: tuple[Api, HallService, dict[str, Any]]) -> None:
    api, _, _ = hall
    assert [c["code"] for c in (await api.get("/centres", "manager")).body["centres"]] == ["test"]
    assert [c["code"] for c in (await api.get("/centres", "other-manager")).body["centres"]] == ["other"]


async def test_a_revoked_token_is_401_within_the_verified_tokens_bound(
    db: Database, hall: tuple[Api, HallService, dict[str, Any]]
) -> None:
    api, _, _ = hall
    verified = api.client.app[VERIFIED_TOKENS]
    now = [1000.0]
    verified.clock = lambda: now[0]
    assert (await api.get("/centres/test", "manager")).status == 200
    async with db.write() as conn:
        await revoke_token(conn, api.tokens["manager"])
    # verified a moment ago: believed until the bound, without reading the database
    now[0] += TOKEN_TTL_SECONDS / 2
    assert (await api.get("/centres/test", "manager")).status == 200
    now[0] += TOKEN_TTL_SECONDS / 2
    reply = await api.get("/centres/test", "manager")
    assert reply.status == 401
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
    assert TOKEN_TTL_SECONDS <= 5.0  # the revocation delay the deployment promises


async def test_an_unknown_token_is_never_kept(hall: tuple[Api, HallService, dict[str, Any]]) -> None:
    api, _, _ = hall
    verified = api.client.app[VERIFIED_TOKENS]
    verified.clear()
    assert (await api.get("/centres/test", "manager")).status == 200
    reply = await api.call("GET", "/centres/test", headers={"Authorization": "Bearer ow_nosuchtoken"})
    assert reply.status == 401
    assert len(verified) == 1
