"""Ticket issue throughput: durable tickets per second through the HTTP API from many kiosks.

One window is open (a ticket needs an open window for its matter); ``clients`` concurrent HTTP
clients POST ``/tickets`` with a new request id each, as fast as the answers come, for a fixed
time. A ticket counts when it was answered 201, which the server does only after its transaction
committed (SQLite: WAL with ``synchronous=FULL``, so the commit is on disk); the tickets are
counted again in the database afterwards.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from bench.hall import MATTER
from bench.measure import Summary, own_cpu_seconds, summarise
from bench.rig import Rig
from bench.scenarios.base import (
    BuildCount,
    Options,
    Result,
    Row,
    Scenario,
    ServerUsage,
    builds_rows,
    instances_text,
    issue_tickets,
    latency_text,
    new_session,
)
from queue_server.store import schema
from queue_server.store.database import Database


async def run(options: Options) -> Result:
    clients, seconds, warm_up = (8, 2.0, 10) if options.small else (32, 15.0, 200)
    async with Rig(options.rig("issue", 1)) as rig, new_session(clients) as session:
        await rig.sign_on_all(session)
        await issue_tickets(rig, session, warm_up, clients)
        usage = ServerUsage(rig)
        times: list[float] = []
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await rig.post(session, "tickets", rig.token.kiosk, {"matter": MATTER}, expect=201)
                times.append(time.perf_counter() - started)

        builds = BuildCount(rig, session)
        await builds.mark()
        usage.mark()
        own, started = own_cpu_seconds(), time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - started
        servers, own = usage.since(), own_cpu_seconds() - own
        built = await builds.since()
        async with Database(rig.database_url) as db, db.read() as conn:
            stored = (await conn.execute(select(func.count()).select_from(schema.tickets))).scalar_one()
    return {
        "instances": options.instances,
        "clients": clients,
        "seconds": wall,
        "planned_seconds": seconds,
        "tickets": len(times),
        "tickets_in_database": stored - warm_up,
        "tickets_per_s": len(times) / wall,
        "request": summarise(times).as_dict(),
        "server_cpu_ms_per_ticket": servers["server_cpu_s"] / len(times) * 1000,
        "server_cpu_share": servers["server_cpu_share"],
        "load_generator_cpu_share": own / wall,
        "server_rss_mb": servers["server_rss_mb"],
        "per_instance": servers["per_instance"],
        "hall_builds": built,
    }


def rows(result: Result, broker: Summary | None) -> list[Row]:
    return [
        (
            # The planned time names the row (the measured one varies), so runs line up side by side.
            f"tickets per second ({result['clients']} HTTP clients,"
            f" {result.get('planned_seconds', result['seconds']):.0f} s)",
            f"{result['tickets_per_s']:.0f} ({result['tickets']} issued,"
            f" {result['tickets_in_database']} in the database)",
        ),
        ("issue request, median / p99 / worst", latency_text(result["request"], broker)),
        (
            "server CPU per ticket; CPU share server / load generator",
            f"{result['server_cpu_ms_per_ticket']:.2f} ms; {result['server_cpu_share']:.0%} / "
            f"{result['load_generator_cpu_share']:.0%}",
        ),
        *_memory(result),
        *builds_rows(result),
    ]


def _memory(result: Result) -> list[Row]:
    """The server's memory; per instance too (earlier runs' JSON has no ``per_instance``)."""
    if "per_instance" not in result:
        return []
    return [
        (
            "server memory; CPU share and memory per instance",
            f"{result['server_rss_mb']:.0f} MB; " + instances_text(result),
        )
    ]


SCENARIO = Scenario("issue", "ticket issue throughput", run, rows)
