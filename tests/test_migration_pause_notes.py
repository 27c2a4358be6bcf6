"""A window paused before public pause notes existed (0013) keeps its note among staff after the upgrade."""

from __future__ import annotations

from alembic import command
from sqlalchemy import update

from queue_server.app.service import HallService
from queue_server.app.views import window_view
from queue_server.store import schema
from queue_server.store.database import Database, utcnow
from queue_server.store.migrate import alembic_config, upgrade
from queue_server.store.seed import create_centre
from tests.factories import make_centre


async def test_a_note_kept_before_the_upgrade_reads_as_internal(database_url: str) -> None:
    async with Database(database_url) as db:
        async with db.write() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0012"))
        async with db.write() as conn:
            await create_centre(conn, make_centre(), utcnow())
            w = schema.windows.c
            paused = {"status": "paused", "staff": "s1", "since": utcnow(), "pause_reason": "other"}
            await conn.execute(
                update(schema.windows).where(w.number == 1).values(**paused, pause_note="去后台取材料", version=2)
            )
        await upgrade(db)
        async with HallService(db) as service:
            hall = await service.hall("test")
            state = hall.window(1)
            assert (state.pause_note, state.pause_note_public) == ("去后台取材料", False)
            public = window_view(hall.centre, state, None, public=True)["pause"]
            staff = window_view(hall.centre, state, None)["pause"]
            assert public is not None and staff is not None
            assert (public["note"], staff["note"], staff["note_public"]) == ("", "去后台取材料", False)
