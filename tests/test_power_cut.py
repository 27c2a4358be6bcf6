"""The power cut: all the devices of a hall connecting together to the server's own broker.

A hall of 100 windows has 300 devices (display, rating pad, caller keypad per window). Each round
starts them all within one second in a process of their own (tests/powercut.py), each subscribing
to its window's ``state`` and ``call`` as a display does; every one must have its window's state
within 2 s of its first connection attempt. The previous round's devices are SIGKILLed, as a power
cut leaves them: no DISCONNECT, the broker finds out by itself.

- Warm: `onewindow serve` runs on its default broker, ten rounds in a row.
- Cold: the devices start first and keep trying while nothing listens, then the server starts
  with its broker; the state comes when the server republishes it, within 2 s of the server
  saying it is ready. (The test's ports lie below the ephemeral range, as 1883 does: 300 clients
  retrying a port of that range would sooner or later connect to themselves, a TCP self-connect
  that takes the port, and the broker could not listen.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.brokers import mosquitto_executable
from tests.serverproc import ServerProcess, busy_centre, prepare_hall

pytestmark = pytest.mark.slow

WINDOWS = 100
DEVICES = 3 * WINDOWS
ROUNDS = 10
STATE_WITHIN_S = 2.0
TIMES = ("connected", "subscribed", "waited")
READY_LINE = "OneWindow serves"


class Devices:
    """One round's devices: ``python -m tests.powercut`` until killed."""

    def __init__(self, port: int, *, deadline: float = STATE_WITHIN_S) -> None:
        command = [
            sys.executable, "-m", "tests.powercut",
            "--port", str(port), "--centre", "busy", "--windows", str(WINDOWS), "--deadline", str(deadline),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).parent.parent
        )

    def results(self) -> list[dict[str, Any]]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the line comes within spread + deadline + 5 s, or the process died
        if not line:
            self.process.kill()
            assert self.process.stderr is not None
            error = self.process.stderr.read().decode()
            self.kill()
            raise AssertionError(f"the devices printed nothing:\n{error}")
        results: list[dict[str, Any]] = json.loads(line)
        return results

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


def child_commands(server: ServerProcess) -> list[str]:
    """The command lines of the server's child processes (its broker among them)."""
    assert server.process is not None
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode() for child in children]


@pytest.fixture
def hall(tmp_path: Path) -> str:
    import asyncio

    url = f"sqlite:///{tmp_path / 'hall.db'}"
    asyncio.run(prepare_hall(url, busy_centre(WINDOWS)))
    return url


@pytest.fixture
def killed_devices() -> Iterator[list[Devices]]:
    started: list[Devices] = []
    yield started
    for devices in started:
        devices.kill()


def wait_ready(server: ServerProcess, timeout: float = 60) -> float:
    """When the server said it is ready (its bus connected and the retained state republished)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if READY_LINE in server.log():
            return time.time()
        assert server.process is not None
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited:\n{server.log()}")
        time.sleep(0.02)
    raise AssertionError(f"the server did not say it is ready:\n{server.log()}")


def late(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in results if r["waited"] is None or r["waited"] > STATE_WITHIN_S]


def timings(results: list[dict[str, Any]]) -> str:
    """The slowest connection, subscription and state of a round, to tell a slow broker from a starved test."""
    worst = {what: max((r[what] for r in results if r[what] is not None), default=None) for what in TIMES}
    return ", ".join(f"slowest {what} {value:.2f} s" for what, value in worst.items() if value is not None)


@pytest.fixture(autouse=True)
def _mosquitto() -> None:
    mosquitto_executable()  # the server's broker: a skip without it, but a failure under CI


def test_every_device_has_its_state_after_ten_power_cuts_in_a_row(
    hall: str, tmp_path: Path, killed_devices: list[Devices]
) -> None:
    server = ServerProcess(hall, tmp_path)
    server.start()
    try:
        wait_ready(server)
        for round_number in range(1, ROUNDS + 1):
            devices = Devices(server.mqtt_port)
            killed_devices.append(devices)
            results = devices.results()
            devices.kill()
            assert len(results) == DEVICES
            slow = late(results)
            assert not slow, f"round {round_number}: {len(slow)} of {DEVICES} late ({timings(results)}): {slow[:5]}"
        assert any("mosquitto" in command for command in child_commands(server))
    finally:
        server.stop()
    assert "Traceback" not in server.log()


def test_devices_that_start_before_the_hall_get_their_state_when_the_server_is_ready(
    hall: str, tmp_path: Path, killed_devices: list[Devices]
) -> None:
    server = ServerProcess(hall, tmp_path)
    devices = Devices(server.mqtt_port, deadline=60)  # first: nothing listens yet, they keep trying
    killed_devices.append(devices)
    time.sleep(1.0)
    server.start()
    try:
        ready = wait_ready(server)
        results = devices.results()
    finally:
        devices.kill()
        server.stop()
    assert len(results) == DEVICES
    missing = [r for r in results if r["waited"] is None]
    assert not missing, f"{len(missing)} of {DEVICES} never had their state ({timings(results)}): {missing[:5]}"
    last = max(r["arrived"] for r in results)
    assert last - ready <= STATE_WITHIN_S, f"the last state came {last - ready:.2f} s after ready"
