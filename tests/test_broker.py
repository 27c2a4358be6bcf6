"""The brokers: the Mosquitto test harness, and the hall's own broker the server runs by default.

The hall's broker is a Mosquitto child process the server writes the configuration of and
supervises. Every client here speaks MQTT 3.1.1 (the device contract).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiomqtt
import pytest

from queue_server import cli
from queue_server.bus import broker as hall_broker_module
from queue_server.bus.broker import BrokerStartError, HallBroker, is_loopback
from queue_server.bus.passwords import hash_password
from queue_server.protocol.topics import DEVICE_AVAILABILITY, OFFLINE, WINDOW_CALL, WINDOW_STATE
from tests import brokers
from tests.brokers import Mosquitto, vanish_after_connect
from tests.serverproc import ServerProcess, free_port

V311 = aiomqtt.ProtocolVersion.V311
WAIT_S = 5.0


def client(port: int, identifier: str, username: str | None = None, password: str | None = None) -> aiomqtt.Client:
    return aiomqtt.Client(
        "127.0.0.1", port, identifier=identifier, username=username, password=password, protocol=V311, timeout=5
    )


async def next_message(subscriber: aiomqtt.Client) -> aiomqtt.Message:
    async with asyncio.timeout(WAIT_S):
        return await anext(aiter(subscriber.messages))


@asynccontextmanager
async def listening(port: int, host: str = "127.0.0.1") -> AsyncIterator[socket.socket]:
    """Hold ``host:port`` as another broker would."""
    with socket.socket() as holder:
        holder.bind((host, port))
        holder.listen()
        yield holder


# --- The Mosquitto harness --------------------------------------------------------------------


async def test_mosquitto_carries_messages_and_logs_to_the_test_folder(mosquitto: Mosquitto, tmp_path: Path) -> None:
    async with client(mosquitto.port, "sub") as subscriber, client(mosquitto.port, "pub") as publisher:
        await subscriber.subscribe("onewindow/#", qos=1)
        await publisher.publish("onewindow/test/window/1/call", b"A001", qos=1)
        message = await next_message(subscriber)
    assert (str(message.topic), message.payload, message.qos) == ("onewindow/test/window/1/call", b"A001", 1)
    assert mosquitto.log_path.is_relative_to(tmp_path)
    assert "New client connected" in mosquitto.log()


async def test_mosquitto_stops_and_starts_again_on_the_same_port(mosquitto: Mosquitto) -> None:
    port, first_pid = mosquitto.port, mosquitto.pid
    mosquitto.stop()
    assert not mosquitto.running
    with pytest.raises(aiomqtt.MqttError):
        async with client(port, "during-outage"):
            pass
    mosquitto.start()
    assert (mosquitto.port, mosquitto.running) == (port, True)
    assert mosquitto.pid != first_pid
    async with client(port, "after-outage") as again:
        await again.publish("onewindow/test/server/availability", b"online", qos=1)


def test_a_missing_mosquitto_is_a_skip_but_a_failure_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(brokers, "SEARCH_PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="mosquitto is not installed"):
        brokers.mosquitto_executable()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="mosquitto is not installed"):
        brokers.mosquitto_executable()


# --- The hall's broker: what the device contract needs - --------------------------------------


async def test_a_retained_message_reaches_a_later_subscriber(hall_broker: HallBroker) -> None:
    topic = WINDOW_STATE.build("test", number=3)
    async with client(hall_broker.port, "server") as server:
        await server.publish(topic, b'{"status":"open"}', qos=1, retain=True)
    async with client(hall_broker.port, "display-3") as display:
        await display.subscribe(WINDOW_STATE.filter("test"), qos=1)
        message = await next_message(display)
    assert (str(message.topic), message.payload, message.retain) == (topic, b'{"status":"open"}', True)


async def test_qos_1_is_acknowledged_and_delivered_at_qos_1(hall_broker: HallBroker) -> None:
    topic = WINDOW_CALL.build("test", number=1)
    async with client(hall_broker.port, "display-1") as display, client(hall_broker.port, "server") as server:
        await display.subscribe(topic, qos=1)
        await server.publish(topic, b'{"ticket":"A001"}', qos=1)  # returns once PUBACK came back
        message = await next_message(display)
    assert (message.payload, message.qos, message.retain) == (b'{"ticket":"A001"}', 1, False)


async def test_a_client_that_dies_without_disconnect_gets_its_will_published(
    hall_broker: HallBroker,
) -> None:
    will_topic = DEVICE_AVAILABILITY.build("test", kind="keypad", device="keypad-1")
    async with client(hall_broker.port, "server") as server:
        await server.subscribe(DEVICE_AVAILABILITY.filter("test"), qos=1)
        assert await vanish_after_connect(
            "127.0.0.1",
            hall_broker.port,
            "keypad-1",
            will_topic=will_topic,
            will_payload=OFFLINE.encode(),
            will_retain=True,
        )
        message = await next_message(server)
    assert (str(message.topic), message.payload) == (will_topic, OFFLINE.encode())
    async with client(hall_broker.port, "late-board") as late:  # the will was retained
        await late.subscribe(will_topic, qos=1)
        assert (await next_message(late)).payload == OFFLINE.encode()


# --- The hall's broker: where it listens, and who gets in - ----------------------------------------


async def test_it_listens_on_localhost_only_by_default() -> None:
    broker = HallBroker(port=0)
    assert (broker.host, HallBroker().port) == ("127.0.0.1", 1883)
    async with broker:
        # A listener on 127.0.0.1 alone leaves the same port free on another loopback address;
        # one on all addresses (0.0.0.0) would not.
        with socket.socket() as other:
            other.bind(("127.0.0.2", broker.port))
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.2", broker.port)
        async with client(broker.port, "local"):
            pass


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "hall-server"])
def test_it_refuses_another_address_without_device_passwords(host: str) -> None:
    with pytest.raises(BrokerStartError) as refused:
        HallBroker(host=host)
    assert str(refused.value) == (
        f"Cannot bind the hall's broker to {host} without device passwords: run onewindow mqtt-config first"
    )


def test_another_address_is_allowed_with_device_passwords() -> None:
    broker = HallBroker(host="0.0.0.0", passwords={"test.pad-1": hash_password("secret")})
    assert broker.url == "mqtt://0.0.0.0:1883"


def test_grants_without_passwords_are_refused() -> None:
    with pytest.raises(BrokerStartError, match="Cannot enforce MQTT grants on the hall's broker without passwords"):
        HallBroker(grants={"test.pad-1": ()})


def test_a_password_that_is_no_mosquitto_hash_is_refused_before_starting() -> None:
    with pytest.raises(BrokerStartError, match=r"Cannot use the password of MQTT user 'test.pad-1': .*\$7\$"):
        HallBroker(passwords={"test.pad-1": "plain-text"})


@pytest.mark.parametrize("host", ["127.0.0.1", "127.5.5.5", "::1", "localhost", "LOCALHOST"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.1", "hall.example", ""])
def test_addresses_that_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


async def test_a_taken_port_says_how_to_use_the_broker_that_holds_it() -> None:
    port = free_port()
    async with listening(port):
        with pytest.raises(BrokerStartError) as refused:
            await HallBroker(port=port).start()
    assert str(refused.value) == (
        f"Cannot start the hall's MQTT broker on 127.0.0.1:{port}: the port is taken (is Mosquitto running?)."
        f" Use that broker with --mqtt-url mqtt://127.0.0.1:{port}, or choose another port with --mqtt-port."
    )
    assert refused.value.__cause__ is None  # no chained traceback


async def test_a_port_taken_by_a_real_mosquitto_is_reported_the_same_way(mosquitto: Mosquitto) -> None:
    with pytest.raises(BrokerStartError, match=r"the port is taken \(is Mosquitto running\?\)\. Use that broker with"):
        await HallBroker(port=mosquitto.port).start()


async def test_it_starts_again_after_stopping() -> None:
    broker = HallBroker(port=free_port())
    async with broker, client(broker.port, "first"):
        pass
    async with broker, client(broker.port, "second"):
        pass


async def test_with_passwords_anonymous_and_wrong_logins_are_refused_and_the_right_one_connects() -> None:
    passwords = {"test.pad-1": hash_password("right"), "onewindow-server": hash_password("server-secret")}
    async with HallBroker(port=0, passwords=passwords) as broker:
        with pytest.raises(aiomqtt.MqttCodeError) as anonymous:
            async with client(broker.port, "anonymous"):
                pass
        with pytest.raises(aiomqtt.MqttCodeError) as wrong:
            async with client(broker.port, "wrong", "test.pad-1", "wrong"):
                pass
        with pytest.raises(aiomqtt.MqttCodeError) as unknown:
            async with client(broker.port, "unknown", "test.pad-9", "right"):
                pass
        for refused in (anonymous, wrong, unknown):
            assert "Not authorized" in str(refused.value)
        async with (
            client(broker.port, "pad-1", "test.pad-1", "right") as pad,
            client(broker.port, "server", "onewindow-server", "server-secret") as server,
        ):
            await server.subscribe("onewindow/#", qos=1)
            await pad.publish("onewindow/test/pad/pad-1/availability", b"online", qos=1)
            assert (await next_message(server)).payload == b"online"


async def test_a_bind_error_other_than_a_taken_port_keeps_its_own_words() -> None:
    # 192.0.2.1 (TEST-NET-1) is on no interface here: binding it fails, and nothing is sent anywhere.
    broker = HallBroker(host="192.0.2.1", port=free_port(), passwords={"u": hash_password("p")})
    with pytest.raises(BrokerStartError) as refused:
        await broker.start()
    assert str(refused.value).startswith("Cannot start the hall's MQTT broker on 192.0.2.1:")
    assert "taken" not in str(refused.value)


def serve_with_a_port_held(tmp_path: Path, capsys: pytest.CaptureFixture[str], *, held: str) -> tuple[int, str]:
    """`onewindow serve` while another listener holds the port of ``held``: the port and what it said."""
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    assert cli.main(["init", "--database-url", url]) == 0
    port = free_port()
    ports = {"--port": free_port(), "--mqtt-port": free_port(), held: port}
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        argv = ["serve", "--database-url", url, *(str(part) for item in ports.items() for part in item)]
        assert cli.main(argv) == 1
    return port, capsys.readouterr().err


def test_serve_reports_a_taken_mqtt_port_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port, err = serve_with_a_port_held(tmp_path, capsys, held="--mqtt-port")
    assert (
        f"Cannot start the hall's MQTT broker on 127.0.0.1:{port}: the port is taken (is Mosquitto running?)."
        f" Use that broker with --mqtt-url mqtt://127.0.0.1:{port}, or choose another port with --mqtt-port.\n"
    ) in err
    assert "Traceback" not in err


# --- The hall's broker: a child process of its own, supervised ----------------------------------


def test_without_mosquitto_the_message_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(hall_broker_module, "SEARCH_PATH", str(tmp_path))
    with pytest.raises(BrokerStartError) as refused:
        HallBroker(port=0)
    assert str(refused.value) == (
        "Cannot run the hall's MQTT broker: Mosquitto is not installed (Debian: apt-get install mosquitto;"
        " scripts/bootstrap does it), or give the address of another broker with --mqtt-url"
    )


def child_pids(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


async def test_it_runs_in_a_process_of_its_own_and_starts_again_when_that_dies(hall_broker: HallBroker) -> None:
    first = hall_broker.pid
    assert first is not None and first in child_pids(os.getpid())
    assert "mosquitto" in Path(f"/proc/{first}/cmdline").read_bytes().decode()
    os.kill(first, signal.SIGKILL)
    async with asyncio.timeout(WAIT_S):
        while hall_broker.restarts == 0:
            await asyncio.sleep(0.05)
    assert hall_broker.pid not in (None, first)
    async with client(hall_broker.port, "after-restart") as again:
        await again.publish("onewindow/test/server/availability", b"online", qos=1)


def test_a_killed_server_leaves_no_broker_holding_the_port(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    assert cli.main(["init", "--database-url", url]) == 0
    server = ServerProcess(url, tmp_path)
    server.start()
    assert server.process is not None
    try:
        deadline = time.monotonic() + WAIT_S
        while not (brokers_of := child_pids(server.process.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(brokers_of) == 1
    finally:
        server.kill()
    deadline = time.monotonic() + WAIT_S
    while Path(f"/proc/{brokers_of[0]}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{brokers_of[0]}").exists()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", server.mqtt_port))  # free for the next start


async def test_a_wildcard_listener_is_reached_on_loopback() -> None:
    passwords = {"onewindow-server": hash_password("server-secret")}
    wildcard = HallBroker(host="0.0.0.0", port=0, passwords=passwords)
    async with wildcard as broker, client(broker.port, "server", "onewindow-server", "server-secret"):
        pass


def test_serve_reports_a_taken_web_port_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port, err = serve_with_a_port_held(tmp_path, capsys, held="--port")
    assert f"Cannot listen on 127.0.0.1:{port}: the port is taken; choose another with --port\n" in err
    assert "database" not in err and "Traceback" not in err
