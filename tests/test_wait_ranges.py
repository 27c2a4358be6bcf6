"""Wait ranges: sampled plays of the hall with the real router and the learned spread of handling times."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest

from queue_server.app.wait_ranges import MAX_SECONDS, WaitRanges, waiting_count
from queue_server.config.centre_file import load_demo_centre
from queue_server.domain.clock import ManualClock
from queue_server.domain.estimates import HandlingStats, WaitRange, narrowest_range, quantile_range
from queue_server.domain.hall import Hall
from queue_server.domain.tickets import Category, Outcome, Ticket
from queue_server.domain.told_ranges import CALIBRATION_MIN
from queue_server.domain.wait_moves import MoveReason
from queue_server.domain.windows import PauseReason
from queue_server.simulate.model import handling_of
from queue_server.simulate.oracle import perturbed
from queue_server.simulate.profiles import load_profile, simulated_centre
from queue_server.simulate.report import figures
from queue_server.simulate.runner import Simulation
from tests.factories import centre_data, make_centre, make_hall

MINUTE = dt.timedelta(minutes=1)


def one_window(hall_centre_policy: dict[str, object] | None = None) -> tuple[Hall, ManualClock]:
    centre = make_centre(policy={**centre_data()["policy"], **(hall_centre_policy or {})})
    hall, clock = make_hall(centre, staffed=False)
    hall.sign_on(1, "s1")
    return hall, clock


def issue(hall: Hall, category: Category | None = None) -> Ticket:
    ticket = hall.issue("pension", category=category).ticket
    assert ticket is not None
    return ticket


def range_of(hall: Hall, ticket: Ticket) -> WaitRange:
    return hall.wait_ranges([ticket.serial])[ticket.serial]


def test_a_range_holds_the_point_estimate_and_is_the_same_for_the_same_hall() -> None:
    hall, _ = one_window()
    tickets = [issue(hall) for _ in range(5)]
    last = tickets[-1]
    told = range_of(hall, last)
    point = hall.position(last.serial).estimated_wait
    assert point is not None
    assert told.low < point < told.high
    assert range_of(hall, last) == told == hall.wait_ranges()[last.serial]
    assert range_of(hall, tickets[0]) == WaitRange(dt.timedelta(), dt.timedelta())  # the window is free now


def test_a_green_channel_ticket_moves_the_range_of_those_it_goes_ahead_of() -> None:
    hall, _ = one_window()
    tickets = [issue(hall) for _ in range(3)]
    before = range_of(hall, tickets[-1])
    issue(hall, Category.DISABLED)
    after = range_of(hall, tickets[-1])
    assert after.low > before.low and after.high > before.high


def test_the_range_follows_the_routing_rule_of_the_centre_s_policy() -> None:
    """With K = 0 no ordinary ticket may be passed over: the green-channel ticket waits its turn."""
    hall, _ = one_window({"max_passed_over": 0})
    tickets = [issue(hall) for _ in range(3)]
    before = range_of(hall, tickets[-1])
    green = issue(hall, Category.DISABLED)
    assert range_of(hall, tickets[-1]) == before
    after_them = range_of(hall, green)  # each play draws the same times for the same tickets
    assert after_them.low > before.low and after_them.high > before.high


def learned(minutes: list[float]) -> Hall:
    """A hall whose window 1 served pension tickets taking these minutes, then three waiting."""
    hall, clock = one_window()
    for taken in minutes:
        issue(hall)
        hall.call_next(1)
        clock.advance(minutes=taken)
        hall.finish(1, Outcome.ON_THE_SPOT)
    return hall


def test_ranges_widen_with_the_spread_of_the_handling_times_learned() -> None:
    steady = learned([10.0] * 30)
    varied = learned([4.0, 16.0] * 15)
    assert steady.stats.spread("pension") < 0.2 < varied.stats.spread("pension")
    for hall in (steady, varied):
        for _ in range(4):
            issue(hall)
    last = max(steady.waiting(), key=lambda t: t.place)
    narrow, wide = range_of(steady, last), range_of(varied, max(varied.waiting(), key=lambda t: t.place))
    assert wide.width > 2 * narrow.width


def test_a_staff_member_s_speed_goes_with_them_to_another_window() -> None:
    stats = HandlingStats(make_centre())
    for _ in range(20):
        stats.record("pension", 1, 5.0, "fast")
    assert stats.expected_minutes("pension", 2, "fast") < 6.0
    assert stats.expected_minutes("pension", 2, "someone else") == stats.expected_minutes("pension", 2)


def test_quantile_and_narrowest_ranges_of_sampled_waits() -> None:
    waits = [MINUTE * m for m in (1, 2, 3, 4, 5, 6, 7, 8, 9, 30)]
    assert quantile_range(waits, (0.0, 1.0)) == WaitRange(MINUTE, 30 * MINUTE)
    assert quantile_range(waits, (0.5, 0.5)).low == 5.5 * MINUTE
    assert narrowest_range(waits, 0.8) == WaitRange(MINUTE, 8 * MINUTE)
    assert WaitRange(MINUTE * 1.5, MINUTE * 7.2).whole_minutes() == (1, 8)


# --- The simulator's honesty figures and its oracle ------------------------------------------------


def test_the_simulator_reports_the_printed_ranges_beside_the_oracle_s() -> None:
    profile = load_profile()  # the whole crowd: a smaller one waits too little for ranges wider than 0
    centre = simulated_centre(load_demo_centre(), profile)
    simulation = Simulation(centre, profile, seed=11, oracle_every=20)
    run = simulation.run(1)
    called = [t for t in run.tickets if t.wait is not None and t.low is not None]
    asked = [t for t in called if t.oracle_low is not None]
    assert called and 0 < len(asked) <= len(run.tickets) // 20 + 1
    assert all(t.low is not None and t.high is not None and t.low <= t.high for t in called)
    r = figures(run)["estimates"]["ranges"]
    inside = sum(t.low <= t.wait <= t.high for t in called)  # type: ignore[operator]
    assert r["count"] == len(called) and r["coverage"] == round(inside / len(called), 4)
    assert r["oracle_count"] == len(asked) and r["oracle_median_width"] is not None
    assert r["width_ratio"] == round(r["median_width_on_oracle_tickets"] / r["oracle_median_width"], 4)
    # the ranges told at issue without a play, scaled from the hall's ranges worked out after the issue before
    told = [t for t in run.tickets if t.wait is not None and t.told_low is not None]
    assert len(told) == len(called) and all(t.told_low <= t.told_high for t in told)  # type: ignore[operator]
    inside_told = sum(t.told_low <= t.wait <= t.told_high for t in told)  # type: ignore[operator]
    assert r["told_count"] == len(told) and r["told_coverage"] == round(inside_told / len(told), 4)
    assert [(t.told_low, t.told_high) for t in told] != [(t.low, t.high) for t in told], "told, not played"
    told_asked = [t for t in told if t.oracle_low is not None]
    widths = sorted(t.told_high - t.told_low for t in told_asked)  # type: ignore[operator]
    assert r["told_median_width_on_oracle_tickets"] == statistics.median(widths)
    assert r["told_width_ratio"] == round(statistics.median(widths) / r["oracle_median_width"], 4)
    # corrected by the day's own record: the hall scored its told ranges as their tickets were called
    assert simulation.hall.calibration.scored >= CALIBRATION_MIN and simulation.hall.calibration.ends() is not None


def test_a_perturbed_spread_multiplies_every_spread_of_the_profile() -> None:
    profile = load_profile()
    wider = perturbed(profile, 1.5)
    centre = load_demo_centre()
    for matter in centre.matters:
        (mean, spread), (mean_after, spread_after) = (
            handling_of(centre, profile, matter.code),
            handling_of(centre, wider, matter.code),
        )
        assert mean_after == mean and spread_after == spread * 1.5
    with pytest.raises(ValueError, match="above 0"):
        perturbed(profile, 0)


# --- The ranges the pages show: computed outside the actions, at a bounded rate ---------------------


async def test_the_pages_ranges_are_computed_at_most_once_in_a_gap_after_a_change() -> None:
    hall, clock = one_window()
    tickets = [issue(hall) for _ in range(3)]
    kept = WaitRanges()
    first = await kept.of(hall)
    assert set(first) == {t.serial for t in tickets} and kept.computations == 1
    assert (await kept.of(hall)) is first and kept.computations == 1, "nothing changed: nothing computed"
    later = issue(hall)
    assert later.serial not in (await kept.of(hall)) and kept.computations == 1, "within the gap the last ones serve"
    clock.advance(seconds=kept.gap(hall.centre.code, waiting_count(hall)))  # the gap for the queue as it is now
    assert later.serial in (await kept.of(hall)) and kept.computations == 2
    clock.advance(seconds=MAX_SECONDS - 1)
    await kept.of(hall)
    assert kept.computations == 2
    clock.advance(seconds=1)
    await kept.of(hall)
    assert kept.computations == 3, "waits shrink as time goes: computed again after MAX_SECONDS"


async def test_the_gap_grows_with_the_queue_since_the_last_computation() -> None:
    """A play's cost follows the queue: in a rush the gap set by the last, shorter queue's cost
    would let the next computation take far more than its share of the process's time."""
    hall, _ = one_window()
    for _ in range(10):
        issue(hall)
    kept = WaitRanges()
    await kept.of(hall)
    code = hall.centre.code
    kept._cost[code] = 1.0  # as if the ten took a second: the gap is then above MIN_SECONDS
    assert kept.gap(code, 10) == kept.gap(code) == 20.0
    assert kept.gap(code, 40) == 80.0, "four times the queue, four times the expected cost"
    assert kept.gap(code, 5) == 20.0, "a shorter queue keeps the last gap"
    assert 19.0 < kept.due_in(hall) <= 20.0, "just computed: a whole gap to go"
    for _ in range(30):
        issue(hall)
    assert 79.0 < kept.due_in(hall) <= 80.0, "the queue grew fourfold since: so did the gap"


def test_no_action_computes_a_range() -> None:
    hall, _ = one_window()
    calls: list[object] = []

    def counted(serials: object = None) -> dict[int, WaitRange]:
        calls.append(serials)
        return {}

    hall.wait_ranges = counted  # type: ignore[method-assign]
    for _ in range(3):
        issue(hall)
    hall.call_next(1)
    hall.finish(1, Outcome.ON_THE_SPOT)
    assert calls == []


# --- Why a told wait moved ---------------------------------------------------------------------------


async def test_the_page_s_ranges_say_when_a_wait_moved_and_why() -> None:
    hall, clock = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    hall.sign_on(2, "s2")
    mine = [issue(hall) for _ in range(6)][-1]
    kept = WaitRanges()
    await kept.of(hall)
    assert kept.moved(hall.centre.code, mine.serial) is None

    hall.pause(2, PauseReason.MEETING, minutes=30)
    clock.advance(seconds=kept.gap(hall.centre.code, waiting_count(hall)))
    await kept.of(hall)
    paused = kept.moved(hall.centre.code, mine.serial)
    assert paused is not None and paused.minutes >= 3 and paused.reasons == (MoveReason.WINDOW_PAUSED,)
    assert paused.at == clock.now()

    issue(hall, Category.DISABLED)
    issue(hall, Category.ELDERLY)
    clock.advance(seconds=kept.gap(hall.centre.code, waiting_count(hall)))
    await kept.of(hall)
    green = kept.moved(hall.centre.code, mine.serial)
    assert green is not None and green.minutes > 0 and green.reasons == (MoveReason.GREEN_AHEAD,)

    hall.resume(2)
    clock.advance(seconds=kept.gap(hall.centre.code, waiting_count(hall)))
    await kept.of(hall)
    opened = kept.moved(hall.centre.code, mine.serial)
    assert opened is not None and opened.minutes < 0 and opened.reasons == (MoveReason.WINDOW_OPENED,)


async def test_a_wait_that_barely_moved_did_not_move() -> None:
    hall, clock = one_window()
    mine = [issue(hall) for _ in range(3)][-1]
    kept = WaitRanges()
    await kept.of(hall)
    clock.advance(seconds=MAX_SECONDS)  # a minute later: the same call, a minute nearer
    await kept.of(hall)
    assert kept.computations == 2 and kept.moved(hall.centre.code, mine.serial) is None
