"""`onewindow serve --tls-cert --tls-key`: the pages over HTTPS, and the session cookie marked Secure."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from queue_server.auth.accounts import Role, add_user
from queue_server.auth.sessions import SESSION_COOKIE
from queue_server.store.database import Database, utcnow
from queue_server.store.migrate import upgrade
from queue_server.store.seed import create_centre
from tests.factories import make_centre
from tests.pages_support import PASSWORD
from tests.serverproc import ServerProcess
from tests.test_bus import make_certificates

pytestmark = pytest.mark.slow


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[ServerProcess, Path]]:
    ca, cert, key = make_certificates(tmp_path / "tls")
    url = f"sqlite:///{tmp_path / 'tls.db'}"

    async def prepare() -> None:
        async with Database(url) as db:
            await upgrade(db)
            async with db.write() as conn:
                await create_centre(conn, make_centre(), utcnow())
                await add_user(conn, username="manager", password=PASSWORD, role=Role.MANAGER, centres=["test"])

    asyncio.run(prepare())
    server = ServerProcess(url, tmp_path, extra_args=["--tls-cert", str(cert), "--tls-key", str(key)], scheme="https")
    server.start()
    try:
        yield server, ca
    finally:
        server.stop()


def test_a_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    from queue_server import cli

    assert cli.main(["serve", "--database-url", f"sqlite:///{tmp_path / 'x.db'}", "--tls-cert", "x.pem"]) == 1


async def test_the_pages_are_served_over_https_with_a_secure_session_cookie(
    https_server: tuple[ServerProcess, Path],
) -> None:
    server, ca = https_server
    context = ssl.create_default_context(cafile=str(ca))
    connector = aiohttp.TCPConnector(ssl=context)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{server.base_url}/login") as form:
            assert form.status == 200
            assert form.cookies["ow_login_csrf"]["secure"]
            csrf = (await form.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
        data = {"csrf": csrf, "username": "manager", "password": PASSWORD}
        async with http.post(f"{server.base_url}/login", data=data, allow_redirects=False) as answer:
            assert answer.status == 303, await answer.text()
            cookie = answer.cookies[SESSION_COOKIE]
            assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
        async with http.get(f"{server.base_url}/api/v1/centres/test") as answer:
            assert answer.status == 200, "the session works over HTTPS"
