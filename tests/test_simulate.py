"""The hall simulator: repeatable figures, the routing bound, green-channel waits, charts, the CLI.

The routing bound is checked against the test's own account of the day (who waited when each
ticket was called, and which windows could serve it, from the centre's kinds), not only against
what the domain counted.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from queue_server import cli
from queue_server.cli import hall as cli_hall
from queue_server.cli import simulate as cli_simulate
from queue_server.config.centre_file import load_demo_centre
from queue_server.simulate.charts import write_charts, write_comparison_chart
from queue_server.simulate.command import ProgressBar
from queue_server.simulate.profiles import Profile, ProfileError, load_profile, packaged_profiles, simulated_centre
from queue_server.simulate.report import figures, percentile, table
from queue_server.simulate.runner import Simulation, SimulationRun
from tests.simulate_support import scaled, scaled_town_file

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(profile: Profile, seed: int = 0, days: int = 1, *, ranges: bool = True) -> SimulationRun:
    centre = simulated_centre(load_demo_centre(), profile)
    return Simulation(centre, profile, seed=seed, ranges=ranges).run(days)


def overlay(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def town() -> SimulationRun:
    """A whole town day, without the wait ranges (the ranges are measured on a smaller one)."""
    return run(load_profile(), seed=7, ranges=False)


@pytest.fixture(scope="module")
def small_town() -> SimulationRun:
    """A town day at a third of the crowd, with its wait ranges."""
    return run(scaled(load_profile(), 0.3), seed=7)


# --- Repeatable -----------------------------------------------------------------------------------


def test_a_seed_repeats_the_figures_exactly(small_town: SimulationRun) -> None:
    again = figures(run(scaled(load_profile(), 0.3), seed=7))
    assert again["estimates"]["ranges"]["count"] > 100, "the ranges, plays of their own, repeat too"
    assert json.dumps(figures(small_town), sort_keys=True) == json.dumps(again, sort_keys=True)
    other = figures(run(scaled(load_profile(), 0.3), seed=8, ranges=False))
    assert other["waits"] != again["waits"]


def test_two_plans_meet_the_same_citizens(tmp_path: Path) -> None:
    """Under one seed a staffing plan changes the service, never who comes or when."""
    plan = overlay(tmp_path, "plan.toml", '[staffing.windows]\n2 = [["09:00", "17:30"]]\n1 = []\n')
    base = run(load_profile(), seed=3, ranges=False)
    changed = run(load_profile(plan, base="town-centre"), seed=3, ranges=False)
    assert [a for d in base.days for a in d.arrivals] == [a for d in changed.days for a in d.arrivals]
    assert figures(base)["windows"] != figures(changed)["windows"]


# --- The routing bound ----------------------------------------------------------------------------


def test_no_ordinary_ticket_is_passed_over_more_than_k_times(tmp_path: Path) -> None:
    """A day with many green-channel citizens and K = 2: recount every pass over from the day's record."""
    plan = overlay(
        tmp_path,
        "green.toml",
        """
        [green]
        share = 0.35
        [policy]
        max_passed_over = 2
        """,
    )
    result = run(load_profile(plan, base="town-centre"), seed=11, ranges=False)
    centre = result.centre
    called = sorted((t for t in result.tickets if t.call_order is not None), key=lambda t: t.call_order or 0)
    passed: Counter[int] = Counter()
    for ticket in called:
        window = centre.window(ticket.window or 0)
        for other in result.tickets:
            still_waiting = other.call_order is None or other.call_order > (ticket.call_order or 0)
            if (
                other.serial < ticket.serial
                and still_waiting
                and not other.cancelled
                and centre.serves(window, centre.matter(other.matter))
            ):
                passed[other.serial] += 1
    assert {t.serial: t.passed_over for t in result.tickets if t.passed_over} == dict(passed)
    ordinary = [passed[t.serial] for t in result.tickets if not t.green]
    assert max(ordinary) == 2  # the bound is reached, so this day really tests it
    summary = figures(result)["passed_over"]
    assert summary == {
        "limit_k": 2,
        "max_ordinary": 2,
        "max_green_channel": max(passed[t.serial] for t in result.tickets if t.green),
        "tickets_passed_over": len(passed),
        "within_limit": True,
    }


# --- What is reported -----------------------------------------------------------------------------


def test_green_channel_waits_are_reported_beside_ordinary_ones(town: SimulationRun) -> None:
    waits = figures(town)["waits"]
    green, ordinary, everyone = waits["green_channel"], waits["ordinary"], waits["all"]
    assert green["count"] > 10 and ordinary["count"] > 100
    assert green["count"] + ordinary["count"] == everyone["count"]
    assert green["mean"] < ordinary["mean"]
    for stats in (green, ordinary, everyone):
        assert 0 <= stats["median"] <= stats["p90"] <= stats["max"]
    text = table(figures(town))
    assert "green channel 绿色通道" in text and "ordinary" in text


def test_the_figures_add_up(town: SimulationRun) -> None:
    f = figures(town)
    tickets = f["tickets"]
    assert tickets["issued"] + sum(tickets["refused"].values()) == tickets["arrivals"]
    assert tickets["served"] + tickets["unserved_at_closing"] == tickets["issued"]
    assert sum(w["served"] for w in f["windows"]) == tickets["served"]
    assert sum(m["count"] for m in f["waits_by_matter"].values()) == f["waits"]["all"]["count"]
    longest = f["longest_wait"]
    assert longest["minutes"] == f["waits"]["all"]["max"]
    assert f["queue"]["max"] >= max(s["waiting"] for s in f["queue"]["samples"])
    for window in f["windows"]:
        assert window["utilisation"] is None or 0 <= window["utilisation"] <= 1
    estimates = f["estimates"]
    assert estimates["count"] == f["waits"]["all"]["count"]
    assert estimates["mean_absolute_error"] >= abs(estimates["bias"])


def test_estimates_are_the_hall_s_own_and_compared_with_the_real_wait(town: SimulationRun) -> None:
    served = [t for t in town.tickets if t.wait is not None and t.estimate is not None]
    errors = [t.estimate - t.wait for t in served]  # type: ignore[operator]
    f = figures(town)["estimates"]
    assert f["bias"] == round(sum(errors) / len(errors), 2)
    assert f["mean_absolute_error"] == round(sum(abs(e) for e in errors) / len(errors), 2)
    first = min(town.tickets, key=lambda t: t.serial)
    assert first.estimate == 0 and first.people_ahead == 0  # windows were idle at opening


def test_staffing_and_pauses_follow_the_profile(tmp_path: Path) -> None:
    plan = overlay(
        tmp_path,
        "plan.toml",
        """
        [staffing.windows]
        8 = []
        4 = [["08:30", "12:00"]]

        [[pauses]]
        window = 1
        at = "10:00"
        minutes = 20
        reason = "system_fault"
        note = "读卡器故障"

        [random_pauses]
        per_window = 0
        """,
    )
    f = figures(run(load_profile(plan, base="town-centre"), seed=2, ranges=False))
    windows = {w["number"]: w for w in f["windows"]}
    assert windows[8]["staffed_minutes"] == 0 and windows[8]["served"] == 0 and windows[8]["utilisation"] is None
    assert windows[4]["staffed_minutes"] == 210
    assert f["pauses"]["by_reason"] == {"system_fault": {"count": 1, "minutes": 20.0}}
    assert windows[1]["paused_minutes"] == 20


def test_a_busy_day_of_two_thousand_tickets() -> None:
    f = figures(run(load_profile("busy-centre"), seed=1, ranges=False))  # the ranges are measured elsewhere
    assert 1800 <= f["tickets"]["issued"] <= 2200
    assert f["passed_over"]["within_limit"]


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([5], 0.9) == 5
    assert percentile([0, 10], 0.9) == 9


# --- Profiles -------------------------------------------------------------------------------------


def test_packaged_profiles_load() -> None:
    assert {"town-centre", "busy-centre"} <= set(packaged_profiles())
    for name in packaged_profiles():
        simulated_centre(load_demo_centre(), load_profile(name))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[arrivals]\nshape = {9 = 1}\nper_day = {passport = 3}\n", "arrivals.per_day: unknown matter 'passport'"),
        ("[arrivals]\nshape = {25 = 1}\nper_day = {}\n", "an hour is written 0 to 23"),
        ("[arrivals]\nshape = {9 = 1}\nper_day = {}\n[staffing.windows]\n99 = []\n", "there is no window 99"),
        ("[arrivals]\nshape = {9 = 1}\nper_day = {}\n[policy]\nmax_passed_over = -1\n", "policy: "),
        ("[arrivals\n", "not valid TOML"),
        (
            "[arrivals]\nshape = {9 = 1}\nper_day = {}\n"
            '[staffing.windows]\n1 = [["09:00", "12:00"], ["11:00", "13:00"]]\n',
            "window 1: periods overlap",
        ),
    ],
)
def test_a_bad_profile_is_named_with_its_problem(tmp_path: Path, text: str, message: str) -> None:
    path = overlay(tmp_path, "bad.toml", text)
    with pytest.raises(ProfileError) as caught:
        simulated_centre(load_demo_centre(), load_profile(path))
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


# --- Charts ---------------------------------------------------------------------------------------


def _png(path: Path) -> tuple[int, int]:
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        colours = image.convert("RGB").getcolors(1_000_000)
        assert colours is not None and len(colours) > 3  # something was drawn
        return image.size


def test_charts_are_valid_pngs(small_town: SimulationRun, tmp_path: Path) -> None:
    f = figures(small_town)
    paths = write_charts(f, tmp_path / "charts")
    assert sorted(p.name for p in paths) == ["honesty.png", "queue.png", "utilisation.png", "waits.png"]
    for path in paths:
        assert _png(path) == (1000, 560)
    [compare] = write_comparison_chart(["A", "B"], [f, f], tmp_path / "charts")
    assert compare.name == "compare.png"
    _png(compare)


# --- The command line -----------------------------------------------------------------------------


def test_the_command_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figures.json"
    charts = tmp_path / "charts"
    small = scaled_town_file(tmp_path, 0.3)
    argv = ["simulate", "--profile", str(small), "--seed", "4", "--json", str(out), "--charts", str(charts)]
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    assert "Waits (minutes from issue to call)" in captured.out
    assert "Passed over: an ordinary ticket at most" in captured.out
    assert "K = 3: holds" in captured.out
    first: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert first["seed"] == 4 and first["profile"] == "镇中心普通工作日"
    assert first["days"] == ["2026-03-02"]
    assert {p.name for p in charts.iterdir()} == {"queue.png", "waits.png", "utilisation.png", "honesty.png"}
    assert cli.main(argv) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == first
    assert capsys.readouterr().out == captured.out


def test_the_command_compares_plans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    closed = overlay(tmp_path, "plan-a.toml", '[profile]\nname = "A"\n[staffing.windows]\n2 = []\n')
    later = overlay(tmp_path, "plan-b.toml", '[profile]\nname = "B"\n[staffing.windows]\n2 = [["09:00", "17:30"]]\n')
    out = tmp_path / "compare.json"
    small = scaled_town_file(tmp_path, 0.3)
    argv = ["simulate", "--profile", str(small), "--compare", str(closed), str(later), "--json", str(out)]
    argv += ["--charts", str(tmp_path)]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    header, *rows = text.splitlines()
    assert header.split() == ["A", "B"]
    assert any(row.startswith("wait mean, ordinary") for row in rows)
    plans = json.loads(out.read_text(encoding="utf-8"))["plans"]
    assert [p["label"] for p in plans] == ["A", "B"]
    assert plans[0]["tickets"]["arrivals"] == plans[1]["tickets"]["arrivals"]
    staffed = [{w["number"]: w["staffed_minutes"] for w in p["windows"]}[2] for p in plans]
    assert staffed == [0, 180 + 210]  # within opening hours: 09:00-12:00 and 14:00-17:30
    _png(tmp_path / "compare.png")


def test_the_command_names_a_bad_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["simulate", "--profile", str(tmp_path / "missing.toml")]) == 1
    err = capsys.readouterr().err
    assert "missing.toml" in err and "cannot read the file" in err
    assert cli.main(["simulate", "--day", "2026-13-01"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_the_progress_bar_draws_one_line_in_place() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, "simulating")
    bar(10, 999)  # a short run shows nothing
    assert stream.getvalue() == ""
    bar(500, 2000)
    bar(501, 2000)  # the same percent is not drawn again
    bar(2000, 2000)
    drawn = stream.getvalue()
    assert drawn.count("\r") == 2
    assert "[########----------------------]  25%  500/2,000 citizens" in drawn
    assert drawn.endswith("[##############################] 100%  2,000/2,000 citizens\n")


def test_the_commands_in_the_simulator_guide_parse() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "simulator.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(?:\$ )?onewindow ((?:simulate|demo).*?)(?:\s+#.*)?$", text, re.MULTILINE)
    assert len(commands) >= 6
    for command in commands:
        args = cli.parse_arguments(shlex.split(command), environ={})
        assert args.handler is (cli_hall.run_demo if command.startswith("demo") else cli_simulate.run_simulate)
    assert cli.parse_arguments(["demo", "--traffic", "60"], environ={}).traffic == 60
