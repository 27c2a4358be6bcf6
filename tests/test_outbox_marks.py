"""Marking a centre's rows sent up to a sequence per subject (``outbox.mark_superseded``), on both databases.

The relay marks what the broker acknowledged, and what a retained snapshot made obsolete, this way:
every unsent row of each subject up to its sequence, of that centre only; rows after it, of other
subjects and of other centres stay unsent. A hall of 1,000 windows marks more than 2,000 subjects
at once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from queue_server.domain.centre import Centre
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.outbox import Message, mark_superseded, write_outbox
from queue_server.store.seed import create_centre
from tests.factories import centre_data, shanghai

NOW = shanghai(2026, 11, 30, 9, 0)


async def unsent(db: Database) -> list[tuple[str, str, int]]:
    o = schema.outbox.c
    async with db.read() as conn:
        rows = await conn.execute(select(o.centre, o.subject, o.seq).where(o.sent_at.is_(None)).order_by(o.id))
        return [(centre, subject, int(seq)) for centre, subject, seq in rows]


def states(*subjects: str) -> list[Message]:
    return [Message(subject, "state", {"n": n}) for n, subject in enumerate(subjects)]


async def test_rows_up_to_each_subjects_sequence_are_marked_at_that_centre_only(seeded_db: Database) -> None:
    db = seeded_db
    async with db.write() as conn:
        station = centre_data(centre={"code": "station", "name": "村便民服务站", "time_zone": "Asia/Shanghai"})
        await create_centre(conn, Centre.model_validate(station), NOW)
        for code in ("test", "station"):
            messages = states("window/1/state", "window/1/state", "window/1/state", "window/2/state", "hall/summary")
            await write_outbox(conn, code, messages, NOW)
    async with db.write() as conn:
        await mark_superseded(conn, "test", [("window/1/state", 2), ("window/2/state", 5)], NOW + dt.timedelta(1))
    assert await unsent(db) == [
        ("test", "window/1/state", 3),
        ("test", "hall/summary", 1),
        *[("station", s, q) for s, q in [("window/1/state", 1), ("window/1/state", 2), ("window/1/state", 3)]],
        ("station", "window/2/state", 1),
        ("station", "hall/summary", 1),
    ]


async def test_a_mark_of_thousands_of_subjects_is_one_call(seeded_db: Database) -> None:
    db = seeded_db
    subjects = [f"window/{n}/state" for n in range(1, 2501)]
    async with db.write() as conn:
        await write_outbox(conn, "test", states(*subjects, "hall/summary"), NOW)
    async with db.write() as conn:
        await mark_superseded(conn, "test", [(subject, 1) for subject in subjects], NOW)
    assert await unsent(db) == [("test", "hall/summary", 1)]
