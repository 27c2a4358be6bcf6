"""Call-to-display latency: from "next" leaving the client to the window display and the hall board.

Ten windows with their keypads and displays connected and the hall board subscribed call in turn
at a steady pace (about 50 calls a second in all, ``--calls-per-s`` another), each finishing its
ticket before the next call, first from their caller keypads over MQTT, then from the counter
console's HTTP route, each for as long as ``SAMPLES`` calls take at that pace (a p99 read from
fewer samples is a handful of calls). For every call: the time to the window display's subscriber
(``window/<n>/call``), to the hall board's subscriber (every window's calls and ``hall/calls``),
and to the answer of the request itself; and the server's own event-loop lag over the phase
(its ``/metrics``), where a stall that holds a call shows.

With several server instances the keypads' requests reach one instance each through the broker's
shared subscription, and the console's requests go to the instances in turn; each phase also
reports the servers' CPU share and memory, summed and per instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

from bench.callers import Caller, HttpCaller, KeypadCaller
from bench.calls import CallWatch
from bench.hall import CENTRE, keypad_id
from bench.load import Tally, run_window
from bench.measure import Summary, summarise
from bench.rig import Rig
from bench.scenarios.base import (
    BuildCount,
    LoopLag,
    Options,
    Result,
    Row,
    Scenario,
    ServerUsage,
    builds_rows,
    instances_text,
    issue_tickets,
    lag_text,
    latency_text,
    new_session,
)
from queue_server.twins import Keypad

WINDOWS = 10
CALLS_PER_S = 50.0
"""The pace of the calls, in all (``--calls-per-s`` sets another; before, 20)."""
SAMPLES = 2300
"""A phase lasts as long as these calls take at the pace (at least ``MIN_SECONDS``). Each window waits
its interval after its answers, so about 2,200 are made on a quiet machine (the floors ask for 2,000
samples a path), fewer on a loaded one."""
MIN_SECONDS = 15.0


async def _phase(
    callers: list[Caller],
    watch: CallWatch,
    seconds: float,
    pace: float,
    usage: ServerUsage,
    builds: BuildCount,
    lag: LoopLag,
) -> Result:
    interval = len(callers) / pace
    tally = Tally()
    await builds.mark()
    await lag.mark()
    usage.mark()
    since = time.perf_counter()
    deadline = since + seconds
    rng = random.Random(10)
    await asyncio.gather(*(run_window(c, watch, interval, deadline, rng, tally) for c in callers))
    servers = usage.since()
    built = await builds.since()
    lagged = await lag.since()
    await watch.wait_delivered(10)
    samples = watch.delivered(since)
    return {
        "servers": servers,
        "calls": tally.calls,
        "failed": tally.failed,
        "display": summarise([s.display_s for s in samples if s.display_s is not None]).as_dict(),
        "board": summarise([s.board_s for s in samples if s.board_s is not None]).as_dict(),
        "answer": summarise(tally.next_answers).as_dict(),
        "hall_builds": built,
        "loop_lag": lagged,
    }


async def run(options: Options) -> Result:
    pace = options.calls_per_s or CALLS_PER_S
    seconds = 2.0 if options.small else max(MIN_SECONDS, SAMPLES / pace)
    windows = range(1, WINDOWS + 1)
    tickets = int(seconds * pace * 1.3) + WINDOWS  # per phase: the queue stays as deep in both
    async with (
        Rig(options.rig("latency", WINDOWS)) as rig,
        new_session(WINDOWS) as session,
        CallWatch("127.0.0.1", rig.mqtt_port, CENTRE, windows) as watch,
        contextlib.AsyncExitStack() as stack,
    ):
        await rig.sign_on_all(session)
        keypads = [
            await stack.enter_async_context(Keypad(CENTRE, keypad_id(n), n, rig.broker_url, timeout=60.0))
            for n in windows
        ]
        usage, builds, lag = ServerUsage(rig), BuildCount(rig, session), LoopLag(rig, session)
        await issue_tickets(rig, session, tickets, 16)
        by_keypad = await _phase([KeypadCaller(k) for k in keypads], watch, seconds, pace, usage, builds, lag)
        # The keypads' windows still hold their last tickets: finish them before the console calls.
        await asyncio.gather(*(k.finish() for k in keypads))
        await issue_tickets(rig, session, tickets, 16)
        http: list[Caller] = [HttpCaller(rig, session, n) for n in windows]
        by_http = await _phase(http, watch, seconds, pace, usage, builds, lag)
    return {
        "instances": options.instances,
        "windows": WINDOWS,
        "calls_per_s": pace,
        "seconds": seconds,
        "keypad": by_keypad,
        "http": by_http,
    }


def rows(result: Result, broker: Summary | None) -> list[Row]:
    out: list[Row] = []
    for how, label in (("keypad", "keypad (MQTT)"), ("http", "console (HTTP)")):
        figures = result[how]
        out += [
            (f"next by {label} → window display", latency_text(figures["display"], broker)),
            (f"next by {label} → hall board", latency_text(figures["board"], broker)),
            (f"next by {label} → its answer", latency_text(figures["answer"], broker)),
        ]
        if "servers" in figures:  # earlier runs' JSON has no server figures here
            servers = figures["servers"]
            out.append(
                (
                    f"by {label}: server CPU share, memory; per instance",
                    f"{servers['server_cpu_share']:.0%}, {servers['server_rss_mb']:.0f} MB; {instances_text(servers)}",
                )
            )
        out += builds_rows(figures, f"by {label}: ")
        if figures.get("loop_lag", {}).get("samples"):  # earlier runs' JSON has none
            out.append((f"by {label}: the server's event-loop lag", lag_text(figures["loop_lag"])))
    return out


SCENARIO = Scenario("latency", f"call to display, {WINDOWS} windows", run, rows)
