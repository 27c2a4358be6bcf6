"""Every centre's relayed rows are marked sent together, in one transaction (SQLite).

On SQLite a relay publishes the rows a commit hands it and marks them sent later. Given a shared
``SentMarks``, the relays of a city's centres hand their marks over instead of each writing its
own transaction, and one transaction marks every centre's rows; until then the rows stay unsent
in the table (a crash would publish them again: at least once, as before).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event

from device_client.stopping import stop_tasks
from queue_server.app.commands import IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.bus.relay import OutboxRelay
from queue_server.bus.sent_marks import SentMarks
from queue_server.domain.centre import Centre
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.factories import centre_data, shanghai
from tests.test_relay_lease import pending
from tests.test_relay_poll import Broker

CENTRES = ("test", "station")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_relays_of_several_centres_mark_their_rows_in_one_transaction(seeded_db: Database) -> None:
    db = seeded_db
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    async with db.write() as conn:
        station = centre_data(centre={"code": "station", "name": "村便民服务站", "time_zone": "Asia/Shanghai"})
        await create_centre(conn, Centre.model_validate(station), clock.now())
    service = HallService(db, clock)
    marks = SentMarks(db, clock)
    relays = {code: OutboxRelay(db, code, clock, marks) for code in CENTRES}
    unsubscribe = service.subscribe_outbox(lambda centre, rows: relays[centre].committed(rows))
    broker = Broker()
    tasks = [asyncio.create_task(relay.run(broker)) for relay in relays.values()]
    try:
        async with asyncio.timeout(10):
            while not all(relay.caught_up for relay in relays.values()):
                await asyncio.sleep(0.01)
        for code in CENTRES:
            await service.act(code, SignOn(window=1, staff="s1"), actor="staff:s1", request_id=f"on-{code}")
            await service.act(code, IssueTicket(matter="pension"), actor="kiosk:k", request_id=f"i-{code}")
        async with asyncio.timeout(10):  # published, acknowledged and handed over, none marked by a relay
            while any(relay.fresh or relay.unmarked for relay in relays.values()):
                await asyncio.sleep(0.01)
        unsent = await pending(db)
        assert {subject for subject, _ in unsent} >= {"window/1/state"}, unsent

        seen: list[str] = []

        def note(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            seen.append(statement.split(maxsplit=1)[0] + (" outbox" if " outbox " in statement else ""))

        def began(conn: Any) -> None:  # SQLite's BEGIN goes to the driver's cursor, past the statement events
            seen.append("BEGIN")

        def committed(conn: Any) -> None:
            seen.append("COMMIT")

        engine = db.writer.sync_engine
        event.listen(engine, "begin", began)
        event.listen(engine, "before_cursor_execute", note)
        event.listen(engine, "commit", committed)
        try:
            await marks.flush()
        finally:
            event.remove(engine, "begin", began)
            event.remove(engine, "before_cursor_execute", note)
            event.remove(engine, "commit", committed)
        assert seen == ["BEGIN", "UPDATE outbox", "UPDATE outbox", "COMMIT"], seen
        assert await pending(db) == []
    finally:
        unsubscribe()
        await stop_tasks(tasks)
        await service.aclose()
