"""A running OneWindow site for the page tests: the API and pages on a real port, accounts, a browser login.

:func:`running_site` serves a centre (the test centre with a kiosk and printers, or any centre
given) on 127.0.0.1 with a clock that starts on Monday 30 November 2026 at 09:00 in Shanghai (or at
``start``: a closed day, a minute before opening) and then runs at the speed of real time (so page
timers move), optionally with the MQTT bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from playwright.async_api import Page, expect
from sqlalchemy import select

from queue_server.app.answers import Answer
from queue_server.app.commands import Command, SignOn
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.auth import accounts
from queue_server.auth.accounts import Role, add_token, add_user
from queue_server.auth.sessions import SESSION_COOKIE
from queue_server.bus.connection import BrokerAddress
from queue_server.bus.runner import Bus
from queue_server.domain.centre import Centre
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.browser import chromium
from tests.factories import make_centre, shanghai
from tests.serverproc import free_port

PASSWORD = "Counter-2026!"
"""Every test account's password."""
DEVICES = [
    {"id": "k-1", "kind": "kiosk", "printer": "printer-1"},
    {"id": "printer-1", "kind": "printer"},
    {"id": "printer-w1", "kind": "printer", "window": 1},
    {"id": "board-1", "kind": "display"},
    {"id": "pad-1", "kind": "pad", "window": 1},
]
WAIT_MS = 10_000
"""How long a browser test waits for what should take a moment, on a loaded 2-core machine."""


class RunningClock:
    """Starts at ``start`` and runs with real time: the domain sees a working Monday, timers move."""

    def __init__(self, start: dt.datetime) -> None:
        self._start = start
        self._origin = time.monotonic()

    def now(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=time.monotonic() - self._origin)

    def advance(self, seconds: float) -> None:
        """Jump ahead, as if ``seconds`` had passed (it keeps running from there)."""
        self._start += dt.timedelta(seconds=seconds)


@dataclass
class Site:
    url: str
    service: HallService
    db: Database
    centre: Centre
    kiosk_token: str
    users: dict[str, Role] = field(default_factory=dict)
    """Every test account by username (the password is PASSWORD)."""
    bus: Bus | None = None
    app: web.Application | None = None
    """The running application (its keys: e.g. the public booking page's code limits)."""

    @property
    def code(self) -> str:
        return self.centre.centre.code

    async def act(self, command: Command, actor: str, request_id: str) -> Answer:
        answer = await self.service.act(self.code, command, actor=actor, request_id=request_id)
        assert answer.ok, answer.body
        return answer


ACCOUNTS: tuple[tuple[str, Role, str | None], ...] = (
    ("manager", Role.MANAGER, None),
    ("admin", Role.ADMIN, None),
    ("guide", Role.GUIDE, None),
    ("supervisor", Role.SUPERVISOR, None),
    ("staff1", Role.STAFF, "s1"),
    ("staff2", Role.STAFF, "s2"),
    ("staff3", Role.STAFF, "s3"),
)
"""username, role, staff code: the test centre's people."""


@contextlib.asynccontextmanager
async def running_site(
    db: Database,
    centre: Centre | None = None,
    *,
    broker: BrokerAddress | None = None,
    signed_on: Sequence[tuple[int, str]] = (),
    accounts: Sequence[tuple[str, Role, str | None]] = ACCOUNTS,
    start: dt.datetime | None = None,
) -> AsyncIterator[Site]:
    centre = centre or make_centre(devices=DEVICES)
    code = centre.centre.code
    clock = RunningClock(start or shanghai(2026, 11, 30, 9, 0))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    users: dict[str, Role] = {}
    async with db.write() as conn:
        await create_centre(conn, centre, clock.now())
        with _one_hash_for_the_test_password():
            for username, role, staff in accounts:
                await add_user(conn, username=username, password=PASSWORD, role=role, centres=[code], staff_code=staff)
                users[username] = role
        kiosk_token = await add_token(conn, label="kiosk k-1", role=Role.KIOSK, centres=[code], subject="k-1")
    async with HallService(db, clock, public_base_url=url) as service:
        for window, staff in signed_on:
            await service.act(
                code, SignOn(window=window, staff=staff), actor=f"staff:{staff}", request_id=f"on-{window}"
            )
        bus = Bus(service, [centre], broker) if broker is not None else None
        bus_task = asyncio.create_task(bus.run()) if bus is not None else None
        app = create_app(service, bus=bus)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", port).start()
            if bus is not None:
                await asyncio.wait_for(bus.centres[code].connected.wait(), 10)
            yield Site(url, service, db, centre, kiosk_token, users, bus, app)
        finally:
            await runner.cleanup()
            if bus_task is not None:
                bus_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await bus_task


@contextlib.contextmanager
def _one_hash_for_the_test_password() -> Iterator[None]:
    """Hash PASSWORD once per test run: argon2id is slow on purpose, and every site makes seven accounts."""
    real = accounts.hash_password

    def cached(password: str) -> str:
        if password != PASSWORD:
            return real(password)
        if PASSWORD not in _HASHES:
            _HASHES[PASSWORD] = real(PASSWORD)
        return _HASHES[PASSWORD]

    accounts.hash_password = cached
    try:
        yield
    finally:
        accounts.hash_password = real


_HASHES: dict[str, str] = {}


# --- Logging in -------------------------------------------------------------------------------------


async def log_in(page: Page, site: Site, username: str, password: str = PASSWORD, *, then: str = "/") -> None:
    """Log in through the login page, as a person would, and land on ``then``."""
    await page.goto(f"{site.url}/login?next={then}")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#who")).to_have_text(username, timeout=WAIT_MS)


async def enrol_kiosk(page: Page, site: Site) -> None:
    """Enrol the browser as the test centre's kiosk k-1, as a manager does once."""
    await page.goto(f"{site.url}/kiosk/enrol")
    await page.fill("#token", site.kiosk_token)
    await page.click("#enrol-form button[type=submit]")
    await page.wait_for_url(f"{site.url}/kiosk", timeout=WAIT_MS)


@contextlib.asynccontextmanager
async def kiosk_page(site: Site, viewport: dict[str, int]) -> AsyncIterator[Page]:
    """A browser enrolled as kiosk k-1 with its matters shown; an error in the page's script fails the test."""
    async with chromium() as browser:
        page = await browser.new_page(viewport=viewport)  # type: ignore[arg-type]
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await enrol_kiosk(page, site)
        await expect(page.locator("button.matter").first).to_be_visible(timeout=WAIT_MS)
        yield page
        assert not errors, errors


async def http_login(session: aiohttp.ClientSession, site: Site, username: str, password: str = PASSWORD) -> str:
    """Log ``session`` in with the login form; returns the session's CSRF value (read from the store)."""
    async with session.get(f"{site.url}/login") as form:
        html = await form.text()
    csrf = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    data = {"csrf": csrf, "username": username, "password": password, "next": "/"}
    async with session.post(f"{site.url}/login", data=data, allow_redirects=False) as answer:
        assert answer.status == 303, await answer.text()
    return await session_csrf(site, session)


async def session_csrf(site: Site, session: aiohttp.ClientSession) -> str:
    cookie = next(c for c in session.cookie_jar if c.key == SESSION_COOKIE)
    key_hash = hashlib.sha256(cookie.value.encode()).hexdigest()
    async with site.db.read() as conn:
        found = (
            await conn.execute(select(schema.web_sessions.c.csrf).where(schema.web_sessions.c.key_hash == key_hash))
        ).scalar_one()
    return str(found)


PageReader = Callable[[str], Awaitable[tuple[int, str]]]
"""Reads a page: its status and its text."""


@contextlib.asynccontextmanager
async def signed_in_reader(site: Site, username: str) -> AsyncIterator[PageReader]:
    """Pages read over HTTP as ``username`` sees them, logged in through the login form."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await http_login(http, site, username)

        async def read(path: str) -> tuple[int, str]:
            async with http.get(f"{site.url}{path}") as reply:
                return reply.status, await reply.text()

        yield read


def api_headers(csrf: str) -> dict[str, Any]:
    return {"X-CSRF-Token": csrf}
