"""The server SIGKILLed in the middle of a rush of tickets, calls, finishes and ratings.

Kiosks issue tickets and four windows call, finish and have each ticket rated by their pad's
tablet, all over HTTP, against a server process on an external Mosquitto; after 150 answers the
server is killed with SIGKILL and started again on the same database. Each client then repeats
the request it had under way, with the same request id, as a real client does. Then:

- every acknowledged ticket, call, finish and rating is stored as it was answered, and nothing
  else was issued: the stored tickets are exactly the acknowledged ones, numbers unique;
- no ticket was called twice or by two windows;
- the outbox drains, and a listener on the call topics got every window's calls in order, each
  sequence without a gap;
- a hall display that stayed on the broker shows what the database says.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from display_client.client import DisplayClient
from queue_server.store import schema
from queue_server.store.database import Database
from tests.brokers import Mosquitto
from tests.faults import (
    API,
    CENTRE,
    PATIENT,
    CallLog,
    FaultHall,
    board_windows,
    calls_in_database,
    hall_with_devices,
    http_session,
    is_zero,
    pending_outbox,
    prepare_fault_hall,
    until,
    windows_truth,
)
from tests.serverproc import ServerProcess, post

pytestmark = [pytest.mark.slow, pytest.mark.fault]

WINDOWS = 4
KIOSKS = 6
ANSWERS_BEFORE_KILL = 150
FREEZE_S = 0.5
"""How long the server is stopped (SIGSTOP) before the kill: the other clients send their next requests."""


@dataclass
class Asked:
    """A request a client sent: retried with the same id after the restart if it was under way."""

    what: str
    url: str
    token: str
    body: dict[str, Any]
    window: int = 0


@dataclass
class Rush:
    server: ServerProcess
    hall: FaultHall
    tickets: dict[int, str] = field(default_factory=dict)
    calls: dict[int, int] = field(default_factory=dict)
    """Serial → the window that was answered it called it."""
    finished: set[int] = field(default_factory=set)
    ratings: dict[int, int] = field(default_factory=dict)
    under_way: list[Asked] = field(default_factory=list)
    freezing: bool = False
    killed: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def answers(self) -> int:
        return len(self.tickets) + len(self.calls) + len(self.finished) + len(self.ratings)

    def asked(self, what: str, path: str, token: str, body: dict[str, Any], window: int = 0) -> Asked:
        body = {**body, "request_id": f"{what}-{next(self._ids)}"}
        return Asked(what, f"{self.server.base_url}{API}{path}", token, body, window)

    async def send(self, session: aiohttp.ClientSession, asked: Asked) -> Any | None:
        """The answer's body; None once the server is gone (the request is then kept to repeat)."""
        if self.killed.is_set():
            return None
        try:
            status, body = await post(session, asked.url, asked.token, asked.body)
        except (TimeoutError, aiohttp.ClientError):
            self.under_way.append(asked)
            return None
        self.take(asked, status, body)
        if self.answers() >= ANSWERS_BEFORE_KILL and not self.freezing:
            # Frozen first, so the other clients' next requests are surely in flight when it dies:
            # a fast server could otherwise have answered everyone just before the kill.
            self.freezing = True
            assert self.server.process is not None
            os.kill(self.server.process.pid, signal.SIGSTOP)
            await asyncio.sleep(FREEZE_S)
            self.killed.set()
            self.server.kill()
        return body

    def take(self, asked: Asked, status: int, body: Any) -> None:
        """Record an acknowledged action; anything but its success is a failure of the test."""
        assert status in (200, 201), (asked, status, body)
        if asked.what == "ticket":
            self.tickets[body["ticket"]["serial"]] = body["ticket"]["number"]
        elif asked.what == "call" and body["ticket"] is not None:
            self.calls[body["ticket"]["serial"]] = asked.window
        elif asked.what == "finish":
            self.finished.add(body["ticket"]["serial"])
        elif asked.what == "rating":
            self.ratings[asked.body["serial"]] = asked.body["level"]

    async def kiosk(self, session: aiohttp.ClientSession) -> None:
        while not self.killed.is_set():
            if (
                await self.send(session, self.asked("ticket", "/tickets", self.hall.kiosk, {"matter": "pension"}))
                is None
            ):
                return

    async def window(self, session: aiohttp.ClientSession, number: int) -> None:
        staff, pad = self.hall.staff[number], self.hall.pads[number]
        while not self.killed.is_set():
            called = await self.send(session, self.asked("call", f"/windows/{number}/call-next", staff, {}, number))
            if called is None:
                return
            if called["ticket"] is None:
                await asyncio.sleep(0.05)
                continue
            serial = called["ticket"]["serial"]
            finish = self.asked("finish", f"/windows/{number}/finish", staff, {"outcome": "on_the_spot"}, number)
            if await self.send(session, finish) is None:
                return
            rating = {"serial": serial, "level": 3 + serial % 3}  # 3 to 5: no reasons needed
            if await self.send(session, self.asked("rating", f"/pads/pad-{number}/rating", pad, rating)) is None:
                return


async def test_sigkill_mid_rush_loses_nothing_acknowledged_and_the_hall_converges(
    database_url: str, tmp_path: Path, mosquitto: Mosquitto
) -> None:
    hall = await prepare_fault_hall(database_url, hall_with_devices(WINDOWS))
    server = ServerProcess(database_url, tmp_path, extra_args=["--mqtt-url", mosquitto.url])
    server.start()
    rush = Rush(server, hall)
    try:
        async with (
            http_session() as session,
            CallLog(mosquitto.url) as log,
            DisplayClient(CENTRE, "display-1", mosquitto.url, **PATIENT) as display,
        ):
            for window in range(1, WINDOWS + 1):
                on = {"request_id": f"on-{window}"}
                status, body = await post(
                    session, f"{server.base_url}{API}/windows/{window}/sign-on", hall.staff[window], on
                )
                assert status == 200, body
            clients = [rush.kiosk(session) for _ in range(KIOSKS)]
            clients += [rush.window(session, n) for n in range(1, WINDOWS + 1)]
            await asyncio.gather(*clients)
            assert server.process is not None and server.process.returncode == -9

            server.start()
            for asked in rush.under_way:  # each client repeats what it had under way, same id
                status, body = await post(session, asked.url, asked.token, asked.body)
                rush.take(asked, status, body)
            status, body = await post(
                session, f"{server.base_url}{API}/tickets", hall.kiosk, {"matter": "pension", "request_id": "after"}
            )
            rush.take(Asked("ticket", "", "", {}), status, body)

            await until(lambda: is_zero(pending_outbox(database_url)), "the outbox drained after the restart")
            expected = await calls_in_database(database_url)

            async def every_call_delivered() -> bool:
                return all(set(log.first_deliveries(n)) >= set(expected[n]) for n in expected)

            await until(every_call_delivered, "every call delivered to the call log")
            for number, seqs in expected.items():
                assert seqs == list(range(1, len(seqs) + 1)), f"window {number}'s calls were numbered {seqs}"
                assert log.first_deliveries(number) == seqs, f"window {number}'s calls arrived out of order"

            async def display_true() -> bool:
                truth = await windows_truth(session, server.base_url, hall.staff[1])
                return board_windows(display.board.windows) == truth

            await until(display_true, "the display showing the truth after the restart")
    finally:
        server.stop()

    assert len(rush.under_way) >= 1 and rush.answers() >= ANSWERS_BEFORE_KILL
    assert rush.calls and rush.finished and rush.ratings, "the rush had calls, finishes and ratings"
    async with Database(database_url) as db, db.read() as conn:
        t, e = schema.tickets.c, schema.ticket_events.c
        rows = (await conn.execute(select(t.serial, t.number, t.status, t.window, t.rating))).all()
        called = (await conn.execute(select(e.serial, e.data).where(e.kind == "called"))).all()
    stored = {int(r.serial): r for r in rows}
    assert {s: r.number for s, r in stored.items()} == rush.tickets, "the stored tickets are the acknowledged ones"
    assert len({r.number for r in rows}) == len(rows), "a number was given twice"
    times_called = Counter(int(serial) for serial, _ in called)
    assert all(n == 1 for n in times_called.values()), f"tickets called twice: {times_called.most_common(3)}"
    for serial, window in rush.calls.items():
        assert stored[serial].window == window, f"ticket #{serial} was answered called at {window}"
    for serial in rush.finished:
        assert stored[serial].status in ("finished", "rated"), (serial, stored[serial].status)
    for serial, level in rush.ratings.items():
        assert stored[serial].rating == level, f"the rating of ticket #{serial} is lost"
    holding = Counter(r.window for r in rows if r.status in ("called", "serving"))
    assert all(n == 1 for n in holding.values()), f"a window holds two tickets: {holding}"
