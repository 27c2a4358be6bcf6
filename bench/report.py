"""The run's figures as a table for people (plain or Markdown) and as a JSON document.

Every latency summary in the JSON also gets its ratio to the bare broker hop of the same run
(``ratio_to_broker``: median to median, p99 to p99, worst to worst).

A run with several numbers of server instances (``--instances 1,2``) keeps the first number's
figures under ``scenarios``, as a single run does, and each other number's under
``more_instances["N"]``; its tables give one column per number, and ``--docs`` puts them between
the comparison markers rather than the figure markers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.measure import Summary
from bench.scenarios import SCENARIOS

Document = dict[str, Any]
MISSING = "—"
"""A figure one number of instances has and another has not (the baseline runs once)."""


def runs(document: Document) -> list[tuple[int, dict[str, Any]]]:
    """Each number of server instances with its scenarios' figures; earlier runs' JSON had one instance."""
    first = document["meta"].get("instances", [1])[0]
    more = document.get("more_instances", {})
    return [(first, document["scenarios"]), *((int(count), figures) for count, figures in more.items())]


def _instances(count: int) -> str:
    return f"{count} instance{'s' if count > 1 else ''}"


def broker_hop(document: Document) -> Summary | None:
    """The baseline's publish-to-receive summary, if the run measured it."""
    baseline = document["scenarios"].get("baseline")
    return Summary(**baseline["hop"]) if baseline else None


def floors(document: Document) -> tuple[float | None, float | None]:
    """The run's floors: the broker hop's and the disk fsync's medians in ms (None if not measured)."""
    baseline = document["scenarios"].get("baseline") or {}
    hop, fsync = baseline.get("hop") or {}, baseline.get("fsync") or {}
    return (hop.get("median_ms") if hop.get("count") else None, fsync.get("median_ms") if fsync.get("count") else None)


def add_ratios(document: Document) -> None:
    """Give every latency summary outside the baseline its multiple of the broker's own hop."""
    hop = broker_hop(document)
    if hop is None or hop.median_ms <= 0:
        return

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if {"median_ms", "p99_ms", "worst_ms"} <= node.keys() and node.get("count"):
                node["ratio_to_broker"] = {
                    "median": node["median_ms"] / hop.median_ms,
                    "p99": node["p99_ms"] / hop.p99_ms,
                    "worst": node["worst_ms"] / hop.worst_ms,
                }
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for _, scenarios in runs(document):
        for name, figures in scenarios.items():
            if name != "baseline":
                walk(figures)


Section = tuple[str, list[tuple[str, list[str]]]]
"""A scenario's title and its rows: each figure's name and its value for each number of instances."""


def _sections(document: Document) -> list[Section]:
    hop = broker_hop(document)
    counted = runs(document)
    names = list(dict.fromkeys(name for _, scenarios in counted for name in scenarios))
    sections = []
    for name in names:
        scenario = SCENARIOS[name]
        merged: dict[str, list[str]] = {}
        for column, (_, scenarios) in enumerate(counted):
            if name not in scenarios:
                continue
            for figure, value in scenario.rows(scenarios[name], hop):
                merged.setdefault(figure, [MISSING] * len(counted))[column] = value
        once = len(counted) > 1 and sum(name in scenarios for _, scenarios in counted) == 1
        title = f"{name}: {scenario.title}" + (" (measured once, for every column)" if once else "")
        sections.append((title, list(merged.items())))
    return sections


def _heading(document: Document) -> str:
    meta = document["meta"]
    counts = [count for count, _ in runs(document)]
    servers = ""
    if counts != [1]:
        listed = " and ".join(str(c) for c in counts)
        servers = (
            f", {listed} server instance{'s' if counts != [1] else ''} (MQTT {meta.get('mqtt_protocol', '3.1.1')})"
        )
    hop, fsync = floors(document)
    measured = ""
    if hop is not None and fsync is not None:
        measured = f"; floors in this run: broker hop {hop:.2f} ms, disk fsync {fsync:.2f} ms (medians)"
    return (
        f"OneWindow benchmark, {meta['started_at']}: broker {meta['broker']}, database {meta['database']}{servers}"
        f"{', small run' if meta['small'] else ''}; {meta['cpus']} CPUs, load average {meta['load_before']:.2f}"
        f" before and {meta['load_after']:.2f} after; commit {meta['commit']}{measured}"
    )


def text_table(document: Document) -> str:
    """Aligned columns for a terminal; latencies read ``median / p99 / worst``. Several numbers of
    instances give each figure one line per number under its name."""
    counts = [count for count, _ in runs(document)]
    lines = [_heading(document), ""]
    for title, rows in _sections(document):
        lines.append(title)
        if len(counts) == 1:
            width = max((len(figure) for figure, _ in rows), default=0)
            lines += [f"  {figure.ljust(width)}  {values[0]}" for figure, values in rows]
        else:
            width = max(len(_instances(c)) for c in counts) + 1
            for figure, values in rows:
                lines.append(f"  {figure}")
                lines += [f"    {(_instances(c) + ':').ljust(width)}  {v}" for c, v in zip(counts, values, strict=True)]
        lines.append("")
    return "\n".join(lines)


def markdown_table(document: Document) -> str:
    """One Markdown table per scenario, for docs/performance.md; a column per number of instances."""
    counts = [count for count, _ in runs(document)]
    if len(counts) == 1:
        head = "| figure | value (latencies: median / p99 / worst) |"
    else:
        head = "| figure (latencies: median / p99 / worst) | " + " | ".join(_instances(c) for c in counts) + " |"
    rule = "|---" * (len(counts) + 1) + "|"
    lines = [f"_{_heading(document)}._", ""]
    for title, rows in _sections(document):
        lines += [f"**{title}**", "", head, rule]
        lines += [f"| {figure} | " + " | ".join(v.replace("|", "/") for v in values) + " |" for figure, values in rows]
        lines.append("")
    return "\n".join(lines)


BEGIN_FIGURES = "<!-- BEGIN FIGURES"
END_FIGURES = "<!-- END FIGURES -->"
BEGIN_COMPARISON = "<!-- BEGIN INSTANCE FIGURES"
END_COMPARISON = "<!-- END INSTANCE FIGURES -->"


def replace_figures(document: Document, page: Path) -> None:
    """Put the run's Markdown tables between the figure markers of ``page`` (docs/performance.md), or
    between its instance-figure markers when the run compared numbers of server instances."""
    text = page.read_text(encoding="utf-8")
    if len(runs(document)) > 1:
        begin_marker, end_marker = BEGIN_COMPARISON, END_COMPARISON
    else:
        begin_marker, end_marker = BEGIN_FIGURES, END_FIGURES
    begin, end = text.find(begin_marker), text.find(end_marker)
    if begin < 0 or end < begin:
        raise ValueError(f"Cannot put the figures into {page}: it has no {begin_marker} ... {end_marker} markers")
    after_marker = text.index("\n", begin) + 1
    page.write_text(text[:after_marker] + markdown_table(document).rstrip() + "\n" + text[end:], encoding="utf-8")


def write_json(document: Document, path: Path) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_json(path: Path) -> Document:
    document: Document = json.loads(path.read_text(encoding="utf-8"))
    return document
