"""The range told at issue from a phantom newcomer per matter, played last in the queue in the
round's own plays, and the hall's correction of its told ranges rebuilt when it is loaded afresh."""

from __future__ import annotations

import datetime as dt

from queue_server.app.commands import CallNext, Finish, IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.app.wait_ranges import WaitRanges
from queue_server.domain.clock import ManualClock
from queue_server.domain.estimates import WaitRange
from queue_server.domain.hall import Hall
from queue_server.domain.tickets import Category, Outcome, Ticket
from queue_server.domain.told_ranges import CALIBRATION_MIN, PlayedRange, RangeBasis, printed, spread_range
from queue_server.store.database import Database
from queue_server.store.repository import load_hall
from queue_server.store.seed import create_centre
from tests.factories import make_centre, make_hall, shanghai

MINUTE = dt.timedelta(minutes=1)
AT = shanghai(2026, 11, 30, 9, 0)


def busy_hall() -> Hall:
    """Windows 1 (general) and 3 (police) staffed, six pensions waiting, two ID cards."""
    hall, _ = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    hall.sign_on(3, "s3")
    for _ in range(6):
        hall.issue("pension")
    for _ in range(2):
        hall.issue("id_card")
    return hall


def issued(hall: Hall, matter: str, category: Category | None = None) -> Ticket:
    ticket = hall.issue(matter, category=category).ticket
    assert ticket is not None
    return ticket


def test_a_phantom_newcomer_waits_in_the_plays_as_a_real_one_issued_then_would() -> None:
    hall = busy_hall()
    ranges: dict[int, WaitRange] = {}
    played: dict[str, WaitRange] = {}
    for _ in hall.wait_range_plays(ranges, newcomers=played):
        pass
    assert set(played) == {"pension", "medical", "id_card"}
    assert played["pension"].low > 30 * MINUTE, "behind six pensions at one window"
    for matter in ("pension", "id_card"):
        real = issued(hall, matter)  # the same instant: the plays draw the same times
        assert hall.wait_ranges()[real.serial] == played[matter], matter
        hall.cancel(real.serial)


def test_phantoms_change_no_real_ticket_s_range_nor_estimate() -> None:
    hall = busy_hall()
    points = hall.range_points()
    alone: dict[int, WaitRange] = {}
    for _ in hall.wait_range_plays(alone):
        pass
    beside: dict[int, WaitRange] = {}
    for _ in hall.wait_range_plays(beside, newcomers={}):
        pass
    assert beside == alone and len(alone) == 8
    assert hall.range_points() == points
    phantoms = hall.phantom_points()
    assert phantoms["pension"].point == 60 * MINUTE, "six ahead, ten minutes each"
    assert hall.newcomer_points(phantoms) == hall.newcomer_points()
    assert {p.prefix: p.point for p in hall.newcomer_points().values()} == {"A": 60 * MINUTE, "B": 30 * MINUTE}


async def worked_out(hall: Hall) -> RangeBasis:
    """The hall's ranges worked out as the service's round does, and what it left for issues."""
    await WaitRanges().refresh(hall)
    assert hall.range_basis is not None
    return hall.range_basis


async def test_an_issue_is_told_its_matter_s_played_range_moved_to_its_point() -> None:
    hall = busy_hall()
    pension = (await worked_out(hall)).played["pension"]
    assert pension.point == 60 * MINUTE
    first = hall.issue("pension").position
    assert first is not None and first.estimated_wait == 60 * MINUTE
    assert first.wait_range == printed(pension.range), "no change since the round: the phantom's range"
    second = hall.issue("pension").position  # the first is now ahead of it: ten minutes later
    assert second is not None and second.estimated_wait == 70 * MINUTE
    assert second.wait_range == printed(WaitRange(pension.range.low + 10 * MINUTE, pension.range.high + 10 * MINUTE))
    green = hall.issue("pension", category=Category.ELDERLY).position  # goes ahead: not a newcomer last in line
    assert green is not None and green.estimated_wait is not None
    assert green.wait_range != printed(pension.moved(green.estimated_wait))


async def test_a_routing_change_changes_the_played_range_told() -> None:
    hall = busy_hall()
    before = (await worked_out(hall)).played["pension"]
    hall.sign_on(2, "s2")  # a second general window
    now = (await worked_out(hall)).played["pension"]
    assert now.point == 30 * MINUTE, "six pensions at two windows"
    assert now.range.high < before.range.low
    position = hall.issue("pension").position
    assert position is not None and position.wait_range == printed(now.range)


async def test_a_newcomer_the_plays_called_at_once_lends_no_range_of_one_figure() -> None:
    hall, _ = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    basis = await worked_out(hall)  # nobody waits: a newcomer is called at once in every play
    assert basis.played["pension"] == PlayedRange(dt.timedelta(), WaitRange(dt.timedelta(), dt.timedelta()))
    hall.issue("pension")
    hall.call_next(1)  # the window is busy now: the next one waits, without a round since
    position = hall.issue("pension").position
    assert position is not None and position.estimated_wait == 10 * MINUTE
    assert position.wait_range == printed(spread_range(10 * MINUTE, hall.stats.spread("pension")))


def test_a_played_range_moves_with_its_point_and_never_below_nothing() -> None:
    played = PlayedRange(20 * MINUTE, WaitRange(12 * MINUTE, 30 * MINUTE))
    assert played.moved(25 * MINUTE) == WaitRange(17 * MINUTE, 35 * MINUTE)
    assert played.moved(5 * MINUTE) == WaitRange(dt.timedelta(), 15 * MINUTE)


async def test_a_hall_loaded_afresh_tells_the_same_corrected_range_as_the_one_that_ran(db: Database) -> None:
    clock = ManualClock(AT)
    async with db.write() as conn:
        await create_centre(conn, make_centre(), clock.now())
    async with HallService(db, clock) as service:

        async def act(command: IssueTicket | CallNext | Finish | SignOn, request: str) -> None:
            await service.act("test", command, actor="staff:s1", request_id=request)

        await act(SignOn(window=1, staff="s1"), "on")
        await act(IssueTicket(matter="pension"), "i0")
        await act(CallNext(window=1), "c0")
        for n in range(CALIBRATION_MIN + 5):  # each waits behind the one served: told a range
            await act(IssueTicket(matter="pension"), f"i{n + 1}")
            clock.advance(minutes=1 + (n * 7) % 5)  # all before the lunch break: a range each, never one figure
            await act(Finish(window=1, outcome=Outcome.ON_THE_SPOT), f"f{n}")
            await act(CallNext(window=1), f"c{n + 1}")
        for n in range(3):  # waiting at the restart: scored when called after it
            await act(IssueTicket(matter="pension"), f"w{n}")
        ran = await service.hall("test")
        async with db.read() as conn:
            fresh = await load_hall(conn, "test", clock)
    ends = ran.calibration.ends()
    assert ends is not None and ran.calibration.scored == CALIBRATION_MIN + 5
    assert fresh.calibration.scored == ran.calibration.scored
    assert fresh.calibration.ends() == ends
    waiting = ran.waiting()
    assert len(waiting) == 3
    fresh.range_basis = ran.range_basis
    for ticket in waiting:
        assert fresh.calibration.remembered(ticket.serial) == ran.calibration.remembered(ticket.serial) is not None
        position = ran.position(ticket.serial)
        told = ran.told(ticket, position).wait_range
        assert told is not None
        assert fresh.told(fresh.ticket(ticket.serial), fresh.position(ticket.serial)).wait_range == told
