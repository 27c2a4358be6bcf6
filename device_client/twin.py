"""What every device client shares: the connection loop, availability, requests repeated until answered.

A twin behaves as the ESP32 firmware must, so that the server can be tested, demonstrated and
load-tested without hardware, and so that the firmware has a reference to copy:

- it connects with MQTT 3.1.1 (MQTT 5 only when asked), as ``<centre>.<device id>``, with a last
  will ``offline`` retained on its availability topic, and announces ``online`` retained once it has
  subscribed to what it must show;
- it sends each request with an id ``<boot nonce>-<counter>`` (the nonce is random per start, so a
  restarted device never reuses an id) and repeats it, same id, every ``retry_interval`` until the
  answer with that id arrives: QoS 1 alone does not survive a server that was down or restarting;
- it keeps the latest retained state it saw and drops a message whose ``seq`` is not above the last
  one seen on that topic (delivery is at least once);
- a bad incoming payload is logged with its topic and dropped; the listener never fails on input;
- a lost connection is retried by an outer loop with backoff, subscribing again each time; only the
  first connection must succeed, so a wrong address or password fails at once and clearly.

What it raises is in ``device_client.errors``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import ClassVar, Self, TypedDict

import aiomqtt
from pydantic import ValidationError

from device_client.errors import TwinConnectError, TwinError, TwinTimeout
from device_client.stopping import stop_tasks
from queue_server.protocol import OFFLINE, ONLINE, PROTOCOL, REQUESTS, DeviceKind, DeviceRequest, DeviceResponse
from queue_server.protocol.broker import LOCAL_BROKER, Broker, Client
from queue_server.protocol.payloads import PROTOCOL_REVISION, Sequenced, ServerProtocol
from queue_server.protocol.topics import (
    DEVICE_AVAILABILITY,
    DEVICE_REQUEST,
    DEVICE_RESPONSE,
    SERVER_PROTOCOL,
    check_segment,
)

logger = logging.getLogger("queue_server.twins")
"""One logger for every twin, the display and printer clients too, under the name log settings use."""

DEFAULT_RETRY_INTERVAL = 1.0
"""Seconds between repeats of an unanswered request."""
DEFAULT_TIMEOUT = 30.0
"""Seconds a request waits for its answer before the twin gives up and raises."""
DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds the first connection may take."""
DEFAULT_KEEPALIVE = 15
"""Seconds between MQTT pings; the broker sends the last will after 1.5 times this of silence."""
RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)
"""Waits before each attempt to reconnect after a lost connection; the last one repeats."""
BOOT_NONCE_BYTES = 6
"""A boot nonce of 12 hex digits: two starts share one with a chance of 1 in 2**48."""


class TwinOptions(TypedDict, total=False):
    """How patient a twin is; every one has a named default above."""

    retry_interval: float
    timeout: float
    connect_timeout: float
    keepalive: int


# --- The twin ----------------------------------------------------------------------------------


class _Lifecycle(enum.Enum):
    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


class Twin:
    """One device on the bus; use it as ``async with Keypad(...) as keypad:``.

    Subclasses say which kind of device they are, which topics they show, and what those
    messages change; the connection, availability and requests are here.
    """

    kind: ClassVar[DeviceKind]

    def __init__(
        self,
        centre: str,
        device_id: str,
        broker: Broker | str = LOCAL_BROKER,
        *,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        keepalive: int = DEFAULT_KEEPALIVE,
    ) -> None:
        self.centre = check_segment(centre, "centre code")
        self.device_id = check_segment(device_id, "device id")
        self.broker = Broker.from_url(broker) if isinstance(broker, str) else broker
        if retry_interval <= 0 or timeout <= 0 or connect_timeout <= 0:
            raise ValueError(f"Cannot make {self.name}: retry_interval, timeout and connect_timeout must be positive")
        self.retry_interval = retry_interval
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.keepalive = keepalive
        self.boot_nonce = secrets.token_hex(BOOT_NONCE_BYTES)
        """Random per start of the twin, so request ids never repeat across restarts."""
        self._counter = itertools.count(1)
        self._lifecycle = _Lifecycle.NEW
        self._client: aiomqtt.Client | None = None
        self._connected = asyncio.Event()
        self._pending: dict[str, tuple[str, asyncio.Future[DeviceResponse]]] = {}
        self._last_seq: dict[str, int] = {}
        self.unknown_protocol: int | None = None
        """The newest protocol version the server sent that this device does not know (None: none yet)."""
        self.newer_protocol: tuple[int, int] | None = None
        """The newest (version, revision) the server said it speaks, when newer than this device's own
        (None: none yet). A newer revision of the version it knows only adds: the device keeps working."""
        self._server_protocol_topic = SERVER_PROTOCOL.build(self.centre)
        self._changed = asyncio.Event()
        self._tasks: asyncio.TaskGroup | None = None
        self._runner: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        """How messages name this twin, e.g. ``keypad keypad-1``."""
        return f"{self.kind.value} {self.device_id}"

    @property
    def identifier(self) -> str:
        """The MQTT client id: ``<centre>.<device id>``, unique per device across centres."""
        return f"{self.centre}.{self.device_id}"

    @property
    def availability_topic(self) -> str:
        return DEVICE_AVAILABILITY.build(self.centre, kind=self.kind.value, device=self.device_id)

    @property
    def connected(self) -> bool:
        """Connected, subscribed and announced ``online``."""
        return self._connected.is_set()

    def new_request_id(self) -> str:
        """``<boot nonce>-<counter>``: unique for this start of the device, and across its restarts."""
        return f"{self.boot_nonce}-{next(self._counter)}"

    # --- What subclasses provide ---------------------------------------------------------------

    def _subscriptions(self) -> list[str]:
        """Topics (or filters) this device shows, besides its own responses."""
        return []

    def _receive(self, topic: str, payload: bytes) -> bool:
        """Take a message on one of :meth:`_subscriptions`; True if it changed what the twin shows.

        Raises ValueError (a pydantic ValidationError is one) for a payload that is not valid.
        """
        return False

    # --- Lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._lifecycle is not _Lifecycle.NEW:
            raise TwinError(f"Cannot open {self.name} again: a twin is used once; make a new one")
        self._lifecycle = _Lifecycle.OPEN
        self._tasks = asyncio.TaskGroup()
        await self._tasks.__aenter__()
        first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._runner = self._tasks.create_task(self._run(first), name=f"twin {self.identifier}")
        try:
            async with asyncio.timeout(self.connect_timeout):
                await first
        except TimeoutError:
            await self._close()
            raise TwinConnectError(
                f"Cannot connect {self.name} to the broker at {self.broker}: no answer in {self.connect_timeout:g} s"
            ) from None
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        """Say ``offline`` (a clean disconnect discards the will), stop the listener and await it.

        The body's exception is not handed to the task group, which would wrap it in an
        ExceptionGroup: the caller sees its own exception as it was raised.
        """
        client = self._client
        if client is not None:
            try:
                await client.publish(self.availability_topic, OFFLINE, qos=1, retain=True, timeout=2)
            except aiomqtt.MqttError as error:
                logger.warning("%s could not announce offline before disconnecting: %s", self.name, error)
        self._lifecycle = _Lifecycle.CLOSED
        for what, future in self._pending.values():
            if not future.done():
                future.set_exception(TwinError(f"Cannot {what} at {self.name}: it closed before the answer came"))
        if self._runner is not None:
            await stop_tasks([self._runner])
        if self._tasks is not None:
            tasks, self._tasks = self._tasks, None
            await tasks.__aexit__(None, None, None)

    def _check_open(self, action: str) -> None:
        if self._lifecycle is _Lifecycle.NEW:
            raise TwinError(f"Cannot {action} with {self.name}: use it inside `async with` first")
        if self._lifecycle is _Lifecycle.CLOSED:
            raise TwinError(f"Cannot {action} with {self.name}: it is closed")

    def _new_client(self) -> aiomqtt.Client:
        return Client(
            self.broker.host,
            self.broker.port,
            username=self.broker.username,
            password=self.broker.password,
            identifier=self.identifier,
            protocol=self.broker.protocol,
            will=aiomqtt.Will(self.availability_topic, OFFLINE, qos=1, retain=True),
            keepalive=self.keepalive,
            tls_context=self.broker.tls_context(),
            logger=logging.getLogger(f"queue_server.twins.mqtt.{self.device_id}"),
        )

    async def _run(self, first: asyncio.Future[None]) -> None:
        """Connect, subscribe, announce online, listen; after a lost connection, do it all again."""
        delays = iter(RECONNECT_DELAYS)
        while True:
            reason = "the connection ended"
            try:
                async with self._new_client() as client:
                    await self._start_session(client)
                    self._client = client
                    self._connected.set()
                    self._show_change()
                    if not first.done():
                        first.set_result(None)
                    delays = iter(RECONNECT_DELAYS)
                    async for message in client.messages:
                        self._take(message)
            except aiomqtt.MqttError as error:
                if not first.done():
                    first.set_exception(TwinConnectError(f"Cannot connect {self.name} to {self.broker}: {error}"))
                    return
                reason = str(error)
            finally:
                if self._connected.is_set():
                    self._connected.clear()
                    self._show_change()
                self._client = None
            delay = next(delays, RECONNECT_DELAYS[-1])
            logger.warning("%s lost the broker at %s (%s); reconnecting in %g s", self.name, self.broker, reason, delay)
            await asyncio.sleep(delay)

    async def _start_session(self, client: aiomqtt.Client) -> None:
        """Subscribe first, then say online: whoever sees ``online`` may rely on the twin listening."""
        for topic in [*self._subscriptions(), self._server_protocol_topic, self._responses_filter()]:
            await client.subscribe(topic, qos=1)
        await client.publish(self.availability_topic, ONLINE, qos=1, retain=True)

    def _responses_filter(self) -> str:
        return DEVICE_RESPONSE.filter(self.centre, kind=self.kind.value, device=self.device_id)

    # --- Incoming ------------------------------------------------------------------------------

    def _take(self, message: aiomqtt.Message) -> None:
        """Hand one message to its reader; a bad payload is logged with its topic and dropped."""
        topic = message.topic.value
        payload = message.payload
        wanted_topics = [*self._subscriptions(), self._server_protocol_topic, self._responses_filter()]
        if not any(message.topic.matches(wanted) for wanted in wanted_topics):
            # The embedded broker (amqtt 0.12) may deliver retained messages of other clients'
            # subscriptions: another window's state must never reach this display.
            logger.debug("%s dropped a message on %s: not subscribed to it", self.name, topic)
            return
        try:
            if not isinstance(payload, bytes | bytearray):
                raise ValueError(f"a payload of type {type(payload).__name__}, not bytes")
            response = DEVICE_RESPONSE.parse(topic)
            if response is not None:
                self._answer(topic, response["what"], bytes(payload))
                return
            if topic == self._server_protocol_topic:
                if payload:  # an empty retained message is a cleared one: nothing said
                    spoken = ServerProtocol.model_validate_json(bytes(payload))
                    self._note_protocol(spoken.protocol, spoken.revision, topic)
                return
            if self._receive(topic, bytes(payload)):
                self._show_change()
        except ValueError as error:
            logger.warning("%s dropped a bad message on %s: %s", self.name, topic, _reason(error))

    def _answer(self, topic: str, what: str, payload: bytes) -> None:
        response = DeviceResponse.model_validate_json(payload)
        entry = self._pending.get(response.request_id)
        if entry is None:
            # The server answers every repeat of a request; the first answer already settled it.
            logger.debug("%s: no request waits for the answer %s on %s", self.name, response.request_id, topic)
            return
        asked, future = entry
        if asked != what:
            raise ValueError(f"the answer to request {response.request_id} ({asked}) came on the topic of {what}")
        if not future.done():
            future.set_result(response)

    def _show_change(self) -> None:
        """Wake whoever waits in :meth:`wait_until`: what the twin shows (or its connection) changed."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _accept(self, topic: str, message: Sequenced) -> bool:
        """True for a message this device can read and has not seen: its protocol is one it knows, its
        ``seq`` newer than the last on ``topic``. A message of a newer protocol is dropped and kept in
        :attr:`unknown_protocol`, so the device says it needs an update instead of misreading it."""
        if message.protocol > PROTOCOL:
            if self.unknown_protocol != message.protocol:
                logger.error(
                    "%s cannot read %s: the server speaks protocol %d, this device knows up to %d; update it",
                    self.name,
                    topic,
                    message.protocol,
                    PROTOCOL,
                )
                self.unknown_protocol = message.protocol
                self._show_change()
            return False
        if message.protocol == PROTOCOL and message.revision > PROTOCOL_REVISION:
            self._note_protocol(message.protocol, message.revision, topic)
        return self._is_new(topic, message.seq)

    def _note_protocol(self, protocol: int, revision: int, topic: str) -> None:
        """Note a protocol newer than this device's own, once: it keeps reading a newer revision of
        its version (only fields were added) and says an update is available."""
        spoken = (protocol, revision)
        if spoken <= (PROTOCOL, PROTOCOL_REVISION) or (
            self.newer_protocol is not None and spoken <= self.newer_protocol
        ):
            return
        self.newer_protocol = spoken
        mine = f"{PROTOCOL}.{PROTOCOL_REVISION}"
        if protocol == PROTOCOL:
            outlook = f"it keeps working on {mine}: update it when the hall's upgrade allows"
        else:  # a newer version: its messages will not be shown (see _accept)
            outlook = f"messages of protocol {protocol} cannot be shown here: update it"
        logger.warning(
            "%s: the server speaks protocol %d.%d (%s), this device %s; %s",
            self.name,
            protocol,
            revision,
            topic,
            mine,
            outlook,
        )
        self._show_change()

    def _is_new(self, topic: str, seq: int) -> bool:
        """True for a message newer than the last one on ``topic``; a repeat or an older one is dropped."""
        last = self._last_seq.get(topic)
        if last is not None and seq <= last:
            logger.debug("%s dropped seq %d on %s: already had %d", self.name, seq, topic, last)
            return False
        self._last_seq[topic] = seq
        return True

    def _forget(self, topic: str) -> None:
        """A retained message was cleared (empty payload): the next one starts afresh."""
        self._last_seq.pop(topic, None)

    async def wait_until(self, condition: Callable[[], bool], timeout: float | None = None) -> None:
        """Wait until ``condition()`` holds, checked after each change of what the twin shows or of its connection."""
        self._check_open("wait")
        try:
            async with asyncio.timeout(timeout):
                while not condition():
                    await self._changed.wait()
        except TimeoutError:
            raise TwinTimeout(f"{self.name} waited {timeout:g} s in vain") from None

    # --- Requests ------------------------------------------------------------------------------

    async def request(self, what: str, /, *, timeout: float | None = None, **fields: object) -> DeviceResponse:
        """Send the request ``what`` with ``fields``, checked by its model, and return the answer."""
        model = self._request_model(what)
        request_id = self.new_request_id()
        message: DeviceRequest = model.model_validate({"request_id": request_id, **fields})
        body = message.model_dump_json(exclude_none=True).encode()
        return await self._exchange(what, request_id, body, timeout)

    async def request_unchecked(
        self, what: str, payload: Mapping[str, object], *, timeout: float | None = None
    ) -> DeviceResponse:
        """Send ``payload`` as it is (a request id added if it has none) to see the server's error answers."""
        request_id = str(payload.get("request_id") or self.new_request_id())
        body = json.dumps({"request_id": request_id, **payload}, ensure_ascii=False).encode()
        return await self._exchange(what, request_id, body, timeout)

    def _request_model(self, what: str) -> type[DeviceRequest]:
        model = REQUESTS.get((self.kind, what))
        if model is None:
            known = ", ".join(sorted(w for kind, w in REQUESTS if kind is self.kind))
            raise TwinError(f"Cannot send {what!r} from {self.name}: a {self.kind.value} sends only {known}")
        return model

    async def _exchange(self, what: str, request_id: str, body: bytes, timeout: float | None) -> DeviceResponse:
        """Publish the request, repeating it with the same id until its answer arrives or time runs out."""
        self._check_open(what)
        topic = DEVICE_REQUEST.build(self.centre, kind=self.kind.value, device=self.device_id, what=what)
        limit = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        future: asyncio.Future[DeviceResponse] = loop.create_future()
        self._pending[request_id] = (what, future)
        attempts = 0
        try:
            async with asyncio.timeout(limit):
                while True:
                    await self._connected.wait()
                    client = self._client
                    if client is not None:
                        with contextlib.suppress(aiomqtt.MqttError):  # the listener reconnects; we repeat
                            attempts += 1
                            await client.publish(topic, body, qos=1, timeout=max(self.retry_interval, 1.0))
                    done, _ = await asyncio.wait({future}, timeout=self.retry_interval)
                    if done:
                        return future.result()
        except TimeoutError:
            sent = f"sent {attempts} times" if attempts else f"never sent: not connected to {self.broker}"
            raise TwinTimeout(
                f"Cannot {what} at {self.name}: no answer to request {request_id} in {limit:g} s ({sent});"
                f" is the OneWindow server running and connected to {self.broker} for centre {self.centre!r}?"
            ) from None
        finally:
            self._pending.pop(request_id, None)


def _reason(error: ValueError) -> str:
    """One line for the log: the first problems of a validation error, or the error's text."""
    if isinstance(error, ValidationError):
        problems = [f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in error.errors()[:3]]
        more = f" (and {error.error_count() - 3} more)" if error.error_count() > 3 else ""
        return "; ".join(problems) + more
    return str(error).splitlines()[0] if str(error) else type(error).__name__
