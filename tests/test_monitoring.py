"""The example alert rules and the Grafana dashboard in docs/monitoring: promtool accepts the rules
and their unit tests (each alert fires on what should fire it), and every metric they name is one a
real scrape of a running server gives."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from tests.api_support import seed
from tests.factories import shanghai

ROOT = Path(__file__).resolve().parent.parent
ALERTS = ROOT / "docs" / "monitoring" / "alerts.yml"
ALERT_TESTS = ROOT / "tests" / "monitoring" / "alerts_test.yml"
DASHBOARD = ROOT / "docs" / "monitoring" / "grafana-dashboard.json"

METRIC = re.compile(r"\b(?:onewindow|process|python)_[a-zA-Z0-9_]*")
"""A metric name of ours or of the process; label names never start so."""

SERIES_OF_TYPE = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("", "_count", "_sum"),
}


def promtool() -> str:
    """The promtool binary; a skip when it is missing, but a failure under CI (``CI`` set)."""
    found = shutil.which("promtool")
    if found is None:
        message = "promtool is not installed (Debian: apt-get install prometheus; scripts/bootstrap test does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", ())]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            exprs.append(variable["query"]["query"])
    return exprs


def named(expressions: list[str]) -> set[str]:
    return {name for expr in expressions for name in METRIC.findall(expr)}


def series_names(exposition: str) -> set[str]:
    """Every series name the exposition gives, samples or not: a counter's ``_total``, a
    histogram's ``_bucket``, ``_count`` and ``_sum``, a gauge's own name."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names |= {family.name + suffix for suffix in SERIES_OF_TYPE.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


def test_the_alert_rules_are_valid() -> None:
    checked = subprocess.run([promtool(), "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 9 rules found" in checked.stdout


def test_each_alert_fires_on_what_should_fire_it_and_not_before() -> None:
    tested = subprocess.run(
        [promtool(), "test", "rules", ALERT_TESTS.name],
        cwd=ALERT_TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    alerts = {
        rule["alert"]
        for group in yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
    }
    tested_alerts = {
        case["alertname"]
        for test in yaml.safe_load(ALERT_TESTS.read_text(encoding="utf-8"))["tests"]
        for case in test["alert_rule_test"]
    }
    untested = (
        alerts
        - tested_alerts
        - {"OneWindowMqttPublishFailing", "OneWindowSmsFailing", "OneWindowDatabasePoolExhausted"}
    )
    assert not untested, f"no promtool test for {sorted(untested)}"


def test_a_name_the_scrape_lacks_is_found() -> None:
    """The check below finds what it looks for: names in a query, and a name no scrape has."""
    expr = 'sum by (centre) (rate(onewindow_nope_total{centre="a"}[5m])) / process_open_fds'
    assert named([expr]) == {"onewindow_nope_total", "process_open_fds"}


async def test_every_metric_the_rules_and_the_dashboard_name_is_in_a_real_scrape(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    service = HallService(db, clock, public_base_url="http://hall.example")
    tokens = await seed(db)
    for command, actor, request_id in (
        (SignOn(window=1, staff="s1"), "staff:s1", "on"),
        (IssueTicket(matter="pension"), "kiosk:k", "issue"),
    ):
        assert (await service.act("test", command, actor=actor, request_id=request_id)).ok
    client = await aiohttp_client(create_app(service))
    async with client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {tokens['manager']}"}) as answer:
        assert answer.status == 200
        scraped = series_names(await answer.text())
    rules, panels = named(rule_expressions()), named(dashboard_expressions())
    assert len(rules) >= 8 and len(panels) >= 20, (rules, panels)
    assert not rules - scraped, f"the alert rules name metrics no scrape gives: {sorted(rules - scraped)}"
    assert not panels - scraped, f"the dashboard names metrics no scrape gives: {sorted(panels - scraped)}"
