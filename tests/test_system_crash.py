"""The server killed with SIGKILL while twenty clients issue tickets: nothing answered is lost.

After a restart on the same database every ticket whose answer reached a client exists with the
number it was given, no number repeats, and numbering continues after the last one.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from queue_server.store import schema
from queue_server.store.database import Database
from tests.serverproc import ServerProcess, busy_centre, post, prepare_hall

CLIENTS = 20
ANSWERS_BEFORE_KILL = 150

pytestmark = pytest.mark.slow


async def issue_until_killed(server: ServerProcess, kiosk: str) -> dict[int, str]:
    """Issue from twenty clients; kill the server mid-flight; return the answers that arrived."""
    acknowledged: dict[int, str] = {}
    ids = itertools.count()
    killed = asyncio.Event()
    url = f"{server.base_url}/api/v1/centres/busy/tickets"

    async def client(session: aiohttp.ClientSession) -> None:
        while not killed.is_set():
            try:
                status, body = await post(session, url, kiosk, {"matter": "pension", "request_id": f"c-{next(ids)}"})
            except (TimeoutError, aiohttp.ClientError):
                return
            assert status == 201, body
            acknowledged[body["ticket"]["serial"]] = body["ticket"]["number"]
            if len(acknowledged) >= ANSWERS_BEFORE_KILL and not killed.is_set():
                killed.set()
                server.kill()

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(*(client(session) for _ in range(CLIENTS)))
    return acknowledged


async def test_sigkill_loses_no_acknowledged_ticket(database_url: str, tmp_path: Path) -> None:
    hall = await prepare_hall(database_url, busy_centre(1))
    server = ServerProcess(database_url, tmp_path)
    server.start()
    try:
        async with aiohttp.ClientSession() as session:
            opened = f"{server.base_url}/api/v1/centres/busy/windows/1/sign-on"
            status, body = await post(session, opened, hall.staff[1], {"request_id": "open"})
            assert status == 200, body
        acknowledged = await issue_until_killed(server, hall.kiosk)
        assert server.process is not None and server.process.returncode == -9
        server.start()
        async with aiohttp.ClientSession() as session:
            status, body = await post(
                session, f"{server.base_url}/api/v1/centres/busy/tickets", hall.kiosk,
                {"matter": "pension", "request_id": "after-restart"},
            )  # fmt: skip
        assert status == 201, body
    finally:
        server.stop()
    async with Database(database_url) as db, db.read() as conn:
        t = schema.tickets.c
        rows = (await conn.execute(select(t.serial, t.number).order_by(t.serial))).all()
        stored = {int(serial): str(number) for serial, number in rows}
    assert len(acknowledged) >= ANSWERS_BEFORE_KILL
    for serial, number in acknowledged.items():
        assert stored.get(serial) == number, f"acknowledged ticket {number} (#{serial}) is missing after the crash"
    assert len(set(stored.values())) == len(stored), "a number was given twice"
    after = body["ticket"]
    sequences = sorted(int(n[1:]) for s, n in stored.items() if s != after["serial"])
    assert int(after["number"][1:]) == sequences[-1] + 1, "numbering continues after the last stored ticket"
    assert sequences == list(range(1, len(sequences) + 1)), "no number was skipped or repeated"
