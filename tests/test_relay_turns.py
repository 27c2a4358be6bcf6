"""On PostgreSQL a process's relays take turns to hold a database connection.

A relay holds the lease's transaction, and so a pooled connection, while it publishes and waits for
the broker. The relays of a city's 80 busy centres took the whole pool and the actions waited for
a connection until the pool gave up (503). Sharing ``RelayTurns`` bounds how many hold one at once.
"""

from __future__ import annotations

import asyncio

from device_client.stopping import stop_tasks
from queue_server.app.commands import IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.bus.relay import OutboxRelay, RelayTurns
from queue_server.domain.centre import Centre
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.factories import centre_data, shanghai
from tests.test_relay_lease import POSTGRES_ONLY, Gate

CENTRES = ("test", "station")


@POSTGRES_ONLY
async def test_relays_sharing_one_turn_hold_one_connection_and_all_publish(seeded_db: Database) -> None:
    db = seeded_db
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    async with db.write() as conn:
        station = centre_data(centre={"code": "station", "name": "村便民服务站", "time_zone": "Asia/Shanghai"})
        await create_centre(conn, Centre.model_validate(station), clock.now())
    service = HallService(db, clock)
    for code in CENTRES:  # rows to publish at both centres
        await service.act(code, SignOn(window=1, staff="s1"), actor="staff:s1", request_id=f"on-{code}")
        await service.act(code, IssueTicket(matter="pension"), actor="kiosk:k", request_id=f"i-{code}")
    await service.aclose()
    turns = RelayTurns(1)
    gate = Gate()
    gate.open.clear()  # the broker holds the first publish: its relay keeps its connection
    tasks = [asyncio.create_task(OutboxRelay(db, code, clock, turns=turns).run(gate)) for code in CENTRES]
    try:
        async with asyncio.timeout(10):
            await gate.entered.wait()
        await asyncio.sleep(0.5)  # time for the other relay to take a connection, were it allowed to
        assert db.writer.pool.checkedout() == 1  # type: ignore[attr-defined]
        gate.open.set()
        async with asyncio.timeout(10):
            while {topic.split("/")[1] for topic, _, _ in gate.sent} != set(CENTRES):
                await asyncio.sleep(0.02)
    finally:
        await stop_tasks(tasks)
