"""The figures an operator scrapes beside the hall's own: actions by outcome, HTTP latency per route
template, device requests, the relay's lag, print jobs, SMS notices, the database's pools, opening
hours and the process's figures; read back from a real scrape with prometheus_client's parser."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from pytest_aiohttp import AiohttpClient
from sqlalchemy import event, text

from queue_server.app.commands import IssueTicket, Pause, SignOn
from queue_server.app.instruments import REGISTRY
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.auth.accounts import Role, add_token
from queue_server.bus.relay import OutboxRelay
from queue_server.bus.requests import DeviceRequests
from queue_server.domain.clock import ManualClock
from queue_server.domain.windows import PauseReason
from queue_server.protocol.topics import DEVICE_REQUEST
from queue_server.store.database import POSTGRES_OVERFLOW, Database
from tests.api_support import Api, rid, seed
from tests.factories import make_centre, shanghai
from tests.test_log_privacy import json_lines

DEVICES = [
    {"id": "k-1", "kind": "kiosk", "printer": "printer-1"},
    {"id": "printer-1", "kind": "printer"},
    {"id": "kp-1", "kind": "keypad", "window": 1},
]
CALL_NEXT = "/api/v1/centres/{centre}/windows/{number}/call-next"

EXPECTED_TYPES = {
    # the hall's figures, read at scrape time
    "onewindow_waiting": "gauge",
    "onewindow_windows": "gauge",
    "onewindow_centre_in_opening_hours": "gauge",
    "onewindow_devices_offline": "gauge",
    "onewindow_relay_lag_seconds": "gauge",
    "onewindow_print_jobs": "gauge",
    "onewindow_print_job_oldest_queued_seconds": "gauge",
    "onewindow_sms_notices": "gauge",
    "onewindow_db_pool_size": "gauge",
    "onewindow_db_pool_in_use": "gauge",
    "onewindow_db_pool_waits": "counter",
    "onewindow_hall_builds": "counter",
    # counted as the process works
    "onewindow_actions": "counter",
    "onewindow_http_request_duration_seconds": "histogram",
    "onewindow_device_requests": "counter",
    "onewindow_device_answers": "counter",
    "onewindow_outbox_published": "counter",
    "onewindow_mqtt_publish_failures": "counter",
    # the process's own
    "process_cpu_seconds": "counter",
    "process_resident_memory_bytes": "gauge",
    "python_info": "gauge",
    "python_gc_collections": "counter",
}


@dataclass
class Scrape:
    types: dict[str, str]
    samples: list[Sample]

    def value(self, name: str, **labels: str) -> float:
        """The one sample of ``name`` whose labels include ``labels``; 0 when there is none."""
        found = [s.value for s in self.samples if s.name == name and labels.items() <= s.labels.items()]
        assert len(found) <= 1, f"{name} {labels} matches {len(found)} samples"
        return found[0] if found else 0.0

    def labels_of(self, name: str) -> Iterator[dict[str, str]]:
        return (s.labels for s in self.samples if s.name == name)


@dataclass
class Hall:
    api: Api
    service: HallService
    clock: ManualClock
    kiosk: str

    async def scrape(self, token: str = "manager") -> Scrape:
        headers = {"Authorization": f"Bearer {self.api.tokens[token]}"}
        async with self.api.client.get("/api/v1/metrics", headers=headers) as answer:
            assert answer.status == 200, await answer.text()
            text = await answer.text()
        families = list(text_string_to_metric_families(text))
        names = [family.name for family in families]
        assert len(names) == len(set(names)), "each family once"
        return Scrape({f.name: f.type for f in families}, [s for f in families for s in f.samples])

    async def call_next(self, token: str = "s1", window: int = 1, request_id: str | None = None) -> int:
        path = f"/api/v1/centres/test/windows/{window}/call-next"
        headers = {"Authorization": f"Bearer {self.api.tokens[token]}"}
        async with self.api.client.post(path, json={"request_id": request_id or rid()}, headers=headers) as answer:
            return answer.status

    async def issue_at_kiosk(self) -> None:
        headers = {"Authorization": f"Bearer {self.kiosk}"}
        body = {"matter": "pension", "request_id": rid()}
        async with self.api.client.post("/api/v1/centres/test/tickets", json=body, headers=headers) as answer:
            assert answer.status == 201, await answer.text()


@pytest.fixture
async def hall(db: Database, aiohttp_client: AiohttpClient) -> Hall:
    """Centres ``test`` (a kiosk with its printer, a keypad at window 1; s2 signed on at window 2) and
    ``other``, Monday 09:00."""
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    service = HallService(db, clock, public_base_url="http://hall.example")
    tokens = await seed(db)
    answer = await service.configure(
        "test", make_centre(devices=DEVICES), actor="manager:m", request_id="devices", dry_run=False
    )
    assert answer.ok, answer.body
    answer = await service.act("test", SignOn(window=2, staff="s2"), actor="staff:s2", request_id="on-2")
    assert answer.ok, answer.body
    async with db.write() as conn:
        kiosk = await add_token(conn, label="kiosk k-1", role=Role.KIOSK, centres=["test"], subject="k-1")
    return Hall(Api(await aiohttp_client(create_app(service)), tokens), service, clock, kiosk)


async def test_every_figure_has_its_name_and_type(hall: Hall) -> None:
    scrape = await hall.scrape()
    for name, kind in EXPECTED_TYPES.items():
        assert scrape.types.get(name) == kind, f"{name}: {scrape.types.get(name)}, not {kind}"
    counters = [name for name, kind in scrape.types.items() if kind == "counter"]
    assert all(s.name.endswith(("_total", "_created")) for s in scrape.samples if s.name.rsplit("_", 1)[0] in counters)
    seconds = [name for name in scrape.types if "seconds" in name or "duration" in name]
    assert all(name.endswith("_seconds") for name in seconds), seconds
    assert not any(name.endswith("_created") for name in scrape.types), "no creation times"


async def test_actions_are_counted_by_outcome_and_refusal_code(hall: Hall) -> None:
    before = await hall.scrape()
    assert await hall.call_next() == 403, "s1 is signed on nowhere: refused"
    answer = await hall.service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
    assert answer.ok
    await hall.issue_at_kiosk()
    assert await hall.call_next(request_id="call-1") == 200
    assert await hall.call_next(request_id="call-1") == 200, "the same request again: its first answer"
    after = await hall.scrape()

    def moved(**labels: str) -> float:
        name = "onewindow_actions_total"
        return after.value(name, centre="test", **labels) - before.value(name, centre="test", **labels)

    assert moved(action="call_next", outcome="refused", code="not_signed_on") == 1
    assert moved(action="call_next", outcome="done") == 1
    assert moved(action="call_next", outcome="repeat") == 1
    assert moved(action="issue", outcome="done") == 1
    assert moved(action="sign_on", outcome="done") == 1


async def test_request_latency_is_counted_per_route_template_never_per_path(hall: Hall) -> None:
    before = await hall.scrape()
    for _ in range(3):
        await hall.call_next(window=2)
    async with hall.api.client.get("/api/v1/centres/test/tickets/123456/nowhere") as answer:
        assert answer.status == 404
    after = await hall.scrape()
    count = "onewindow_http_request_duration_seconds_count"
    labels = {"method": "POST", "route": CALL_NEXT, "status_class": "4xx"}
    assert after.value(count, **labels) - before.value(count, **labels) == 3
    assert after.value(count, method="GET", route="unmatched", status_class="4xx") >= 1
    buckets = [
        s for s in after.samples if s.name == f"{count[: -len('_count')]}_bucket" and s.labels["route"] == CALL_NEXT
    ]
    assert {s.labels["le"] for s in buckets} >= {"0.005", "0.1", "1.0", "10.0", "+Inf"}
    routes = {labels["route"] for labels in after.labels_of(count)}
    assert "/api/v1/metrics" in routes
    assert not any("/test/" in route or "123456" in route for route in routes), routes


async def test_relay_lag_print_jobs_and_the_pools_are_read_at_scrape_time(hall: Hall) -> None:
    """No bus runs here: what an action writes to the outbox stays unsent and ages, and the kiosk's
    print job waits for its printer."""
    await hall.issue_at_kiosk()
    hall.clock.advance(seconds=30)
    scrape = await hall.scrape()
    assert scrape.value("onewindow_relay_lag_seconds", centre="test") >= 30
    assert scrape.value("onewindow_print_jobs", centre="test", state="queued") == 1
    assert scrape.value("onewindow_print_jobs", centre="test", state="done") == 0
    assert scrape.value("onewindow_print_job_oldest_queued_seconds", centre="test") == 30
    assert scrape.value("onewindow_sms_notices", centre="test", state="pending") == 0
    assert scrape.value("onewindow_relay_lag_seconds", centre="other") == 0, "not this token's centre"
    pools = {labels["pool"] for labels in scrape.labels_of("onewindow_db_pool_size")}
    assert pools and all(scrape.value("onewindow_db_pool_size", pool=pool) > 0 for pool in pools)
    assert scrape.value("onewindow_centre_in_opening_hours", centre="test") == 1
    hall.clock.advance(minutes=12 * 60)  # 21:00
    assert (await hall.scrape()).value("onewindow_centre_in_opening_hours", centre="test") == 0


async def test_device_requests_are_counted_by_kind_request_and_outcome(hall: Hall) -> None:
    answer = await hall.service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
    assert answer.ok
    requests = DeviceRequests(hall.service, await hall.service.centre("test"))
    topic = DEVICE_REQUEST.build("test", kind="keypad", device="kp-1", what="next")
    before = await hall.scrape()
    with json_lines(logging.INFO) as out:
        replies = [
            await requests.handle(topic, json.dumps({"request_id": "boot1-1"}).encode()),
            await requests.handle(topic, b"not json"),
            await requests.handle(DEVICE_REQUEST.build("test", kind="keypad", device="kp-1", what="dance"), b"{}"),
            await requests.handle(topic, json.dumps({"request_id": "boot1-1"}).encode()),
        ]
    assert [reply.response.ok for reply in replies if reply is not None] == [True, False, False, True]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    refused = [line for line in lines if line["message"].startswith("refused a request")]
    assert len(refused) == 2 and all(
        (line["centre"], line["actor"], line["window"]) == ("test", "device:kp-1", 1) for line in refused
    ), refused
    (called,) = [line for line in lines if line["message"] == "call_next done"]
    assert called["request_id"] == "device:kp-1:boot1-1" and called["actor"] == "device:kp-1"
    after = await hall.scrape()

    def moved(**labels: str) -> float:
        name = "onewindow_device_requests_total"
        return after.value(name, centre="test", **labels) - before.value(name, centre="test", **labels)

    assert moved(kind="keypad", request="next", outcome="ok") == 2, "the repeat is answered again"
    assert moved(kind="keypad", request="next", outcome="malformed") == 1
    assert moved(kind="keypad", request="other", outcome="unknown-request") == 1, "never the raw name"


async def test_a_token_sees_only_its_own_centres_counted(hall: Hall) -> None:
    await hall.issue_at_kiosk()
    scrape = await hall.scrape("other-manager")
    centres = {s.labels.get("centre") for s in scrape.samples} - {None, ""}
    assert centres == {"other"}
    assert scrape.types["onewindow_actions"] == "counter", "the family is there, without the other centre's series"


class Refusing:
    """A broker connection that fails every publish, as one that dropped would."""

    async def publish(self, topic: str, payload: str, qos: int = 1, retain: bool = False) -> None:
        raise ConnectionError(topic)


class Acknowledging:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def publish(self, topic: str, payload: str, qos: int = 1, retain: bool = False) -> None:
        self.sent.append(topic)


async def test_the_relays_publishes_and_failed_publishes_are_counted(seeded_db: Database) -> None:
    service = HallService(seeded_db, ManualClock(shanghai(2026, 11, 30, 9, 0)))
    assert (await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")).ok
    relay = OutboxRelay(seeded_db, "test", service.clock)

    def counted(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, {"centre": "test", **labels}) or 0.0

    failed = counted("onewindow_mqtt_publish_failures_total", what="outbox")
    with pytest.raises(ConnectionError):
        await relay.drain(Refusing())
    assert counted("onewindow_mqtt_publish_failures_total", what="outbox") == failed + 1
    failed = counted("onewindow_mqtt_publish_failures_total", what="snapshot")
    with pytest.raises(ConnectionError):  # the next connection starts with the retained state
        await relay.republish_retained(Refusing())
    assert counted("onewindow_mqtt_publish_failures_total", what="snapshot") == failed + 1

    broker = Acknowledging()
    await relay.republish_retained(broker)
    published, before = counted("onewindow_outbox_published_total"), len(broker.sent)
    assert (await service.act("test", Pause(window=1, reason=PauseReason.BREAK), actor="staff:s1", request_id="p")).ok
    assert await relay.drain(broker)
    assert counted("onewindow_outbox_published_total") == published + len(broker.sent) - before > published


async def test_a_connection_asked_for_while_the_pool_is_full_is_counted_as_a_wait(database_url: str) -> None:
    async with Database(database_url, pool_size=1) as db:
        (pool, *_) = db.pool_figures()
        assert (pool.pool, pool.size, pool.in_use, pool.waits) == ("write", 1, 0, 0)
        capacity = 1 if db.sqlite else 1 + POSTGRES_OVERFLOW
        release = asyncio.Event()
        holding = 0

        async def hold() -> None:  # each in a task of its own: a task holds one read connection at a time
            nonlocal holding
            async with db.write() if db.sqlite else db.read():
                holding += 1
                await release.wait()

        holders = [asyncio.create_task(hold()) for _ in range(capacity)]
        async with asyncio.timeout(10):
            while holding < capacity:
                await asyncio.sleep(0.01)
        assert db.pool_figures()[0].in_use == capacity
        waiting = asyncio.create_task(_one_statement(db))
        await asyncio.sleep(0.2)
        assert not waiting.done(), "every connection is held"
        release.set()
        await asyncio.gather(*holders, waiting)
        assert db.pool_figures()[0].waits == 1
        assert db.pool_figures()[0].in_use == 0


async def _one_statement(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(text("SELECT 1"))


async def test_print_jobs_are_counted_while_waiting_and_for_a_day_after_their_answer(hall: Hall) -> None:
    """A job the printer answered leaves the figures a day later; one still waiting stays in them."""
    await hall.issue_at_kiosk()
    await hall.issue_at_kiosk()
    async with hall.service.db.write() as conn:
        first = (await conn.execute(text("SELECT min(job_id) FROM print_jobs WHERE centre = 'test'"))).scalar_one()
        await conn.execute(
            text("UPDATE print_jobs SET status = 'done', updated_at = :at WHERE job_id = :id"),
            {"at": hall.clock.now(), "id": first},
        )
    scrape = await hall.scrape()
    assert (
        scrape.value("onewindow_print_jobs", centre="test", state="done"),
        scrape.value("onewindow_print_jobs", centre="test", state="queued"),
    ) == (1, 1)
    hall.clock.advance(minutes=25 * 60)
    scrape = await hall.scrape()
    assert scrape.value("onewindow_print_jobs", centre="test", state="done") == 0, "answered more than a day ago"
    assert scrape.value("onewindow_print_jobs", centre="test", state="queued") == 1, "still waiting"
    assert scrape.value("onewindow_print_job_oldest_queued_seconds", centre="test") >= 25 * 3600


async def test_todays_tickets_and_ratings_are_read_once_for_every_centre(hall: Hall) -> None:
    """A token of two centres: each centre's figures, from one statement on the tickets of the day and
    one on the centres' state versions (the kept halls, current, read without another query)."""
    await hall.issue_at_kiosk()
    for action, request_id in ((SignOn(window=1, staff="s1"), "other-on"), (IssueTicket(matter="pension"), "other-1")):
        answer = await hall.service.act("other", action, actor="manager:m", request_id=request_id)
        assert answer.ok, answer.body
    async with hall.service.db.write() as conn:
        both = await add_token(conn, label="city", role=Role.SUPERVISOR, centres=["test", "other"], subject="city")
    hall.api.tokens["city"] = both
    await hall.scrape("city")  # the halls built
    statements: list[str] = []

    def keep(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    engine = hall.service.db.reader.sync_engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        scrape = await hall.scrape("city")
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    for centre in ("test", "other"):
        assert scrape.value("onewindow_tickets_today", centre=centre, status="waiting") == 1, centre
        assert scrape.value("onewindow_ratings_today", centre=centre, level="5") == 0, centre
    by_day = [s for s in statements if "service_day" in s and "count(" in s.lower()]
    assert len(by_day) == 1, by_day
    for table in ("sms_notices", "print_jobs", "outbox"):
        assert len([s for s in statements if f"FROM {table}" in s]) <= 2, (table, statements)
    versions = [s for s in statements if "state_version" in s]
    assert len(versions) == 1, f"the kept halls checked in one query: {versions}"
