"""The simulator following the live staffing advice: a manager who asks every few minutes and
carries out the best suggestion, on the same citizens as the plan without it."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

from queue_server import cli
from queue_server.config.centre_file import load_demo_centre
from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.staffing_advice import SuggestionKind
from queue_server.simulate.model import plan_day
from queue_server.simulate.profiles import Profile, load_profile, simulated_centre, spare_windows
from queue_server.simulate.report import figures
from queue_server.simulate.runner import Simulation, SimulationRun
from tests.simulate_support import scaled_town_file

SMALL = """\
[profile]
name = "医保一窗"
day = 2026-03-02

[arrivals]
shape = { 9 = 1, 10 = 1 }
per_day = { medical_reimbursement = 14, medical_enrolment = 8, id_card = 6 }

[handling]
spread = 0.3

[green]
share = 0.15

[random_pauses]
per_window = 0

# A spare medical insurance counter, closed unless its B-post is signed on.
[[add_windows]]
like = 5
spare = true
"""


def run(profile: Profile, *, seed: int, follow: bool, ranges: bool = True) -> SimulationRun:
    centre = simulated_centre(load_demo_centre(), profile)
    return Simulation(centre, profile, seed=seed, follow_advice=follow, ranges=ranges).run()


@pytest.fixture
def small(tmp_path: Path) -> Profile:
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return load_profile(path)


def test_following_the_advice_signs_the_b_post_on_and_shortens_the_longest_wait(small: Profile) -> None:
    plain, advised = run(small, seed=5, follow=False), run(small, seed=5, follow=True)
    before, after = figures(plain), figures(advised)
    assert before["tickets"]["arrivals"] == after["tickets"]["arrivals"], "the same citizens"
    assert after["waits"]["all"]["max"] < before["waits"]["all"]["max"] / 2
    assert after["waits"]["green_channel"]["mean"] <= before["waits"]["green_channel"]["mean"]
    spare = max(w.number for w in advised.centre.windows)
    first = advised.followed[0]
    assert (first.suggestion.kind, first.suggestion.window) == (SuggestionKind.SIGN_ON, spare)
    assert "medical_reimbursement" in first.suggestion.matters
    staffed = {w["number"]: w["staffed_minutes"] for w in after["windows"]}
    assert staffed[spare] > 0 and {w["number"]: w["staffed_minutes"] for w in before["windows"]}[spare] == 0
    # The B-post calls once the walk (policy.advice_move_minutes) is over, never before.
    assert first.suggestion.move_minutes == advised.centre.policy.advice_move_minutes
    calls = [t.called for t in advised.tickets if t.window == spare and t.called is not None]
    assert calls and min(calls) >= first.at + dt.timedelta(minutes=first.suggestion.move_minutes)
    assert after["advice_followed"][0]["kind"] == "sign_on"


def test_a_spare_window_changes_nothing_while_nobody_follows_the_advice(tmp_path: Path) -> None:
    without = tmp_path / "no-spares.toml"
    without.write_text("add_windows = []\n", encoding="utf-8")
    town, bare = (
        run(load_profile(), seed=3, follow=False, ranges=False),  # a told range changes nothing of the day
        run(load_profile(without, base="town-centre"), seed=3, follow=False, ranges=False),
    )
    assert [(t.number, t.called, t.window) for t in town.tickets] == [
        (t.number, t.called, t.window) for t in bare.tickets
    ]
    assert town.followed == []


def test_the_command_sets_the_advice_beside_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, charts = tmp_path / "advice.json", tmp_path / "charts"
    small = scaled_town_file(tmp_path, 0.5)
    argv = ["simulate", "--profile", str(small), "--follow-advice", "--seed", "3", "--json", str(out)]
    assert cli.main([*argv, "--charts", str(charts)]) == 0
    text = capsys.readouterr().out
    header, *rows = text.splitlines()
    assert header.split() == ["镇中心普通工作日", "按建议调配"]
    assert any(row.startswith("longest wait") for row in rows)
    assert any(row.startswith("Staffing advice followed") for row in rows)
    plans = json.loads(out.read_text(encoding="utf-8"))["plans"]
    assert plans[0]["advice_followed"] == [] and plans[1]["advice_followed"]
    assert plans[1]["waits"]["all"]["mean"] < plans[0]["waits"]["all"]["mean"]
    assert {p.name for p in charts.iterdir()} == {"compare.png", "compare-waits.png"}


def test_a_manager_moves_an_idle_window_s_staff_member_to_the_spare_counter(small: Profile) -> None:
    """The market window has nobody to serve all day; its staff member may work at the spare medical
    counter too (no B-post on call): the advice moves them, charged the walk, and the run follows."""
    centre = simulated_centre(load_demo_centre(), small)
    spare = max(w.number for w in centre.windows)
    staff = [
        s.model_copy(update={"b_post": False, "windows": (6, spare) if s.code == "sim-w6" else s.windows})
        for s in centre.staff
    ]
    centre = centre.model_copy(update={"staff": tuple(staff)})
    plain = Simulation(centre, small, seed=5).run()
    advised = Simulation(centre, small, seed=5, follow_advice=True).run()
    moves = [f for f in advised.followed if f.suggestion.kind is SuggestionKind.MOVE]
    assert moves and (moves[0].suggestion.staff, moves[0].suggestion.from_window) == ("sim-w6", 6)
    assert moves[0].suggestion.window == spare
    at_spare = [t for t in advised.tickets if t.window == spare and t.called is not None]
    assert at_spare and min(t.called for t in at_spare if t.called) >= moves[0].at + dt.timedelta(
        minutes=centre.policy.advice_move_minutes
    )
    assert figures(advised)["waits"]["all"]["max"] < figures(plain)["waits"]["all"]["max"]
    assert advised.windows[6].staffed[0][1] <= moves[0].at + dt.timedelta(minutes=60)


def test_only_the_simulated_centre_s_extra_windows_are_spare() -> None:
    """The demo's traffic plans days on the live centre with the town profile: its own windows are
    staffed as the profile says, none taken for a spare counter."""
    centre, profile = load_demo_centre(), load_profile()
    calendar = WorkCalendar(centre)
    plan = plan_day(random.Random(0), centre, calendar, profile, profile.profile.day)
    assert all(plan.staffing[n] for n in (10, 12)) and len(plan.staffing[13]) == 2
    simulated = simulated_centre(centre, profile)
    spare = spare_windows(max(w.number for w in centre.windows), profile)
    assert spare == {14, 15, 16, 17}
    plan = plan_day(random.Random(0), simulated, WorkCalendar(simulated), profile, profile.profile.day, spare=spare)
    assert all(plan.staffing[n] == () for n in spare) and plan.staffing[10]
