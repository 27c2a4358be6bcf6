"""Two instances on one database: each keeps its hall and catches it up with the other's actions.

After any mix of actions by either instance, the hall each keeps equals the hall the rows give
(tickets, windows, the queue's order, positions, counters), on SQLite and PostgreSQL, and only a
new configuration builds a hall again.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from queue_server.app.commands import (
    CallNext,
    Cancel,
    Command,
    Finish,
    IssueTicket,
    NoShow,
    Pause,
    RateTicket,
    Recall,
    Resume,
    SignOff,
    SignOn,
    StartServing,
    Transfer,
)
from queue_server.app.service import HallService
from queue_server.domain.clock import ManualClock
from queue_server.domain.hall import Hall
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import Category, Outcome
from queue_server.domain.windows import PauseReason
from queue_server.store.database import Database
from queue_server.store.repository import load_hall
from queue_server.store.seed import create_centre
from tests.factories import make_centre, shanghai

STAFF = {1: "s1", 2: "s2", 3: "s3"}


@pytest.fixture
async def two(db: Database) -> AsyncIterator[tuple[HallService, HallService]]:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    async with db.write() as conn:
        await create_centre(conn, make_centre(), clock.now())
    async with HallService(db, clock) as one, HallService(db, clock) as other:
        for window, staff in STAFF.items():
            answer = await one.act(
                "test", SignOn(window=window, staff=staff), actor=f"staff:{staff}", request_id=f"on{window}"
            )
            assert answer.ok, answer.body
        yield one, other


def some_command(rng: random.Random, serials: int) -> tuple[Command, str]:
    window = rng.choice(list(STAFF))
    staff = f"staff:{STAFF[window]}"
    match rng.randrange(14):
        case 0 | 1 | 2:
            category = Category.ELDERLY if rng.random() < 0.2 else None
            return IssueTicket(matter=rng.choice(["pension", "medical", "id_card"]), category=category), "kiosk:k1"
        case 3 | 4:
            return CallNext(window=window), staff
        case 5:
            return StartServing(window=window), staff
        case 6:
            return Finish(window=window, outcome=Outcome.ON_THE_SPOT), staff
        case 7:
            return NoShow(window=window), staff
        case 8:
            return Recall(window=window), staff
        case 9:
            return Transfer(window=window, to_window=rng.choice([w for w in STAFF if w != window])), staff
        case 10:
            return Pause(window=window, reason=PauseReason.BREAK, minutes=5), staff
        case 11:
            return Resume(window=window), staff
        case 12:
            return Cancel(serial=rng.randint(1, max(serials, 1))), staff
        case _:
            return RateTicket(
                serial=rng.randint(1, max(serials, 1)), level=rng.choice(list(RatingLevel)), window=window
            ), "pad:p1"


async def assert_same_as_the_rows(db: Database, service: HallService) -> None:
    kept = await service.hall("test")
    async with db.read() as conn:
        rows = await load_hall(conn, "test", service.clock)
    same(kept, rows)


def same(kept: Hall, rows: Hall) -> None:
    assert {t.serial: t for t in kept.tickets()} == {t.serial: t for t in rows.tickets()}
    assert kept.windows() == rows.windows()
    assert [t.serial for t in kept.waiting()] == [t.serial for t in rows.waiting()]
    assert kept.waiting_by_prefix() == rows.waiting_by_prefix()
    assert {w.number: kept.holding(w.number) for w in kept.windows()} == {
        w.number: rows.holding(w.number) for w in rows.windows()
    }
    assert kept.last_serial == rows.last_serial
    assert kept.positions() == rows.positions()
    assert kept.stats.matter_minutes == rows.stats.matter_minutes


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_kept_halls_caught_up_equal_the_rows_after_any_mix_of_actions(
    two: tuple[HallService, HallService], db: Database, seed: int
) -> None:
    rng = random.Random(seed)
    services = list(two)
    serials = 0
    for step in range(120):
        service = rng.choice(services)
        command, actor = some_command(rng, serials)
        answer = await service.act("test", command, actor=actor, request_id=f"{seed}-{step}")
        if answer.created:
            serials += 1
        service.clock.advance(minutes=rng.choice([0, 1, 2]))  # type: ignore[attr-defined]
        if rng.random() < 0.5:  # a read on either side catches its hall up, as an action does
            await assert_same_as_the_rows(db, rng.choice(services))
    for service in services:
        await assert_same_as_the_rows(db, service)
    for service in services:
        assert service.hall_builds()["test"] == 1, "each instance built its hall once and caught it up since"
        assert service.hall_catch_ups().get("test", 0) > 10


async def test_a_new_configuration_builds_the_hall_again(two: tuple[HallService, HallService], db: Database) -> None:
    one, other = two
    await other.act("test", IssueTicket(matter="pension"), actor="kiosk:k1", request_id="i1")
    await assert_same_as_the_rows(db, one)
    built = one.hall_builds()["test"]
    renamed = make_centre().model_copy(
        update={"windows": tuple(w.model_copy(update={"name": f"{w.name}!"}) for w in make_centre().windows)}
    )
    answer = await other.configure("test", renamed, actor="admin", request_id="rename", dry_run=False)
    assert answer.ok, answer.body
    kept = await one.hall("test")
    assert one.hall_builds()["test"] == built + 1
    assert [w.name for w in kept.centre.windows] == [w.name for w in renamed.windows]
    await assert_same_as_the_rows(db, one)


async def test_a_sign_off_elsewhere_reaches_the_kept_hall_without_a_ticket_event(
    two: tuple[HallService, HallService], db: Database
) -> None:
    one, other = two
    await assert_same_as_the_rows(db, one)
    answer = await other.act("test", SignOff(window=3, staff="s3"), actor="staff:s3", request_id="off3")
    assert answer.ok, answer.body
    kept = await one.hall("test")
    assert kept.window(3).staff is None
    assert one.hall_catch_ups()["test"] >= 1
    await assert_same_as_the_rows(db, one)
