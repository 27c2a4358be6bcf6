"""A device's ping through the broker while the server takes a rush of tickets.

The rig's server runs with its hall and one window open; a pinger in a process of its own
(``bench.pinger``) times a publish-to-receive round trip through the broker every 10 ms, first
with the server idle, then while ``tickets`` tickets are issued over HTTP from many kiosks at
once. On the hall's own broker (``--broker hall``) this shows whether the server's work delays
device traffic: the broker is a process of its own, so it should not.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bench.measure import Summary, summarise
from bench.rig import Rig
from bench.scenarios.base import Options, Result, Row, Scenario, issue_tickets, latency_text, new_session

IDLE_SECONDS = 2.0


class Pinger:
    """``python -m bench.pinger`` against the rig's broker; :meth:`times` stops it and reads its figures."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.pinger", "--port", str(self.port),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self.process.stdout is not None
        async with asyncio.timeout(30):
            line = await self.process.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError(f"the pinger did not start: {line!r}")

    async def times(self) -> list[float]:
        assert self.process is not None and self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(b"stop\n")
        await self.process.stdin.drain()
        async with asyncio.timeout(30):
            line = await self.process.stdout.readline()
            await self.process.wait()
        figures: list[float] = json.loads(line)
        return figures


async def measured(port: int, work: Any) -> tuple[list[float], float]:
    """Ping while ``work`` (an awaitable) runs; returns the round trips and the work's seconds."""
    pinger = Pinger(port)
    await pinger.start()
    started = time.perf_counter()
    await work
    wall = time.perf_counter() - started
    return await pinger.times(), wall


async def run(options: Options) -> Result:
    tickets, clients = (100, 8) if options.small else (2000, 32)
    async with Rig(options.rig("rush-ping", 1)) as rig, new_session(clients) as session:
        await rig.sign_on_all(session)
        idle, _ = await measured(rig.mqtt_port, asyncio.sleep(0.5 if options.small else IDLE_SECONDS))
        rush, wall = await measured(rig.mqtt_port, issue_tickets(rig, session, tickets, clients))
    return {
        "broker": options.broker.value,
        "tickets": tickets,
        "clients": clients,
        "rush_seconds": wall,
        "idle": summarise(idle).as_dict(),
        "rush": summarise(rush).as_dict(),
    }


def rows(result: Result, _broker: Summary | None) -> list[Row]:
    during = (
        f"during a rush of {result['tickets']} tickets ({result['clients']} kiosks, {result['rush_seconds']:.1f} s)"
    )
    return [
        ("device ping through the broker, server idle", latency_text(result["idle"])),
        (f"device ping through the broker, {during}", latency_text(result["rush"])),
    ]


SCENARIO = Scenario("rush-ping", "a device's ping during a rush", run, rows)
