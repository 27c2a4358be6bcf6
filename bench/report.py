"""The run's figures as a table for people (plain or Markdown) and as a JSON document.

Every latency summary in the JSON also gets its ratio to the bare broker hop of the same run
(``ratio_to_broker``: median to median, p99 to p99, worst to worst).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.measure import Summary
from bench.scenarios import SCENARIOS

Document = dict[str, Any]


def broker_hop(document: Document) -> Summary | None:
    """The baseline's publish-to-receive summary, if the run measured it."""
    baseline = document["scenarios"].get("baseline")
    return Summary(**baseline["hop"]) if baseline else None


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

    for name, figures in document["scenarios"].items():
        if name != "baseline":
            walk(figures)


def _sections(document: Document) -> list[tuple[str, list[tuple[str, str]]]]:
    hop = broker_hop(document)
    sections = []
    for name, figures in document["scenarios"].items():
        scenario = SCENARIOS[name]
        sections.append((f"{name}: {scenario.title}", scenario.rows(figures, hop)))
    return sections


def _heading(document: Document) -> str:
    meta = document["meta"]
    return (
        f"OneWindow benchmark, {meta['started_at']}: broker {meta['broker']}, database {meta['database']}"
        f"{', small run' if meta['small'] else ''}; {meta['cpus']} CPUs, load average {meta['load_before']:.2f}"
        f" before and {meta['load_after']:.2f} after; commit {meta['commit']}"
    )


def text_table(document: Document) -> str:
    """Aligned columns for a terminal; latencies read ``median / p99 / worst``."""
    lines = [_heading(document), ""]
    for title, rows in _sections(document):
        width = max((len(figure) for figure, _ in rows), default=0)
        lines.append(title)
        lines += [f"  {figure.ljust(width)}  {value}" for figure, value in rows]
        lines.append("")
    return "\n".join(lines)


def markdown_table(document: Document) -> str:
    """One Markdown table per scenario, for docs/performance.md."""
    lines = [f"_{_heading(document)}._", ""]
    for title, rows in _sections(document):
        lines += [f"**{title}**", "", "| figure | value (latencies: median / p99 / worst) |", "|---|---|"]
        lines += [f"| {figure} | {value.replace('|', '/')} |" for figure, value in rows]
        lines.append("")
    return "\n".join(lines)


BEGIN_FIGURES = "<!-- BEGIN FIGURES"
END_FIGURES = "<!-- END FIGURES -->"


def replace_figures(document: Document, page: Path) -> None:
    """Put the run's Markdown tables between the figure markers of ``page`` (docs/performance.md)."""
    text = page.read_text(encoding="utf-8")
    begin, end = text.find(BEGIN_FIGURES), text.find(END_FIGURES)
    if begin < 0 or end < begin:
        raise ValueError(f"Cannot put the figures into {page}: it has no {BEGIN_FIGURES} ... {END_FIGURES} markers")
    after_marker = text.index("\n", begin) + 1
    page.write_text(text[:after_marker] + markdown_table(document).rstrip() + "\n" + text[end:], encoding="utf-8")


def write_json(document: Document, path: Path) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_json(path: Path) -> Document:
    document: Document = json.loads(path.read_text(encoding="utf-8"))
    return document
