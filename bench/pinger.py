"""A device's ping through the broker, from a process of its own: ``python -m bench.pinger``.

It publishes a small message to a topic of its own and times its arrival back (QoS 1, as device
traffic goes), one every ``--every`` seconds, until it reads a line on standard input (or it
closes); then it prints the round trips in seconds as one JSON list. In a process of its own so
that neither the server's nor the load generator's event loop is in the measurement: what it sees
is what a device on the hall network would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence

from queue_server.protocol.broker import Broker

TOPIC = "bench/pinger/ping"


async def ping(host: str, port: int, every: float, stop: asyncio.Event) -> list[float]:
    times: list[float] = []
    # The project's client turns Nagle's algorithm off, as every OneWindow device does (docs/performance.md).
    async with Broker(host, port).client("bench-pinger") as client:
        await client.subscribe(TOPIC, qos=1)
        arrivals = aiter(client.messages)
        print("ready", flush=True)
        while not stop.is_set():
            started = time.perf_counter()
            await client.publish(TOPIC, b"ping", qos=1)
            async with asyncio.timeout(10):
                await anext(arrivals)
            times.append(time.perf_counter() - started)
            await asyncio.sleep(every)
    return times


async def run(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(sys.stdin.fileno(), stop.set)
    times = await ping(args.host, args.port, args.every, stop)
    print(json.dumps(times), flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--every", type=float, default=0.01, help="seconds between pings")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
