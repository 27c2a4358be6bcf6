"""The power cut: every device of a hall connecting to the broker at once, in a process of their own.

``python -m tests.powercut --port P --centre C --windows N`` starts three devices per window (its
display, rating pad and caller keypad, as the centre of :func:`tests.serverproc.busy_centre`
does not list them, their ids are made here), each at a random moment within ``--spread``
seconds. Each connects (retrying while no broker listens, as firmware does), subscribes to its
window's ``state`` and ``call`` topics as a display does, and waits for the window's state. When
every device has it, or ``--deadline`` seconds after its own start has passed, one JSON line
reports each device's wait or what went wrong; then the process stays connected until killed,
as powered devices do. The test kills it with SIGKILL: sockets closed without DISCONNECT, as a
power cut leaves them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import aiomqtt

from queue_server.protocol.topics import WINDOW_CALL, WINDOW_STATE

KINDS = ("display", "pad", "keypad")


@dataclass
class DeviceResult:
    device: str
    waited: float | None = None
    """Seconds from the device's first connection attempt to its window's state; None if it never came."""
    arrived: float | None = None
    """When the state came (``time.time()``), to compare with the moment the server was ready."""
    connected: float | None = None
    """Seconds from the first attempt to the broker's CONNACK: a slow one says the device itself was starved."""
    subscribed: float | None = None
    """Seconds from the first attempt to the SUBACK of the state's subscription."""
    error: str = ""
    attempts: int = 0


Report = Callable[[DeviceResult], None]


async def one_device(
    host: str, port: int, centre: str, device: str, window: int, delay: float, deadline: float, report: Report
) -> None:
    """Connect after ``delay``, wait for the window's state, report, and stay connected."""
    await asyncio.sleep(delay)
    result = DeviceResult(device)
    begun = time.monotonic()
    state_topic = WINDOW_STATE.build(centre, number=window)
    while True:
        result.attempts += 1
        try:
            async with aiomqtt.Client(
                host, port, identifier=device, protocol=aiomqtt.ProtocolVersion.V311, clean_session=True, timeout=5
            ) as client:
                result.connected = time.monotonic() - begun
                await client.subscribe(state_topic, qos=1)
                result.subscribed = time.monotonic() - begun
                await client.subscribe(WINDOW_CALL.build(centre, number=window), qos=1)
                async with asyncio.timeout(max(0.0, begun + deadline - time.monotonic())):
                    async for message in client.messages:
                        if message.topic.value == state_topic:
                            break
                result.waited, result.arrived = time.monotonic() - begun, time.time()
                report(result)
                await asyncio.Event().wait()  # stay connected until the process is killed
        except TimeoutError:
            result.error = "no state in time"
            report(result)
            return
        except aiomqtt.MqttError as error:
            if result.waited is not None:  # dropped after its state came: that counts too
                result.waited, result.error = None, f"dropped after its state: {error}"
                report(result)
                return
            if time.monotonic() - begun > deadline:
                result.error = f"cannot connect: {error}"
                report(result)
                return
            await asyncio.sleep(0.1)  # no broker yet (a cold start): try again, as firmware does


async def run(args: argparse.Namespace) -> None:
    devices = [(f"{kind}-{n}", n) for n in range(1, args.windows + 1) for kind in KINDS]
    results: dict[str, DeviceResult] = {}
    everyone = asyncio.Event()

    def report(result: DeviceResult) -> None:
        results[result.device] = result
        if len(results) == len(devices):
            everyone.set()

    tasks = [
        asyncio.create_task(
            one_device(
                args.host, args.port, args.centre, device, window, random.uniform(0, args.spread), args.deadline, report
            )
        )
        for device, window in devices
    ]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(everyone.wait(), args.spread + args.deadline + 5)
    missing = [DeviceResult(device, None, "never reported") for device, _ in devices if device not in results]
    print(json.dumps([asdict(r) for r in [*results.values(), *missing]]), flush=True)
    await asyncio.gather(*tasks)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--centre", required=True)
    parser.add_argument("--windows", type=int, default=100)
    parser.add_argument("--spread", type=float, default=1.0, help="devices start within this many seconds")
    parser.add_argument("--deadline", type=float, default=2.0, help="seconds each device may wait for its state")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
