"""The wait range told at issue: its matter's newcomer range from the last ranges worked out, or
scaled from them (or from the matter's spread before any), corrected by how the hall's told ranges
fared, printed on the slip exactly as the ticket keeps it, and shown per group on the board (sent
again when a round moves it)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

from sqlalchemy import select

from queue_server.app.commands import IssueTicket, SignOn
from queue_server.app.projections import hall_summary
from queue_server.app.service import HallService
from queue_server.app.tickets import read_ticket
from queue_server.app.wait_ranges import WaitRanges
from queue_server.bus.relay import OutboxRelay
from queue_server.domain.clock import ManualClock
from queue_server.domain.estimates import PRIOR_SPREAD, RANGE_QUANTILES, WaitRange
from queue_server.domain.tickets import Outcome, TicketStatus
from queue_server.domain.told_ranges import (
    CALIBRATION_MIN,
    CALIBRATION_TARGET,
    CALIBRATION_TICKETS,
    NEARBY,
    Calibration,
    RangeBasis,
    RangeSample,
    printed,
    spread_range,
    told_range,
)
from queue_server.protocol.payloads import HallSummary, PrintJob
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.factories import make_centre, make_hall, shanghai
from tests.test_relay_lease import busy_day
from ticket_printer.client.slips import slip_for
from ticket_printer.escpos_parser import parse, text_lines
from ticket_printer.layout import PAPER_80, Mode, PrinterProfile
from ticket_printer.render import render

MINUTE = dt.timedelta(minutes=1)
AT = shanghai(2026, 11, 30, 9, 0)
DEVICES = [{"id": "k-1", "kind": "kiosk", "printer": "printer-1"}, {"id": "printer-1", "kind": "printer"}]


def sample(matter: str, prefix: str, point: float, low: float, high: float) -> RangeSample:
    return RangeSample(matter, prefix, point * MINUTE, WaitRange(low * MINUTE, high * MINUTE))


BASIS = RangeBasis(
    AT,
    (
        sample("pension", "A", 10, 5, 15),
        sample("pension", "A", 30, 20, 45),
        sample("medical", "A", 19, 10, 30),
        sample("id_card", "B", 0, 0, 3),
    ),
)


def relative(*samples: RangeSample) -> tuple[float, float]:
    """The samples' ranges relative to their points, averaged (low, high)."""
    return (
        sum(s.range.low / s.point for s in samples) / len(samples),
        sum(s.range.high / s.point for s in samples) / len(samples),
    )


def scaled(point: dt.timedelta, low_high: tuple[float, float]) -> WaitRange:
    return WaitRange(point * low_high[0], point * low_high[1])


PENSION_10, PENSION_30, MEDICAL_19, _ = BASIS.samples


def test_the_nearest_tickets_of_the_same_matter_lend_their_relative_range_averaged() -> None:
    both = relative(PENSION_10, PENSION_30)
    assert told_range(24 * MINUTE, "pension", "A", BASIS, PRIOR_SPREAD) == scaled(24 * MINUTE, both)
    assert told_range(5 * MINUTE, "pension", "A", BASIS, PRIOR_SPREAD) == scaled(5 * MINUTE, both)
    assert scaled(24 * MINUTE, both).high == 36 * MINUTE, "both told 1.5 times their point at the high end"


def test_without_the_matter_the_group_then_any_tickets_are_taken() -> None:
    group_a = relative(PENSION_10, PENSION_30, MEDICAL_19)
    in_group = told_range(3 * MINUTE, "residence", "A", BASIS, PRIOR_SPREAD)
    assert in_group == scaled(3 * MINUTE, group_a), "the group's three, not the police one"
    elsewhere = told_range(12 * MINUTE, "tax", "C", BASIS, PRIOR_SPREAD)
    assert elsewhere == scaled(12 * MINUTE, group_a), "any group's, less the one told no wait"


def test_only_the_nearest_few_lend_nearest_first() -> None:
    many = RangeBasis(AT, tuple(sample("pension", "A", p, p / 2, p * 2) for p in (5, 10, 20, 30, 40, 50, 60, 90)))
    nearby = many.nearby(33 * MINUTE, "pension", "A")
    assert [s.point / MINUTE for s in nearby] == [30, 40, 20, 50, 10][:NEARBY]
    assert many.nearest(33 * MINUTE, "pension", "A") == nearby[0]
    assert told_range(33 * MINUTE, "pension", "A", many, PRIOR_SPREAD) == WaitRange(16.5 * MINUTE, 66 * MINUTE)


def test_a_ticket_told_no_wait_has_no_ratio_to_lend_so_the_spread_tells() -> None:
    told = told_range(2 * MINUTE, "id_card", "B", BASIS, 0.4)
    assert told == spread_range(2 * MINUTE, 0.4) and told.low < 2 * MINUTE < told.high


def test_before_any_working_out_the_range_holds_the_matters_spread_of_handling_times() -> None:
    point = 20 * MINUTE
    told = told_range(point, "pension", "A", None, 0.5)
    assert told == told_range(point, "pension", "A", RangeBasis(AT, ()), 0.5) == spread_range(point, 0.5)
    assert told.low < point < told.high
    assert spread_range(point, 1.0).width > told.width > spread_range(point, 0.2).width
    # log-normal waits with that mean and spread fall below and above it as the plays' quantiles say
    rng = random.Random(7)
    sigma2 = __import__("math").log1p(0.25)
    mu = __import__("math").log(20) - sigma2 / 2
    draws = [rng.lognormvariate(mu, sigma2**0.5) for _ in range(40_000)]
    below = sum(d < told.low / MINUTE for d in draws) / len(draws)
    above = sum(d > told.high / MINUTE for d in draws) / len(draws)
    assert abs(below - RANGE_QUANTILES[0]) < 0.01 and abs(above - (1 - RANGE_QUANTILES[1])) < 0.01
    assert abs(sum(draws) / len(draws) - 20) < 0.3, "the point estimate stays the mean"


async def test_an_issue_after_a_working_out_is_told_from_it_and_the_board_has_each_groups_range() -> None:
    hall, _ = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    hall.sign_on(3, "s3")
    for _ in range(5):
        hall.issue("pension")
    cold = hall.issue("pension").position
    assert cold is not None and cold.estimated_wait is not None
    assert cold.wait_range == printed(spread_range(cold.estimated_wait, hall.stats.spread("pension")))
    assert "wait_range_minutes" not in hall_summary(hall)["waiting"][0], "no range worked out yet"

    ranges = await WaitRanges().refresh(hall)
    basis = hall.range_basis
    assert basis is not None and len(basis.samples) == 6 == len(ranges)
    change = hall.issue("pension")
    position = change.position
    assert change.ticket is not None and position is not None
    assert position.estimated_wait == 60 * MINUTE  # six ahead, ten minutes each
    assert position.wait_range == printed(basis.played["pension"].range), "the newcomer's, in whole minutes"
    nearest = sorted(basis.samples, key=lambda s: s.point)[-NEARBY:]
    assert nearest[-1].point == 50 * MINUTE
    unplayed = hall.raw_told(change.ticket, position, played=False)  # as told to a ticket that does not go last
    assert unplayed == scaled(60 * MINUTE, relative(*nearest))

    summary = HallSummary.model_validate({**hall_summary(hall), "seq": 1})
    told = {group.prefix: group.wait_range_minutes for group in summary.waiting}
    assert told["A"] == list(basis.newcomers["A"].whole_minutes())
    low, high = told["A"] or [0, 0]
    assert low <= 60 <= high, "a newcomer then waited behind the six"
    assert told["B"] == [0, 0], "the police window was free"


async def test_the_slip_prints_the_range_the_ticket_keeps_as_told(db: Database) -> None:
    clock = ManualClock(AT)
    async with db.write() as conn:
        await create_centre(conn, make_centre(devices=DEVICES), clock.now())
    async with HallService(db, clock, public_base_url="http://hall.example") as service:
        for window, staff in ((1, "s1"), (2, "s2")):
            await service.act("test", SignOn(window=window, staff=staff), actor=f"staff:{staff}", request_id=staff)
        answers = []
        basis = None
        for n in range(8):
            if n == 5:
                await service.ranges_kept("test")  # the round after the first five: the last three scale its ranges
                basis = (await service.hall("test")).range_basis
            answer = await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k-1", request_id=f"t{n}")
            answers.append(answer.body["ticket"])
        _, page = await read_ticket(service, "test", answers[-1]["serial"])  # before the next working-out
        assert page["position"] is not None
        assert page["position"]["wait_range_minutes"] == answers[-1]["position"]["wait_range_minutes"]
        await service.ranges_kept("test")
        assert service.wait_ranges.computations == 2
    t, o = schema.tickets.c, schema.outbox.c
    async with db.read() as conn:
        rows = {r.serial: r for r in (await conn.execute(select(schema.tickets).order_by(t.serial))).all()}
        sent = select(o.seq, o.payload).where(o.subject == "printer/printer-1/job").order_by(o.id)
        jobs = (await conn.execute(sent)).all()
    assert len(jobs) == len(answers) == len(rows) == 8
    profile = PrinterProfile(paper=PAPER_80, mode=Mode.TEXT)
    for ticket, job in zip(answers, jobs, strict=True):
        row = rows[ticket["serial"]]
        told = [row.estimate_low, row.estimate_high]
        assert ticket["position"]["wait_range_minutes"] == told == job.payload["ticket"]["wait_range_minutes"]
        slip = slip_for(PrintJob.model_validate({**job.payload, "seq": job.seq}))
        on_paper = "".join("".join(text_lines(parse(render(slip, profile)))).split())
        wait = f"{told[0]}-{told[1]}" if told[0] != told[1] else str(told[0])  # ends that meet: one figure
        assert f"预计等候约{wait}分钟" in on_paper, on_paper
    # cold start: two windows of ten-minute pensions, the fifth ticket told the spread about 20 minutes
    fifth = rows[answers[4]["serial"]]
    assert (fifth.estimate_low, fifth.estimate_high) == printed(spread_range(20 * MINUTE, PRIOR_SPREAD)).whole_minutes()
    assert fifth.estimate_low < fifth.estimate_high, "printed as a range"
    assert fifth.estimate_minutes == 20
    # after the round: the eighth (30 minutes) told the newcomer's range of the round, moved to its point
    assert basis is not None
    eighth = rows[answers[7]["serial"]]
    expected = basis.played["pension"].moved(30 * MINUTE)
    assert (eighth.estimate_low, eighth.estimate_high) == printed(expected).whole_minutes()
    half = (expected.high - expected.low).total_seconds() / 2
    assert eighth.told_middle == expected.low.total_seconds() + half and eighth.told_half == half


class SummaryRecorder:
    """A publisher that keeps the hall summaries it is given (what a broker would retain)."""

    def __init__(self) -> None:
        self.summaries: list[HallSummary] = []

    async def publish(self, topic: str, payload: str, qos: int = 1, retain: bool = False) -> None:
        if topic == "onewindow/test/hall/summary":
            self.summaries.append(HallSummary.model_validate_json(payload))


async def test_the_relays_snapshot_after_a_reconnection_keeps_the_newcomer_ranges(seeded_db: Database) -> None:
    service = await busy_day(seeded_db)
    await service.ranges_kept("test")
    basis = (await service.hall("test")).range_basis
    assert basis is not None and "A" in basis.newcomers
    recorder = SummaryRecorder()
    await OutboxRelay(seeded_db, "test", service.clock, read_hall=service.hall).republish_retained(recorder)
    (summary,) = recorder.summaries
    told = {group.prefix: group.wait_range_minutes for group in summary.waiting}
    assert told["A"] == list(basis.newcomers["A"].whole_minutes())


def minutes(low: float, high: float) -> WaitRange:
    return WaitRange(low * MINUTE, high * MINUTE)


def scored(waits: list[float], raw: WaitRange) -> Calibration:
    """A calibration that told ``raw`` to one ticket per wait and saw each called after it."""
    calibration = Calibration()
    for serial, wait in enumerate(waits):
        calibration.told(raw, serial)
        calibration.called(serial, wait * MINUTE)
    return calibration


def test_the_told_range_is_printed_to_the_nearest_minute_and_a_wait_is_never_told_as_nothing() -> None:
    assert printed(minutes(10.4, 19.6)) == minutes(10, 20), "not rounded outwards: that added a minute"
    assert printed(minutes(10.6, 19.4)) == minutes(11, 19)
    assert printed(minutes(0.2, 0.4)) == minutes(0, 1)
    assert printed(minutes(0, 0)) == minutes(0, 0)


def test_before_enough_called_tickets_the_range_is_not_corrected() -> None:
    calibration = scored([40.0] * (CALIBRATION_MIN - 1), minutes(10, 20))
    assert calibration.ends() is None
    assert calibration.told(minutes(10.2, 19.8)) == minutes(10, 20)


def test_waits_that_ran_long_move_the_range_up_and_widen_it() -> None:
    rng = random.Random(3)
    waits = [rng.uniform(18, 30) for _ in range(CALIBRATION_TICKETS)]
    calibration = scored(waits, minutes(10, 20))
    told = calibration.told(minutes(10, 20))
    assert 18 * MINUTE <= told.low <= 21 * MINUTE and 27 * MINUTE <= told.high <= 30 * MINUTE, told
    inside = sum(told.low <= w * MINUTE <= told.high for w in waits) / len(waits)
    assert abs(inside - CALIBRATION_TARGET) <= 0.05, "give or take the rounding to whole minutes"


def test_a_range_wider_than_the_waits_needed_is_narrowed_and_scales_with_the_point() -> None:
    rng = random.Random(4)
    calibration = scored([rng.uniform(14, 16) for _ in range(CALIBRATION_TICKETS)], minutes(5, 25))
    assert calibration.told(minutes(5, 25)) == minutes(14, 16)
    longer = calibration.told(minutes(10, 50))  # twice the half-width: twice the spread
    assert 28 * MINUTE <= longer.low <= 29 * MINUTE and 31 * MINUTE <= longer.high <= 32 * MINUTE, longer


def test_the_corrected_range_holds_the_target_share_of_the_next_waits_like_the_last() -> None:
    rng = random.Random(5)
    calibration = scored([rng.lognormvariate(3, 0.5) for _ in range(CALIBRATION_TICKETS)], minutes(15, 25))
    told = calibration.told(minutes(15, 25))
    after = [rng.lognormvariate(3, 0.5) for _ in range(20_000)]
    inside = sum(told.low <= w * MINUTE <= told.high for w in after) / len(after)
    assert abs(inside - CALIBRATION_TARGET) < 0.05, (told, inside)
    equal_tails = sorted(after)[len(after) // 10], sorted(after)[len(after) * 9 // 10]
    assert told.width < (equal_tails[1] - equal_tails[0]) * MINUTE, "the narrowest interval, not equal tails"


def test_only_ranges_told_at_issue_are_scored_once_each_from_the_latest_tickets() -> None:
    calibration = Calibration()
    calibration.told(minutes(10, 20))  # a page read: not a promise to score
    calibration.called(0, 15 * MINUTE)
    assert calibration.scored == 0
    calibration.told(minutes(10, 20), 1)
    calibration.called(1, 15 * MINUTE)
    calibration.called(1, 40 * MINUTE)  # a recall of the same ticket
    assert calibration.scored == 1
    calibration.told(minutes(10, 20), 2)
    calibration.forget(2)
    calibration.called(2, 15 * MINUTE)
    calibration.told(minutes(0, 0), 3)  # told no wait: no range to score
    calibration.called(3, 5 * MINUTE)
    assert calibration.scored == 1
    many = scored([15.0] * (CALIBRATION_TICKETS + 50), minutes(10, 20))
    assert many.scored == CALIBRATION_TICKETS


def test_a_hall_scores_what_it_told_at_issue_when_the_ticket_is_called() -> None:
    hall, clock = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    first = hall.issue("pension")
    waiting = hall.issue("pension")
    assert first.ticket is not None and waiting.ticket is not None
    assert waiting.position is not None and waiting.position.wait_range is not None
    hall.call_next(1)
    assert hall.calibration.scored == 0, "the first ticket was told 0 minutes: nothing to score"
    clock.advance(minutes=12)
    hall.finish(1, Outcome.ON_THE_SPOT)
    hall.call_next(1)
    assert hall.calibration.scored == 1, "the second, told a range, waited 12 minutes"
    assert hall.calibration.told(minutes(10, 20)) == minutes(10, 20), "one ticket does not correct"


async def test_a_round_that_moves_a_newcomer_range_sends_the_board_its_summary_again(db: Database) -> None:
    clock = ManualClock(AT)
    async with db.write() as conn:
        await create_centre(conn, make_centre(devices=DEVICES), clock.now())
    o = schema.outbox.c
    summaries = select(o.seq, o.payload).where(o.subject == "hall/summary").order_by(o.id)
    async with HallService(db, clock, public_base_url="http://hall.example") as service:
        await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="s1")
        for n in range(4):
            await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k-1", request_id=f"t{n}")
        async with db.read() as conn:
            before = (await conn.execute(summaries)).all()
        assert all("wait_range_minutes" not in g for g in before[-1].payload["waiting"]), "no round yet"
        await service.ranges_kept("test")
        basis = (await service.hall("test")).range_basis
        assert basis is not None and "A" in basis.newcomers
        async with db.read() as conn:
            after = (await conn.execute(summaries)).all()
    assert len(after) == len(before) + 1, "one summary more, from the round, without an action"
    last = after[-1]
    assert last.seq == before[-1].seq + 1
    told = {g["prefix"]: g.get("wait_range_minutes") for g in last.payload["waiting"]}
    assert told["A"] == list(basis.newcomers["A"].whole_minutes())


def test_a_ticket_another_instance_called_or_cancelled_is_scored_or_forgotten_when_taken_in() -> None:
    hall, clock = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    hall.issue("pension")
    hall.call_next(1)  # the window is busy: the next ones wait and are told a range
    second, third = hall.issue("pension").ticket, hall.issue("pension").ticket
    assert second is not None and third is not None
    clock.advance(minutes=9)
    hall.adopt(replace(second, status=TicketStatus.CALLED, called_at=clock.now(), window=2))
    assert hall.calibration.scored == 1, "scored from the stored row, as another instance called it"
    hall.adopt(replace(third, status=TicketStatus.CANCELLED))
    hall.calibration.called(third.serial, 20 * MINUTE)
    assert hall.calibration.scored == 1, "a cancelled ticket has no real wait to score"
