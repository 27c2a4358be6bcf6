"""Many windows calling at once over HTTP: every ticket served exactly once.

Two server processes share one PostgreSQL database; on SQLite one process serves. Twenty windows
call "next" and finish as fast as they can while kiosks issue 1,000 tickets.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from queue_server.store import schema
from queue_server.store.database import Database
from tests.serverproc import PreparedHall, ServerProcess, busy_centre, post, prepare_hall

TICKETS = 1000
WINDOWS = 20
ISSUERS = 10

pytestmark = pytest.mark.slow


async def issue_all(
    session: aiohttp.ClientSession, urls: list[str], hall: PreparedHall, ids: itertools.count[int]
) -> list[int]:
    issued: list[int] = []

    async def issuer(worker: int) -> None:
        while len(issued) < TICKETS:
            serial = next(ids)
            if serial > TICKETS:
                return
            url = f"{urls[worker % len(urls)]}/api/v1/centres/busy/tickets"
            status, body = await post(session, url, hall.kiosk, {"matter": "pension", "request_id": f"issue-{serial}"})
            assert status == 201, body
            issued.append(body["ticket"]["serial"])

    await asyncio.gather(*(issuer(w) for w in range(ISSUERS)))
    return issued


async def sign_on(session: aiohttp.ClientSession, base: str, hall: PreparedHall, window: int) -> None:
    """Staff open every window before the kiosks open: a ticket needs an open window for its matter."""
    url = f"{base}/api/v1/centres/busy/windows/{window}/sign-on"
    status, body = await post(session, url, hall.staff[window], {"request_id": f"on-{window}"})
    assert status == 200, body


async def serve_window(
    session: aiohttp.ClientSession, base: str, hall: PreparedHall, window: int, served: list[int]
) -> None:
    token = hall.staff[window]
    api = f"{base}/api/v1/centres/busy/windows/{window}"
    for attempt in itertools.count():
        if len(served) >= TICKETS:
            return
        status, body = await post(session, f"{api}/call-next", token, {"request_id": f"next-{window}-{attempt}"})
        assert status == 200, body
        ticket = body["ticket"]
        if ticket is None:
            await asyncio.sleep(0.01)
            continue
        served.append(ticket["serial"])
        status, body = await post(
            session, f"{api}/finish", token, {"outcome": "on_the_spot", "request_id": f"finish-{window}-{attempt}"}
        )
        assert status == 200, body


async def run_hall(urls: list[str], hall: PreparedHall) -> tuple[list[int], list[int]]:
    served: list[int] = []
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=64)) as session:
        await asyncio.gather(*(sign_on(session, urls[w % len(urls)], hall, w) for w in range(1, WINDOWS + 1)))
        windows = [serve_window(session, urls[w % len(urls)], hall, w, served) for w in range(1, WINDOWS + 1)]
        results = await asyncio.gather(issue_all(session, urls, hall, itertools.count(1)), *windows)
    return results[0], served


async def test_every_ticket_is_served_exactly_once(database_url: str, tmp_path: Path) -> None:
    hall = await prepare_hall(database_url, busy_centre(WINDOWS))
    instances = 2 if database_url.startswith("postgresql") else 1
    servers = [ServerProcess(database_url, tmp_path, f"server{i}") for i in range(instances)]
    try:
        for server in servers:
            server.start()
        issued, served = await asyncio.wait_for(run_hall([s.base_url for s in servers], hall), timeout=600)
    finally:
        for server in servers:
            server.stop()
    assert len(issued) == TICKETS
    assert len(served) == TICKETS
    assert sorted(served) == sorted(issued), "a ticket was served twice or never"
    async with Database(database_url) as db, db.read() as conn:
        e, t = schema.ticket_events.c, schema.tickets.c
        calls = (await conn.execute(select(e.serial, func.count()).where(e.kind == "called").group_by(e.serial))).all()
        finished = (await conn.execute(select(func.count()).where(t.status == "finished"))).scalar_one()
        numbers = (await conn.execute(select(func.count(func.distinct(t.number))))).scalar_one()
    assert finished == TICKETS
    assert len(calls) == TICKETS and all(n == 1 for _, n in calls), "each ticket called once, by one window"
    assert numbers == TICKETS
