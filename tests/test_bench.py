"""The benchmark runs: a small run on SQLite and Mosquitto completes and writes its figures, and
so does a small run with one and with two server instances on PostgreSQL and Mosquitto.

No figure is judged here (timing belongs to docs/performance.md, never to a test): the run must
finish, every scenario must report what it was asked to measure, in the shape the docs read, and
the tables must render from the JSON it wrote.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.rig import BrokerKind, DatabaseKind
from bench.scenarios.base import Options
from bench.scenarios.scale import FULL, SMALL, sizes
from tests.brokers import mosquitto_executable
from tests.conftest import POSTGRES_URL, _server

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ["baseline", "issue", "single", "calls", "latency", "scale", "city", "print", "rush-ping"]
SUMMARY_KEYS = {"count", "median_ms", "p99_ms", "worst_ms", "mean_ms"}


def bench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
        env=env,
    )


def check_summary(summary: dict[str, Any], count: int | None = None, ratio: bool = True) -> None:
    assert summary.keys() >= SUMMARY_KEYS, summary
    assert summary["count"] > 0
    if count is not None:
        assert summary["count"] == count
    assert 0 < summary["median_ms"] <= summary["p99_ms"] <= summary["worst_ms"]
    if ratio:
        assert summary["ratio_to_broker"]["median"] > 0


def check_loop_lag(lag: dict[str, Any]) -> None:
    """A phase's lag of the server's own timer, read from its /metrics."""
    assert lag["samples"] > 0 and 0 <= lag["stalls"] <= lag["samples"]
    assert lag["p99_le_ms"] <= lag["worst_le_ms"]


def test_a_small_run_writes_every_scenario_figures(tmp_path: Path) -> None:
    """On a Mosquitto the rig starts, with SQLite."""
    mosquitto_executable()  # skipped without Mosquitto, failed under CI
    out, history = tmp_path / "figures.json", tmp_path / "history"
    run = bench(
        "--small", "--broker", "mosquitto", "--database", "sqlite", "--json", str(out), "--history", str(history)
    )
    assert run.returncode == 0, run.stderr[-3000:]
    document = json.loads(out.read_text(encoding="utf-8"))
    meta, scenarios = document["meta"], document["scenarios"]
    assert meta["small"] is True
    assert (meta["broker"], meta["database"]) == ("mosquitto", "sqlite")
    assert list(scenarios) == SCENARIOS

    check_floors(meta, scenarios["baseline"])

    check_issue(scenarios["issue"])
    check_lone_requests_and_calls(scenarios)

    latency = scenarios["latency"]
    for how in ("keypad", "http"):
        figures = latency[how]
        assert figures["calls"] > 0
        check_summary(figures["answer"])
        for receiver in ("display", "board"):
            check_summary(figures[receiver])
            assert figures[receiver]["count"] <= figures["calls"]
        check_loop_lag(figures["loop_lag"])

    (size,) = scenarios["scale"]["sizes"]
    assert size["windows"] == 10 and size["devices_connected"] == 31
    assert 0 < size["server_rss_idle_mb"] <= size["server_rss_peak_mb"]
    steady, rush = size["steady"], size["rush"]
    assert steady["tally"]["calls"] > 0 and steady["tally"]["issued"] > 0
    assert steady["actions"] > 0 and steady["server_cpu_ms_per_1000_actions"] > 0
    check_summary(steady["display"])
    assert 0 < rush["issued"] <= rush["tickets"]
    check_summary(rush["issue"], count=rush["issued"])
    assert steady["broker_cpu_share"] >= 0, "Mosquitto's own CPU is measured"
    board = size["hall_board"]
    assert board["calls"] > 0 and board["bytes_per_call"] > 0, "the board's cost per call is measured"
    assert 0 < board["largest_bytes"] < board["bytes"]

    check_city(scenarios["city"])

    printing = scenarios["print"]
    assert printing["job_bytes"] > 0
    for stage in ("answer", "first_byte", "last_byte"):
        check_summary(printing[stage], count=printing["tickets"])
    assert printing["first_byte"]["median_ms"] <= printing["last_byte"]["median_ms"]

    pings = scenarios["rush-ping"]
    assert pings["broker"] == "mosquitto" and pings["tickets"] > 0 and pings["rush_seconds"] > 0
    check_summary(pings["idle"], ratio=False)
    check_summary(pings["rush"], ratio=False)

    assert "broker hop" in run.stdout and "print latency" in run.stdout
    assert "device ping through the broker, during a rush" in run.stdout
    assert "floors in this run: broker hop" in run.stdout
    tables = bench("--from-json", str(out), "--markdown")
    assert tables.returncode == 0, tables.stderr
    assert tables.stdout.count("| figure | value") == len(SCENARIOS)

    check_kept(history, document)


def check_city(city: dict[str, Any]) -> None:
    """Several centres on one server: every device connected, the idle CPU, then calls reach displays."""
    assert "incomplete" not in city, city["incomplete"]
    assert city["centres"] > 1 and city["devices_connected"] == city["centres"] * (3 * city["windows_per_centre"] + 1)
    assert 0 < city["server_rss_idle_mb"] <= city["server_rss_peak_mb"]
    assert city["idle"]["server_cpu_share"] >= 0 and city["idle"]["broker_cpu_share"] >= 0
    rush, calling, nexts = city["rush"], city["calling"], city["nexts"]
    assert 0 < rush["issued"] <= rush["tickets"] and rush["tickets_per_s"] > 0
    check_summary(rush["issue"], count=rush["issued"])
    assert calling["tally"]["calls"] > 0 and calling["actions"] > 0
    check_summary(calling["tally"]["next_answer"], count=nexts["answered"])
    check_summary(calling["display"])
    check_summary(calling["board"])
    assert nexts["asked"] == nexts["answered"] + nexts["failed"] + nexts["unanswered"]


def check_issue(issue: dict[str, Any]) -> None:
    assert issue["tickets"] > 0 and issue["tickets_per_s"] > 0
    assert issue["tickets_in_database"] == issue["tickets"], "every ticket answered 201 is in the database"
    check_summary(issue["request"], count=issue["tickets"])
    assert issue["server_cpu_ms_per_ticket"] > 0 and issue["server_rss_mb"] > 0
    assert issue["hall_builds"]["hall_builds"] >= 0 and len(issue["hall_builds"]["per_instance"]) == 1


def check_floors(meta: dict[str, Any], baseline: dict[str, Any]) -> None:
    """The broker's hop and the disk's fsync, measured in the run, and what the run ran on."""
    check_summary(baseline["hop"], count=baseline["messages"], ratio=False)
    check_summary(baseline["fsync"], ratio=False)
    assert meta["machine"] and meta["commit"]


def check_lone_requests_and_calls(scenarios: dict[str, Any]) -> None:
    single = scenarios["single"]
    for kind in ("issue", "call_next", "finish"):
        check_summary(single[kind], count=single["requests"])
    assert single["server_cpu_ms_per_issue"] > 0 and single["server_cpu_ms_per_call"] > 0
    calls = scenarios["calls"]["runs"]
    assert [(one["consoles"], one["waiting"]) for one in calls] == [(8, 8), (1, 8), (8, 16), (1, 16)]
    for one in calls:
        assert one["calls"] >= one["burst"] > 0 and one["calls_per_s"] > 0 and one["server_cpu_ms_per_call"] > 0
        check_summary(one["call_next"], count=one["calls"])
        check_summary(one["finish"], count=one["calls"])


def check_kept(history: Path, document: dict[str, Any]) -> None:
    """The run kept its JSON in the history folder, and the trend reads it."""
    (kept,) = history.glob("*.json")
    assert kept.name.endswith(f"-{document['meta']['commit'].replace('+changes', '-dirty')}.json")
    assert json.loads(kept.read_text(encoding="utf-8")) == document
    trend = bench("--trend", "--history", str(history))
    assert trend.returncode == 0, trend.stderr
    assert "1 kept runs" in trend.stdout and "calls (8 consoles, 16 waiting): calls/s" in trend.stdout
    assert "city: idle server CPU share" in trend.stdout and "city: next → display, p99 ms" in trend.stdout


def test_the_trend_shows_how_each_figure_moved(tmp_path: Path) -> None:
    """Two kept runs, oldest first whatever their file names: each headline figure and its change."""
    from bench.history import keep

    for started, tickets, commit in (
        ("2026-12-02T10:00:00+00:00", 400.0, "bbb"),
        ("2026-12-01T10:00:00+00:00", 200.0, "aaa"),
    ):
        meta = {"started_at": started, "commit": commit, "database": "sqlite", "load_before": 0.5, "small": False}
        hop = {"count": 10, "median_ms": 0.25, "p99_ms": 0.5, "worst_ms": 1.0, "mean_ms": 0.3}
        scenarios = {"baseline": {"hop": hop, "fsync": {**hop, "median_ms": 2.0}}, "issue": {"tickets_per_s": tickets}}
        keep({"meta": meta, "scenarios": scenarios}, tmp_path)
    trend = bench("--trend", "--history", str(tmp_path))
    assert trend.returncode == 0, trend.stderr
    lines = trend.stdout.splitlines()
    assert lines[0] == "2 kept runs; the latest 2, oldest first:"
    assert "commit aaa" in lines[2] and "commit bbb" in lines[3] and "fsync 2.00 ms" in lines[2]
    (tickets,) = [line for line in lines if "issue: tickets/s" in line]
    assert tickets.split()[-3:] == ["200", "400", "+100%"]


async def test_a_small_run_with_one_and_two_instances_reports_both(tmp_path: Path) -> None:
    """Two servers on one PostgreSQL database and one Mosquitto (MQTT 5): each scenario runs with one
    and with two instances, every ticket answered 201 is in the database either way, and the CPU and
    memory figures are given per instance and summed."""
    mosquitto_executable()
    await (await _server()).close()  # skipped without PostgreSQL, failed under CI
    out = tmp_path / "figures.json"
    args = ["--small", "--database", "postgresql", "--instances", "1,2", "--scenario", "issue", "--scenario", "latency"]
    env = {**os.environ, "ONEWINDOW_BENCH_POSTGRES_URL": POSTGRES_URL}
    run = await asyncio.to_thread(bench, *args, "--json", str(out), env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    document = json.loads(out.read_text(encoding="utf-8"))
    meta = document["meta"]
    assert (meta["broker"], meta["database"], meta["instances"], meta["mqtt_protocol"]) == (
        "mosquitto",
        "postgresql",
        [1, 2],
        "5",
    )
    one, two = document["scenarios"], document["more_instances"]["2"]
    assert list(one) == ["baseline", "issue", "latency"] and list(two) == ["issue", "latency"]
    for count, scenarios in ((1, one), (2, two)):
        issue = scenarios["issue"]
        assert issue["instances"] == count
        assert issue["tickets"] > 0 and issue["tickets_in_database"] == issue["tickets"]
        check_summary(issue["request"], count=issue["tickets"])
        check_instances(issue, count)
        assert issue["server_cpu_ms_per_ticket"] > 0
        assert len(issue["hall_builds"]["per_instance"]) == count
        latency = scenarios["latency"]
        assert latency["instances"] == count
        for how in ("keypad", "http"):
            assert latency[how]["calls"] > 0
            check_summary(latency[how]["answer"])
            for receiver in ("display", "board"):
                check_summary(latency[how][receiver])
            check_instances(latency[how]["servers"], count)

    tables = bench("--from-json", str(out), "--markdown")
    assert tables.returncode == 0, tables.stderr
    assert "| figure (latencies: median / p99 / worst) | 1 instance | 2 instances |" in tables.stdout
    page = tmp_path / "page.md"
    page.write_text(
        "# Figures\n<!-- BEGIN INSTANCE FIGURES: -->\nold\n<!-- END INSTANCE FIGURES -->\n", encoding="utf-8"
    )
    into_docs = bench("--from-json", str(out), "--docs", str(page))
    assert into_docs.returncode == 0, into_docs.stderr
    assert "old" not in page.read_text(encoding="utf-8") and "2 instances |" in page.read_text(encoding="utf-8")


def check_instances(figures: dict[str, Any], count: int) -> None:
    """Every instance worked and holds memory, and the sums are theirs."""
    each = figures["per_instance"]
    assert len(each) == count
    assert all(one["cpu_s"] > 0 and one["rss_mb"] > 0 for one in each), each
    assert figures["server_rss_mb"] == pytest.approx(sum(one["rss_mb"] for one in each))
    assert figures["server_cpu_share"] == pytest.approx(sum(one["cpu_share"] for one in each))


@pytest.mark.parametrize(
    ("broker", "database", "named"),
    [("hall", "postgresql", "the hall's own broker"), ("mosquitto", "sqlite", "SQLite")],
)
def test_two_instances_are_refused_where_they_cannot_share(broker: str, database: str, named: str) -> None:
    run = bench("--broker", broker, "--database", database, "--instances", "1,2")
    assert run.returncode == 2
    assert f"Cannot run 2 server instances on {named}" in run.stderr, run.stderr


def test_the_documented_commands_are_ones_the_benchmark_takes() -> None:
    """Every ``python -m bench ...`` line of docs/performance.md parses with the benchmark's own parser."""
    from bench.__main__ import parse_args

    text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    commands = re.findall(r"^\.venv/bin/python -m bench(.*?)(?:\s+#.*)?$", text, re.MULTILINE)
    assert len(commands) >= 5
    for command in commands:
        parse_args(shlex.split(command))


def test_a_profile_is_grouped_by_where_its_time_went(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m bench.shares`` groups a cProfile's own time by package, idle and start-up left out."""
    import cProfile
    import select

    from bench.shares import IDLE, group_of, main, own_times, shares
    from queue_server.protocol.topics import match_topic

    def work() -> None:
        select.epoll().poll(0.05)  # what a server's loop does while it waits
        for n in range(2000):
            match_topic(f"onewindow/c/window/{n}/state")

    path = tmp_path / "server.prof"
    profiler = cProfile.Profile()
    profiler.runcall(work)
    profiler.dump_stats(path)
    times = own_times(str(path))
    assert not set(times) & set(IDLE)  # the wait is left out
    groups = {group: share for group, _seconds, share in shares(times)}
    assert "OneWindow: protocol" in groups
    assert abs(sum(groups.values()) - 1) < 1e-9
    assert group_of("/x/site-packages/sqlalchemy/engine/base.py:1(execute)") == "SQLAlchemy"
    main([str(path), "--top", "5"])
    printed = capsys.readouterr().out
    assert "| OneWindow: protocol |" in printed and "queue_server/protocol/topics.py" in printed


def test_the_scale_scenario_runs_the_sizes_asked_a_size_of_its_own_with_the_next_larger_phases() -> None:
    def asked(*windows: int, small: bool = False) -> list[tuple[int, float, float, int]]:
        options = Options(BrokerKind.MOSQUITTO, DatabaseKind.SQLITE, small, windows)
        return [(s.windows, s.interval, s.steady, s.rush) for s in sizes(options)]

    assert asked() == [(s.windows, s.interval, s.steady, s.rush) for s in FULL]
    assert asked(small=True) == [(s.windows, s.interval, s.steady, s.rush) for s in SMALL]
    assert asked(100) == [(100, 5.0, 30.0, 1000)]
    assert asked(300, 10) == [(300, 10.0, 40.0, 2000), (10, 3.0, 20.0, 300)]
    assert asked(50) == [(50, 5.0, 30.0, 1000)]
    assert asked(2000) == [(2000, 10.0, 40.0, 2000)], "past the largest: its phases"
