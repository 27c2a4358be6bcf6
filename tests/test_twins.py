"""The device twins against real brokers, answered by a small fake server written here.

The fake server answers every request on its device's response topic with the same request id,
but ignores the first attempt of each id: a twin that did not repeat its request would never get
an answer. It counts the attempts, so a test can see that the same id arrived twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import aiomqtt
import pytest

from queue_server import cli
from queue_server.bus.broker import HallBroker
from queue_server.cli import devices as cli_devices
from queue_server.config.centre_file import load_demo_centre
from queue_server.protocol import OFFLINE, ONLINE, PROTOCOL, DeviceKind, DeviceResponse
from queue_server.protocol.payloads import PROTOCOL_REVISION, PadState, PadStatus, ServerProtocol
from queue_server.protocol.topics import (
    DEVICE_REQUEST,
    DEVICE_RESPONSE,
    PAD_STATE,
    SERVER_PROTOCOL,
    WINDOW_CALL,
    WINDOW_STATE,
)
from queue_server.twins import (
    Broker,
    BrokerUrlError,
    ButtonKiosk,
    DeviceSpec,
    Keypad,
    Pad,
    TwinConnectError,
    TwinError,
    TwinOptions,
    TwinTimeout,
    describe,
    simulate,
)
from queue_server.twins.script import called_a_ticket
from tests.brokers import Mosquitto
from tests.serverproc import free_port

CENTRE = "t"
FAST: TwinOptions = {"retry_interval": 0.1, "timeout": 10.0, "connect_timeout": 10.0}
"""Twin options for tests: repeat often, but give a loaded machine time to answer."""
WAIT = 10.0
"""Seconds a test waits for something that should take milliseconds."""


@dataclass
class Seen:
    """One request as the fake server received it."""

    kind: str
    device: str
    what: str
    payload: dict[str, object]


@dataclass
class FakeServer:
    """Answers ``onewindow/t/+/+/request/+`` on the response topic, ignoring each id's first attempt."""

    url: str
    answer: bool = True
    attempts: Counter[str] = field(default_factory=Counter)
    requests: list[Seen] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._serve())
        async with asyncio.timeout(WAIT):
            await self._ready.wait()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _serve(self) -> None:
        broker = Broker.from_url(self.url)
        async with aiomqtt.Client(broker.host, broker.port, protocol=broker.protocol) as client:
            await client.subscribe(DEVICE_REQUEST.filter(CENTRE), qos=1)
            self._ready.set()
            async for message in client.messages:
                parts = DEVICE_REQUEST.parse(message.topic.value)
                assert parts is not None and isinstance(message.payload, bytes)
                payload = json.loads(message.payload)
                request_id = payload["request_id"]
                self.attempts[request_id] += 1
                if self.attempts[request_id] == 1:
                    self.requests.append(Seen(parts["kind"], parts["device"], parts["what"], payload))
                    continue  # the twin must repeat it
                if not self.answer:
                    continue
                response = DeviceResponse(
                    request_id=request_id, ok=True, result={"what": parts["what"], "attempt": self.attempts[request_id]}
                )
                topic = DEVICE_RESPONSE.build(CENTRE, kind=parts["kind"], device=parts["device"], what=parts["what"])
                await client.publish(topic, response.model_dump_json(), qos=1)


class Watcher:
    """A plain client that collects what arrives on some topics, to see what others published."""

    def __init__(self, url: str, *topics: str) -> None:
        self.broker = Broker.from_url(url)
        self.topics = topics
        self.messages: asyncio.Queue[tuple[str, bytes, bool]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._watch())
        async with asyncio.timeout(WAIT):
            await self._ready.wait()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _watch(self) -> None:
        async with aiomqtt.Client(self.broker.host, self.broker.port) as client:
            for topic in self.topics:
                await client.subscribe(topic, qos=1)
            self._ready.set()
            async for message in client.messages:
                assert isinstance(message.payload, bytes)
                await self.messages.put((message.topic.value, message.payload, message.retain))

    async def next_payload(self, topic: str) -> bytes:
        """The next payload on ``topic`` (others are skipped)."""
        async with asyncio.timeout(WAIT):
            while True:
                got, payload, _retain = await self.messages.get()
                if got == topic:
                    return payload


async def publish(url: str, topic: str, payload: str | bytes, *, retain: bool = False) -> None:
    broker = Broker.from_url(url)
    async with aiomqtt.Client(broker.host, broker.port) as client:
        await client.publish(topic, payload, qos=1, retain=retain)


async def retained(url: str, topic: str) -> bytes | None:
    """The retained message of ``topic``, or None if there is none."""
    async with Watcher(url, topic) as watcher:
        try:
            async with asyncio.timeout(0.5):
                _, payload, _ = await watcher.messages.get()
                return payload
        except TimeoutError:
            return None


@pytest.fixture
async def server(mosquitto: Mosquitto) -> AsyncIterator[FakeServer]:
    async with FakeServer(mosquitto.url) as fake:
        yield fake


def window_state(seq: int, *, ticket: bool = False) -> str:
    state: dict[str, object] = {"seq": seq, "number": 1, "name": "1号窗口", "status": "open", "future_field": "x"}
    if ticket:
        state["ticket"] = {
            "serial": 7,
            "number": "A007",
            "matter": "residence",
            "matter_name": "居住证申领",
            "green_channel": False,
            "status": "called",
        }
    return json.dumps(state)


def pad_state(seq: int, serial: int | None) -> str:
    if serial is None:
        return json.dumps({"seq": seq, "state": "idle"})
    return json.dumps({"seq": seq, "state": "open", "serial": serial, "number": f"A{serial:03}", "window": 1})


# --- Requests ----------------------------------------------------------------------------------


async def test_a_keypad_repeats_its_request_until_answered(server: FakeServer) -> None:
    async with Keypad(CENTRE, "keypad-1", 1, server.url, **FAST) as keypad:
        answer = await keypad.next()
    assert answer.ok
    assert answer.result == {"what": "next", "attempt": 2}
    assert re.fullmatch(f"{keypad.boot_nonce}-1", answer.request_id)
    assert server.attempts[answer.request_id] >= 2  # the same id arrived twice: the twin repeated it
    assert server.requests[0] == Seen("keypad", "keypad-1", "next", {"request_id": answer.request_id})


async def test_each_keypad_button_sends_its_request(server: FakeServer) -> None:
    async with Keypad(CENTRE, "keypad-2", 2, server.url, **FAST) as keypad:
        answers = [
            await keypad.next(),
            await keypad.recall(),
            await keypad.no_show(),
            await keypad.start(),
            await keypad.finish("promised"),
            await keypad.pause("meeting", 30),
            await keypad.resume(),
        ]
    assert all(answer.ok for answer in answers)
    assert [seen.what for seen in server.requests] == [
        "next",
        "recall",
        "no_show",
        "start",
        "finish",
        "pause",
        "resume",
    ]
    payloads = {seen.what: seen.payload for seen in server.requests}
    assert payloads["finish"]["outcome"] == "promised"
    assert (payloads["pause"]["reason"], payloads["pause"]["minutes"]) == ("meeting", 30)
    ids = [answer.request_id for answer in answers]
    assert ids == [f"{keypad.boot_nonce}-{n}" for n in range(1, 8)]


async def test_a_kiosk_takes_tickets_and_a_pad_rates(server: FakeServer) -> None:
    async with (
        ButtonKiosk(CENTRE, "kiosk-1", server.url, **FAST) as kiosk,
        Pad(CENTRE, "pad-1", server.url, **FAST) as pad,
    ):
        assert (await kiosk.ticket("residence", "elderly")).ok
        assert (await pad.rate(7, 5)).ok
        assert (await pad.rate(8, 4, {"attitude": 5, "efficiency": 3})).ok
    assert [(s.kind, s.device, s.what) for s in server.requests] == [
        ("kiosk", "kiosk-1", "ticket"),
        ("pad", "pad-1", "rating"),
        ("pad", "pad-1", "rating"),
    ]
    assert server.requests[0].payload | {"request_id": ""} == {
        "request_id": "",
        "matter": "residence",
        "category": "elderly",
    }
    assert server.requests[1].payload | {"request_id": ""} == {"request_id": "", "serial": 7, "level": 5}
    items = {"attitude": 5, "efficiency": 3}  # only the items rated: the pad's item button is optional
    assert server.requests[2].payload | {"request_id": ""} == {
        "request_id": "",
        "serial": 8,
        "level": 4,
        "items": items,
    }


async def test_a_request_the_model_refuses_is_not_sent(server: FakeServer) -> None:
    async with Pad(CENTRE, "pad-1", server.url, **FAST) as pad:
        with pytest.raises(ValueError, match="level"):
            await pad.rate(7, 9)
        with pytest.raises(ValueError, match="items"):
            await pad.rate(7, 5, {"speed": 5})
        with pytest.raises(TwinError, match=r"Cannot send 'next' from pad pad-1: a pad sends only rating"):
            await pad.request("next")
        # The escape hatch sends what it is given, to see the server's error answers.
        answer = await pad.request_unchecked("rating", {"serial": 7, "level": 9, "extra": True})
    assert answer.ok
    assert server.requests[-1].payload["extra"] is True


async def test_an_unanswered_request_times_out_with_a_clear_message(mosquitto: Mosquitto) -> None:
    async with (
        FakeServer(mosquitto.url, answer=False) as server,
        Keypad(CENTRE, "keypad-1", 1, mosquitto.url, retry_interval=0.05, timeout=0.5) as keypad,
    ):
        with pytest.raises(TwinTimeout) as raised:
            await keypad.next()
    message = str(raised.value)
    assert message.startswith(f"Cannot next at keypad keypad-1: no answer to request {keypad.boot_nonce}-1 in 0.5 s")
    assert f"is the OneWindow server running and connected to {mosquitto.url}" in message
    assert server.attempts[f"{keypad.boot_nonce}-1"] >= 3
    assert isinstance(raised.value, TimeoutError)


async def test_a_bad_answer_is_logged_with_its_topic_and_dropped(
    server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    topic = DEVICE_RESPONSE.build(CENTRE, kind="keypad", device="keypad-1", what="next")
    async with Keypad(CENTRE, "keypad-1", 1, server.url, **FAST) as keypad:
        await publish(server.url, topic, b"{not json")
        await publish(server.url, topic, json.dumps({"ok": "maybe"}))
        answer = await keypad.next()  # the listener survived both
    assert answer.ok
    dropped = [r.getMessage() for r in caplog.records if "dropped a bad message" in r.getMessage()]
    assert len(dropped) == 2
    assert all(f"keypad keypad-1 dropped a bad message on {topic}: " in line for line in dropped)


async def test_two_starts_of_a_device_never_share_a_request_id(server: FakeServer) -> None:
    ids: list[set[str]] = []
    for _ in range(2):
        async with ButtonKiosk(CENTRE, "kiosk-1", server.url, **FAST) as kiosk:
            ids.append({(await kiosk.ticket("residence")).request_id for _ in range(3)})
    assert len(ids[0]) == len(ids[1]) == 3
    assert not ids[0] & ids[1]


def test_boot_nonces_differ_between_starts() -> None:
    nonces = {ButtonKiosk(CENTRE, "kiosk-1").boot_nonce for _ in range(2000)}
    assert len(nonces) == 2000
    assert all(re.fullmatch(r"[0-9a-f]{12}", nonce) for nonce in nonces)


# --- What the devices show ---------------------------------------------------------------------


async def test_a_keypad_keeps_the_newest_window_state_and_the_calls(
    server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    state_topic = WINDOW_STATE.build(CENTRE, number=1)
    call_topic = WINDOW_CALL.build(CENTRE, number=1)
    await publish(server.url, state_topic, window_state(5), retain=True)
    async with Keypad(CENTRE, "keypad-1", 1, server.url, **FAST) as keypad:
        await keypad.wait_until(lambda: keypad.window_state is not None, WAIT)
        assert keypad.window_state is not None and keypad.window_state.seq == 5  # retained: shown at once
        await publish(server.url, state_topic, window_state(4, ticket=True))  # older: dropped
        await publish(server.url, state_topic, "[1, 2]")  # bad: logged and dropped
        await publish(server.url, state_topic, window_state(6, ticket=True))
        await keypad.wait_until(lambda: keypad.window_state is not None and keypad.window_state.seq == 6, WAIT)
        assert keypad.window_state.ticket is not None and keypad.window_state.ticket.number == "A007"
        call = {"call_id": "7-1", "serial": 7, "number": "A007", "matter": "residence", "matter_name": "居住证申领"}
        call |= {"window": 1, "window_name": "1号窗口", "at": "2025-03-04T01:41:07Z"}
        for seq in (7, 7, 8):  # a repeat of 7 is dropped
            await publish(server.url, call_topic, json.dumps({"seq": seq, **call}))
        await keypad.wait_until(lambda: len(keypad.calls) >= 2, WAIT)
        await asyncio.sleep(0.2)
    assert [c.seq for c in keypad.calls] == [7, 8]
    assert keypad.last_call is not None and keypad.last_call.seq == 8
    assert any(f"dropped a bad message on {state_topic}" in r.getMessage() for r in caplog.records)


async def test_a_pad_answers_each_open_request_once(server: FakeServer) -> None:
    topic = PAD_STATE.build(CENTRE, device="pad-1")
    async with Pad(CENTRE, "pad-1", server.url, **FAST) as pad:
        with pytest.raises(TwinTimeout, match=r"pad pad-1 got no rating request to answer in 0\.2 s"):
            await pad.wait_for_request(0.2)
        await publish(server.url, topic, pad_state(1, 41), retain=True)
        state = await pad.wait_for_request(WAIT)
        assert (state.serial, state.number, state.window) == (41, "A041", 1)
        assert (await pad.rate(41, 4)).ok
        with pytest.raises(TwinTimeout):  # the retained state still shows 41: already answered
            await pad.wait_for_request(0.2)
        await publish(server.url, topic, pad_state(2, None), retain=True)
        await publish(server.url, topic, pad_state(3, 42), retain=True)
        assert (await pad.wait_for_request(WAIT)).serial == 42


# --- Availability and the last will --------------------------------------------------------------


async def test_online_is_retained_and_a_clean_exit_says_offline(server: FakeServer) -> None:
    keypad = Keypad(CENTRE, "keypad-1", 1, server.url, **FAST)
    assert keypad.identifier == "t.keypad-1"
    async with keypad:
        assert keypad.connected
        assert await retained(server.url, keypad.availability_topic) == ONLINE.encode()
    assert not keypad.connected
    assert await retained(server.url, keypad.availability_topic) == OFFLINE.encode()


async def test_the_will_says_offline_when_the_connection_dies_and_the_twin_comes_back(server: FakeServer) -> None:
    async with Keypad(CENTRE, "keypad-1", 1, server.url, **FAST) as keypad:
        topic = keypad.availability_topic
        async with Watcher(server.url, topic) as watcher:
            assert await watcher.next_payload(topic) == ONLINE.encode()  # retained
            client = keypad._client
            assert client is not None
            paho_socket = client._client.socket()
            assert isinstance(paho_socket, socket.socket)
            paho_socket.shutdown(socket.SHUT_RDWR)  # gone without DISCONNECT, as when power fails
            assert await watcher.next_payload(topic) == OFFLINE.encode()  # the broker sent the will
            assert await watcher.next_payload(topic) == ONLINE.encode()  # the twin reconnected
        await keypad.wait_until(lambda: keypad.connected, WAIT)
        assert (await keypad.next()).ok  # and it still works


async def test_a_twin_in_another_process_killed_leaves_offline(mosquitto: Mosquitto, tmp_path: Path) -> None:
    async with (
        FakeServer(mosquitto.url) as server,
        Watcher(mosquitto.url, f"onewindow/{CENTRE}/+/+/availability") as watcher,
    ):
        process = start_simulator(mosquitto.url, "--device", "kiosk-1", "--pace", "0.05")
        try:
            topic = f"onewindow/{CENTRE}/kiosk/kiosk-1/availability"
            assert await watcher.next_payload(topic) == ONLINE.encode()
            await read_until(process, " kiosk-1 ticket ")
            process.send_signal(signal.SIGKILL)
            assert await watcher.next_payload(topic) == OFFLINE.encode()
        finally:
            stop(process)
    assert server.requests and all(seen.what == "ticket" for seen in server.requests)


async def test_a_request_waits_out_a_broker_outage(mosquitto: Mosquitto) -> None:
    async with Keypad(CENTRE, "keypad-1", 1, mosquitto.url, retry_interval=0.1, timeout=WAIT) as keypad:
        mosquitto.stop()
        await keypad.wait_until(lambda: not keypad.connected, WAIT)
        pending = asyncio.create_task(keypad.next())
        await asyncio.sleep(0.3)
        mosquitto.start()  # same port; retained messages are gone (no persistence)
        async with FakeServer(mosquitto.url) as server:
            answer = await asyncio.wait_for(pending, WAIT)
            assert answer.ok
            assert server.attempts[answer.request_id] >= 2
        assert await retained(mosquitto.url, keypad.availability_topic) == ONLINE.encode()  # said again


# --- Brokers and protocol versions ------------------------------------------------------------


async def test_mqtt_5_when_the_url_asks(server: FakeServer) -> None:
    async with Keypad(CENTRE, "keypad-1", 1, f"{server.url}?protocol=5", **FAST) as keypad:
        assert keypad.broker.protocol is aiomqtt.ProtocolVersion.V5
        assert (await keypad.next()).ok


async def test_the_hall_broker_speaks_3_1_1_with_the_twins(hall_broker: HallBroker) -> None:
    async with (
        FakeServer(hall_broker.url) as server,
        Keypad(CENTRE, "keypad-1", 1, hall_broker.url, **FAST) as keypad,
    ):
        answer = await keypad.next()
    assert answer.ok
    assert server.attempts[answer.request_id] >= 2


async def test_a_twin_logs_in_with_its_password(
    mosquitto_with: Callable[[Path, Path], Mosquitto], tmp_path: Path
) -> None:
    passwords, acl = tmp_path / "passwd", tmp_path / "acl"
    passwords.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), "keypad-1", "s3cret"], check=True)
    acl.write_text("user keypad-1\ntopic readwrite onewindow/#\n", encoding="utf-8")
    broker = mosquitto_with(passwords, acl)
    url = f"mqtt://keypad-1:s3cret@{broker.host}:{broker.port}"
    async with Keypad(CENTRE, "keypad-1", 1, url, **FAST) as keypad:
        assert keypad.connected
    with pytest.raises(TwinConnectError, match=r"Cannot connect keypad keypad-1 to mqtt://keypad-1@127\.0\.0\.1:\d+: "):
        async with Keypad(CENTRE, "keypad-1", 1, url.replace("s3cret", "wrong"), **FAST):
            pass


async def test_no_broker_is_a_clear_connect_error() -> None:
    port = free_port()
    with pytest.raises(TwinConnectError, match=rf"Cannot connect kiosk kiosk-1 to mqtt://127\.0\.0\.1:{port}: "):
        async with ButtonKiosk(CENTRE, "kiosk-1", f"mqtt://127.0.0.1:{port}"):
            pass


async def test_a_twin_is_used_once_and_only_inside_async_with(server: FakeServer) -> None:
    kiosk = ButtonKiosk(CENTRE, "kiosk-1", server.url, **FAST)
    with pytest.raises(TwinError, match=r"Cannot ticket with kiosk kiosk-1: use it inside `async with` first"):
        await kiosk.ticket("residence")
    async with kiosk:
        pass
    with pytest.raises(TwinError, match="it is closed"):
        await kiosk.ticket("residence")
    with pytest.raises(TwinError, match="Cannot open kiosk kiosk-1 again"):
        async with kiosk:
            pass


async def test_an_error_in_the_body_comes_out_as_it_was(server: FakeServer) -> None:
    with pytest.raises(KeyError, match="mine"):
        async with Keypad(CENTRE, "keypad-1", 1, server.url, **FAST):
            raise KeyError("mine")


def test_the_twins_stand_on_the_protocol_alone() -> None:
    code = "import sys, queue_server.twins; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    server_parts = ("store", "service", "web", "bus", "views", "commands", "server", "centre_file", "domain")
    assert not [m for m in loaded if m.split(".")[:2][-1] in server_parts and m.startswith("queue_server.")]
    assert not {"sqlalchemy", "aiohttp"} & set(loaded)


@pytest.mark.parametrize("client", ["display_client.command", "ticket_printer.client.command"])
def test_the_clients_stand_on_the_protocol_and_the_device_client_alone(client: str) -> None:
    code = f"import sys, {client}; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    server = [m for m in loaded if m.startswith("queue_server.")]
    assert not [m for m in server if not m.startswith(("queue_server.protocol", "queue_server.vocabulary"))]
    assert "device_client" in loaded
    assert "sqlalchemy" not in loaded


def test_the_protocol_stands_on_the_vocabulary_not_the_domain() -> None:
    code = "import sys, queue_server.protocol.docs; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "queue_server.vocabulary" in loaded
    assert not [m for m in loaded if m.startswith("queue_server.domain")]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://127.0.0.1", Broker()),
        ("mqtt://u:p%40ss@broker.local:1884", Broker("broker.local", 1884, "u", "p@ss")),
        ("mqtts://broker.local", Broker("broker.local", 8883, tls=True)),
        ("mqtt://h?protocol=5", Broker("h", protocol=aiomqtt.ProtocolVersion.V5)),
        ("mqtt://h?protocol=4", Broker("h")),
        ("mqtt://h?protocol=3.1.1", Broker("h")),
    ],
)
def test_broker_urls(url: str, expected: Broker) -> None:
    assert Broker.from_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://h", "give mqtt://"),
        ("mqtt://", "give mqtt://"),
        ("mqtt://h?protocol=6", "protocol is 4 (MQTT 3.1.1"),
        ("mqtt://h?qos=2", "unknown option 'qos'"),
        ("mqtt://h:99999", "its port is not a number"),
    ],
)
def test_bad_broker_urls_say_why(url: str, message: str) -> None:
    with pytest.raises(BrokerUrlError, match=re.escape(message)):
        Broker.from_url(url)


def test_a_broker_shows_no_password() -> None:
    assert str(Broker.from_url("mqtt://u:secret@h:1")) == "mqtt://u@h:1"
    assert str(Broker.from_url("mqtt://h?protocol=5")) == "mqtt://h:1883?protocol=5"


def test_ids_and_codes_must_be_topic_segments() -> None:
    with pytest.raises(ValueError, match="Cannot use 'Keypad 1' as a device id in a topic"):
        Keypad(CENTRE, "Keypad 1", 1)
    with pytest.raises(ValueError, match="as a centre code"):
        Pad("a/b", "pad-1")


def test_describe_an_answer() -> None:
    ticket = {"serial": 1, "number": "A001", "matter": "id-card", "matter_name": "居民身份证换领", "status": "called"}
    called = DeviceResponse(request_id="a-1", ok=True, result={"changed": True, "ticket": ticket, "window": {}})
    assert describe(called) == "ok: A001 居民身份证换领, called"
    assert called_a_ticket(called)
    nobody = DeviceResponse(request_id="a-1", ok=True, result={"changed": False, "ticket": None, "window": None})
    assert describe(nobody) == "ok: nothing to do"
    assert not called_a_ticket(nobody)
    other = DeviceResponse(request_id="a-1", ok=True, result={"what": "next"})
    assert describe(other) == 'ok {"what":"next"}'
    assert called_a_ticket(other)  # an answer that does not say is taken at its word
    refused = DeviceResponse.model_validate(
        {"request_id": "a-1", "ok": False, "error": {"type": "invalid-transition", "detail": "the window is paused"}}
    )
    assert describe(refused) == "refused (invalid-transition): the window is paused"


# --- onewindow devices simulate ------------------------------------------------------------------


def start_simulator(url: str, *argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "queue_server",
            "devices",
            "simulate",
            "--mqtt-url",
            url,
            "--centre-code",
            CENTRE,
            *argv,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


async def read_until(process: subprocess.Popen[str], *words: str) -> list[str]:
    """The simulator's lines until each word has appeared in one of them."""
    assert process.stdout is not None and process.stderr is not None
    lines: list[str] = []
    async with asyncio.timeout(WAIT * 2):
        while not all(any(word in line for line in lines) for word in words):
            line = await asyncio.to_thread(process.stdout.readline)
            assert line, f"the simulator ended: {process.stderr.read()}"
            lines.append(line)
    return lines


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=WAIT)


async def test_simulate_runs_the_scripts_and_stops_on_ctrl_c(mosquitto: Mosquitto) -> None:
    async with FakeServer(mosquitto.url) as server, Watcher(mosquitto.url, f"onewindow/{CENTRE}/+/+/availability"):
        topic = PAD_STATE.build(CENTRE, device="pad-1")
        await publish(mosquitto.url, topic, pad_state(1, 5), retain=True)
        process = start_simulator(
            mosquitto.url, "--device", "keypad-1", "--device", "pad-1", "--device", "kiosk-1", "--pace", "0.05"
        )
        try:
            lines = await read_until(process, " keypad-1 ", " pad-1 ", " kiosk-1 ")
            process.send_signal(signal.SIGINT)
            _, err = await asyncio.to_thread(process.communicate, timeout=WAIT)
        finally:
            stop(process)
    assert process.returncode == 0, err
    assert "Stopped" in err
    assert lines[0].startswith("3 devices online at mqtt://127.0.0.1:")
    assert any(re.search(r" keypad-1 \(window 1\) next → ok ", line) for line in lines)
    assert any(" pad-1 rating A005 level " in line for line in lines)
    assert any(" kiosk-1 ticket " in line for line in lines)
    assert {seen.device for seen in server.requests} == {"keypad-1", "pad-1", "kiosk-1"}
    for device in ("keypad/keypad-1", "pad/pad-1", "kiosk/kiosk-1"):
        assert await retained(mosquitto.url, f"onewindow/{CENTRE}/{device}/availability") == OFFLINE.encode()


async def test_a_simulation_is_repeatable_with_its_seed_and_stops_after_its_duration(server: FakeServer) -> None:
    runs: list[list[str]] = []
    for _ in range(2):
        lines: list[str] = []
        await simulate(
            CENTRE,
            [DeviceSpec(DeviceKind.KIOSK, "kiosk-1")],
            Broker.from_url(server.url),
            matters=["residence", "id-card", "household", "tax"],
            pace=0.02,
            seed=7,
            say=lines.append,
            duration=1.0,
            **FAST,
        )
        assert lines[0] == f"1 device online at {server.url} for centre {CENTRE}"
        runs.append([line.split(" ", 1)[1].split(" → ")[0] for line in lines[1:]])
    assert len(runs[0]) >= 3
    shortest = min(len(run) for run in runs)
    assert runs[0][:shortest] == runs[1][:shortest]
    assert len(set(runs[0])) > 1  # matters drawn at random


def test_simulate_without_a_broker_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    assert cli.main(["devices", "simulate", "--mqtt-url", f"mqtt://127.0.0.1:{port}", "--device", "kiosk-1"]) == 1
    assert f"Cannot connect kiosk kiosk-1 to mqtt://127.0.0.1:{port}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--device", "nobody"], "Cannot simulate device 'nobody': centre "),
        (["--device", "printer-1"], "Cannot simulate printer 'printer-1': only keypads, pads and kiosks have twins"),
        (["--device", "pad-1", "--kind", "keypad"], "no keypad device was chosen or registered"),
        (["--centre-code", "Not A Code"], "Cannot use 'Not A Code' as a centre code in a topic"),
    ],
)
def test_simulate_refuses_what_it_cannot_run(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["devices", "simulate", "--mqtt-url", "mqtt://127.0.0.1:1", *argv]) == 1
    assert message in capsys.readouterr().err


def test_simulate_chooses_the_centre_files_keypads_pads_and_kiosks() -> None:
    centre = load_demo_centre()
    everything = cli_devices._simulated_devices(centre, [], [])
    kinds = {spec.kind.value for spec in everything}
    assert kinds == {"keypad", "pad", "kiosk"}
    assert DeviceSpec(centre.devices_by_id["keypad-1"].kind, "keypad-1", 1) in everything
    pads = cli_devices._simulated_devices(centre, [], ["pad"])
    assert pads and all(spec.kind.value == "pad" for spec in pads)


def test_simulate_options_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["devices", "simulate", "--pace", "0"]) == 2
    assert "'0' is not a positive number of seconds" in capsys.readouterr().err


def test_a_display_drops_a_message_on_a_topic_it_never_subscribed_to(caplog: pytest.LogCaptureFixture) -> None:
    """A broker may hand a client retained messages of other subscriptions; window 5's state never reaches window 3."""
    from display_client.client import DisplayClient

    display = DisplayClient("test", "display-3", window=3)
    leaked = aiomqtt.Message("onewindow/test/window/5/state", b"{}", qos=1, retain=True, mid=1, properties=None)
    own = aiomqtt.Message("onewindow/test/window/3/state", b"{}", qos=1, retain=True, mid=2, properties=None)
    with caplog.at_level(logging.DEBUG, logger="queue_server.twins"):
        display._take(leaked)
        display._take(own)
    dropped = [r.getMessage() for r in caplog.records]
    assert any("window/5/state: not subscribed to it" in m for m in dropped), dropped
    assert any("dropped a bad message on onewindow/test/window/3/state" in m for m in dropped), "its own is read"
    assert not any("bad message on onewindow/test/window/5" in m for m in dropped)


def test_a_twin_drops_a_message_of_a_newer_protocol_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    pad = Pad("test", "pad-1", "mqtt://127.0.0.1:1883")
    topic = PAD_STATE.build("test", device="pad-1")
    newer = PadState(seq=5, protocol=PROTOCOL + 1, state=PadStatus.OPEN, serial=1, number="A001", window=1)
    with caplog.at_level(logging.ERROR, logger="queue_server.twins"):
        assert not pad._receive(topic, newer.model_dump_json().encode())
    assert pad.unknown_protocol == PROTOCOL + 1 and pad.pad_state is None, "what it cannot read is not shown"
    assert f"speaks protocol {PROTOCOL + 1}" in caplog.text and "update it" in caplog.text
    known = newer.model_copy(update={"protocol": PROTOCOL})
    assert pad._receive(topic, known.model_dump_json().encode())
    assert pad.pad_state == known


def test_a_twin_reads_a_newer_revision_of_its_protocol_and_says_an_update_is_available(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A newer revision only adds fields: the pad shows the message (unknown fields ignored), and says
    once that an update is available; ``server/protocol`` tells it the same before any message."""
    pad = Pad("test", "pad-1", "mqtt://127.0.0.1:1883")
    spoken = ServerProtocol(protocol=PROTOCOL, revision=PROTOCOL_REVISION + 1).model_dump_json().encode()
    said = aiomqtt.Message(SERVER_PROTOCOL.build("test"), spoken, qos=1, retain=True, mid=1, properties=None)
    topic = PAD_STATE.build("test", device="pad-1")
    newer = {"seq": 5, "protocol": PROTOCOL, "revision": PROTOCOL_REVISION + 2, "state": "open", "serial": 1}
    newer |= {"number": "A001", "window": 1, "a_field_added_later": [1, 2]}
    with caplog.at_level(logging.WARNING, logger="queue_server.twins"):
        pad._take(said)
        assert pad.newer_protocol == (PROTOCOL, PROTOCOL_REVISION + 1)
        pad._take(said)  # said again on another instance's connect: no news
        assert pad._receive(topic, json.dumps(newer).encode()), "a newer revision is read"
    assert pad.pad_state is not None and pad.pad_state.number == "A001" and pad.unknown_protocol is None
    assert pad.newer_protocol == (PROTOCOL, PROTOCOL_REVISION + 2)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and all("keeps working" in line for line in lines), lines
    assert f"speaks protocol {PROTOCOL}.{PROTOCOL_REVISION + 2}" in lines[1]
    older = ServerProtocol(protocol=PROTOCOL, revision=PROTOCOL_REVISION).model_dump_json().encode()
    pad._take(aiomqtt.Message(SERVER_PROTOCOL.build("test"), older, qos=1, retain=True, mid=2, properties=None))
    assert pad.newer_protocol == (PROTOCOL, PROTOCOL_REVISION + 2), "an older instance saying its own is no news"


def test_a_twin_told_of_a_newer_protocol_version_says_it_will_need_an_update(caplog: pytest.LogCaptureFixture) -> None:
    pad = Pad("test", "pad-1", "mqtt://127.0.0.1:1883")
    spoken = ServerProtocol(protocol=PROTOCOL + 1, revision=0).model_dump_json().encode()
    with caplog.at_level(logging.WARNING, logger="queue_server.twins"):
        pad._take(aiomqtt.Message(SERVER_PROTOCOL.build("test"), spoken, qos=1, retain=True, mid=1, properties=None))
    assert pad.newer_protocol == (PROTOCOL + 1, 0)
    assert f"messages of protocol {PROTOCOL + 1} cannot be shown here: update it" in caplog.text
