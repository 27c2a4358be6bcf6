"""Every device request topic fuzzed on a real Mosquitto: each message answered or dropped with a log,
the server up afterwards, its memory bounded.

The hall and its bus run in this process (on a loop in a thread of its own, so hypothesis can drive
them example by example); a device client publishes what hypothesis makes: random bytes, JSON
nested thousands deep, payloads at and over the size limit, the request's own fields with wrong
types, unknown fields, huge numbers, for every kind and request of the protocol and for requests
no device has, from registered and unregistered device ids, on topics with odd characters (upper
case, spaces, Chinese, empty levels). A message on a topic the server can answer gets an answer on
the device's response topic (an error, unless hypothesis happened to make a valid request); one
it cannot answer is dropped with a log line. Wildcards, NUL and broken UTF-8 in a topic are
refused by the broker itself: a raw MQTT client shows what a device can really send.

``ONEWINDOW_FUZZ_EXAMPLES`` raises the number of messages for a long run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import aiomqtt
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from queue_server.bus.connection import BrokerAddress
from queue_server.domain.devices import DeviceKind
from queue_server.protocol.payloads import REQUESTS, DeviceResponse
from queue_server.protocol.topics import DEVICE_REQUEST, DEVICE_RESPONSE, MAX_PAYLOAD_BYTES
from queue_server.store.database import Database
from queue_server.store.migrate import upgrade
from tests.brokers import Mosquitto
from tests.served_app import LoopThread
from tests.test_bus import DEVICES, T, hall_on, watcher

EXAMPLES = int(os.environ.get("ONEWINDOW_FUZZ_EXAMPLES", "300"))
"""Fuzzed messages in the hypothesis test; raise it for a soak run."""
FLOOD = int(os.environ.get("ONEWINDOW_FUZZ_FLOOD", "6000"))
"""Messages in the memory test, most of them near the 16 KiB limit."""
MEMORY_BOUND_BYTES = 24 * 1024 * 1024
"""How much the process may grow over the flood: half of what it sends (about 49 MiB by default)."""
ANSWER_WAIT_S = 20.0

REGISTERED: dict[str, list[str]] = {}
for _device in cast(list[dict[str, Any]], DEVICES):
    REGISTERED.setdefault(str(_device["kind"]), []).append(str(_device["id"]))
NAMES_BY_KIND = {kind: sorted({what for k, what in REQUESTS if k is kind} | {"explode"}) for kind in DeviceKind}


class BusUnderFire:
    """The hall and its bus on a broker, and one device client, on a loop in a thread."""

    def __init__(self, folder: Path, broker: BrokerAddress) -> None:
        self.url = f"sqlite:///{folder / 'fuzz-mqtt.db'}"
        self.broker = broker
        self.thread = LoopThread("fuzzed-bus")
        self.stack = contextlib.AsyncExitStack()
        self.device: aiomqtt.Client | None = None
        self.records: list[logging.LogRecord] = []
        self.handler = logging.Handler(logging.DEBUG)
        self.handler.emit = self.records.append  # type: ignore[method-assign,assignment]

    def __enter__(self) -> BusUnderFire:
        logging.getLogger("queue_server").addHandler(self.handler)
        try:
            self.thread.run(self._start())
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.thread.run(self.stack.aclose())
        self.thread.close()
        logging.getLogger("queue_server").removeHandler(self.handler)

    async def _start(self) -> None:
        db = await self.stack.enter_async_context(Database(self.url))
        await upgrade(db)
        await self.stack.enter_async_context(hall_on(db, self.broker))
        self.device = await self.stack.enter_async_context(watcher(self.broker, "fuzzing-device"))
        await self.device.subscribe(f"{T}/+/+/response/+", qos=1)

    def ask(self, topic: str, raw: bytes) -> DeviceResponse:
        return self.thread.run(self._ask(topic, raw))

    async def _ask(self, topic: str, raw: bytes) -> DeviceResponse:
        assert self.device is not None
        parts = DEVICE_REQUEST.parse(topic)
        assert parts is not None
        answer_on = DEVICE_RESPONSE.build("test", kind=parts["kind"], device=parts["device"], what=parts["what"])
        await self.device.publish(topic, raw, qos=1)
        async with asyncio_timeout(ANSWER_WAIT_S, f"no answer on {answer_on} to {raw[:80]!r}"):
            async for message in self.device.messages:
                if message.topic.value == answer_on:
                    assert isinstance(message.payload, bytes)
                    return DeviceResponse.model_validate_json(message.payload)
        raise AssertionError("the device's connection ended")

    def drop(self, topic: str, raw: bytes) -> None:
        """Publish where no answer can go, and wait for the server's log line saying it dropped it."""
        self.thread.run(self._drop(topic, raw))

    async def _drop(self, topic: str, raw: bytes) -> None:
        assert self.device is not None
        await self.device.publish(topic, raw, qos=1)
        async with asyncio_timeout(ANSWER_WAIT_S, f"no log of dropping the message on {topic!r}"):
            while not any(topic in r.getMessage() and "dropped" in r.getMessage() for r in self.records):
                await _sleep()

    def flood(self, messages: list[tuple[str, bytes]], in_flight: int = 250) -> int:
        """Publish ``in_flight`` messages at a time, as a crowd of devices would, and count the answers:
        memory that grows with the messages, not with what is in flight at once, is a leak."""
        return sum(
            self.thread.run(self._flood(messages[start : start + in_flight]))
            for start in range(0, len(messages), in_flight)
        )

    async def _flood(self, messages: list[tuple[str, bytes]]) -> int:
        assert self.device is not None
        for topic, raw in messages:
            await self.device.publish(topic, raw, qos=1)
        answered = 0
        async with asyncio_timeout(ANSWER_WAIT_S, f"only {answered} of {len(messages)} answers came"):
            async for message in self.device.messages:
                if "/response/" in message.topic.value:
                    answered += 1
                    if answered == len(messages):
                        break
        return answered

    def failures(self) -> list[str]:
        """Messages the server failed to handle (an exception, not a refusal)."""
        return [r.getMessage() for r in self.records if r.levelno >= logging.ERROR]


@contextlib.asynccontextmanager
async def asyncio_timeout(seconds: float, what: str) -> Any:
    import asyncio

    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise AssertionError(f"{what} within {seconds} s") from None


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.01)


@pytest.fixture
def bus(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[BusUnderFire]:
    with BusUnderFire(tmp_path, BrokerAddress.from_url(mosquitto.url)) as running:
        yield running


# --- What hypothesis sends -------------------------------------------------------------------------

JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
JSON_VALUES = st.recursive(
    JSON_LEAVES | st.just(10**40) | st.just(-(2**63)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=16,
)
REQUEST_IDS = st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True) | JSON_VALUES
FIELD_NAMES = sorted({name for model in REQUESTS.values() for name in model.model_fields} | {"window", "__proto__"})


@st.composite
def request_like(draw: st.DrawFn) -> bytes:
    """A dict with the protocol's field names (any of them, for any request) holding any JSON."""
    fields = draw(st.dictionaries(st.sampled_from(FIELD_NAMES), JSON_VALUES, max_size=5))
    if draw(st.booleans()):
        fields["request_id"] = draw(REQUEST_IDS)
    return json.dumps(fields).encode()


def deep(depth: int, opener: bytes, closer: bytes) -> bytes:
    return opener * depth + closer * depth


PAYLOADS = st.one_of(
    st.binary(max_size=600),
    request_like(),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.integers(1, 8000).map(lambda depth: deep(depth, b"[", b"]")),
    st.integers(1, 3000).map(lambda depth: deep(depth, b'{"a":', b"}")[: MAX_PAYLOAD_BYTES - 1] + b"1"),
    st.integers(-64, 64).map(lambda d: b'{"request_id": "big", "pad": "' + b"x" * (MAX_PAYLOAD_BYTES + d) + b'"}'),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
)

ODD_SEGMENTS = st.one_of(
    # Control characters, surrogates and non-characters are not sent: Mosquitto closes the connection
    # of a client that tries (test_topics_mqtt_forbids_are_refused_by_the_broker).
    st.text(st.characters(blacklist_characters="/+#", blacklist_categories=("Cc", "Cs", "Cn")), max_size=45),
    st.sampled_from(["KP-1", "kp 1", "下一个", "", "kp-1 ", "$sys", "a" * 41, "..", "kp_1\u00a0"]),
)


@st.composite
def topics(draw: st.DrawFn) -> str:
    """A request topic: mostly a real kind and device, sometimes odd characters in any level."""
    kind = draw(st.sampled_from(list(DeviceKind)))
    device = draw(st.sampled_from([*REGISTERED.get(kind.value, []), "nobody", "kp-1"]))
    what = draw(st.sampled_from(NAMES_BY_KIND[kind]))
    levels = [kind.value, device, what]
    if draw(st.integers(0, 4)) == 0:  # one message in five on a topic with something odd in it
        levels[draw(st.integers(0, 2))] = draw(ODD_SEGMENTS)
    return f"{T}/{levels[0]}/{levels[1]}/request/{levels[2]}"


def is_valid(topic: str, raw: bytes) -> bool:
    """Whether the server should take this as a request it can act on (and so may answer ok)."""
    parts = DEVICE_REQUEST.parse(topic)
    if parts is None or len(raw) > MAX_PAYLOAD_BYTES:
        return False
    model = REQUESTS.get((DeviceKind(parts["kind"]), parts["what"]))
    if model is None or parts["device"] not in REGISTERED.get(parts["kind"], []):
        return False
    try:
        model.model_validate_json(raw)
    except (ValidationError, RecursionError, ValueError):
        return False
    return True


# --- The tests ---------------------------------------------------------------------------------------


def test_fuzzed_requests_are_answered_or_dropped_and_the_server_goes_on(bus: BusUnderFire) -> None:
    seen = {"answered": 0, "refused": 0, "accepted": 0, "dropped": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(topic=topics(), raw=PAYLOADS)
    @example(topic=f"{T}/pad/pad-1/request/rating", raw=b'{"request_id": "huge", "serial": 1e40, "level": 5}')
    @example(topic=f"{T}/pad/pad-1/request/rating", raw=b'{"request_id": "huge", "serial": %d, "level": 5}' % 10**40)
    @example(topic=f"{T}/keypad/kp-1/request/next", raw=deep(9000, b"[", b"]"))
    def fuzz(topic: str, raw: bytes) -> None:
        if DEVICE_REQUEST.parse(topic) is None:
            bus.drop(topic, raw)
            seen["dropped"] += 1
            return
        answer = bus.ask(topic, raw)
        seen["answered"] += 1
        if answer.ok:
            assert is_valid(topic, raw), (topic, raw[:200], answer)
            seen["accepted"] += 1
        else:
            assert answer.error is not None and answer.error.type and answer.error.detail, (topic, raw[:200])
            seen["refused"] += 1
        assert not bus.failures(), bus.failures()

    fuzz()
    print(f"fuzzed MQTT requests: {seen}")  # the counts of a soak run, with -s
    assert seen["refused"] > 0 and seen["dropped"] > 0
    still = bus.ask(f"{T}/kiosk/k-1/request/ticket", json.dumps({"request_id": "after", "matter": "pension"}).encode())
    assert still.ok, still


def test_every_request_topic_refuses_what_once_went_unanswered(bus: BusUnderFire) -> None:
    """The payloads the fuzzer found unanswered, on every request of every kind (and one no kind has)."""
    found = [
        deep(9000, b"[", b"]"),
        deep(5000, b'{"a":', b"}"),
        b'{"request_id": "big", "serial": %d, "level": 5, "job_id": "j", "status": "printed"}' % 10**40,
        b'{"request_id": "inf", "serial": 1e400, "level": 5, "minutes": 1e400}',
    ]
    for kind, what in [*REQUESTS, (DeviceKind.KEYPAD, "explode")]:
        device = REGISTERED.get(kind.value, ["nobody"])[0]
        for raw in found:
            answer = bus.ask(f"{T}/{kind.value}/{device}/request/{what}", raw)
            assert not answer.ok and answer.error is not None and answer.error.detail, (kind, what, raw[:60])
    assert not bus.failures(), bus.failures()


def test_a_flood_of_bad_requests_leaves_memory_bounded(bus: BusUnderFire) -> None:
    kinds = [(kind.value, what) for kind, what in REQUESTS]
    near_limit = b'{"request_id": "flood", "pad": "' + b"x" * (MAX_PAYLOAD_BYTES - 40) + b'"}'
    bodies = [near_limit, deep(7000, b"[", b"]"), b"\xff" * 4000, b'{"request_id": "f", "serial": 1e400}']

    def batch(count: int) -> list[tuple[str, bytes]]:
        out = []
        for n in range(count):
            kind, what = kinds[n % len(kinds)]
            device = REGISTERED.get(kind, ["nobody"])[0]
            out.append((f"{T}/{kind}/{device}/request/{what}", bodies[n % len(bodies)]))
        return out

    # Each refusal is logged at WARNING, and the test's log capture keeps every record it sees: that
    # would be the harness growing, not the server. Refusals go unlogged over the flood; errors still count.
    refusals = logging.getLogger("queue_server.bus.requests")
    level = refusals.level
    refusals.setLevel(logging.ERROR)
    try:
        assert bus.flood(batch(FLOOD // 4)) == FLOOD // 4  # warm up: caches, pools, the broker's buffers
        before = resident_bytes()
        assert bus.flood(batch(FLOOD)) == FLOOD
        grown = resident_bytes() - before
    finally:
        refusals.setLevel(level)
    sent = sum(len(raw) for _, raw in batch(FLOOD))
    print(f"MQTT flood: {FLOOD} messages, {sent} bytes sent, VmRSS grew {grown} bytes")  # with -s
    assert grown < MEMORY_BOUND_BYTES, f"the process grew {grown} bytes over {FLOOD} messages ({sent} bytes)"
    assert not bus.failures(), bus.failures()
    still = bus.ask(f"{T}/keypad/kp-1/request/next", json.dumps({"request_id": "after-flood"}).encode())
    assert still.error is None or still.error.type != "malformed", still


def resident_bytes() -> int:
    """This process's resident set (VmRSS), where the server under test runs."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


# --- What a device cannot send ------------------------------------------------------------------------


def raw_publish(port: int, topic: bytes) -> bytes:
    """Connect with a bare MQTT 3.1.1 client and publish (QoS 0) on ``topic`` as given, bytes and all;
    what the broker sends back before it closes (or b"" when it just closes)."""
    client_id = b"raw-device"
    connect_body = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack("!H", len(client_id)) + client_id
    payload = json.dumps({"request_id": "raw-1"}).encode()
    publish_body = struct.pack("!H", len(topic)) + topic + payload
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"\x10" + bytes([len(connect_body)]) + connect_body)
        assert sock.recv(4) == b"\x20\x02\x00\x00", "CONNACK accepted"
        sock.sendall(b"\x30" + encode_length(len(publish_body)) + publish_body)
        sock.sendall(b"\xc0\x00")  # PINGREQ: answered only if the broker kept the connection
        try:
            return sock.recv(16)
        except ConnectionResetError:
            return b""


def encode_length(length: int) -> bytes:
    out = bytearray()
    while True:
        length, digit = divmod(length, 128)
        out.append(digit | (0x80 if length else 0))
        if not length:
            return bytes(out)


@pytest.mark.parametrize(
    "topic",
    [
        b"onewindow/test/keypad/kp-1/request/#",
        b"onewindow/test/keypad/+/request/next",
        b"onewindow/test/keypad/kp-1/request/ne\x00xt",
        b"onewindow/test/keypad/kp-1/request/\xff\xfe",
        b"onewindow/test/keypad/kp-1/request/next\x01",
    ],
    ids=["hash", "plus", "nul", "bad-utf8", "control"],
)
def test_topics_mqtt_forbids_are_refused_by_the_broker(bus: BusUnderFire, mosquitto: Mosquitto, topic: bytes) -> None:
    assert raw_publish(mosquitto.port, topic) == b"", "the broker closes the connection instead of answering PING"
    assert raw_publish(mosquitto.port, b"onewindow/test/display/nobody/availability") == b"\xd0\x00", "a sane one is"
    answer = bus.ask(f"{T}/keypad/kp-1/request/next", json.dumps({"request_id": "after-raw"}).encode())
    assert answer.request_id == "after-raw", "the server goes on"
    assert not bus.failures(), bus.failures()
