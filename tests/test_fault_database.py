"""The database goes away during traffic, and comes back: 503s meanwhile, then all by itself again.

A throwaway PostgreSQL cluster (tests/pgcluster.py, never the machine's own) is crashed
(``pg_ctl stop -m immediate``) while kiosks issue tickets over HTTP, and started again on the
same port. Meanwhile every answer is 201 or a 503 problem+json with ``Retry-After`` (never a 500,
never a hang), the hall display keeps showing the last state, and a keypad's request made during
the outage is answered once the database is back. Afterwards the API, the bus relay and the
device requests work without a restart, and every ticket acknowledged before, during or after
the outage is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from display_client.client import DisplayClient
from queue_server.protocol.payloads import DeviceResponse
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.twins import Keypad
from tests.brokers import Mosquitto
from tests.faults import (
    API,
    CENTRE,
    PATIENT,
    board_windows,
    get_json,
    hall_with_devices,
    holds,
    http_session,
    is_zero,
    pending_outbox,
    prepare_fault_hall,
    until,
    windows_truth,
)
from tests.pgcluster import PgCluster
from tests.serverproc import ServerProcess, post

pytestmark = [pytest.mark.slow, pytest.mark.fault]

KIOSKS = 3


class Traffic:
    """Kiosks issuing tickets until told to stop; each answer must be 201 or a clear 503."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, kiosk: str) -> None:
        self.session, self.url, self.kiosk = session, f"{base_url}{API}/tickets", kiosk
        self.acknowledged: dict[int, str] = {}
        self.unavailable: list[dict[str, Any]] = []
        self.stop = asyncio.Event()
        self.go = asyncio.Event()
        self.go.set()
        self.in_flight = 0
        self._ids = itertools.count()

    async def pause(self) -> None:
        """Hold the kiosks and wait for the requests under way to be answered."""
        self.go.clear()
        await until(lambda: holds(self.in_flight == 0), "the kiosks pausing")

    async def kiosk_loop(self) -> None:
        while not self.stop.is_set():
            await self.go.wait()
            self.in_flight += 1
            try:
                await self._issue()
            finally:
                self.in_flight -= 1
            await asyncio.sleep(0.05)

    async def _issue(self) -> None:
        body = {"matter": "pension", "request_id": f"t-{next(self._ids)}"}
        headers = {"Authorization": f"Bearer {self.kiosk}"}
        async with self.session.post(self.url, json=body, headers=headers) as response:
            answer = await response.json(content_type=None)
            if response.status == 201:
                self.acknowledged[answer["ticket"]["serial"]] = answer["ticket"]["number"]
            else:
                check_unavailable(response.status, response.headers, answer)
                self.unavailable.append(answer)


def check_unavailable(status: int, headers: Any, body: Any) -> None:
    """A 503 problem+json that says the database is away and when to try again."""
    assert status == 503, f"expected 503 while the database is away, got {status}: {body}"
    assert headers["Content-Type"].startswith("application/problem+json"), headers
    assert int(headers["Retry-After"]) > 0
    assert body["status"] == 503 and body["type"].endswith("database-unavailable"), body
    assert "database" in body["detail"], body


@dataclass
class Scene:
    """The hall under test: the server, its throwaway database, a display and a keypad on the broker."""

    pg: PgCluster
    server: ServerProcess
    session: aiohttp.ClientSession
    display: DisplayClient
    keypad: Keypad
    staff: str
    traffic: Traffic

    @property
    def api(self) -> str:
        return f"{self.server.base_url}{API}"

    async def act(self, path: str, body: dict[str, Any]) -> Any:
        status, answer = await post(self.session, f"{self.api}{path}", self.staff, body)
        assert status == 200, answer
        return answer

    async def display_true(self) -> bool:
        truth = await windows_truth(self.session, self.server.base_url, self.staff)
        return board_windows(self.display.board.windows) == truth

    async def still_picture(self) -> dict[str, Any]:
        """Pause the kiosks until the display shows the truth; what it shows then."""
        await self.traffic.pause()
        await until(self.display_true, "the display showing the first call")
        await until(lambda: is_zero(pending_outbox(self.pg.url)), "the outbox drained before the outage")
        await asyncio.sleep(0.5)  # a hall summary or list of calls published just now reaches the display
        shown = self.display.board.snapshot()
        assert shown["link"] == "live", shown
        return shown

    async def outage(self, shown: dict[str, Any]) -> asyncio.Task[DeviceResponse]:
        """Crash the database under traffic; returns the keypad's request made meanwhile."""
        self.pg.stop("immediate")
        self.traffic.go.set()
        await until(lambda: holds(len(self.traffic.unavailable) >= 5), "kiosks told the database is away")
        headers = {"Authorization": f"Bearer {self.staff}"}
        for method, path in (("GET", "/windows"), ("POST", "/windows/1/call-next")):
            body = {"request_id": "down"}
            async with self.session.request(method, f"{self.api}{path}", json=body, headers=headers) as r:
                check_unavailable(r.status, r.headers, await r.json(content_type=None))
        asked = asyncio.create_task(self.keypad.next())  # repeated by the keypad until answered
        await asyncio.sleep(2)  # the keypad's request goes out (and is repeated) while the database is away
        assert not asked.done(), "a keypad's request is not answered while the database is away"
        assert self.server.process is not None and self.server.process.poll() is None, "the server stays up"
        assert self.display.board.snapshot() == shown, "the display keeps the last state"
        return asked

    async def recovery(self, asked: asyncio.Task[DeviceResponse]) -> None:
        """Start the database again: everything answers again without a restart."""
        self.pg.start()
        called = await asyncio.wait_for(asked, PATIENT["timeout"])
        assert called.ok and called.result is not None, called
        assert called.result["ticket"] is not None, "the keypad's next called a ticket"
        windows = f"{self.api}/windows"
        await until(lambda: _status(self.session, windows, self.staff, 200), "the API answering again")
        seen = len(self.traffic.acknowledged)
        await until(lambda: holds(len(self.traffic.acknowledged) >= seen + 10), "tickets issued again")


async def test_the_database_going_away_gives_503_keeps_the_displays_and_recovers_by_itself(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    with PgCluster(tmp_path / "pg") as pg:
        hall = await prepare_fault_hall(pg.url, hall_with_devices(2, keypads=(2,)))
        server = ServerProcess(pg.url, tmp_path, extra_args=["--mqtt-url", mosquitto.url])
        server.start()
        try:
            async with (
                http_session() as session,
                DisplayClient(CENTRE, "display-1", mosquitto.url, **PATIENT) as display,
                Keypad(CENTRE, "keypad-2", 2, mosquitto.url, **PATIENT) as keypad,
            ):
                traffic = Traffic(session, server.base_url, hall.kiosk)
                scene = Scene(pg, server, session, display, keypad, hall.staff[1], traffic)
                for window in (1, 2):
                    on = {"request_id": f"on-{window}"}
                    status, body = await post(session, f"{scene.api}/windows/{window}/sign-on", hall.staff[window], on)
                    assert status == 200, body
                kiosks = [asyncio.create_task(traffic.kiosk_loop()) for _ in range(KIOSKS)]
                asked: asyncio.Task[DeviceResponse] | None = None
                try:
                    await until(lambda: holds(len(traffic.acknowledged) >= 10), "ten tickets issued")
                    assert (await scene.act("/windows/1/call-next", {"request_id": "c1"}))["ticket"] is not None
                    asked = await scene.outage(await scene.still_picture())
                    await scene.recovery(asked)
                finally:
                    traffic.stop.set()
                    traffic.go.set()
                    await asyncio.gather(*kiosks)
                    if asked is not None and not asked.done():
                        asked.cancel()
                await scene.act("/windows/1/finish", {"outcome": "on_the_spot", "request_id": "f1"})
                assert (await scene.act("/windows/1/call-next", {"request_id": "c2"}))["ticket"] is not None
                await until(scene.display_true, "the display showing the calls made after the outage")
                await until(lambda: is_zero(pending_outbox(pg.url)), "the outbox drained")
                status, body = await get_json(session, f"{scene.api}/devices", scene.staff)
                online = {d["id"]: d["online"] for d in body["devices"]}
                assert online["keypad-2"] is True and online["display-1"] is True, online
        finally:
            server.stop()
        assert traffic.unavailable, "some requests met the outage"
        async with Database(pg.url) as db, db.read() as conn:
            t = schema.tickets.c
            stored = {int(s): str(n) for s, n in (await conn.execute(select(t.serial, t.number))).all()}
        for serial, number in traffic.acknowledged.items():
            assert stored.get(serial) == number, f"acknowledged ticket {number} (#{serial}) is missing"
        assert len(set(stored.values())) == len(stored), "a number was given twice"
        assert "Unexpected error" not in server.log(), "no request failed with a 500"


async def _status(session: aiohttp.ClientSession, url: str, token: str, expected: int) -> bool:
    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
        status, _ = await get_json(session, url, token)
        return status == expected
    return False
