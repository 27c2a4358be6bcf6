"""The relay's retained snapshot at a hall of 1,000 windows, each with its rating pad.

More than 2,000 retained subjects: the statement that marks the rows the snapshot supersedes once
named them all, which SQLite refuses ("Expression tree is too large (maximum depth 1000)"); the
bus then failed at every connection and answered no device at all.
"""

from __future__ import annotations

from queue_server.app.commands import CallNext, IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.bus.relay import OutboxRelay
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.factories import make_centre, shanghai
from tests.test_relay_lease import Gate, pending

WINDOWS = 1000


async def test_the_snapshot_of_a_hall_of_1000_windows_supersedes_its_pending_rows(db: Database) -> None:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    numbers = range(1, WINDOWS + 1)
    centre = make_centre(
        windows=[{"number": n, "name": f"{n}号窗口", "kinds": ["general", "police"]} for n in numbers],
        devices=[{"id": f"pad-{n}", "kind": "pad", "window": n} for n in numbers],
    )
    async with db.write() as conn:
        await create_centre(conn, centre, clock.now())
    service = HallService(db, clock)
    await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
    await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id="i")
    await service.act("test", CallNext(window=1), actor="staff:s1", request_id="next")
    before = await pending(db)
    relay = OutboxRelay(db, "test", clock)
    gate = Gate()
    published = await relay.republish_retained(gate)
    assert published == len(gate.sent) > 2 * WINDOWS, "every window, every pad and the hall's messages"
    assert await pending(db) == [(subject, seq) for subject, seq in before if subject.endswith("/call")]
