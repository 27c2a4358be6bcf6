"""Each run's figures kept beside the code, and how the headline figures moved across the kept runs.

A run writes its JSON also into the history folder (``bench/history/`` by default, one file per
run, named by its start time and commit: ``20261206T101500Z-2926f7f.json``), so the figures of
every commit measured stay with the repository. ``python -m bench --trend`` reads them, oldest
first, and prints each headline figure across the runs, with what each run ran on beside it:
the database, the load average, the disk's fsync and the broker's hop of that run. A figure
taken on a loaded machine or a slower disk reads differently; those columns say so.

The headline figures are a few per scenario (:data:`HEADLINES`), read from the JSON with
``.get`` so that runs of older code, which lack a figure, show a gap rather than fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.report import Document, floors, runs

HISTORY = Path("bench/history")
"""Where a run keeps its JSON, from the repository's root (``--history`` names another folder)."""
TREND_RUNS = 8
"""The latest runs ``--trend`` shows side by side."""

Figures = dict[str, Any]
Headline = Iterator[tuple[str, float | None]]


def _summary(figures: Figures | None, key: str) -> float | None:
    """The median or p99 of a latency summary (``a.b`` for nested keys, ``:p99`` for the p99)."""
    path, _, which = key.partition(":")
    node: Any = figures
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or not node.get("count"):
        return None
    value = node.get(f"{which or 'median'}_ms")
    return float(value) if isinstance(value, int | float) else None


def _number(figures: Figures | None, key: str) -> float | None:
    node: Any = figures
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return float(node) if isinstance(node, int | float) else None


def _baseline(f: Figures) -> Headline:
    yield "broker hop, median ms", _summary(f, "hop")
    yield "disk fsync, median ms", _summary(f, "fsync")


def _issue(f: Figures) -> Headline:
    yield "issue: tickets/s", _number(f, "tickets_per_s")
    yield "issue: server CPU ms per ticket", _number(f, "server_cpu_ms_per_ticket")
    yield "issue: request p99 ms", _summary(f, "request:p99")
    yield "issue: halls built from the rows", _number(f, "hall_builds.hall_builds")
    yield "issue: kept halls caught up", _number(f, "hall_builds.catch_ups")


def _single(f: Figures) -> Headline:
    yield "single: issue, median ms", _summary(f, "issue")
    yield "single: call-next, median ms", _summary(f, "call_next")
    yield "single: finish, median ms", _summary(f, "finish")


def _calls(f: Figures) -> Headline:
    for one in f.get("runs", []):
        who = f"{one['consoles']} console{'s' if one['consoles'] > 1 else ''}, {one['waiting']} waiting"
        yield f"calls ({who}): calls/s", _number(one, "calls_per_s")
        yield f"calls ({who}): server CPU ms per call", _number(one, "server_cpu_ms_per_call")


def _latency(f: Figures) -> Headline:
    for how, label in (("keypad", "keypad"), ("http", "console")):
        yield f"latency: {label} next → display, median ms", _summary(f, f"{how}.display")
        yield f"latency: {label} next → display, p99 ms", _summary(f, f"{how}.display:p99")
        yield f"latency: {label}, halls built from the rows", _number(f, f"{how}.hall_builds.hall_builds")
        yield f"latency: {label}, server loop lags over 20 ms", _number(f, f"{how}.loop_lag.stalls")


def _scale(f: Figures) -> Headline:
    for size in f.get("sizes", []):
        w = f"scale {size['windows']} windows"
        yield f"{w}: steady next → display, p99 ms", _summary(size, "steady.display:p99")
        yield f"{w}: rush tickets/s", _number(size, "rush.tickets_per_s")
        yield f"{w}: memory idle MB", _number(size, "server_rss_idle_mb")
        yield f"{w}: memory peak MB", _number(size, "server_rss_peak_mb")


def _city(f: Figures) -> Headline:
    yield "city: idle server CPU share", _number(f, "idle.server_cpu_share")
    yield "city: memory idle MB", _number(f, "server_rss_idle_mb")
    yield "city: memory peak MB", _number(f, "server_rss_peak_mb")
    yield "city: rush tickets/s", _number(f, "rush.tickets_per_s")
    yield "city: keypad next answered, p99 ms", _summary(f, "calling.tally.next_answer:p99")
    yield "city: next → display, p99 ms", _summary(f, "calling.display:p99")


def _print(f: Figures) -> Headline:
    yield "print: request → last byte, median ms", _summary(f, "last_byte")


def _rush_ping(f: Figures) -> Headline:
    yield "rush-ping: ping during the rush, p99 ms", _summary(f, "rush:p99")


HEADLINES: dict[str, Callable[[Figures], Headline]] = {
    "baseline": _baseline,
    "issue": _issue,
    "single": _single,
    "calls": _calls,
    "latency": _latency,
    "scale": _scale,
    "city": _city,
    "print": _print,
    "rush-ping": _rush_ping,
}
"""Each scenario's headline figures, by name, from its JSON."""


def headline(document: Document) -> dict[str, float]:
    """The run's headline figures; those of a second number of instances say so in their name."""
    out: dict[str, float] = {}
    for count, scenarios in runs(document):
        suffix = "" if count == 1 else f" [{count} instances]"
        for name, figures in scenarios.items():
            extract = HEADLINES.get(name)
            if extract is None:
                continue
            for label, value in extract(figures):
                if value is not None:
                    out[label + suffix] = value
    return out


def file_name(document: Document) -> str:
    """``20261206T101500Z-2926f7f.json``: the run's start (UTC) and commit (``+changes`` as ``-dirty``)."""
    meta = document["meta"]
    started = re.sub(r"[^0-9T]", "", meta["started_at"].split("+")[0]) + "Z"
    commit = re.sub(r"[^0-9a-z]+", "-", meta.get("commit", "unknown").replace("+changes", "-dirty"))
    return f"{started}-{commit}.json"


def keep(document: Document, folder: Path) -> Path:
    """Write the run's JSON into the history folder; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(document)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def kept(folder: Path) -> list[Document]:
    """Every kept run, oldest first (by start time); a file that is not a run's JSON is skipped."""
    documents = []
    for path in sorted(folder.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(document, dict) and "meta" in document and "scenarios" in document:
            documents.append(document)
    return sorted(documents, key=lambda d: str(d["meta"].get("started_at", "")))


def _value(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}"


def trend_table(documents: list[Document], last: int = TREND_RUNS) -> str:
    """Each headline figure across the latest ``last`` runs, and its change from the first shown to the last."""
    if not documents:
        return "No kept runs: run python -m bench (each run keeps its JSON in bench/history/)."
    shown = documents[-last:]
    lines = [f"{len(documents)} kept runs; the latest {len(shown)}, oldest first:", ""]
    for index, document in enumerate(shown, 1):
        meta = document["meta"]
        hop, fsync = floors(document)
        lines.append(
            f"  #{index} {meta.get('started_at', '?')} commit {meta.get('commit', '?')}, {meta.get('database', '?')}"
            f"{', small' if meta.get('small') else ''}; load {meta.get('load_before', 0):.2f}"
            f"; fsync {_value(fsync)} ms; broker hop {_value(hop)} ms; {meta.get('machine', meta.get('platform', ''))}"
        )
    lines.append("")
    figures = [headline(d) for d in shown]
    names = list(dict.fromkeys(name for one in figures for name in one))
    width = max((len(n) for n in names), default=0)
    lines.append(f"  {'figure'.ljust(width)}  " + "  ".join(f"#{i}".rjust(8) for i in range(1, len(shown) + 1)))
    for name in names:
        values = [one.get(name) for one in figures]
        present = [v for v in values if v is not None]
        change = ""
        if len(present) > 1 and present[0]:
            change = f"  {(present[-1] - present[0]) / abs(present[0]):+.0%}"
        lines.append(f"  {name.ljust(width)}  " + "  ".join(_value(v).rjust(8) for v in values) + change)
    return "\n".join(lines)
