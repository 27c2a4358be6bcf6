"""Sessions for the pages: login and logout, the cookie's flags, CSRF, failed-login limits, kiosk
enrolment, the API used with a session, and the live stream — over real HTTP against a running site.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import update

from queue_server.app.commands import IssueTicket
from queue_server.auth.accounts import revoke_token
from queue_server.auth.sessions import MAX_FAILURES_PER_USERNAME, SESSION_COOKIE
from queue_server.store import schema
from queue_server.store.database import Database
from tests.pages_support import PASSWORD, Site, api_headers, http_login, running_site, session_csrf

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""The sessions' SQL is plain; the API and store tests cover PostgreSQL."""


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"), (2, "s2"))) as running:
        yield running


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_a_person_logs_in_gets_a_safe_cookie_and_lands_on_their_page(site: Site) -> None:
    async with client() as http:
        async with http.get(f"{site.url}/login") as form:
            assert form.status == 200
            html = await form.text()
            assert "ow_login_csrf" in form.cookies
        csrf = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        data = {"csrf": csrf, "username": "Staff1 ", "password": PASSWORD, "next": "/"}
        async with http.post(f"{site.url}/login", data=data, allow_redirects=False) as answer:
            assert answer.status == 303
            assert answer.headers["Location"] == "/"
            cookie = answer.cookies[SESSION_COOKIE]
            assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
            assert not cookie["secure"], "plain HTTP on localhost: a Secure cookie would never come back"
        async with http.get(f"{site.url}/", allow_redirects=False) as home:
            assert (home.status, home.headers["Location"]) == (303, "/console")


async def test_the_cookie_is_secure_behind_an_https_proxy(site: Site) -> None:
    async with client() as http:
        async with http.get(f"{site.url}/login") as form:
            csrf = (await form.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
        data = {"csrf": csrf, "username": "manager", "password": PASSWORD}
        headers = {"X-Forwarded-Proto": "https"}
        async with http.post(f"{site.url}/login", data=data, headers=headers, allow_redirects=False) as answer:
            assert answer.status == 303
            assert answer.cookies[SESSION_COOKIE]["secure"]


async def test_a_wrong_password_is_refused_and_too_many_stop_even_the_right_one(site: Site) -> None:
    async with client() as http:
        for attempt in range(MAX_FAILURES_PER_USERNAME):
            status, page = await _post_login(http, site, "staff2", "wrong-password")
            assert status == 401, attempt
            assert "用户名或密码不正确" in page
        status, page = await _post_login(http, site, "staff2", PASSWORD)
        assert status == 429
        assert "登录失败次数过多" in page
        status, _ = await _post_login(http, site, "staff1", PASSWORD)
        assert status == 303, "another account from the same address may still log in"


async def _post_login(http: aiohttp.ClientSession, site: Site, username: str, password: str) -> tuple[int, str]:
    async with http.get(f"{site.url}/login") as form:
        csrf = (await form.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
    data = {"csrf": csrf, "username": username, "password": password}
    async with http.post(f"{site.url}/login", data=data, allow_redirects=False) as answer:
        return answer.status, await answer.text()


async def test_a_login_without_its_form_value_is_refused(site: Site) -> None:
    async with client() as http:
        data = {"username": "manager", "password": PASSWORD}
        async with http.post(f"{site.url}/login", data=data, allow_redirects=False) as answer:
            assert answer.status == 403
            assert SESSION_COOKIE not in answer.cookies


async def test_next_never_leads_off_the_site(site: Site) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        async with client() as http:
            async with http.get(f"{site.url}/login") as form:
                csrf = (await form.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
            data = {"csrf": csrf, "username": "manager", "password": PASSWORD, "next": target}
            async with http.post(f"{site.url}/login", data=data, allow_redirects=False) as answer:
                assert answer.headers["Location"] == "/manager", target


async def test_the_api_takes_the_session_and_asks_its_csrf_value_for_changes(site: Site) -> None:
    async with client() as http:
        csrf = await http_login(http, site, "guide")
        async with http.get(f"{site.url}/api/v1/centres/test/queue") as answer:
            assert answer.status == 200
        body = {"matter": "pension", "request_id": "desk-1"}
        async with http.post(f"{site.url}/api/v1/centres/test/tickets", json=body) as answer:
            assert answer.status == 403
            assert "X-CSRF-Token" in (await answer.json())["detail"]
        async with http.post(
            f"{site.url}/api/v1/centres/test/tickets", json=body, headers=api_headers("not-it")
        ) as answer:
            assert answer.status == 403
        async with http.post(f"{site.url}/api/v1/centres/test/tickets", json=body, headers=api_headers(csrf)) as answer:
            assert answer.status == 201, await answer.text()


async def test_logging_out_ends_the_session(site: Site) -> None:
    async with client() as http:
        csrf = await http_login(http, site, "manager")
        async with http.post(f"{site.url}/logout", data={"csrf": "wrong"}, allow_redirects=False) as answer:
            assert answer.status == 403, "a logout form from elsewhere is refused"
        async with http.post(f"{site.url}/logout", data={"csrf": csrf}, allow_redirects=False) as answer:
            assert (answer.status, answer.headers["Location"]) == (303, "/login")
        async with http.get(f"{site.url}/api/v1/centres/test/queue") as answer:
            assert answer.status == 401


async def test_a_disabled_account_loses_its_session_at_once(site: Site) -> None:
    async with client() as http:
        await http_login(http, site, "staff1")
        async with site.db.write() as conn:
            await conn.execute(update(schema.users).where(schema.users.c.username == "staff1").values(disabled=True))
        async with http.get(f"{site.url}/api/v1/centres/test/queue") as answer:
            assert answer.status == 401


async def test_a_kiosk_is_enrolled_with_its_token_and_revoking_the_token_ends_it(site: Site) -> None:
    async with client() as http:
        async with http.get(f"{site.url}/kiosk/enrol") as form:
            csrf = (await form.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
        for wrong in ("", "ow_" + "x" * 43):
            async with http.post(
                f"{site.url}/kiosk/enrol", data={"csrf": csrf, "token": wrong}, allow_redirects=False
            ) as answer:
                assert answer.status == 422
                page = await answer.text()
                assert "不是有效的取号机或评价器令牌" in page
                csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        data = {"csrf": csrf, "token": site.kiosk_token}
        async with http.post(f"{site.url}/kiosk/enrol", data=data, allow_redirects=False) as answer:
            assert (answer.status, answer.headers["Location"]) == (303, "/kiosk")
            assert answer.cookies[SESSION_COOKIE]["max-age"] == str(365 * 86400)
        csrf = await session_csrf(site, http)
        body = {"matter": "pension", "request_id": "kiosk-1"}
        async with http.post(f"{site.url}/api/v1/centres/test/tickets", json=body, headers=api_headers(csrf)) as answer:
            assert answer.status == 201, await answer.text()
            assert (await answer.json())["ticket"]["number"] == "A001"
        async with site.db.write() as conn:
            await revoke_token(conn, site.kiosk_token)
        async with http.get(f"{site.url}/api/v1/centres/test/queue") as answer:
            assert answer.status == 401


async def test_a_staff_session_cannot_reach_another_centres_live_stream(site: Site) -> None:
    async with client() as http:
        await http_login(http, site, "staff1")
        async with http.get(f"{site.url}/live/centres/elsewhere") as answer:
            assert answer.status == 403
    async with client() as anonymous, anonymous.get(f"{site.url}/live/centres/test") as answer:
        assert answer.status == 401


async def test_the_live_stream_says_when_the_centre_changed(site: Site) -> None:
    async with client() as http:
        await http_login(http, site, "manager")
        async with http.get(f"{site.url}/live/centres/test") as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            first = await _next_event(stream)
            await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "live-1")
            second = await _next_event(stream)
        assert int(second) > int(first)


async def _next_event(stream: aiohttp.ClientResponse) -> str:
    async with asyncio.timeout(10):
        while True:
            line = (await stream.content.readline()).decode()
            if line.startswith("data: "):
                return line.removeprefix("data: ").strip()


async def test_a_stopping_server_ends_the_open_live_streams_at_once(site: Site) -> None:
    """A page left open does not hold the server's stop until its shutdown timeout: the stop's
    first step (the application's shutdown signal) ends every stream."""
    async with client() as http:
        await http_login(http, site, "manager")
        async with http.get(f"{site.url}/live/centres/test") as stream:
            await _next_event(stream)
            await site.app.shutdown()
            async with asyncio.timeout(10):  # a stream not ended would send a heartbeat and go on
                rest = await stream.content.read()
        assert b"event: change" not in rest
