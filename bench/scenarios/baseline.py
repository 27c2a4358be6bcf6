"""The floors of the run: the broker alone (publish to receive, QoS 1) and the disk's ``fsync``.

A publisher and a subscriber connect to the rig's broker (a Mosquitto the rig started, or the
server's own) and pass a message the size of a call, one at a time: the time from the
publish to its arrival is the floor under every call-to-display figure of the same run. Then a
page is appended and synced to a file beside the rig's database, one at a time: the floor under
every answer that waits for its commit to reach the disk.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiomqtt

from bench.measure import FSYNC_BLOCK, Summary, fsync_times, summarise
from bench.rig import Rig
from bench.scenarios.base import Options, Result, Row, Scenario, latency_text

TOPIC = "bench/baseline"
PAYLOAD = json.dumps(
    {
        "call_id": "123-4", "serial": 123, "number": "A123", "matter": "pension", "matter_name": "养老保险待遇领取",
        "matter_name_en": "", "green_channel": False, "window": 12, "window_name": "12号窗口",
        "window_name_en": "", "recall": False, "at": "2026-11-30T01:00:00.000000+00:00", "seq": 42,
    },
    ensure_ascii=False,
).encode()  # fmt: skip
"""A message the size and shape of a call on ``window/<n>/call``."""


async def measure_hop(host: str, port: int, messages: int) -> list[float]:
    """Send ``messages`` one after another and time each from publish to arrival."""
    times: list[float] = []
    async with aiomqtt.Client(host, port, identifier="bench-baseline-sub") as subscriber:
        # Subscribe before the publisher connects, so that the first message has a subscriber.
        await subscriber.subscribe(TOPIC, qos=1)
        async with aiomqtt.Client(host, port, identifier="bench-baseline-pub") as publisher:
            await _one_by_one(subscriber, publisher, messages, times)
    return times


async def _one_by_one(subscriber: aiomqtt.Client, publisher: aiomqtt.Client, messages: int, times: list[float]) -> None:
    """Publish, wait for the arrival, time it; then the next message."""
    arrivals = aiter(subscriber.messages)
    for _ in range(messages):
        started = time.perf_counter()
        await publisher.publish(TOPIC, PAYLOAD, qos=1)
        async with asyncio.timeout(10):
            await anext(arrivals)
        times.append(time.perf_counter() - started)


async def run(options: Options) -> Result:
    messages = 50 if options.small else 2000
    async with Rig(options.rig("baseline", 1, instances=1)) as rig:
        await measure_hop("127.0.0.1", rig.mqtt_port, min(messages, 50))  # warm up both ends
        times = await measure_hop("127.0.0.1", rig.mqtt_port, messages)
        syncs = await asyncio.to_thread(fsync_times, rig.folder, 20 if options.small else 200)
    return {
        "messages": messages,
        "qos": 1,
        "payload_bytes": len(PAYLOAD),
        "hop": summarise(times).as_dict(),
        "fsync": summarise(syncs).as_dict(),
        "fsync_bytes": FSYNC_BLOCK,
    }


def rows(result: Result, _broker: Summary | None) -> list[Row]:
    out = [(f"broker hop, publish → receive (QoS 1, {result['payload_bytes']} B)", latency_text(result["hop"]))]
    if "fsync" in result:  # earlier runs' JSON has no fsync floor
        synced = f"disk fsync beside the database (append {result['fsync_bytes']} B)"
        out.append((synced, latency_text(result["fsync"])))
    return out


SCENARIO = Scenario("baseline", "the floors: the broker alone and the disk", run, rows)
