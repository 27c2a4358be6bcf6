"""The server on a real broker: calls out, retained state, device requests in, outages survived.

Each test runs the hall service and its bus in this process against the hall's own broker (the
Mosquitto child process the server runs by default) on a free port, or a plain Mosquitto where
a test needs one, and watches with an ordinary MQTT client.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import ssl
import subprocess
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from queue_server.app.commands import IssueTicket, SignOn
from queue_server.app.instruments import REGISTRY
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.auth.accounts import Role, add_token
from queue_server.bus.broker import HallBroker
from queue_server.bus.connection import BrokerAddress
from queue_server.bus.runner import Bus
from queue_server.domain.centre import Centre
from queue_server.domain.clock import ManualClock
from queue_server.protocol.payloads import (
    PROTOCOL,
    REQUESTS,
    Call,
    DeviceResponse,
    HallCalls,
    HallSummary,
    PadState,
    WindowState,
)
from queue_server.protocol.topics import MAX_PAYLOAD_BYTES
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.repository import load_ticket
from queue_server.store.seed import create_centre
from tests.brokers import Mosquitto
from tests.factories import make_centre, shanghai

DEVICES = [
    {"id": "kp-1", "kind": "keypad", "window": 1},
    {"id": "kp-2", "kind": "keypad", "window": 2},
    {"id": "pad-1", "kind": "pad", "window": 1},
    {"id": "k-1", "kind": "kiosk", "printer": "printer-1"},
    {"id": "printer-1", "kind": "printer"},
    {"id": "printer-w1", "kind": "printer", "window": 1},
]
T = "onewindow/test"
ANSWER_WAIT = 20.0
"""Seconds a device waits for its answer: far above any real answer, far below the test timeout."""


@dataclass
class Hall:
    service: HallService
    bus: Bus
    broker: BrokerAddress
    bus_task: asyncio.Task[None]
    """Cancel it to stop the server's bus as a server shutting down does."""


@contextlib.asynccontextmanager
async def hall_on(
    db: Database,
    broker: BrokerAddress,
    centre: Centre | None = None,
    staff: Sequence[tuple[int, str]] = ((1, "s1"), (2, "s2")),
) -> AsyncIterator[Hall]:
    """The hall service and its bus at 09:00 on a Monday, windows signed on by ``staff``."""
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    centre = centre or make_centre(devices=DEVICES)
    code = centre.centre.code
    async with db.write() as conn:
        await create_centre(conn, centre, clock.now())
    async with HallService(db, clock) as service:
        for window, who in staff:
            await service.act(code, SignOn(window=window, staff=who), actor=f"staff:{who}", request_id=f"on{window}")
        bus = Bus(service, [centre], broker)
        task = asyncio.create_task(bus.run())
        try:
            await asyncio.wait_for(bus.centres[code].connected.wait(), 10)
            yield Hall(service, bus, broker, task)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def watcher(broker: BrokerAddress, name: str, **kw: Any) -> aiomqtt.Client:
    return aiomqtt.Client(broker.host, broker.port, identifier=name, protocol=aiomqtt.ProtocolVersion.V311, **kw)


async def collect(client: aiomqtt.Client, until: int, timeout: float = 10) -> list[aiomqtt.Message]:
    """Messages until ``until`` have arrived or the time is up."""
    got: list[aiomqtt.Message] = []

    async def read() -> None:
        async for message in client.messages:
            got.append(message)
            if len(got) >= until:
                return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(read(), timeout)
    return got


def payload(message: aiomqtt.Message) -> dict[str, Any]:
    assert isinstance(message.payload, bytes)
    result: dict[str, Any] = json.loads(message.payload)
    return result


async def request(
    client: aiomqtt.Client,
    kind: str,
    device: str,
    what: str,
    body: dict[str, Any] | bytes,
    others: list[aiomqtt.Message] | None = None,
) -> DeviceResponse:
    """Publish a request and wait for its answer on the device's response topic; the messages that
    came before it go to ``others`` (the relay may publish what the action caused before the answer)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    await client.publish(f"{T}/{kind}/{device}/request/{what}", raw, qos=1)
    try:
        async with asyncio.timeout(ANSWER_WAIT):
            async for message in client.messages:
                if message.topic.value == f"{T}/{kind}/{device}/response/{what}":
                    return DeviceResponse.model_validate(payload(message))
                if others is not None:
                    others.append(message)
    except TimeoutError:
        raise AssertionError(
            f"no answer to {kind} {device} {what} in {ANSWER_WAIT} s; tasks:\n{task_stacks()}"
        ) from None
    raise AssertionError("the device's connection ended before the answer came")


def task_stacks() -> str:
    """Where every task of the loop waits: what a hang leaves to read."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        task.print_stack(limit=8, file=out)
    return out.getvalue()


@pytest.fixture
def broker(hall_broker: HallBroker) -> BrokerAddress:
    """The broker the server runs by default."""
    return BrokerAddress("127.0.0.1", hall_broker.port)


async def test_a_call_over_http_reaches_the_window_and_the_retained_state(db: Database, broker: BrokerAddress) -> None:
    async with hall_on(db, broker) as hall:
        async with db.write() as conn:
            staff = await add_token(conn, label="s1", role=Role.STAFF, centres=["test"], subject="s1")
        await hall.service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id="i1")
        async with watcher(broker, "calls") as live:
            await live.subscribe(f"{T}/window/1/call", qos=1)
            async with TestClient(TestServer(create_app(hall.service, bus=hall.bus))) as http:
                answer = await http.post(
                    "/api/v1/centres/test/windows/1/call-next",
                    json={"request_id": "n1"},
                    headers={"Authorization": f"Bearer {staff}"},
                )
                assert answer.status == 200, await answer.text()
            (message,) = await collect(live, 1)
        call = Call.model_validate(payload(message))
        assert (call.number, call.window, call.recall, call.seq) == ("A001", 1, False, 1)
        async with watcher(broker, "late") as late:
            await late.subscribe(f"{T}/window/1/state", qos=1)
            await late.subscribe(f"{T}/hall/calls", qos=1)
            await late.subscribe(f"{T}/hall/summary", qos=1)
            received = {m.topic.value: payload(m) for m in await collect(late, 3)}
        state = WindowState.model_validate(received[f"{T}/window/1/state"])
        assert state.ticket is not None and state.ticket.number == "A001", "a late subscriber sees the state at once"
        assert state.protocol == PROTOCOL
        latest = HallCalls.model_validate(received[f"{T}/hall/calls"])
        assert latest.calls[0].number == "A001"
        summary = HallSummary.model_validate(received[f"{T}/hall/summary"])
        assert sum(group.waiting for group in summary.waiting) == 0, "the one ticket was called"


def answers_counted() -> dict[tuple[str, str], float]:
    """The device answers this process has had acknowledged at centre ``test``, by kind and whether ok."""
    return {
        (kind, ok): REGISTRY.get_sample_value(
            "onewindow_device_answers_total", {"centre": "test", "kind": kind, "ok": ok}
        )
        or 0.0
        for kind in ("keypad", "pad", "kiosk")
        for ok in ("yes", "no")
    }


async def test_keypad_pad_and_kiosk_requests_over_the_bus(db: Database, broker: BrokerAddress) -> None:
    counted = answers_counted()
    async with hall_on(db, broker) as hall, watcher(broker, "devices") as device:
        await device.subscribe(f"{T}/+/+/response/+", qos=1)
        await device.subscribe(f"{T}/pad/pad-1/state", qos=1)
        ticket = await request(device, "kiosk", "k-1", "ticket", {"request_id": "boot-1", "matter": "pension"})
        assert ticket.ok and ticket.result is not None
        serial = ticket.result["ticket"]["serial"]
        assert ticket.result["ticket"]["channel"] == "device"
        called = await request(device, "keypad", "kp-1", "next", {"request_id": "boot-2"})
        assert called.ok and called.result is not None and called.result["ticket"]["serial"] == serial
        again = await request(device, "keypad", "kp-1", "next", {"request_id": "boot-2"})
        assert again == called, "a repeated request id gets the first answer"
        done = await request(device, "keypad", "kp-1", "finish", {"request_id": "boot-3"})
        assert done.ok
        other = await request(device, "pad", "pad-1", "rating", {"request_id": "boot-4", "serial": 999, "level": 5})
        assert not other.ok and other.error is not None and other.error.type == "not-found"
        rated = await request(device, "pad", "pad-1", "rating", {"request_id": "boot-5", "serial": serial, "level": 4})
        assert rated.ok and rated.result is not None and rated.result["ticket"]["rating"] == 4
        twice = await request(device, "pad", "pad-1", "rating", {"request_id": "boot-6", "serial": serial, "level": 1})
        assert not twice.ok and twice.error is not None and "rated already" in twice.error.detail
        assert (twice.error.code, twice.error.message) == ("rated_already", "A001号已评价过"), "said for a screen too"
        wrong_window = await request(device, "keypad", "kp-2", "finish", {"request_id": "boot-7"})
        assert not wrong_window.ok, "keypad 2 acts at window 2 only, where nothing is called"
        expected = {("keypad", "yes"): 3, ("keypad", "no"): 1, ("pad", "yes"): 1, ("pad", "no"): 2, ("kiosk", "yes"): 1}

        def moved() -> dict[tuple[str, str], float]:
            return {key: value - counted[key] for key, value in answers_counted().items() if value > counted[key]}

        async with asyncio.timeout(ANSWER_WAIT):  # counted once the broker acknowledged, which may follow the delivery
            while moved() != expected:
                await asyncio.sleep(0.02)
    o = schema.outbox.c
    async with hall.service.db.read() as conn:
        rows = (await conn.execute(select(o.payload, o.seq).where(o.subject == "pad/pad-1/state").order_by(o.id))).all()
    pad_states = [PadState.model_validate({**r.payload, "seq": r.seq}) for r in rows]
    assert [(p.state, p.seq) for p in pad_states] == [("open", 1), ("idle", 2)]
    assert pad_states[0].serial == serial


async def test_bad_input_on_every_request_topic_is_answered_and_the_server_goes_on(
    db: Database, mosquitto: Mosquitto
) -> None:
    broker = BrokerAddress.from_url(mosquitto.url)
    bad_payloads: list[bytes] = [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[]",
        b'"a string"',
        b'{"request_id": 5}',
        b'{"request_id": "x", "unknown_field": 1}',
        b'{"request_id": "' + b"x" * 100 + b'"}',
        json.dumps({"request_id": "deep", "nested": json.loads("[" * 200 + "]" * 200)}).encode(),
        b"x" * (MAX_PAYLOAD_BYTES + 1),
    ]
    topics = [(kind.value, what) for kind, what in REQUESTS] + [("keypad", "explode")]
    ids = {"keypad": "kp-1", "pad": "pad-1", "kiosk": "k-1", "printer": "nobody", "display": "nobody"}
    async with hall_on(db, broker), watcher(broker, "fuzz") as device:
        await device.subscribe(f"{T}/+/+/response/+", qos=1)
        for kind, what in topics:
            for raw in bad_payloads:
                answer = await request(device, kind, ids[kind], what, raw)
                assert not answer.ok and answer.error is not None and answer.error.detail, (kind, what, raw[:40])
        still = await request(device, "kiosk", "k-1", "ticket", {"request_id": "after-fuzz", "matter": "pension"})
        assert still.ok, "the server keeps serving after bad input"
        unknown = await request(device, "keypad", "kp-9", "next", {"request_id": "ghost"})
        assert unknown.error is not None and unknown.error.type == "unknown-device"


class PersistentMosquitto(Mosquitto):
    """Mosquitto that keeps sessions and queued messages across a restart, as a production one does."""

    def config(self) -> str:
        store = self.directory / "persistence"
        store.mkdir(parents=True, exist_ok=True)
        return super().config().replace("persistence false", f"persistence true\npersistence_location {store}/")


async def test_fifty_calls_during_a_broker_outage_all_arrive_in_order(db: Database, tmp_path: Path) -> None:
    with PersistentMosquitto(tmp_path / "broker") as mosquitto:
        broker = BrokerAddress.from_url(mosquitto.url)
        async with hall_on(db, broker) as hall:
            for n in range(50):
                await hall.service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id=f"t{n}")
            async with watcher(broker, "display-1", clean_session=False) as display:
                await display.subscribe(f"{T}/window/1/call", qos=1)
            mosquitto.stop()
            from queue_server.app.commands import CallNext, Finish
            from queue_server.domain.tickets import Outcome

            for n in range(50):
                called = await hall.service.act("test", CallNext(window=1), actor="staff:s1", request_id=f"n{n}")
                assert called.ok, "actions succeed while the broker is down"
                await hall.service.act(
                    "test", Finish(window=1, outcome=Outcome.ON_THE_SPOT), actor="staff:s1", request_id=f"f{n}"
                )
            mosquitto.start()
            async with watcher(broker, "display-1", clean_session=False) as display:
                await display.subscribe(f"{T}/window/1/call", qos=1)
                calls = [Call.model_validate(payload(m)) for m in await collect(display, 50, timeout=30)]
    assert [c.number for c in calls] == [f"A{n:03d}" for n in range(1, 51)], "all 50 calls, in order"
    assert [c.seq for c in calls] == list(range(1, 51)), "sequence numbers without a gap"


async def test_twins_a_keypad_calls_and_a_pad_rates_over_a_real_broker(db: Database, mosquitto: Mosquitto) -> None:
    """The device twins against the real server: what a hall with hardware keypads and pads does."""
    from queue_server.twins import ButtonKiosk, Keypad, Pad

    broker = BrokerAddress.from_url(mosquitto.url)
    async with (
        hall_on(db, broker) as hall,
        ButtonKiosk("test", "k-1", mosquitto.url) as kiosk,
        Keypad("test", "kp-1", 1, mosquitto.url) as keypad,
        Pad("test", "pad-1", mosquitto.url) as pad,
    ):
        issued = await kiosk.ticket("pension")
        assert issued.ok and issued.result is not None
        number = issued.result["ticket"]["number"]
        called = await keypad.next()
        assert called.ok
        await keypad.wait_until(lambda: keypad.last_call is not None, timeout=5)
        assert keypad.last_call is not None and keypad.last_call.number == number
        await keypad.wait_until(
            lambda: keypad.window_state is not None and keypad.window_state.ticket is not None, timeout=5
        )
        assert (await keypad.finish()).ok
        request = await pad.wait_for_request(timeout=5)
        assert (request.number, request.window) == (number, 1)
        rated = await pad.rate(request.serial or 0, 5, {"attitude": 5, "efficiency": 4})
        assert rated.ok, rated.error
        await pad.wait_until(lambda: pad.pad_state is not None and pad.pad_state.state == "idle", timeout=5)
        ticket = (await hall.service.hall("test")).tickets()
        assert all(t.number != number for t in ticket), "rated: the ticket left the live hall"
        async with db.read() as conn:
            stored = await load_ticket(conn, "test", request.serial or 0)
        assert stored is not None and stored.rating_items == (4, 0, 5), "the pad's items, as the page's are kept"
        assert hall.bus.devices_online("test") == {"k-1": True, "kp-1": True, "pad-1": True}


async def test_the_hall_broker_on_the_hall_network_takes_only_device_passwords(db: Database, tmp_path: Path) -> None:
    from queue_server.bus.broker import BrokerStartError
    from queue_server.bus.mqtt_config import Settings, generate
    from queue_server.cli.server import ServerSettings, _broker
    from tests.serverproc import free_port

    async with db.write() as conn:
        await create_centre(conn, make_centre(devices=DEVICES), shanghai(2026, 11, 30))
    hall_network = ServerSettings(database_url="", mqtt_host="0.0.0.0", mqtt_port=free_port())
    async with contextlib.AsyncExitStack() as stack:
        with pytest.raises(BrokerStartError, match="without device passwords: run onewindow mqtt-config"):
            await _broker(hall_network, stack, db)
    async with db.write() as conn:
        made = await generate(
            conn, Settings(output_dir=tmp_path / "mqtt", secrets_file=tmp_path / "s.json"), shanghai(2026, 11, 30)
        )
    pad_password = json.loads((tmp_path / "s.json").read_text())["test"]["pad-1"]
    assert made.accounts
    async with contextlib.AsyncExitStack() as stack:
        server = await _broker(hall_network, stack, db)
        assert server.username and server.password, "the server gets an account of its own"
        with pytest.raises(aiomqtt.MqttError):
            async with watcher(server, "stranger"):
                pass
        async with server.client("server-check"):
            pass
        async with aiomqtt.Client(
            server.host, server.port, identifier="test.pad-1", username="test.pad-1", password=pad_password
        ) as pad:
            await pad.publish(f"{T}/pad/pad-1/availability", "online", qos=1, retain=True)


async def test_the_server_speaks_mqtt_5_when_the_url_asks(db: Database, mosquitto: Mosquitto) -> None:
    broker = BrokerAddress.from_url(f"{mosquitto.url}?protocol=5")
    assert broker.version == 5
    async with hall_on(db, broker), watcher(BrokerAddress.from_url(mosquitto.url), "v311-device") as device:
        await device.subscribe(f"{T}/+/+/response/+", qos=1)
        answer = await request(device, "kiosk", "k-1", "ticket", {"request_id": "v5-1", "matter": "pension"})
        assert answer.ok, "an MQTT 3.1.1 device and an MQTT 5 server share the contract"
    assert "as onewindow-server-test" in mosquitto.log() and "(p5," in mosquitto.log(), "the server spoke MQTT 5"


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway certificate authority and a certificate for 127.0.0.1 signed by it."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key, key, csr, cert, ext = (
        folder / n for n in ("ca.pem", "ca.key", "server.key", "server.csr", "server.pem", "ext.cnf")
    )
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n", encoding="utf-8")
    commands = [
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
         "-subj", "/CN=OneWindow test CA"],
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
         "-days", "2", "-extfile", ext],
    ]  # fmt: skip
    for command in commands:
        subprocess.run([str(part) for part in command], check=True, capture_output=True, timeout=60)
    return ca, cert, key


class TlsMosquitto(Mosquitto):
    """Mosquitto with a TLS listener, as a hall network broker would run."""

    def __init__(self, directory: Path, ca: Path, cert: Path, key: Path) -> None:
        super().__init__(directory)
        self.tls_files = (ca, cert, key)

    def config(self) -> str:
        ca, cert, key = self.tls_files
        return super().config() + f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\n"


async def test_the_server_speaks_tls_to_a_broker_with_the_halls_own_certificate_authority(
    db: Database, tmp_path: Path
) -> None:
    ca, cert, key = make_certificates(tmp_path / "tls")
    with TlsMosquitto(tmp_path / "broker", ca, cert, key) as mosquitto:
        untrusted = BrokerAddress.from_url(f"mqtts://127.0.0.1:{mosquitto.port}").tls_context()
        with pytest.raises(ssl.SSLCertVerificationError):  # the system's trust store does not know the hall's CA
            await asyncio.open_connection("127.0.0.1", mosquitto.port, ssl=untrusted)
        broker = BrokerAddress.from_url(f"mqtts://127.0.0.1:{mosquitto.port}?ca={ca}")
        async with hall_on(db, broker), broker.client("device-over-tls") as device:
            await device.subscribe(f"{T}/+/+/response/+", qos=1)
            answer = await request(device, "kiosk", "k-1", "ticket", {"request_id": "tls-1", "matter": "pension"})
            assert answer.ok, "requests and answers cross the TLS connection"


async def test_print_jobs_go_to_the_kiosks_and_the_windows_printers_and_their_results_are_kept(
    db: Database, mosquitto: Mosquitto
) -> None:
    from queue_server.app.commands import CallNext, Finish
    from queue_server.domain.tickets import Outcome
    from queue_server.protocol.payloads import PrintJob

    broker = BrokerAddress.from_url(mosquitto.url)
    async with hall_on(db, broker) as hall, watcher(broker, "printers") as printer:
        await printer.subscribe(f"{T}/printer/+/job", qos=1)
        await printer.subscribe(f"{T}/printer/+/response/+", qos=1)
        await printer.subscribe(f"{T}/kiosk/+/response/+", qos=1)
        before: list[aiomqtt.Message] = []
        issued = await request(printer, "kiosk", "k-1", "ticket", {"request_id": "p-1", "matter": "pension"}, before)
        assert issued.ok and issued.result is not None
        ticket = issued.result["ticket"]
        jobs = [m for m in before if m.topic.value.endswith("/job")] or await collect(printer, 1)
        job_message = next(m for m in jobs if m.topic.value.endswith("/job"))
        assert job_message.topic.value == f"{T}/printer/printer-1/job"
        job = PrintJob.model_validate(payload(job_message))
        assert job.ticket is not None
        assert (job.kind, job.ticket.number, job.ticket.matter_name) == ("ticket", ticket["number"], "养老保险待遇领取")
        assert job.ticket.status_url.endswith(f"/ticket/{ticket['status_token']}")
        done = await request(
            printer, "printer", "printer-1", "result", {"request_id": "r-1", "job_id": job.job_id, "status": "done"}
        )
        assert done.ok
        ghost = await request(
            printer, "printer", "printer-1", "result", {"request_id": "r-2", "job_id": "9-ticket-1", "status": "done"}
        )
        assert not ghost.ok and ghost.error is not None and ghost.error.type == "unknown-job"
        await hall.service.act("test", CallNext(window=1), actor="staff:s1", request_id="c-1")
        finished = await hall.service.act(
            "test",
            Finish(window=1, outcome=Outcome.SUPPLEMENT, reasons=("申请材料不齐全",), missing_materials=("户口簿",)),
            actor="staff:s1",
            request_id="f-1",
        )
        assert finished.ok, finished.body
        notice_message = next(m for m in await collect(printer, 1) if m.topic.value.endswith("/job"))
        assert notice_message.topic.value == f"{T}/printer/printer-w1/job"
        notice = PrintJob.model_validate(payload(notice_message)).notice
        assert notice is not None
        assert (notice.outcome_name, notice.missing_materials, notice.reasons) == (
            "补正",
            ["户口簿"],
            ["申请材料不齐全"],
        )
    p = schema.print_jobs.c
    async with db.read() as conn:
        rows = (await conn.execute(select(p.job_id, p.printer, p.status).order_by(p.created_at, p.job_id))).all()
    assert sorted(tuple(r) for r in rows) == sorted(
        [(job.job_id, "printer-1", "done"), (f"{ticket['serial']}-notice-1", "printer-w1", "queued")]
    )
