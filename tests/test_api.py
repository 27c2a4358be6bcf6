"""The JSON API end to end, on SQLite and PostgreSQL: actions, reads, request ids, problems, outages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from queue_server.app.service import HallService
from queue_server.assembly import build_app, create_app
from queue_server.bus.broker import free_port
from queue_server.cli.server import start_site
from queue_server.domain.clock import ManualClock
from queue_server.domain.events import event_from_record, replay
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.errors import unreachable
from queue_server.store.migrate import SchemaOutdated
from tests.api_support import API, MONDAY_MORNING, PROBLEM_JSON, Api, counts, hall_service, rid, seed


@pytest.fixture
async def service(db: Database) -> HallService:
    return hall_service(db)


@pytest.fixture
async def api(db: Database, service: HallService, aiohttp_client: AiohttpClient) -> Api:
    tokens = await seed(db)
    return Api(await aiohttp_client(create_app(service)), tokens)


def assert_problem(reply: Any, status: int, slug: str) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.content_type == PROBLEM_JSON
    body: dict[str, Any] = reply.body
    assert body["type"] == f"urn:onewindow:problem:{slug}", body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


# --- Issuing ----------------------------------------------------------------------------------------


async def test_a_kiosk_issues_a_ticket_with_a_status_token(api: Api) -> None:
    await api.sign_on(("s1", 1))
    reply = await api.post("/centres/test/tickets", "kiosk", {"matter": "pension", "request_id": rid()})
    assert reply.status == 201
    assert reply.content_type == "application/json"
    ticket = reply.body["ticket"]
    assert ticket["number"] == "A001"
    assert ticket["channel"] == "kiosk"
    assert len(ticket["status_token"]) >= 24
    assert ticket["status_url"] == f"http://hall.example/ticket/{ticket['status_token']}"
    assert ticket["position"]["people_ahead"] == 0


async def test_the_desk_issues_on_the_desk_channel_and_the_body_cannot_choose_one(api: Api) -> None:
    await api.sign_on(("s1", 1))
    ticket = await api.issue(token="guide", category="elderly")
    assert (ticket["channel"], ticket["green_channel"], ticket["category_name"]) == ("desk", True, "老年人")
    reply = await api.post(
        "/centres/test/tickets", "kiosk", {"matter": "pension", "channel": "api", "request_id": rid()}
    )
    assert [e["field"] for e in assert_problem(reply, 422, "invalid-request")["errors"]] == ["channel"]


async def test_an_unknown_matter_is_404(api: Api) -> None:
    await api.sign_on(("s1", 1))
    reply = await api.post("/centres/test/tickets", "kiosk", {"matter": "passport", "request_id": rid()})
    assert "passport" in assert_problem(reply, 404, "not-found")["detail"]


async def test_a_used_up_quota_is_409_with_the_chinese_message(api: Api) -> None:
    await api.sign_on(("s1", 1))
    for _ in range(3):
        await api.issue("medical")
    reply = await api.post("/centres/test/tickets", "kiosk", {"matter": "medical", "request_id": rid()})
    body = assert_problem(reply, 409, "issue-refused")
    assert body["reason"] == "quota_used_up"
    assert "医疗费用报销" in body["message"]
    assert re.search(r"[\u4e00-\u9fff]", body["message"])
    assert "3 tickets" in body["message_en"]


# --- At the window ----------------------------------------------------------------------------------


async def test_a_counter_day_readable_through_every_read_route(api: Api) -> None:
    await api.sign_on(("s1", 1))
    first, second = await api.issue(), await api.issue()
    waiting = await api.get(f"/centres/test/tickets/{second['serial']}", "manager")
    assert waiting.body["position"]["people_ahead"] == 1

    called = await api.act("/centres/test/windows/1/call-next", "s1")
    assert (called["ticket"]["number"], called["window"]["ticket"]["number"]) == ("A001", "A001")
    recalled = await api.act("/centres/test/windows/1/recall", "s1")
    assert recalled["ticket"]["calls"] == 2
    await api.act("/centres/test/windows/1/start", "s1")
    done = await api.act("/centres/test/windows/1/finish", "s1", outcome="on_the_spot")
    assert (done["ticket"]["status"], done["ticket"]["outcome_name"]) == ("finished", "即办件")

    await api.act("/centres/test/windows/1/call-next", "s1")
    supplement = await api.act(
        "/centres/test/windows/1/finish", "s1", outcome="supplement", missing_materials=["户口簿", "银行卡"]
    )
    assert supplement["ticket"]["outcome_name"] == "补正"
    assert supplement["ticket"]["missing_materials"] == ["户口簿", "银行卡"]

    ticket = (await api.get(f"/centres/test/tickets/{first['serial']}", "manager")).body
    assert (ticket["status"], ticket["staff"], ticket["recalls"], ticket["position"]) == ("finished", "s1", 1, None)
    log = (await api.get(f"/centres/test/tickets/{first['serial']}/events", "manager")).body["events"]
    assert [e["kind"] for e in log] == [
        "issued",
        "called",
        "recalled",
        "serving_started",
        "finished",
        "rating_requested",
        "rating_code_retired",  # the window's next finish retired its rating code
    ]
    assert [e["seq"] for e in log] == [1, 2, 3, 4, 5, 6, 7]
    assert [e["actor"] for e in log] == ["kiosk:kiosk1"] + ["staff:s1"] * 6
    replayed = replay(event_from_record({k: v for k, v in e.items() if k != "seq"}) for e in log)
    assert (replayed.status.value, replayed.outcome, replayed.recalls) == ("finished", done["ticket"]["outcome"], 1)

    window = (await api.get("/centres/test/windows/1", "s1")).body
    assert (window["status"], window["staff"], window["ticket"]) == ("open", "s1", None)
    windows = (await api.get("/centres/test/windows", "guide")).body["windows"]
    assert [w["number"] for w in windows] == [1, 2, 3, 9]
    queue = (await api.get("/centres/test/queue", "kiosk")).body
    assert queue["waiting"] == []
    centre = (await api.get("/centres/test", "kiosk")).body
    assert (centre["code"], centre["name"]) == ("test", "测试便民服务中心")
    assert (await api.get("/centres", "supervisor")).body == {"centres": [{"code": "test", "name": "测试便民服务中心"}]}


async def test_a_staff_member_acts_only_at_the_window_signed_on_to(api: Api, db: Database) -> None:
    await api.sign_on(("s1", 1), ("s2", 2))
    await api.issue()
    before = await counts(db)
    reply = await api.post("/centres/test/windows/2/call-next", "s1", {"request_id": rid()})
    assert "s1 is not signed on" in assert_problem(reply, 403, "not-allowed")["detail"]
    after = await counts(db)
    # The refusal is recorded under its request id, so a repeat gets it again; nothing else changed.
    assert after == before | {"requests": before["requests"] + 1}


async def test_a_staff_token_signs_only_itself_on_and_a_manager_names_the_staff(api: Api) -> None:
    reply = await api.post("/centres/test/windows/2/sign-on", "s1", {"staff": "s2", "request_id": rid()})
    assert "signs only themselves" in assert_problem(reply, 403, "forbidden")["detail"]
    reply = await api.post("/centres/test/windows/2/sign-on", "manager", {"request_id": rid()})
    assert [e["field"] for e in assert_problem(reply, 422, "invalid-request")["errors"]] == ["staff"]
    signed = await api.act("/centres/test/windows/2/sign-on", "manager", staff="s2")
    assert (signed["window"]["status"], signed["window"]["staff"]) == ("open", "s2")
    log = await api.get("/centres/test/windows/2", "manager")
    assert log.body["staff"] == "s2"


async def test_a_requeue_and_a_staff_cancel_act_on_the_named_ticket(api: Api) -> None:
    await api.sign_on(("s1", 1))
    first, second = await api.issue(), await api.issue()
    await api.act("/centres/test/windows/1/call-next", "s1")
    await api.act("/centres/test/windows/1/no-show", "s1")
    requeued = await api.act(f"/centres/test/tickets/{first['serial']}/requeue", "guide")
    assert requeued["ticket"]["status"] == "waiting"
    cancelled = await api.act(f"/centres/test/tickets/{second['serial']}/cancel", "guide", note="left")
    assert (cancelled["ticket"]["status"], cancelled["ticket"]["cancel_reason"]) == ("cancelled", "staff")
    closed = await api.act("/centres/test/close-day", "manager")
    assert closed["changed"] is True


# --- Request ids -------------------------------------------------------------------------------------


async def test_a_double_next_with_one_request_id_calls_one_ticket_and_answers_the_same(
    api: Api, service: HallService
) -> None:
    await api.sign_on(("s1", 1))
    await api.issue()
    await api.issue()
    same = {"request_id": rid()}
    one, two = await asyncio.gather(
        api.post("/centres/test/windows/1/call-next", "s1", same),
        api.post("/centres/test/windows/1/call-next", "s1", same),
    )
    assert (one.status, one.body) == (two.status, two.body)
    assert one.status == 200
    assert sorted([one.replayed, two.replayed]) == [False, True]
    async with service.db.read() as conn:
        kinds = (await conn.execute(select(schema.ticket_events.c.kind))).scalars().all()
    assert kinds.count("called") == 1
    queue = (await api.get("/centres/test/queue", "manager")).body
    assert [t["number"] for t in queue["waiting"]] == ["A002"]

    later = await api.post("/centres/test/windows/1/call-next", "s1", same)
    assert (later.status, later.body, later.replayed) == (one.status, one.body, True)


async def test_a_request_id_used_for_another_action_is_409(api: Api) -> None:
    await api.sign_on(("s1", 1))
    await api.issue()
    used = rid()
    await api.post("/centres/test/windows/1/call-next", "s1", {"request_id": used})
    reply = await api.post("/centres/test/windows/1/recall", "s1", {"request_id": used})
    assert used in assert_problem(reply, 409, "request-id-reused")["detail"]


async def test_the_request_id_may_come_in_the_idempotency_key_header(api: Api) -> None:
    await api.sign_on(("s1", 1))
    await api.issue()
    key = rid()
    reply = await api.post("/centres/test/windows/1/call-next", "s1", headers={"Idempotency-Key": key})
    assert reply.status == 200
    again = await api.post("/centres/test/windows/1/call-next", "s1", {"request_id": key})
    assert (again.body, again.replayed) == (reply.body, True)
    clash = await api.post(
        "/centres/test/windows/1/recall", "s1", {"request_id": rid()}, headers={"Idempotency-Key": rid()}
    )
    assert [e["field"] for e in assert_problem(clash, 422, "invalid-request")["errors"]] == ["request_id"]


async def test_an_action_without_a_request_id_is_422_saying_how_to_make_one(api: Api) -> None:
    await api.sign_on(("s1", 1))
    reply = await api.post("/centres/test/tickets", "kiosk", {"matter": "pension"})
    body = assert_problem(reply, 422, "invalid-request")
    assert body["errors"][0]["field"] == "request_id"
    assert "make one request id per intended action, e.g. a UUID" in body["detail"]
    bad = await api.post("/centres/test/tickets", "kiosk", {"matter": "pension", "request_id": "no spaces"})
    assert [e["field"] for e in assert_problem(bad, 422, "invalid-request")["errors"]] == ["request_id"]


# --- Bad input -------------------------------------------------------------------------------------


async def test_validation_errors_name_each_field(api: Api) -> None:
    await api.sign_on(("s1", 1))
    reply = await api.post("/centres/test/windows/1/pause", "s1", {"minutes": 0, "request_id": rid()})
    body = assert_problem(reply, 422, "invalid-request")
    assert {e["field"] for e in body["errors"]} == {"reason", "minutes"}
    assert "minutes" in body["detail"]
    reply = await api.post("/centres/test/windows/1/finish", "s1", {"outcome": "bogus", "request_id": rid()})
    assert [e["field"] for e in assert_problem(reply, 422, "invalid-request")["errors"]] == ["outcome"]
    reply = await api.post("/centres/test/windows/0/call-next", "s1", {"request_id": rid()})
    assert [e["field"] for e in assert_problem(reply, 422, "invalid-request")["errors"]] == ["window"]


async def test_bad_json_is_400_and_a_body_that_is_no_object_too(api: Api) -> None:
    reply = await api.post("/centres/test/windows/1/call-next", "s1", raw="{not json")
    assert "not valid JSON" in assert_problem(reply, 400, "bad-json")["detail"]
    reply = await api.post("/centres/test/windows/1/call-next", "s1", raw=b'{"note": "\xff"}')
    assert "UTF-8" in assert_problem(reply, 400, "bad-json")["detail"]
    reply = await api.post("/centres/test/windows/1/call-next", "s1", ["a", "list"])
    assert "JSON object" in assert_problem(reply, 400, "bad-body")["detail"]


async def test_unknown_routes_and_methods_answer_problems(api: Api) -> None:
    reply = await api.get("/centres/test/nothing-here", "manager")
    assert "openapi.json" in assert_problem(reply, 404, "no-such-route")["detail"]
    reply = await api.call("DELETE", "/centres/test/tickets", "manager")
    assert_problem(reply, 405, "method-not-allowed")
    assert reply.headers["Allow"] == "POST"


async def test_reading_what_is_not_there_is_404(api: Api) -> None:
    assert_problem(await api.get("/centres/test/tickets/99", "manager"), 404, "not-found")
    assert_problem(await api.get("/centres/test/tickets/99/events", "manager"), 404, "not-found")
    assert_problem(await api.get("/centres/test/windows/7", "manager"), 404, "not-found")


async def test_an_unexpected_error_is_500_with_an_incident_and_no_traceback(
    api: Api, service: HallService, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(centre: str) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "hall", broken)
    with caplog.at_level(logging.ERROR, logger="queue_server.web.problems"):
        reply = await api.get("/centres/test/queue", "manager")
    body = assert_problem(reply, 500, "internal-error")
    assert "secret" not in str(body) and "Traceback" not in str(body)
    assert body["incident"] in body["detail"]
    assert any(body["incident"] in r.getMessage() and r.exc_info for r in caplog.records)


# --- The citizen's status page ----------------------------------------------------------------------


async def test_the_status_token_shows_the_ticket_without_staff_details(api: Api) -> None:
    await api.sign_on(("s1", 1))
    first, second = await api.issue(), await api.issue()
    waiting = await api.get(f"/status/{second['status_token']}")
    assert waiting.status == 200
    assert waiting.body["centre"]["name"] == "测试便民服务中心"
    assert (waiting.body["ticket"]["number"], waiting.body["ticket"]["position"]["people_ahead"]) == ("A002", 1)
    await api.act("/centres/test/windows/1/call-next", "s1")
    called = (await api.get(f"/status/{first['status_token']}")).body["ticket"]
    assert (called["status"], called["window"], called["window_name"]) == ("called", 1, "综合受理")
    assert "staff" not in called and "note" not in called
    assert "s1" not in str(called)


async def test_a_citizen_cancels_by_status_token_once(api: Api, service: HallService) -> None:
    await api.sign_on(("s1", 1))
    ticket = await api.issue()
    path = f"/status/{ticket['status_token']}/cancel"
    same = {"request_id": rid()}
    reply = await api.post(path, None, same)
    assert reply.status == 200
    assert (reply.body["ticket"]["status"], reply.body["ticket"]["cancel_reason"]) == ("cancelled", "citizen")
    again = await api.post(path, None, same)
    assert (again.status, again.body, again.replayed) == (200, reply.body, True)
    log = (await api.get(f"/centres/test/tickets/{ticket['serial']}/events", "manager")).body["events"]
    assert [(e["kind"], e["actor"]) for e in log][-1] == ("cancelled", "citizen")
    assert [e["kind"] for e in log].count("cancelled") == 1
    later = await api.post(path, None, {"request_id": rid()})
    assert_problem(later, 409, "invalid-transition")


async def test_an_unknown_status_token_is_404_whatever_it_looks_like(api: Api) -> None:
    for token in ("A" * 24, "short", "bad!token!" * 3):
        assert_problem(await api.get(f"/status/{token}"), 404, "unknown-status-token")
    assert_problem(
        await api.post(f"/status/{'A' * 24}/cancel", None, {"request_id": rid()}), 404, "unknown-status-token"
    )


async def test_one_citizens_request_id_never_replays_another_citizens_answer(api: Api) -> None:
    await api.sign_on(("s1", 1))
    first, second = await api.issue(), await api.issue()
    same = {"request_id": "cancel-1"}
    one = await api.post(f"/status/{first['status_token']}/cancel", None, same)
    two = await api.post(f"/status/{second['status_token']}/cancel", None, same)
    assert (one.body["ticket"]["number"], two.body["ticket"]["number"]) == ("A001", "A002")
    assert not two.replayed


# --- Health and outages -----------------------------------------------------------------------------


async def test_health_says_the_database_answers(api: Api) -> None:
    reply = await api.get("/health")
    assert (reply.status, reply.body) == (200, {"status": "ok", "database": "ok"})


class TcpProxy:
    """A TCP relay between the app and PostgreSQL that the test can cut and restore, like a network."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and drop every open connection, as a failed network would."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()
        self._server = None

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._writers.add(client_writer)
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            self._writers.discard(client_writer)
            return
        self._writers.add(server_writer)
        await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))
        self._writers.difference_update({client_writer, server_writer})

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()


@pytest.fixture
async def proxied_service(database_url: str, db: Database) -> AsyncIterator[tuple[HallService, TcpProxy]]:
    """A hall service that reaches PostgreSQL only through a :class:`TcpProxy`."""
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.open()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        async with Database(through) as proxied:
            yield hall_service(proxied), proxy
    finally:
        if proxy._server is not None:
            await proxy.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_out_of_reach_is_503_and_the_api_recovers_by_itself(
    db: Database, proxied_service: tuple[HallService, TcpProxy], aiohttp_client: AiohttpClient
) -> None:
    service, proxy = proxied_service
    api = Api(await aiohttp_client(create_app(service)), await seed(db))
    await api.sign_on(("s1", 1))
    assert (await api.get("/centres/test/queue", "manager")).status == 200

    await proxy.close()
    for reply in (
        await api.get("/health"),
        await api.get("/centres/test/queue", "manager"),
        await api.post("/status/" + "A" * 24 + "/cancel", None, {"request_id": rid()}),
    ):
        body = assert_problem(reply, 503, "database-unavailable")
        assert body["detail"] == ("The database cannot be reached; the server retries by itself, try again in a moment")
        assert int(reply.headers["Retry-After"]) > 0

    await proxy.open()
    assert (await api.get("/health")).status == 200
    assert (await api.get("/centres/test/queue", "manager")).status == 200
    assert (await api.issue())["number"] == "A001"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_sqlite_file_out_of_reach_is_503_and_the_api_recovers_by_itself(
    api: Api, service: HallService, tmp_path: Path
) -> None:
    engines = (service.db.reader, service.db.writer)
    unreachable = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'unmounted' / 'onewindow.db'}")
    try:
        service.db.reader = service.db.writer = unreachable
        assert_problem(await api.get("/health"), 503, "database-unavailable")
        assert_problem(await api.get("/centres/test/queue", "manager"), 503, "database-unavailable")
    finally:
        service.db.reader, service.db.writer = engines
        await unreachable.dispose()
    assert (await api.get("/centres/test/queue", "manager")).status == 200


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_os_error_is_the_databases_only_when_raised_talking_to_it(database_url: str) -> None:
    """A refused connection to PostgreSQL comes as a bare ``ConnectionRefusedError`` through asyncpg:
    the database's. The same kind of error raised elsewhere (a client hanging up) is not."""
    away = make_url(database_url).set(port=free_port()).render_as_string(hide_password=False)
    async with Database(away) as db:
        with pytest.raises(ConnectionRefusedError) as refused:
            async with db.read():
                pass
    assert unreachable(refused.value)
    with pytest.raises(ConnectionResetError) as hung_up:
        raise ConnectionResetError("Connection lost")
    assert not unreachable(hung_up.value)


async def test_a_client_that_hangs_up_while_its_body_is_read_is_no_database_outage(
    db: Database, service: HallService, caplog: pytest.LogCaptureFixture
) -> None:
    """aiohttp raises ``ConnectionResetError`` (an ``OSError``) in the handler reading the body of a client
    that hung up: that is the client's doing, logged at DEBUG, never "Database unreachable".

    The application runs as ``onewindow serve`` runs it (aiohttp's test server cancels the handler
    of a client that left instead, which hides the error)."""
    tokens = await seed(db)
    port = free_port()
    runner = await start_site(create_app(service), "127.0.0.1", port)
    caplog.set_level(logging.DEBUG, logger="queue_server.web.problems")
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            f"POST {API}/centres/test/tickets HTTP/1.1\r\nHost: hall\r\nAuthorization: Bearer {tokens['kiosk']}\r\n"
            "Content-Type: application/json\r\nContent-Length: 200\r\nExpect: 100-continue\r\n\r\n"
        )
        writer.write(head.encode())
        # aiohttp says "continue" once the request is routed, so its handler is bound to run; then part
        # of the 200 bytes announced, and the client is gone.
        assert await reader.readline() == b"HTTP/1.1 100 Continue\r\n"
        writer.write(b'{"matter": "pen')
        await writer.drain()
        writer.transport.abort()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

        def told() -> list[logging.LogRecord]:
            return [r for r in caplog.records if r.name == "queue_server.web.problems"]

        async with asyncio.timeout(10):
            while not told():
                await asyncio.sleep(0.01)
    finally:
        await runner.cleanup()
    (said,) = told()
    assert said.getMessage().startswith("The client hung up while POST /api/v1/centres/{centre}/tickets"), said
    assert said.levelno == logging.DEBUG


# --- The application that owns its database ---------------------------------------------------------


async def test_build_app_opens_its_own_database_and_service(
    database_url: str, db: Database, aiohttp_client: AiohttpClient
) -> None:
    tokens = await seed(db)
    app = build_app(database_url, "http://hall.example/", ManualClock(MONDAY_MORNING))
    api = Api(await aiohttp_client(app), tokens)
    await api.sign_on(("s1", 1))
    ticket = await api.issue()
    assert ticket["status_url"] == f"http://hall.example/ticket/{ticket['status_token']}"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_build_app_refuses_a_database_without_the_schema(database_url: str) -> None:
    app = build_app(database_url, "http://hall.example")
    runner = web.AppRunner(app)
    with pytest.raises(SchemaOutdated, match="onewindow init"):
        await runner.setup()
    await runner.cleanup()


async def test_build_app_starts_without_its_database_and_answers_503(aiohttp_client: AiohttpClient) -> None:
    app = build_app("postgresql://postgres@127.0.0.1:1/nowhere", "http://hall.example")
    api = Api(await aiohttp_client(app), {})
    assert_problem(await api.get("/health"), 503, "database-unavailable")
