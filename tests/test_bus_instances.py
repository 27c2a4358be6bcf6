"""Two server instances on one database and one Mosquitto speaking MQTT 5, in this process.

Each instance is a hall service with its own bus, as two `onewindow serve` processes would have:
the device requests are a shared subscription, so each reaches one instance; the server's
availability stays ``online`` when another instance's last will says ``offline``; a centre's
configuration applied through one instance reaches the other's bus.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from queue_server.app.commands import SignOn
from queue_server.app.service import HallService
from queue_server.bus import runner
from queue_server.bus.connection import BrokerAddress
from queue_server.bus.requests import Reply
from queue_server.bus.runner import Bus, CentreBus, request_filter
from queue_server.domain.centre import Centre
from queue_server.domain.clock import ManualClock
from queue_server.protocol.payloads import PROTOCOL, PROTOCOL_REVISION, ServerProtocol
from queue_server.protocol.topics import SERVER_AVAILABILITY, SERVER_PROTOCOL
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from queue_server.twins.devices import Keypad
from tests.brokers import Mosquitto, vanish_after_connect
from tests.factories import centre_data, shanghai

POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
DEVICES = [{"id": "kp-1", "kind": "keypad", "window": 1}]
REQUESTS = 12


@contextlib.asynccontextmanager
async def instances(db: Database, broker: BrokerAddress, centre: Centre) -> AsyncIterator[list[Bus]]:
    """Two services with a bus each, connected; window 1 signed on."""
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    async with db.write() as conn:
        await create_centre(conn, centre, clock.now())
    services = [HallService(db, clock) for _ in range(2)]
    await services[0].act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
    buses = [Bus(service, [centre], broker) for service in services]
    tasks = [asyncio.create_task(bus.run()) for bus in buses]
    try:
        for bus in buses:
            await asyncio.wait_for(bus.centres["test"].connected.wait(), 10)
        yield buses
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def count_requests(bus: CentreBus, counts: Counter[int], index: int) -> None:
    """Count the requests this instance handles (the handling itself is the real one)."""
    handle = bus.requests.handle

    async def counted(topic: str, payload: bytes) -> Reply | None:
        counts[index] += 1
        return await handle(topic, payload)

    bus.requests.handle = counted  # type: ignore[method-assign]


def test_the_request_subscription_is_shared_over_mqtt_5_only() -> None:
    assert request_filter("demo", shared=True) == "$share/onewindow-server/onewindow/demo/+/+/request/+"
    assert request_filter("demo", shared=False) == "onewindow/demo/+/+/request/+"


@POSTGRES_ONLY
async def test_each_device_request_reaches_one_instance(db: Database, mosquitto: Mosquitto) -> None:
    broker = BrokerAddress.from_url(f"{mosquitto.url}?protocol=5")
    counts: Counter[int] = Counter()
    async with instances(db, broker, Centre.model_validate(centre_data(devices=DEVICES))) as buses:
        for index, bus in enumerate(buses):
            count_requests(bus.centres["test"], counts, index)
        async with Keypad("test", "kp-1", 1, mosquitto.url, retry_interval=20.0, timeout=30.0) as keypad:
            for _ in range(REQUESTS):
                answer = await keypad.next()
                assert answer.ok, answer
    assert sum(counts.values()) == REQUESTS, f"a request reached both instances, or none: {counts}"
    assert len(counts) == 2, f"the broker gave every request to one instance: {counts}"


@POSTGRES_ONLY
async def test_an_older_protocol_said_by_another_instance_is_answered_with_the_newer(
    db: Database, mosquitto: Mosquitto
) -> None:
    """An instance of an older release connecting during a rolling upgrade says its protocol on
    ``server/protocol``; the newer instances say theirs again, so the newest stands."""
    broker = BrokerAddress.from_url(f"{mosquitto.url}?protocol=5")
    ours = ServerProtocol(protocol=PROTOCOL, revision=PROTOCOL_REVISION)
    older = ServerProtocol(protocol=PROTOCOL - 1, revision=3)
    async with instances(db, broker, Centre.model_validate(centre_data(devices=DEVICES))):
        topic = SERVER_PROTOCOL.build("test")
        async with broker.client("watcher") as watcher:
            await watcher.subscribe(topic, qos=1)
            seen: list[ServerProtocol] = []
            async with asyncio.timeout(10):
                async for message in watcher.messages:  # first the retained one
                    assert isinstance(message.payload, bytes)
                    seen.append(ServerProtocol.model_validate_json(message.payload))
                    break
                await watcher.publish(topic, older.model_dump_json(), qos=1, retain=True)
                async for message in watcher.messages:
                    assert isinstance(message.payload, bytes)
                    seen.append(ServerProtocol.model_validate_json(message.payload))
                    if seen[-1] == ours:
                        break
    assert seen[0] == ours and seen[1] == older and seen[-1] == ours, seen


@POSTGRES_ONLY
async def test_another_instances_last_will_is_answered(db: Database, mosquitto: Mosquitto) -> None:
    broker = BrokerAddress.from_url(f"{mosquitto.url}?protocol=5")
    async with instances(db, broker, Centre.model_validate(centre_data(devices=DEVICES))):
        topic = SERVER_AVAILABILITY.build("test")
        async with broker.client("watcher") as watcher:
            await watcher.subscribe(topic, qos=1)
            seen: list[str] = []
            async for message in watcher.messages:  # first the retained state: online
                assert isinstance(message.payload, bytes)
                seen.append(message.payload.decode())
                break
            accepted = await vanish_after_connect(
                mosquitto.host, mosquitto.port, "dead-instance", will_topic=topic, will_payload=b"offline",
                will_retain=True,
            )  # fmt: skip
            assert accepted
            async with asyncio.timeout(10):
                async for message in watcher.messages:
                    assert isinstance(message.payload, bytes)
                    seen.append(message.payload.decode())
                    if seen[-1] == "online":
                        break
    assert seen == ["online", "offline", "online"], seen


@POSTGRES_ONLY
async def test_a_configuration_applied_elsewhere_reaches_the_bus(
    db: Database, mosquitto: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "CONFIG_CHECK_SECONDS", 0.1)
    broker = BrokerAddress.from_url(f"{mosquitto.url}?protocol=5")
    async with instances(db, broker, Centre.model_validate(centre_data(devices=DEVICES))) as buses:
        changed = Centre.model_validate(centre_data(devices=[*DEVICES, {"id": "kp-2", "kind": "keypad", "window": 2}]))
        answer = (
            await buses[0]
            .centres["test"]
            .service.configure("test", changed, actor="manager:m", request_id="cfg", dry_run=False)
        )
        assert answer.ok, answer.body
        other = buses[1].centres["test"]
        async with asyncio.timeout(10):
            while "kp-2" not in other.centre.devices_by_id:
                await asyncio.sleep(0.05)
        assert other.requests.centre is other.centre


@POSTGRES_ONLY
async def test_a_centre_loaded_while_serving_gets_its_connection(
    db: Database, mosquitto: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "CONFIG_CHECK_SECONDS", 0.1)
    broker = BrokerAddress.from_url(f"{mosquitto.url}?protocol=5")
    async with instances(db, broker, Centre.model_validate(centre_data(devices=DEVICES))) as buses:
        station = Centre.model_validate(
            centre_data(centre={"code": "station", "name": "村便民服务站"}, devices=DEVICES)
        )
        async with db.write() as conn:
            await create_centre(conn, station, shanghai(2026, 11, 30, 9, 0))
        async with asyncio.timeout(10):
            for bus in buses:
                while "station" not in bus.centres:
                    await asyncio.sleep(0.05)
                await bus.centres["station"].connected.wait()
        await (
            buses[1]
            .centres["station"]
            .service.act("station", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
        )
        async with Keypad("station", "kp-1", 1, mosquitto.url, retry_interval=1.0, timeout=20.0) as keypad:
            answer = await keypad.next()
        assert answer.ok, answer
