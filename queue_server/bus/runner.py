"""The server on the bus: one connection per centre, kept alive by an outer reconnect loop.

Each connection leaves a last will that marks the server ``offline`` for its centre, announces
``online``, republishes the retained state, then runs the outbox relay, the old hall feed's
bounded publisher (queue_server.bus.legacy_feed) and the request listener side by side until the
connection drops; then it waits (with growing backoff) and starts again.
Actions keep succeeding while the broker is away: their messages wait in the outbox.

Where several instances serve a centre (MQTT 5, ``shared``), ``server/availability`` is theirs
together and must not read ``offline`` while one is left. A will there would say it the moment any
one of them died, so the will that says it is delayed (MQTT 5's will delay, :data:`WILL_DELAY_S`)
and held by a second connection of each instance that does nothing else (:func:`will_keeper`).
The instance's own connection leaves its will on ``server/instance/<id>``: the other instances
hear it and take the leaver's session over before the delay ends, which makes the broker drop
its pending will (:func:`take_will_back`). So the group's ``offline`` comes only from the last
instance to leave, :data:`WILL_DELAY_S` after it left; should nobody take a will back in time,
the instances still answer an ``offline`` there with ``online``.

It also listens to what devices say of themselves, both retained: availability, told to the
service (``device_seen``: the live pages warn of a lost device), and each printer's state
(``printer_seen``, ``printer_state``) so that a kiosk's tickets go to a spare printer while its own
cannot print (queue_server.app.printers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterable, Sequence

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import ValidationError

from device_client.stopping import stop_tasks
from queue_server.app.log_context import acting
from queue_server.app.service import HallService
from queue_server.bus.connection import BrokerAddress
from queue_server.bus.figures import DEVICE_ANSWERS, PUBLISH_FAILURES, Published
from queue_server.bus.legacy_feed import run_legacy_feed
from queue_server.bus.relay import OutboxRelay, RelayTurns, poll_outboxes
from queue_server.bus.requests import DeviceRequests
from queue_server.bus.sent_marks import SentMarks
from queue_server.domain.centre import Centre
from queue_server.domain.devices import DeviceKind
from queue_server.protocol.broker import Client
from queue_server.protocol.payloads import PROTOCOL, PROTOCOL_REVISION, PrinterState, ServerProtocol
from queue_server.protocol.topics import (
    DEVICE_AVAILABILITY,
    DEVICE_REQUEST,
    OFFLINE,
    ONLINE,
    PRINTER_STATE,
    SERVER_AVAILABILITY,
    SERVER_INSTANCE,
    SERVER_PROTOCOL,
)
from queue_server.store.outbox import OutboxRow
from queue_server.store.seed import StoredCentres

log = logging.getLogger(__name__)

SPOKEN = ServerProtocol(protocol=PROTOCOL, revision=PROTOCOL_REVISION).model_dump_json()
"""What ``server/protocol`` says: each instance says it when it connects, and, where several share
the centre, again whenever it hears an older one, so the newest revision stands during a rolling
upgrade."""

BACKOFF_FIRST, BACKOFF_MAX = 0.5, 10.0
REQUESTS_IN_FLIGHT = 64
"""Device requests of one centre handled at once; more wait on the bus."""
SHARE_GROUP = "onewindow-server"
"""The shared subscription every instance joins for device requests (MQTT 5)."""
CONFIG_CHECK_SECONDS = 5.0
"""How often the bus looks for centres added and configurations changed (through another instance)."""
WILL_DELAY_S = 3
"""Shared: how long the broker holds an instance's ``offline`` on ``server/availability`` before
publishing it, time for another instance to take it back."""
WILL_SESSION_S = WILL_DELAY_S + 30
"""Shared: how long the broker keeps the session of a will keeper that left (longer than the delay,
else the will would go out when the session ends)."""
LEAVE_TIMEOUT_S = 2.0


def will_keeper_id(centre: str, instance: str) -> str:
    """The MQTT client id of an instance's will keeper: any instance can name it from the leaver's topic."""
    return f"onewindow-server-{centre}-{instance}-will"


def will_keeper(broker: BrokerAddress, centre: str, instance: str) -> Client:
    """The connection that holds an instance's delayed ``offline`` on ``server/availability`` (shared)."""
    will = Properties(PacketTypes.WILLMESSAGE)  # type: ignore[no-untyped-call]  # paho has no hints here
    will.WillDelayInterval = WILL_DELAY_S
    session = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    session.SessionExpiryInterval = WILL_SESSION_S
    availability = SERVER_AVAILABILITY.build(centre)
    return broker.client(
        will_keeper_id(centre, instance),
        will=aiomqtt.Will(availability, OFFLINE, qos=1, retain=True, properties=will),
        properties=session,
        clean_start=False,  # a session left by its last connection is resumed, its pending will dropped
    )


async def hold(keeper: aiomqtt.Client) -> None:
    """Wait on a will keeper (it is sent nothing): raises MqttError once its connection ends, e.g.
    taken over by an instance that thought this one gone, so the connection starts again."""
    async for _ in keeper.messages:
        pass


async def take_will_back(broker: BrokerAddress, centre: str, instance: str) -> None:
    """Resume the session of a will keeper that left and end it cleanly: the broker drops its will."""
    async with broker.client(will_keeper_id(centre, instance), clean_start=False):
        pass


def request_filter(centre: str, *, shared: bool) -> str:
    """The subscription to a centre's device requests: shared among instances over MQTT 5."""
    plain = DEVICE_REQUEST.filter(centre)
    return f"$share/{SHARE_GROUP}/{plain}" if shared else plain


class CentreBus:
    """One centre's connection to the broker."""

    def __init__(
        self,
        service: HallService,
        centre: Centre,
        broker: BrokerAddress,
        marks: SentMarks | None = None,
        turns: RelayTurns | None = None,
    ) -> None:
        self.service = service
        self.centre = centre
        self.broker = broker
        self.code = centre.code
        self.relay = OutboxRelay(service.db, self.code, service.clock, marks, turns, read_hall=service.hall)
        self.requests = DeviceRequests(service, centre)
        self.shared = broker.version == 5
        """MQTT 5: other instances may serve the centre too (they share a broker that speaks it)."""
        self.connected = asyncio.Event()
        self._instance = secrets.token_hex(3)
        self._identifier = f"onewindow-server-{self.code}-{self._instance}"
        self._served = False
        """Whether the last connection got as far as serving: then the backoff starts afresh."""

    def take_centre(self, centre: Centre) -> None:
        """Use a centre's new configuration at once (its devices, their windows), without reconnecting."""
        self.centre = centre
        self.requests.centre = centre

    async def run(self) -> None:
        """Stay connected until cancelled; after a drop, try again with growing backoff."""
        backoff = BACKOFF_FIRST
        with acting(centre=self.code):  # every line of this centre's bus names it, its tasks' too
            while True:
                lost: aiomqtt.MqttError | None = None
                try:
                    await self._connection()
                except* aiomqtt.MqttError as errors:  # the relay and the listener run in a TaskGroup
                    lost = next(e for e in errors.exceptions if isinstance(e, aiomqtt.MqttError))
                except* Exception as errors:
                    # The database went away under the relay (or a bug): without this the bus task would
                    # end for good, and with it every device request and display update until a restart.
                    failed = errors.exceptions[0]
                    log.error("the bus of %s failed (%r); it starts again", self.code, failed, exc_info=failed)
                    self._served = False  # the backoff grows while the database stays away
                self.connected.clear()
                if self._served:
                    backoff = BACKOFF_FIRST
                log.warning(
                    "lost the broker %s for %s (%s); again in %.1f s", self.broker.describe(), self.code, lost, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    async def _connection(self) -> None:
        self._served = False
        availability = SERVER_AVAILABILITY.build(self.code)
        mine = SERVER_INSTANCE.build(self.code, instance=self._instance)
        will = aiomqtt.Will(mine if self.shared else availability, OFFLINE, qos=1, retain=not self.shared)
        async with contextlib.AsyncExitStack() as stack:
            keeper = None
            if self.shared:  # the group's delayed will, then this instance's connection
                keeper = await stack.enter_async_context(will_keeper(self.broker, self.code, self._instance))
            client = await stack.enter_async_context(self.broker.client(self._identifier, will=will))
            await client.publish(availability, ONLINE, qos=1, retain=True)
            await client.publish(SERVER_PROTOCOL.build(self.code), SPOKEN, qos=1, retain=True)
            await client.subscribe(request_filter(self.code, shared=self.shared), qos=1)
            if self.shared:  # other instances may be on the bus: hear them leave, and what they speak
                await client.subscribe(availability, qos=1)
                await client.subscribe(SERVER_INSTANCE.filter(self.code), qos=1)
                await client.subscribe(SERVER_PROTOCOL.build(self.code), qos=1)
            await client.subscribe(DEVICE_AVAILABILITY.filter(self.code), qos=1)
            await client.subscribe(PRINTER_STATE.filter(self.code), qos=1)
            await self.relay.republish_retained(client)
            self.connected.set()
            self._served = True
            log.info("on the bus at %s for centre %s", self.broker.describe(), self.code)
            try:
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self.relay.run(client))
                    tasks.create_task(run_legacy_feed(self.relay, client))
                    tasks.create_task(self._listen(client))
                    if keeper is not None:
                        tasks.create_task(hold(keeper))
            except asyncio.CancelledError:
                # A server that stops says so itself: a clean disconnect discards the last will.
                with contextlib.suppress(aiomqtt.MqttError):
                    if keeper is None:
                        await client.publish(availability, OFFLINE, qos=1, retain=True, timeout=LEAVE_TIMEOUT_S)
                    else:  # the group's offline, delayed; the others take it back if any is left
                        await keeper.leave_with_will(LEAVE_TIMEOUT_S)
                        await client.publish(mine, OFFLINE, qos=1, timeout=LEAVE_TIMEOUT_S)
                raise

    async def _listen(self, client: aiomqtt.Client) -> None:
        """Read the bus; each device request is answered by a task of its own.

        Requests do not wait for each other's answer to be acknowledged, so the service can run
        those that arrive together in one transaction (group commit). The tasks start in the order
        the requests arrived and reach the service's queue in that order, before their first
        pause. At most :data:`REQUESTS_IN_FLIGHT` are under way; past that the bus is read no
        further until one ends.
        """
        slots = asyncio.Semaphore(REQUESTS_IN_FLIGHT)
        handling: set[asyncio.Task[None]] = set()
        try:
            async for message in client.messages:
                topic = message.topic.value
                payload = message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()
                try:
                    if SERVER_AVAILABILITY.parse(topic) is not None:
                        await self._server_availability(client, topic, payload)
                        continue
                    if SERVER_PROTOCOL.parse(topic) is not None:
                        await self._server_protocol(client, topic, payload)
                        continue
                    if (instance := SERVER_INSTANCE.parse(topic)) is not None:
                        self._instance_left(instance["instance"], payload, handling)
                        continue
                    if DEVICE_AVAILABILITY.parse(topic) is not None:
                        self._availability(topic, payload)
                        continue
                    if PRINTER_STATE.parse(topic) is not None:
                        self._printer_state(topic, payload)
                        continue
                except aiomqtt.MqttError:
                    raise
                except Exception:
                    log.exception("failed to handle a message on %s; the server goes on", topic)
                    continue
                await slots.acquire()
                task = asyncio.create_task(self._answer(client, topic, payload, slots))
                handling.add(task)
                task.add_done_callback(handling.discard)
        finally:
            await stop_tasks(handling)

    async def _answer(self, client: aiomqtt.Client, topic: str, payload: bytes, slots: asyncio.Semaphore) -> None:
        """Apply one device request and publish its answer; a lost connection only loses the answer."""
        try:
            reply = await self.requests.handle(topic, payload)
            if reply is not None:
                await client.publish(reply.topic, reply.payload(), qos=1)
                DEVICE_ANSWERS.labels(self.code, reply.kind, "yes" if reply.response.ok else "no").inc()
        except aiomqtt.MqttError as error:  # the listener sees the connection end; the device asks again
            PUBLISH_FAILURES.labels(self.code, Published.ANSWER).inc()
            log.warning("could not answer the request on %s: %s", topic, error)
        except Exception:
            log.exception("failed to handle a message on %s; the server goes on", topic)
        finally:
            slots.release()

    def _instance_left(self, instance: str, payload: bytes, handling: set[asyncio.Task[None]]) -> None:
        """Another instance left: take its delayed ``offline`` back before the broker publishes it."""
        if instance == self._instance or payload.decode(errors="replace").strip() != OFFLINE:
            return
        log.info("instance %s of %s left; this one serves, and takes its last will back", instance, self.code)
        task = asyncio.create_task(self._take_will_back(instance))
        handling.add(task)
        task.add_done_callback(handling.discard)

    async def _take_will_back(self, instance: str) -> None:
        try:
            await take_will_back(self.broker, self.code, instance)
        except aiomqtt.MqttError as error:  # its offline goes out; answered with online below
            log.warning("could not take back the last will of instance %s of %s: %s", instance, self.code, error)
        else:
            log.info("took back the last will of instance %s of %s", instance, self.code)

    async def _server_availability(self, client: aiomqtt.Client, topic: str, payload: bytes) -> None:
        """The group's ``offline`` went out (nobody took a will back in time), but this one serves:
        say ``online`` again."""
        if payload.decode(errors="replace").strip() == OFFLINE:
            log.info("the server availability of %s said offline (another instance left); this one serves", self.code)
            await client.publish(topic, ONLINE, qos=1, retain=True)

    async def _server_protocol(self, client: aiomqtt.Client, topic: str, payload: bytes) -> None:
        """Another instance said an older revision than this one speaks (an old instance that
        (re)connected during a rolling upgrade): say this one's again, so the newest stands."""
        if not payload:
            return
        heard = ServerProtocol.model_validate_json(payload)
        if (heard.protocol, heard.revision) < (PROTOCOL, PROTOCOL_REVISION):
            log.info(
                "server/protocol of %s said %d.%d; this instance speaks %d.%d and says so",
                self.code,
                heard.protocol,
                heard.revision,
                PROTOCOL,
                PROTOCOL_REVISION,
            )
            await client.publish(topic, SPOKEN, qos=1, retain=True)

    def _availability(self, topic: str, payload: bytes) -> None:
        parts = DEVICE_AVAILABILITY.parse(topic)
        assert parts is not None
        state = payload.decode(errors="replace").strip()
        if parts["device"] not in self.centre.devices_by_id or state not in (ONLINE, OFFLINE):
            log.warning("dropped availability %r on %s: unknown device or word", state, topic)
            return
        self.service.device_seen(self.code, parts["device"], online=state == ONLINE)
        if self.centre.devices_by_id[parts["device"]].kind is DeviceKind.PRINTER:
            self.service.printer_seen(self.code, parts["device"], online=state == ONLINE)

    def _printer_state(self, topic: str, payload: bytes) -> None:
        """Keep what a printer says it can do, so its kiosk's tickets go elsewhere when it cannot."""
        parts = PRINTER_STATE.parse(topic)
        assert parts is not None
        device = self.centre.devices_by_id.get(parts["device"])
        if device is None or device.kind is not DeviceKind.PRINTER:
            log.warning("dropped a printer state on %s: no printer %r at this centre", topic, parts["device"])
            return
        if not payload:
            return  # a retained state cleared
        try:
            state = PrinterState.model_validate_json(payload)
        except ValidationError as error:
            log.warning("dropped a printer state on %s: %s", topic, error.errors(include_url=False))
            return
        self.service.printer_state(self.code, device.id, state.state)


class Bus:
    """Every centre's connection; while it runs, the service wakes a centre's relay after each commit.

    A centre loaded into the database while the server runs (``onewindow init --centre``) gets
    its connection within ``CONFIG_CHECK_SECONDS``, on every instance, without a restart.
    """

    def __init__(self, service: HallService, centres: Iterable[Centre], broker: BrokerAddress) -> None:
        self.service = service
        self.broker = broker
        self.marks = SentMarks(service.db, service.clock)
        """Every centre's relayed rows are marked sent together (SQLite: queue_server.bus.sent_marks)."""
        self.turns = RelayTurns()
        """The relays' turns to hold a database connection (PostgreSQL)."""
        self.centres = {c.centre.code: CentreBus(service, c, broker, self.marks, self.turns) for c in centres}

    def wake(self, centre: str, rows: Sequence[OutboxRow] | None = None) -> None:
        """A commit at ``centre`` wrote ``rows`` (None: not known): its relay publishes them now."""
        bus = self.centres.get(centre)
        if bus is not None:
            bus.relay.committed(rows)

    async def run(self) -> None:
        """Serve every centre until cancelled, told of the service's commits meanwhile."""
        unsubscribe = self.service.subscribe_outbox(self.wake)
        try:
            async with asyncio.TaskGroup() as tasks:
                for bus in self.centres.values():
                    tasks.create_task(bus.run())
                tasks.create_task(self._watch_centres(tasks))
                tasks.create_task(poll_outboxes(self.service.db, self._relays))
                tasks.create_task(self.marks.run())
        finally:
            unsubscribe()

    def _relays(self) -> dict[str, OutboxRelay]:
        """The relays that run now: those of the centres on the bus."""
        return {code: bus.relay for code, bus in self.centres.items() if bus.connected.is_set()}

    async def _watch_centres(self, tasks: asyncio.TaskGroup) -> None:
        """Connect each centre that appeared in the database since the start, and give each connection
        its centre's configuration when it changed (the manager applied it through another instance).

        One look for every centre: the configurations' versions in one query, a configuration
        parsed only when it changed (:class:`StoredCentres`)."""
        stored = StoredCentres()
        seen: dict[str, Centre] = {}
        while True:
            await asyncio.sleep(CONFIG_CHECK_SECONDS)
            try:
                async with self.service.db.read() as conn:
                    centres = await stored.read(conn)
            except Exception:
                log.exception("could not read the centres' configurations; trying again")
                continue
            for code, centre in centres.items():
                if seen.get(code) is centre:
                    continue  # the same version as last time
                seen[code] = centre
                bus = self.centres.get(code)
                if bus is None:
                    log.info("centre %s was added; connecting it to the bus", code)
                    bus = CentreBus(self.service, centre, self.broker, self.marks, self.turns)
                    self.centres[code] = bus
                    tasks.create_task(bus.run())
                elif centre != bus.centre:
                    log.info("centre %s has a new configuration; the bus uses it from now on", code)
                    bus.take_centre(centre)

    def take_centre(self, centre: Centre) -> None:
        """A centre's configuration changed (the manager applied it): its connection uses it from now on."""
        bus = self.centres.get(centre.code)
        if bus is not None:
            bus.take_centre(centre)

    def devices_online(self, centre: str) -> dict[str, bool]:
        """Each device of ``centre`` the bus heard: True online, False lost."""
        return self.service.devices(centre).online()
