"""Call throughput: ``call-next`` then ``finish`` from the counter console, with 100 and 3,000 waiting.

Eight windows are open. For each queue depth, tickets are issued until that many wait; then calls
are timed in bursts: 8 consoles, each with one call in flight (``call-next``, then ``finish``, then
the next), take ``burst`` tickets between them, after which as many tickets are issued again (not
timed), so the queue stays between the depth and the depth plus a burst. The same follows with one
console alone. A call is the pair of requests, as a window works. Figures per depth and number of
consoles: calls per second over the bursts, each request's time, the server's CPU per call
(during the bursts), and the halls built from the rows (bursts and refills).

The cost of a call should not depend on the queue's length: the two depths side by side show it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.callers import HttpCaller
from bench.measure import Summary, summarise
from bench.rig import Rig
from bench.scenarios.base import (
    BuildCount,
    Options,
    Result,
    Row,
    Scenario,
    ServerUsage,
    builds_rows,
    issue_tickets,
    latency_text,
    new_session,
)

CONSOLES = 8
ISSUERS = 16


@dataclass(frozen=True, slots=True)
class Plan:
    depths: tuple[int, ...]
    seconds: float
    """Timed seconds of bursts per depth and number of consoles (at least one burst)."""

    def burst(self, depth: int) -> int:
        return max(CONSOLES, min(depth // 2, 200))


FULL = Plan((100, 3000), 10.0)
SMALL = Plan((8, 16), 0.0)


async def _burst(consoles: list[HttpCaller], count: int, nexts: list[float], finishes: list[float]) -> None:
    """The consoles take ``count`` calls between them, each one call at a time."""
    left = count

    async def console(caller: HttpCaller) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            called, took = await caller.next()
            if not called:
                raise RuntimeError(f"Cannot time a call at window {caller.window}: nobody was waiting")
            nexts.append(took)
            started = time.perf_counter()
            await caller.finish()
            finishes.append(time.perf_counter() - started)

    await asyncio.gather(*(console(c) for c in consoles))


async def _calls(rig: Rig, consoles: list[HttpCaller], depth: int, plan: Plan) -> Result:
    """Bursts of calls at ``depth`` waiting until ``plan.seconds`` of them were timed; refills between."""
    session = consoles[0].session
    burst = plan.burst(depth)
    usage, builds = ServerUsage(rig), BuildCount(rig, session)
    nexts: list[float] = []
    finishes: list[float] = []
    timed = cpu = 0.0
    calls = 0
    await builds.mark()
    while timed < plan.seconds or calls == 0:
        usage.mark()
        started = time.perf_counter()
        await _burst(consoles, burst, nexts, finishes)
        timed += time.perf_counter() - started
        cpu += usage.since()["server_cpu_s"]
        calls += burst
        await issue_tickets(rig, session, burst, ISSUERS)
    return {
        "waiting": depth,
        "consoles": len(consoles),
        "burst": burst,
        "calls": calls,
        "seconds": timed,
        "calls_per_s": calls / timed,
        "call_next": summarise(nexts).as_dict(),
        "finish": summarise(finishes).as_dict(),
        "server_cpu_ms_per_call": cpu / calls * 1000,
        "server_cpu_share": cpu / timed,
        "hall_builds": await builds.since(),
    }


async def run(options: Options) -> Result:
    plan = SMALL if options.small else FULL
    runs: list[Result] = []
    async with Rig(options.rig("calls", CONSOLES)) as rig, new_session(ISSUERS) as session:
        await rig.sign_on_all(session)
        consoles = [HttpCaller(rig, session, n) for n in range(1, CONSOLES + 1)]
        await issue_tickets(rig, session, CONSOLES, ISSUERS)
        await _burst(consoles, CONSOLES, [], [])  # warm-up, not timed: each console's first call
        waiting = 0
        for depth in plan.depths:
            await issue_tickets(rig, session, depth - waiting, ISSUERS)
            waiting = depth
            for group in (consoles, consoles[:1]):
                runs.append(await _calls(rig, group, depth, plan))
    return {"instances": options.instances, "runs": runs}


def rows(result: Result, broker: Summary | None) -> list[Row]:
    out: list[Row] = []
    for one in result["runs"]:
        who = f"{one['consoles']} console{'s' if one['consoles'] > 1 else ''}, {one['waiting']} waiting"
        out += [
            (
                f"{who}: calls per second; server CPU per call",
                f"{one['calls_per_s']:.0f} ({one['calls']} calls); {one['server_cpu_ms_per_call']:.2f} ms",
            ),
            (f"{who}: call-next", latency_text(one["call_next"], broker)),
            (f"{who}: finish", latency_text(one["finish"], broker)),
            *builds_rows(one, f"{who}: "),
        ]
    return out


SCENARIO = Scenario("calls", "call throughput, call-next then finish", run, rows)
