"""The figures of booked arrivals: how soon after its slot began each booked ticket was called, how
often a walk-in was passed over, and the walk-ins' waits beside the same day played without bookings.

The targets a centre is held to (docs/simulator.md): booked tickets called within 15 minutes of
their slot's start at the 90th percentile, for matters served by at least three windows; no walk-in
passed over more than K times; the walk-ins' mean wait at most 10 % longer than without bookings.
"""

from __future__ import annotations

import statistics
from typing import Any

from queue_server.domain.routing import Router
from queue_server.simulate.booked import booked_count
from queue_server.simulate.report import percentile, wait_figures
from queue_server.simulate.runner import SimulationRun, TicketRecord

TARGET_P90_MINUTES = 15.0
TARGET_WALK_IN_RATIO = 1.10
BUSY_MATTER_WINDOWS = 3
"""The call target holds for matters at least this many windows serve."""


def booking_figures(run: SimulationRun, plain: SimulationRun | None) -> dict[str, Any]:
    """The booked arrivals' figures of ``run``; ``plain`` is the same days played without bookings."""
    rules = run.profile.bookings
    router = Router(run.centre)
    counted = [booked_count(plan, rules, run.seed, day, run.centre) for day, plan in enumerate(run.days)]
    booked = [t for t in run.tickets if t.slot is not None]
    busy = {m.code for m in run.centre.matters if len(router.windows_serving(m.code)) >= BUSY_MATTER_WINDOWS}
    after = [_after_slot(t) for t in booked if t.called is not None and t.matter in busy]
    walk_ins = [t for t in run.tickets if t.slot is None]
    walk_in_waits = [t.wait for t in walk_ins if t.wait is not None]
    limit = run.centre.policy.max_passed_over
    passed = max((t.passed_over for t in walk_ins if not t.green), default=0)
    mean = statistics.fmean(walk_in_waits) if walk_in_waits else None
    without = _walk_in_mean_without(walk_ins, plain)
    p90 = percentile(after, 0.9) if after else None
    return {
        "booked": sum(b for b, _ in counted),
        "no_shows": sum(m for _, m in counted),
        "checked_in": len(booked),
        "late": sum(t.late_booking for t in run.tickets),
        "called_after_slot_busy_matters": wait_figures(after),
        "walk_in_waits": wait_figures(walk_in_waits),
        "walk_in_mean_without_bookings": None if without is None else round(without, 2),
        "max_passed_over_walk_in": passed,
        "targets": {
            "booked_p90_within_15": p90 is not None and p90 <= TARGET_P90_MINUTES,
            "walk_ins_within_k": passed <= limit,
            "walk_in_mean_within_10_percent": mean is not None
            and without is not None
            and mean <= without * TARGET_WALK_IN_RATIO,
        },
    }


def _after_slot(ticket: TicketRecord) -> float:
    """Minutes from the slot's start to the call (0 when called before it began)."""
    assert ticket.called is not None and ticket.slot is not None
    return max(0.0, (ticket.called - ticket.slot).total_seconds() / 60)


def _walk_in_mean_without(walk_ins: list[TicketRecord], plain: SimulationRun | None) -> float | None:
    """The mean wait of the same walk-in citizens (by day and citizen) in the run without bookings."""
    if plain is None:
        return None
    mine = {(t.day, t.citizen) for t in walk_ins}
    waits = [t.wait for t in plain.tickets if (t.day, t.citizen) in mine and t.wait is not None]
    return statistics.fmean(waits) if waits else None


def booking_lines(f: dict[str, Any]) -> list[str]:
    """The booking figures as lines of the terminal table."""
    after, walk = f["called_after_slot_busy_matters"], f["walk_in_waits"]
    without = f["walk_in_mean_without_bookings"]
    return [
        "",
        f"Bookings: {f['booked']} booked, {f['no_shows']} never came, {f['checked_in']} checked in on time,"
        f" {f['late']} too late (walk-in tickets)",
        f"  called after the slot began (matters of >= {BUSY_MATTER_WINDOWS} windows): p90 "
        + ("-" if after["p90"] is None else f"{after['p90']:.1f}")
        + " min, max "
        + ("-" if after["max"] is None else f"{after['max']:.1f}")
        + " min",
        "  walk-ins' mean wait "
        + ("-" if walk["mean"] is None else f"{walk['mean']:.1f}")
        + " min, without bookings "
        + ("-" if without is None else f"{without:.1f}")
        + f" min; most passed over {f['max_passed_over_walk_in']}",
    ]
