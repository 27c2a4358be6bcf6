"""Seeding the database from a centre file, showing the difference, applying it; the daily closing."""

from __future__ import annotations

import pytest

from queue_server.app.commands import IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.cli.initialise import load_centre_into, migrate
from queue_server.cli.server import close_due_days
from queue_server.domain.centre import Centre
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from queue_server.store.migrate import SchemaOutdated, require_current
from queue_server.store.repository import load_hall
from queue_server.store.seed import CentreChangeRefused, stored_centre
from tests.factories import centre_data, make_centre, shanghai


async def test_migrate_then_load_then_match(db: Database) -> None:
    said: list[str] = []
    await migrate(db, said.append)
    assert "is at schema" in said[-1]
    result = await load_centre_into(db, make_centre(), apply=False, say=said.append)
    assert result.created
    again = await load_centre_into(db, make_centre(), apply=False, say=said.append)
    assert not again.created and not again.differences
    assert said[-1] == "Centre test in the database matches the file."


async def test_difference_is_shown_and_applied_only_when_asked(db: Database) -> None:
    await load_centre_into(db, make_centre(), apply=False, say=lambda _: None)
    data = centre_data()
    data["matters"][0]["expected_minutes"] = 12
    data["windows"].append({"number": 10, "name": "出件", "kinds": ["general"]})
    data["policy"]["max_passed_over"] = 5
    changed = Centre.model_validate(data)
    said: list[str] = []
    shown = await load_centre_into(db, changed, apply=False, say=said.append)
    assert "~ matters pension: expected_minutes: 10.0 -> 12.0" in shown.differences
    assert "+ windows 10: added" in shown.differences
    assert "~ policy.max_passed_over: 2 -> 5" in shown.differences
    assert said[-1].startswith("Nothing was changed")
    async with db.read() as conn:
        assert await stored_centre(conn, "test") == make_centre()
    applied = await load_centre_into(db, changed, apply=True, say=said.append)
    assert applied.applied
    async with db.read() as conn:
        assert await stored_centre(conn, "test") == changed
        hall = await load_hall(conn, "test", ManualClock(shanghai(2026, 11, 30)))
    assert 10 in {w.number for w in hall.windows()}


async def test_an_open_window_cannot_be_removed(db: Database) -> None:
    clock = ManualClock(shanghai(2026, 11, 30))
    await load_centre_into(db, make_centre(), apply=False, say=lambda _: None)
    await HallService(db, clock).act("test", SignOn(window=9, staff="s9"), actor="staff:s9", request_id="x")
    data = centre_data()
    data["windows"] = [w for w in data["windows"] if w["number"] != 9]
    with pytest.raises(CentreChangeRefused, match="Cannot remove window 9 from test: it is open"):
        await load_centre_into(db, Centre.model_validate(data), apply=True, say=lambda _: None)


async def test_serving_an_uninitialised_database_is_refused(database_url: str) -> None:
    async with Database(database_url) as db:
        with pytest.raises(SchemaOutdated, match="has no OneWindow tables: run `onewindow init` first"):
            await require_current(db)


async def test_the_day_closes_once_after_closing_time(db: Database) -> None:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    await load_centre_into(db, make_centre(), apply=False, say=lambda _: None)
    service = HallService(db, clock)
    await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="a")
    await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k1", request_id="b")
    assert await close_due_days(service) == [], "not before closing"
    clock.set(shanghai(2026, 11, 30, 17, 31))
    assert await close_due_days(service) == ["test"]
    assert await close_due_days(service) == [], "a second run (or another instance) changes nothing"
    hall = await service.hall("test")
    assert hall.waiting() == []
