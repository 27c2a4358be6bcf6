"""What the server publishes for a hall board per call does not grow with the hall.

The same morning in a hall of 10 windows and in one of 1,000: two windows call, start and finish
tickets while a kiosk issues. Every outbox row a protocol 2 board receives (window states and
calls, ``hall/summary``, ``hall/calls``) is encoded as the relay publishes it, and the bytes per
call compared: at most twice as many with 1,000 windows as with 10 (here they are about equal).
The benchmark measures the same at the board over a real broker (``--scenario scale``).
"""

from __future__ import annotations

from sqlalchemy import select

from queue_server.app.commands import CallNext, Finish, IssueTicket, SignOn, StartServing
from queue_server.app.service import HallService
from queue_server.bus.relay import encode
from queue_server.domain.clock import ManualClock
from queue_server.domain.tickets import Outcome
from queue_server.protocol.topics import HALL_CALLS, HALL_SUMMARY, ROOT, WINDOW_CALL, WINDOW_STATE, match_topic
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.factories import make_centre, shanghai

BOARD = (WINDOW_STATE, WINDOW_CALL, HALL_SUMMARY, HALL_CALLS)
"""What a protocol 2 hall board subscribes to (server availability aside)."""
CALLS = 20


async def bytes_per_call(db: Database, code: str, windows: int) -> float:
    """The bytes a board receives per call in a short busy spell at a hall of ``windows`` windows."""
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    numbers = range(1, windows + 1)
    centre = make_centre(
        centre={"code": code},
        windows=[{"number": n, "name": f"{n}号窗口", "kinds": ["general", "police"]} for n in numbers],
    )
    async with db.write() as conn:
        await create_centre(conn, centre, clock.now())
    service = HallService(db, clock)
    for window, staff in ((1, "s1"), (2, "s2")):
        await service.act(code, SignOn(window=window, staff=staff), actor=f"staff:{staff}", request_id=f"on{window}")
    for n in range(4):
        await service.act(code, IssueTicket(matter="pension"), actor="kiosk:k", request_id=f"first-{n}")
    async with db.read() as conn:
        start = (await conn.execute(select(schema.outbox.c.id).order_by(schema.outbox.c.id.desc()).limit(1))).scalar()
    for n in range(CALLS):
        window, staff = (1, "staff:s1") if n % 2 == 0 else (2, "staff:s2")
        await service.act(code, IssueTicket(matter="pension"), actor="kiosk:k", request_id=f"issue-{n}")
        assert (await service.act(code, CallNext(window=window), actor=staff, request_id=f"next-{n}")).ok
        await service.act(code, StartServing(window=window), actor=staff, request_id=f"start-{n}")
        finished = Finish(window=window, outcome=Outcome.ON_THE_SPOT)
        assert (await service.act(code, finished, actor=staff, request_id=f"finish-{n}")).ok
    o = schema.outbox.c
    async with db.read() as conn:
        query = select(o.subject, o.seq, o.payload).where(o.centre == code, o.id > (start or 0)).order_by(o.id)
        rows = (await conn.execute(query)).all()
    total, calls = 0, 0
    for row in rows:
        found = match_topic(f"{ROOT}/{code}/{row.subject}")
        assert found is not None, row.subject
        if found[0] in BOARD:
            total += len(encode(row.payload, row.seq).encode())
            calls += found[0] is WINDOW_CALL
    assert calls == CALLS
    return total / calls


async def test_a_call_costs_the_board_no_more_at_1000_windows_than_twice_at_10(db: Database) -> None:
    small = await bytes_per_call(db, "small", 10)
    large = await bytes_per_call(db, "large", 1000)
    assert large <= 2 * small, f"{small:,.0f} B a call at 10 windows, {large:,.0f} B at 1,000"
    assert large < 20_000, "a call costs a board a few kilobytes, whatever the hall"
