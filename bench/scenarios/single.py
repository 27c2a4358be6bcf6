"""One client, one request at a time: issue, call-next and finish with no batch to share.

A kiosk issues tickets one after another, each request sent when the previous one was answered;
then one window calls them, ``call-next`` then ``finish``, one request at a time. Nothing else
runs, so each action has a transaction (and a synced commit) of its own: the time a lone
request takes, which the throughput scenarios hide behind group commit. Figures: each request's
time and the server's CPU per request, by kind.
"""

from __future__ import annotations

import time

from bench.callers import HttpCaller
from bench.hall import MATTER
from bench.measure import Summary, summarise
from bench.rig import Rig
from bench.scenarios.base import Options, Result, Row, Scenario, ServerUsage, latency_text, new_session

WINDOW = 1


async def run(options: Options) -> Result:
    count = 10 if options.small else 300
    async with Rig(options.rig("single", 1)) as rig, new_session(1) as session:
        await rig.sign_on_all(session)
        usage = ServerUsage(rig)
        issues: list[float] = []
        for _ in range(count):
            started = time.perf_counter()
            await rig.post(session, "tickets", rig.token.kiosk, {"matter": MATTER}, expect=201)
            issues.append(time.perf_counter() - started)
        issued = usage.since()
        console = HttpCaller(rig, session, WINDOW)
        nexts: list[float] = []
        finishes: list[float] = []
        usage.mark()
        for _ in range(count):
            called, took = await console.next()
            if not called:
                raise RuntimeError(f"Cannot time a lone call at window {WINDOW}: nobody was waiting")
            nexts.append(took)
            started = time.perf_counter()
            await console.finish()
            finishes.append(time.perf_counter() - started)
        calling = usage.since()
    return {
        "instances": options.instances,
        "requests": count,
        "issue": summarise(issues).as_dict(),
        "call_next": summarise(nexts).as_dict(),
        "finish": summarise(finishes).as_dict(),
        "server_cpu_ms_per_issue": issued["server_cpu_s"] / count * 1000,
        "server_cpu_ms_per_call": calling["server_cpu_s"] / count * 1000,
    }


def rows(result: Result, broker: Summary | None) -> list[Row]:
    return [
        ("issue, one at a time", latency_text(result["issue"], broker)),
        ("call-next, one at a time", latency_text(result["call_next"], broker)),
        ("finish, one at a time", latency_text(result["finish"], broker)),
        (
            "server CPU per issue; per call (call-next and finish)",
            f"{result['server_cpu_ms_per_issue']:.2f} ms; {result['server_cpu_ms_per_call']:.2f} ms",
        ),
    ]


SCENARIO = Scenario("single", "one client, one request at a time", run, rows)
