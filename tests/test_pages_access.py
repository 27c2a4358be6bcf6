"""Every page route, walked: the public ones open to anyone; every other refuses an anonymous
visitor (a page sends them to log in, anything else answers 401) and every role it does not name
(403), and a form sent without the session's CSRF value is refused.

The routes come from queue_server.pages.app.page_routes(), so a page added later is walked too.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from queue_server.app.commands import CallNext, Finish, IssueTicket, StartServing
from queue_server.auth.accounts import Role
from queue_server.domain.tickets import Outcome
from queue_server.pages.app import page_routes
from queue_server.pages.routes import ENROLLED, PageRoute
from queue_server.store.database import Database
from tests.pages_support import Site, http_login, running_site

ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PUBLIC_PATHS = {
    "/",
    "/login",
    "/logout",
    "/kiosk/enrol",
    "/live/ticket/{token}",
    "/guide/{centre}/{matter}",
    "/book/{centre}",
    "/book/{centre}/booking/{code}/qr.svg",
    "/rate/{code}",
}
"""The routes anyone may open (the ticket's pages add their own public routes, with a token)."""
ROLE_USERS = {
    Role.ADMIN: "admin",
    Role.MANAGER: "manager",
    Role.STAFF: "staff1",
    Role.GUIDE: "guide",
    Role.SUPERVISOR: "supervisor",
}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[tuple[Site, dict[str, str]]]:
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        answer = await running.act(IssueTicket(matter="pension"), "kiosk:k-1", "walk-ticket")
        ticket = answer.body["ticket"]
        # Finished as 补正 (supplement), so that the pages about a finished ticket (its one-time
        # notice) have something to show; the walk is about who may open them.
        await running.act(CallNext(window=1), "staff:s1", "walk-call")
        await running.act(StartServing(window=1), "staff:s1", "walk-start")
        matter = running.centre.matters_by_code["pension"]
        supplement = Finish(
            window=1,
            outcome=Outcome.SUPPLEMENT,
            reasons=(running.centre.policy.rejection_reasons[0],),
            missing_materials=(matter.materials[0],) if matter.materials else (),
        )
        await running.act(supplement, "staff:s1", "walk-finish")
        values = {
            "centre": "test",
            "token": ticket["status_token"],
            "serial": str(ticket["serial"]),
            "number": "1",
            "device": "pad-1",
            "kind": "supplement",  # the paper of the case finished above (a supplement)
        }
        yield running, values


def url_of(site: Site, route: PageRoute, values: dict[str, str]) -> str:
    """The route's path with each ``{name}`` or ``{name:regex}`` filled from ``values``."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"the walk has no value for {name!r} of {route.path}"
        return values[name]

    return site.url + re.sub(r"\{(\w+)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}", fill, route.path)


def protected() -> list[PageRoute]:
    return [route for route in page_routes() if route.roles is not None]


def test_the_public_routes_are_the_ones_meant_to_be() -> None:
    public = {route.path for route in page_routes() if route.roles is None}
    unexpected = {path for path in public - PUBLIC_PATHS if not path.startswith("/ticket/{token}")}
    assert not unexpected, f"page routes open to anyone that should not be: {sorted(unexpected)}"


@ON_SQLITE
async def test_an_anonymous_visitor_is_refused_everywhere_but_the_public_pages(
    site: tuple[Site, dict[str, str]],
) -> None:
    running, values = site
    async with aiohttp.ClientSession() as http:
        for route in protected():
            async with http.request(route.method, url_of(running, route, values), allow_redirects=False) as answer:
                where = f"{route.method} {route.path}"
                if route.html and route.method == "GET":
                    assert answer.status == 303, where
                    expected = "/kiosk/enrol" if route.roles <= ENROLLED else "/login?next="
                    assert answer.headers["Location"].startswith(expected), where
                else:
                    assert answer.status == 401, where


@ON_SQLITE
async def test_each_role_reaches_only_the_pages_meant_for_it(site: tuple[Site, dict[str, str]]) -> None:
    running, values = site
    for role, username in ROLE_USERS.items():
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            csrf = await http_login(http, running, username)
            for route in protected():
                if route.method != "GET" or not route.html:
                    continue
                async with http.get(url_of(running, route, values), allow_redirects=False) as answer:
                    where = f"{username} GET {route.path}"
                    if role in route.roles:
                        assert answer.status == 200, where
                    else:
                        assert answer.status == 403, where
            for route in protected():
                if route.method == "GET" or role not in route.roles:
                    continue
                async with http.request(route.method, url_of(running, route, values), data={}) as answer:
                    assert answer.status == 403, f"{username} {route.method} {route.path} without the CSRF value"
            assert csrf


@ON_SQLITE
async def test_a_staff_member_cannot_act_at_another_window(site: tuple[Site, dict[str, str]]) -> None:
    running, _ = site
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        csrf = await http_login(http, running, "staff1")
        url = f"{running.url}/api/v1/centres/test/windows/2/sign-on"
        body = {"request_id": "elsewhere-1", "staff": "s1"}
        async with http.post(url, json=body, headers={"X-CSRF-Token": csrf}) as answer:
            refused = await answer.json()
            assert answer.status in (403, 409), refused
        url = f"{running.url}/api/v1/centres/test/windows/2/call-next"
        async with http.post(url, json={"request_id": "elsewhere-2"}, headers={"X-CSRF-Token": csrf}) as answer:
            assert answer.status in (403, 409), await answer.text()
        url = f"{running.url}/api/v1/centres/test/windows/1/call-next"
        async with http.post(url, json={"request_id": "own-1"}, headers={"X-CSRF-Token": csrf}) as answer:
            assert answer.status == 200, "at their own window they may"
