"""The benchmark's scenarios, each a module with one job, registered here by name.

A scenario takes the run's :class:`Options`, starts its own rig (bench.rig) and returns its
figures as a JSON-ready dict; :attr:`Scenario.rows` turns those figures into table rows.
"""

from __future__ import annotations

from bench.scenarios import baseline, calls, city, issue, latency, printing, rush_ping, scale, single
from bench.scenarios.base import Options, Scenario

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        baseline.SCENARIO,
        issue.SCENARIO,
        single.SCENARIO,
        calls.SCENARIO,
        latency.SCENARIO,
        scale.SCENARIO,
        city.SCENARIO,
        printing.SCENARIO,
        rush_ping.SCENARIO,
    )
}
"""In the order a full run takes them: the broker's own hop first, so every latency can be compared to it."""

__all__ = ["SCENARIOS", "Options", "Scenario"]
