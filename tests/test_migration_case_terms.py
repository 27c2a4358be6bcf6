"""Tickets finished before a case's terms and 帮办代办 records existed (0015) read back without
them after the upgrade, and their papers are still made."""

from __future__ import annotations

from alembic import command
from sqlalchemy import insert, inspect

from queue_server.app.service import HallService
from queue_server.app.tickets import finished_ticket
from queue_server.app.views import ticket_view
from queue_server.domain.events import event_from_record, replay
from queue_server.domain.papers import PaperKind, paper
from queue_server.domain.tickets import Outcome
from queue_server.store import schema
from queue_server.store.database import Database, utcnow
from queue_server.store.lookup import ticket_event_records
from queue_server.store.migrate import alembic_config, upgrade
from queue_server.store.repository import ticket_values
from queue_server.store.seed import create_centre
from tests.factories import make_centre, make_hall


async def test_a_joint_case_finished_before_the_upgrade_reads_back_without_terms(database_url: str) -> None:
    centre = make_centre()
    hall, _ = make_hall(centre)
    hall.new_code = str  # made before rating codes: its service has none ("")
    hall.issue("pension")
    hall.call_next(1, actor="staff:s1")
    hall.finish(1, Outcome.JOINT, actor="staff:s1")
    old = hall.ticket(1)
    async with Database(database_url) as db:
        async with db.write() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0014"))
            # The ticket's row as the old schema holds it: the columns added since are left out.
            old_columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("tickets")})
        row = {k: v for k, v in ticket_values(old).items() if k in old_columns}
        async with db.write() as conn:
            await create_centre(conn, centre, utcnow())
            await conn.execute(insert(schema.tickets).values(centre="test", status_token="t" * 24, **row))
            for seq, event in enumerate(hall.ticket_log(1), start=1):
                record = {k: v for k, v in event.to_record().items() if k not in ("terms", "assistance")}
                await conn.execute(
                    insert(schema.ticket_events).values(
                        centre="test", serial=1, seq=seq, kind=event.kind, at=event.at, actor=event.actor, data=record
                    )
                )
        await upgrade(db)
        async with HallService(db) as service:
            stored_hall, stored = await finished_ticket(service, "test", 1)
            assert stored == old
            assert (stored.terms, stored.assistance) == (None, None)
            async with db.read() as conn:
                records = await ticket_event_records(conn, "test", 1)
            replayed = replay(event_from_record({k: v for k, v in r.items() if k != "seq"}) for r in records)
            assert replayed == old, "the old log replays"
            view = ticket_view(stored_hall.centre, stored)
            assert (view["terms"], view["assistance"]) == (None, None)
            notice = paper(stored_hall.centre, stored_hall.calendar, stored, PaperKind.ACCEPTANCE)
            assert (notice.terms, notice.level_name, notice.due) == (None, "", None)
