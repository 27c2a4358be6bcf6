"""Booked arrivals in the simulator: the same citizens as without bookings, some booked (coming
around their slot, late, or never), checked in through the hall's own command, and the targets."""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from pathlib import Path

import pytest

from queue_server.config.centre_file import load_demo_centre
from queue_server.simulate.booked import slot_of
from queue_server.simulate.booking_figures import booking_figures
from queue_server.simulate.command import Request, run_one, simulate
from queue_server.simulate.profiles import Profile, load_profile, simulated_centre
from queue_server.simulate.runner import Simulation, SimulationRun
from tests.simulate_support import scaled, scaled_town_file

PLAN = """
[profile]
name = "bookings"
[bookings]
share = 0.3
no_show = 0.1
lateness = 0
spread = 12
"""


def booked_profile(tmp_path: Path, text: str = PLAN) -> Profile:
    path = tmp_path / "plan.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_profile(path, base="town-centre")


def run(profile: Profile, seed: int) -> SimulationRun:
    """A day without the wait ranges: bookings change who comes when, not how a range is told."""
    return Simulation(simulated_centre(load_demo_centre(), profile), profile, seed=seed, ranges=False).run(1)


def test_booked_citizens_are_the_same_citizens_checked_in_around_their_slot(tmp_path: Path) -> None:
    profile = booked_profile(tmp_path)
    plain_profile = profile.model_copy(update={"bookings": profile.bookings.model_copy(update={"share": 0.0})})
    booked, plain = run(profile, seed=5), run(plain_profile, seed=5)
    assert booked.days[0].arrivals == plain.days[0].arrivals, "the same citizens were drawn"
    by_citizen = {t.citizen: t for t in plain.tickets}
    on_time = [t for t in booked.tickets if t.slot is not None]
    late = [t for t in booked.tickets if t.late_booking]
    assert on_time and late, "some booked citizens come on time, some too late"
    hall_figures = booking_figures(booked, plain)
    assert hall_figures["checked_in"] == len(on_time) and hall_figures["late"] == len(late)
    assert hall_figures["no_shows"] > 0
    came = len(on_time) + len(late) + hall_figures["no_shows"]
    assert came <= hall_figures["booked"] <= came + len(booked.refusals), "each booked citizen is counted once"
    walk_ins = [t for t in booked.tickets if t.slot is None and not t.late_booking]
    assert all(t.citizen in by_citizen and t.matter == by_citizen[t.citizen].matter for t in walk_ins)
    k = booked.centre.policy.max_passed_over
    assert hall_figures["max_passed_over_walk_in"] <= k, "no walk-in passed over more than K times"
    for ticket in on_time:
        assert ticket.slot is not None and ticket.called is not None
        assert ticket.called >= ticket.issued


def test_a_booked_citizen_books_the_slot_nearest_their_visit() -> None:
    profile = load_profile()
    run_ = run(profile, seed=1)
    plan = run_.days[0]
    opens = plan.opens
    assert slot_of(plan, opens + dt.timedelta(minutes=14), 30) == opens
    assert slot_of(plan, opens + dt.timedelta(minutes=16), 30) == opens + dt.timedelta(minutes=30)
    assert slot_of(plan, opens - dt.timedelta(hours=1), 30) == opens
    morning_end = plan.periods[0][1]
    last = slot_of(plan, morning_end - dt.timedelta(minutes=1), 30)
    assert last + dt.timedelta(minutes=30) <= morning_end, "a slot ends within its period"


def test_the_command_prints_the_booking_figures_and_runs_the_day_without_bookings(tmp_path: Path) -> None:
    profile = scaled(booked_profile(tmp_path), 0.4)
    result = run_one(load_demo_centre(), profile, seed=9, days=1, progress=None)
    figures = result["bookings"]
    assert figures["walk_in_mean_without_bookings"] is not None
    assert set(figures["targets"]) == {"booked_p90_within_15", "walk_ins_within_k", "walk_in_mean_within_10_percent"}
    whole = scaled_town_file(tmp_path, 0.4, "\n[bookings]\nshare = 0.3\n")
    out, err = io.StringIO(), io.StringIO()
    request = Request(centre=load_demo_centre(), profile=str(whole), seed=9, days=1)
    assert simulate(request, out, err) == 0
    assert "Bookings: " in out.getvalue() and "without bookings" in out.getvalue()


PLACES = PLAN + "places = 1\nplaces_by_hour = { 14 = 2 }\n"


def test_a_full_slot_sends_the_citizen_to_the_nearest_slot_with_a_place_or_to_walk_in(tmp_path: Path) -> None:
    from collections import Counter

    from queue_server.simulate.booked import bookings_of, slot_of, slot_starts

    limited, unlimited = booked_profile(tmp_path, PLACES), booked_profile(tmp_path)
    run_ = run(limited, seed=5)
    plan, centre = run_.days[0], run_.centre
    got = bookings_of(plan, limited.bookings, 5, 0, centre)
    wanted = bookings_of(plan, unlimited.bookings, 5, 0, centre)
    prefix = {m.code: m.prefix for m in centre.matters}
    held = Counter((prefix[plan.arrivals[i].matter], b.slot) for i, b in got.items())
    afternoon = {s for s in slot_starts(plan, 30) if s.astimezone(centre.zone).hour == 14}
    assert all(n <= (2 if slot in afternoon else 1) for (_, slot), n in held.items()), "no slot over its places"
    assert any(n == 2 for (_, slot), n in held.items() if slot in afternoon)
    moved = [i for i, b in got.items() if b.slot != slot_of(plan, plan.arrivals[i].at, 30)]
    assert moved, "some citizens found their slot full"
    for index in moved:
        group, nearest = prefix[plan.arrivals[index].matter], got[index].slot
        want = slot_of(plan, plan.arrivals[index].at, 30)
        assert held[group, want] >= (2 if want in afternoon else 1), "moved only from a full slot"
        assert abs(nearest - want) > dt.timedelta(0)
    walked_in = set(wanted) - set(got)
    assert walked_in, "a citizen who finds every slot of the day full walks in"
    tickets = {t.citizen: t for t in run_.tickets}
    assert all(tickets[i].slot is None for i in walked_in if i in tickets)
    assert all(got[t.citizen].slot == t.slot for t in run_.tickets if t.slot is not None), "checked in for it"
    assert booking_figures(run_, None)["booked"] == len(got)


def test_unlimited_slots_book_as_before_and_hours_are_checked(tmp_path: Path) -> None:
    from queue_server.simulate.booked import bookings_of
    from queue_server.simulate.profiles import ProfileError

    profile = booked_profile(tmp_path)
    run_ = run(profile, seed=5)
    got = bookings_of(run_.days[0], profile.bookings, 5, 0, run_.centre)
    assert all(b.slot == slot_of(run_.days[0], run_.days[0].arrivals[i].at, 30) for i, b in got.items())
    with pytest.raises(ProfileError, match="an hour is written 0 to 23"):
        booked_profile(tmp_path, PLAN + "places_by_hour = { 25 = 1 }\n")
