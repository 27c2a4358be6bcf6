"""Intruders: what the access walks (tests/test_api_auth.py, tests/test_pages_access.py) and the ACL
tests (tests/test_mqtt_config.py) leave open, filled here.

- Every API write route, reached with a session cookie but without its CSRF value, is refused
  (walked from the route table, so a new route is covered the day it is added).
- Thirty failed logins from one address stop every account from it, whatever X-Forwarded-For
  says; passwords are argon2id at RFC 9106 strength.
- Each device on the generated ACL, on a real Mosquitto, publishes on every topic of every device
  and of the server: only its own requests, availability and (printer) state get through; and it
  reads no other device's responses or requests whatever it subscribes to.
- No device-facing output (the rendered firmware of each device) carries the server's password.
- Secrets never reach a log or an answer: the whole server (`serve`) runs with logging at DEBUG on
  a PostgreSQL URL with a password and a broker URL with a password, takes requests with good and
  bad tokens and a login, loses its broker; a second app starts on a database it cannot reach.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, cast

import aiohttp
import aiomqtt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import make_url

from queue_server import cli
from queue_server.assembly import build_app
from queue_server.auth.accounts import Role, add_user, hash_password, verify_password
from queue_server.auth.sessions import MAX_FAILURES_PER_ADDRESS, SESSION_COOKIE
from queue_server.bus.acl import DEFAULT_SERVER_USER
from queue_server.cli.server import ServerSettings, serve
from queue_server.protocol.topics import (
    DEVICE_AVAILABILITY,
    DEVICE_REQUEST,
    DEVICE_RESPONSE,
    PRINTER_STATE,
    ROOT,
    TOPICS,
    Publisher,
)
from queue_server.store.database import Database
from queue_server.store.migrate import upgrade
from queue_server.web.route_table import all_routes
from tests.api_support import seed
from tests.brokers import Mosquitto
from tests.conftest import POSTGRES_URL
from tests.pages_support import PASSWORD, Site, http_login, running_site
from tests.serverproc import free_port
from tests.test_mqtt_config import DEVICES, Hall, collect, prepared, subscribe_each

QUIET_S = 1.0
EVERYTHING = f"{ROOT}/#"

# --- CSRF on every cookie-authenticated write ---------------------------------------------------------


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        yield running


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_api_write_with_a_session_but_no_csrf_value_is_refused(site: Site) -> None:
    writes = [route for route in all_routes() if route.method != "GET" and route.access is not None]
    assert len(writes) > 20
    values = {"centre": "test", "number": "1", "serial": "1", "case": "1", "device": "pad-1", "ticket_number": "A001"}
    values["case_number"] = "TEST-2026-000001"
    values["code"] = "K7QAM9CD"  # a booking's code
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        csrf = await http_login(http, site, "admin")
        for route in writes:
            url = site.url + route.full_path.format(**{name: values[name] for name in route.params})
            for headers in ({}, {"X-CSRF-Token": "not-" + csrf}):
                body = {"request_id": secrets.token_hex(8)}
                async with http.request(route.method, url, json=body, headers=headers) as answer:
                    where = f"{route.method} {route.full_path} with {headers or 'no CSRF value'}"
                    assert answer.status == 403, (where, await answer.text())
                    assert answer.headers["Content-Type"].startswith("application/problem+json"), where
                    assert "X-CSRF-Token" in (await answer.json())["detail"], where


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_too_many_failures_from_one_address_stop_every_account_and_a_header_cannot_hide_it(site: Site) -> None:
    """The per-username limit is walked in tests/test_pages_sessions.py; this is the per-address one."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for attempt in range(MAX_FAILURES_PER_ADDRESS):
            status = await post_login(http, site.url, f"guess-{attempt % 7}", "wrong-password")
            assert status == 401, attempt
        assert await post_login(http, site.url, "manager", PASSWORD) == 429, "the right password of another account"
        spoofed = {"X-Forwarded-For": "10.9.9.9", "X-Real-IP": "10.9.9.9"}
        assert await post_login(http, site.url, "manager", PASSWORD, spoofed) == 429, "a header does not change it"


async def post_login(
    http: aiohttp.ClientSession, base: str, username: str, password: str, headers: dict[str, str] | None = None
) -> int:
    async with http.get(f"{base}/login") as form:
        csrf = (await form.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
    data = {"csrf": csrf, "username": username, "password": password}
    async with http.post(f"{base}/login", data=data, headers=headers, allow_redirects=False) as answer:
        return answer.status


def test_passwords_are_argon2id_at_rfc_9106_strength() -> None:
    """Memory 64 MiB or more, three passes or more, a 16-byte salt: the second profile of RFC 9106."""
    hashed = hash_password("correct horse battery staple")
    kind, version, params, salt, _ = hashed.removeprefix("$").split("$")
    settings = dict(item.split("=") for item in params.split(","))
    assert (kind, version) == ("argon2id", "v=19")
    assert int(settings["m"]) >= 64 * 1024 and int(settings["t"]) >= 3 and int(settings["p"]) >= 1
    assert len(base64.b64decode(salt + "==")) >= 16
    assert verify_password(hashed, "correct horse battery staple")
    assert not verify_password(hashed, "correct horse battery stapl")


# --- Devices on the generated ACL ------------------------------------------------------------------------


@dataclass
class ConfiguredHall(Hall):
    database_url: str = ""


@pytest.fixture
async def hall(tmp_path: Path, mosquitto_with: Callable[[Path, Path], Mosquitto]) -> ConfiguredHall:
    """The configured hall behind a real Mosquitto with the files `onewindow mqtt-config` wrote."""
    url, passwords = await prepared(tmp_path)
    broker = mosquitto_with(tmp_path / "mosquitto" / "passwords", tmp_path / "mosquitto" / "acl")
    return ConfiguredHall("mosquitto", broker.host, broker.port, passwords, broker.log, database_url=url)


class HallDevice(NamedTuple):
    id: str
    kind: str
    window: int | None


HALL_DEVICES = [
    HallDevice(str(d["id"]), str(d["kind"]), w if isinstance(w := d.get("window"), int) else None)
    for d in cast(list[dict[str, Any]], DEVICES)
]
"""The registry of tests/test_mqtt_config.py, typed."""


def every_topic() -> list[str]:
    """Every topic of the protocol for every device of the hall (and windows 1-3), server topics too."""
    found: set[str] = set()
    for pattern in TOPICS:
        for device in HALL_DEVICES:
            for what in ("next", "rating", "ticket", "result", "finish"):
                values = {"number": device.window or 1, "kind": device.kind, "device": device.id}
                values["what"] = what
                with contextlib.suppress(Exception):
                    found.add(pattern.build("test", **{name: values[name] for name in pattern.placeholders}))
    return sorted(found)


def own_device_topics(device: HallDevice, topics: list[str]) -> set[str]:
    """What the device itself may publish, worked out from the topic alone: device-published
    patterns under its own kind and id."""
    mine = f"{ROOT}/test/{device.kind}/{device.id}/"
    device_patterns = [p for p in TOPICS if p.publisher is Publisher.DEVICE]
    assert {p.name for p in device_patterns} == {DEVICE_AVAILABILITY.name, DEVICE_REQUEST.name, PRINTER_STATE.name}
    return {t for t in topics if t.startswith(mine) and any(p.parse(t) for p in device_patterns)}


async def test_each_device_publishes_only_its_own_topics(hall: Hall) -> None:
    topics = every_topic()
    assert len(topics) > 40
    async with hall.client(DEFAULT_SERVER_USER) as server:
        await server.subscribe(EVERYTHING, qos=1)
        for device in HALL_DEVICES:
            async with hall.client(f"test.{device.id}") as intruder:
                for topic in topics:
                    await intruder.publish(topic, f"{device.id}>{topic}".encode(), qos=1)
            seen = await collect(server, QUIET_S)
            got = {topic for topic, payload in seen if payload.startswith(f"{device.id}>".encode())}
            assert got == own_device_topics(device, topics), device.id


async def test_no_device_reads_another_devices_requests_or_responses(hall: Hall) -> None:
    topics = every_topic()
    exchanges = [t for t in topics if DEVICE_REQUEST.parse(t) or DEVICE_RESPONSE.parse(t)]
    async with contextlib.AsyncExitStack() as stack:
        readers: dict[str, aiomqtt.Client] = {}
        for device in HALL_DEVICES:
            reader = await stack.enter_async_context(hall.client(f"test.{device.id}"))
            await subscribe_each(reader, [EVERYTHING, f"{ROOT}/test/+/+/response/+", *exchanges])
            readers[device.id] = reader
        async with hall.client(DEFAULT_SERVER_USER) as server:
            for topic in exchanges:
                await server.publish(topic, b"x", qos=1)
        seen = await asyncio.gather(*(collect(reader, QUIET_S) for reader in readers.values()))
    for device, got in zip(HALL_DEVICES, seen, strict=True):
        mine = f"{ROOT}/test/{device.kind}/{device.id}/response/"
        foreign = {topic for topic, _ in got if not topic.startswith(mine)}
        assert not foreign, f"{device.id} read {sorted(foreign)}"
        if device.kind in ("keypad", "pad", "kiosk", "printer"):
            assert got, f"{device.id} reads its own responses (the walk can see a read at all)"


async def test_no_rendered_firmware_carries_the_server_password(hall: ConfiguredHall, tmp_path: Path) -> None:
    server_password = hall.passwords[DEFAULT_SERVER_USER]
    secrets_file = tmp_path / "secrets.json"
    url = hall.database_url
    for device in HALL_DEVICES:
        if device.kind == "printer" or (device.kind == "display" and device.window is None):
            continue  # a printer and the hall board run `onewindow printer run` / `onewindow display`: no firmware
        output = tmp_path / f"{device.id}.yaml"
        argv = ["firmware", "render", "--device", device.id, "--database-url", url]
        code = await asyncio.to_thread(cli.main, [*argv, "--secrets", str(secrets_file), "-o", str(output)])
        assert code == 0, device
        text = output.read_text(encoding="utf-8")
        assert hall.passwords[f"test.{device.id}"] in text, "the render does carry the device's own password"
        assert server_password not in text, device.id
        others = [p for user, p in hall.passwords.items() if user != f"test.{device.id}"]
        assert not [p for p in others if p in text], f"{device.id}'s firmware carries another account's password"


# --- Secrets never reach a log ----------------------------------------------------------------------------


@pytest.fixture
async def postgres_with_password() -> AsyncIterator[tuple[str, str]]:
    """A fresh PostgreSQL database, and a URL to it carrying a password (trust auth ignores it)."""
    import asyncpg  # type: ignore[import-untyped]  # no stubs

    name = f"onewindow_test_{secrets.token_hex(6)}"
    password = "DbPw-" + secrets.token_urlsafe(12)
    server = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await server.execute(f'CREATE DATABASE "{name}"')
        url = make_url(POSTGRES_URL).set(database=name, password=password).render_as_string(hide_password=False)
        yield url, password
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()


async def test_no_secret_reaches_a_log_or_an_answer(
    postgres_with_password: tuple[str, str], mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    database_url, db_password = postgres_with_password
    broker_password = "BrokerPw-" + secrets.token_urlsafe(12)
    login_password = "LoginPw-" + secrets.token_urlsafe(12)
    async with Database(database_url) as db:
        await upgrade(db)
        tokens = await seed(db)
        async with db.write() as conn:
            await add_user(conn, username="wang", password=login_password, role=Role.MANAGER, centres=["test"])
    secret_values = {"database password": db_password, "broker password": broker_password}
    secret_values |= {f"token {name}": token for name, token in tokens.items()}
    secret_values["login password"] = login_password
    settings = ServerSettings(
        database_url=database_url,
        port=free_port(),
        mqtt_url=f"mqtt://onewindow:{broker_password}@127.0.0.1:{mosquitto.port}",
    )
    answers = io.StringIO()
    stop, up = asyncio.Event(), asyncio.Event()
    for name in (None, "sqlalchemy", "aiohttp", "aiomqtt", "amqtt", "asyncio", "queue_server"):
        caplog.set_level(logging.DEBUG, logger=name)  # SQLAlchemy's own default is WARNING: lift it too
    server = asyncio.create_task(serve(settings, stop=stop, ready=lambda _: up.set()))
    try:
        await asyncio.wait_for(up.wait(), 60)
        secret_values["session cookie"] = await visit(
            f"http://127.0.0.1:{settings.port}", tokens, login_password, answers
        )
        mosquitto.stop()  # the bus says it lost the broker, naming it
        for _ in range(200):
            if any("lost the broker" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.05)
        assert any("lost the broker" in r.getMessage() for r in caplog.records), "the broker's loss was logged"
    finally:
        stop.set()
        await asyncio.wait_for(server, 60)
    unreachable = make_url(database_url).set(port=free_port()).render_as_string(hide_password=False)
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    async with (
        TestClient(TestServer(build_app(unreachable, "http://hall.example"))) as client,
        client.get("/api/v1/centres", headers=headers) as answer,
    ):
        answers.write(f"{answer.status} {await answer.text()}\n")
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)  # tracebacks too
    assert "Database unreachable" in logged, "the unreachable database was logged"
    assert any(r.levelno == logging.DEBUG for r in caplog.records), "the server logged at DEBUG"
    for what, value in secret_values.items():
        assert value not in logged, f"the {what} reached the log"
        assert value not in answers.getvalue(), f"the {what} reached an answer"
    assert json.dumps(settings.mqtt_url) not in logged
    assert f"mqtt://onewindow@127.0.0.1:{mosquitto.port}" in logged, (
        "the broker is named in the log, without its password"
    )


async def visit(base: str, tokens: dict[str, str], login_password: str, answers: io.StringIO) -> str:
    """Requests with every token (right, one character off, as the wrong scheme), a wrong and a right
    login; every answer written to ``answers``; the session cookie's value."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for name, token in tokens.items():
            for header in (f"Bearer {token}", f"Bearer {token}x", f"Basic {token}"):
                async with http.get(f"{base}/api/v1/centres/test", headers={"Authorization": header}) as answer:
                    answers.write(f"{name} {answer.status} {await answer.text()}\n")
            body = {"request_id": f"walk-{name}", "matter": "pension"}
            headers = {"Authorization": f"Bearer {token}"}
            async with http.post(f"{base}/api/v1/centres/test/tickets", json=body, headers=headers) as answer:
                answers.write(f"{answer.status} {await answer.text()}\n")
        for password in (login_password + "x", login_password):
            async with http.get(f"{base}/login") as form:
                csrf = (await form.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
            data = {"csrf": csrf, "username": "wang", "password": password}
            async with http.post(f"{base}/login", data=data, allow_redirects=False) as answer:
                answers.write(f"{answer.status} {await answer.text()}\n")
                assert answer.status == (303 if password == login_password else 401), await answer.text()
        async with http.get(f"{base}/api/v1/centres/test/queue") as answer:
            assert answer.status == 200, "the session works"
        return next(c.value for c in http.cookie_jar if c.key == SESSION_COOKIE)
