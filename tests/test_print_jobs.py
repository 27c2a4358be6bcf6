"""Print jobs the server keeps: written with the action, sent again until a printer answers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from queue_server.app.commands import IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.domain.clock import ManualClock
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.printing import MAX_SENDS, record_result
from queue_server.store.seed import create_centre
from tests.factories import make_centre, shanghai

DEVICES = [{"id": "k-1", "kind": "kiosk", "printer": "printer-1"}, {"id": "printer-1", "kind": "printer"}]


async def test_a_job_nobody_answered_is_sent_again_and_an_answered_one_never(db: Database) -> None:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    async with db.write() as conn:
        await create_centre(conn, make_centre(devices=DEVICES), clock.now())
    service = HallService(db, clock, public_base_url="http://hall.example")
    await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
    for n in (1, 2):
        await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k-1", request_id=f"t{n}")
    assert await service.resend_print_jobs("test") == 0, "not before a minute has passed"
    async with db.write() as conn:
        assert await record_result(conn, "test", "printer-1", "1-ticket-1", "done", "", clock.now())
    clock.advance(minutes=2)
    assert await service.resend_print_jobs("test") == 1, "only the unanswered job"
    assert await service.resend_print_jobs("test") == 0, "and not again at once"
    o = schema.outbox.c
    async with db.read() as conn:
        rows = (
            await conn.execute(select(o.seq, o.payload).where(o.subject == "printer/printer-1/job").order_by(o.id))
        ).all()
    assert [(r.seq, r.payload["job_id"]) for r in rows] == [(1, "1-ticket-1"), (2, "2-ticket-1"), (3, "2-ticket-1")]
    for _ in range(MAX_SENDS):
        clock.advance(dt.timedelta(minutes=2))
        await service.resend_print_jobs("test")
    p = schema.print_jobs.c
    async with db.read() as conn:
        sends = (await conn.execute(select(p.sends).where(p.job_id == "2-ticket-1"))).scalar_one()
    assert sends == MAX_SENDS, "a printer that never answers is not sent the job forever"
