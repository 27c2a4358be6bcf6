"""What every scenario shares: the run's options, the scenario's shape, helpers for the load."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bench.hall import CENTRE, MATTER
from bench.measure import Summary
from bench.rig import BrokerKind, DatabaseKind, Rig, RigSettings

MB = 2**20

Result = dict[str, Any]
Row = tuple[str, str]
"""A figure's name and its value, as the table shows them."""


@dataclass(frozen=True, slots=True)
class Options:
    broker: BrokerKind
    database: DatabaseKind
    small: bool
    """A run of a few seconds (the test's): the same steps with tiny counts."""
    windows: tuple[int, ...] = ()
    """The hall sizes of the scale scenario to run; empty: all of them."""
    profile: Path | None = None
    """A folder for a cProfile file of the server per rig (``<name>.prof``), read with ``python -m pstats``."""
    instances: int = 1
    """Server instances on the one database and broker (bench.rig)."""
    mqtt5: bool = False
    """The servers speak MQTT 5 (a shared subscription for device requests), as several instances must."""
    calls_per_s: float | None = None
    """The latency scenario's pace of calls; None: its own (bench.scenarios.latency)."""

    def rig(
        self, name: str, windows: int, *, printer: bool = False, instances: int | None = None, centres: int = 1
    ) -> RigSettings:
        """The rig of one scenario (``name`` names its profile file); ``instances`` overrides the run's;
        ``centres`` of ``windows`` windows each make a city."""
        count = self.instances if instances is None else instances
        stem = name if count == 1 else f"{name}-x{count}"
        profile = self.profile / f"{stem}.prof" if self.profile is not None else None
        return RigSettings(
            self.broker,
            self.database,
            windows,
            printer=printer,
            profile=profile,
            instances=count,
            mqtt5=self.mqtt5,
            centres=centres,
        )


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str
    run: Callable[[Options], Awaitable[Result]]
    rows: Callable[[Result, Summary | None], list[Row]]
    """Table rows from the scenario's figures, with the broker's own hop (if measured) to compare to."""


class ServerUsage:
    """Each server instance's CPU time since :meth:`mark` and its memory now, per instance and summed."""

    def __init__(self, rig: Rig) -> None:
        self.probes = rig.server_probes()
        self.mark()

    def mark(self) -> None:
        self._at = time.perf_counter()
        self._cpu = [p.cpu_seconds() for p in self.probes]

    def since(self) -> Result:
        """``server_cpu_s``, ``server_cpu_share`` and ``server_rss_mb`` summed over the instances, and
        ``per_instance``: each one's ``cpu_s``, ``cpu_share`` and ``rss_mb``."""
        wall = time.perf_counter() - self._at
        cpu = [p.cpu_seconds() - before for p, before in zip(self.probes, self._cpu, strict=True)]
        rss = [p.rss_bytes() / MB for p in self.probes]
        return {
            "server_cpu_s": sum(cpu),
            "server_cpu_share": sum(cpu) / wall,
            "server_rss_mb": sum(rss),
            "per_instance": [{"cpu_s": c, "cpu_share": c / wall, "rss_mb": r} for c, r in zip(cpu, rss, strict=True)],
        }


def instances_text(figures: Result) -> str:
    """Each instance's CPU share and memory, e.g. ``52% 98 MB + 49% 97 MB``."""
    return " + ".join(f"{one['cpu_share']:.0%} {one['rss_mb']:.0f} MB" for one in figures["per_instance"])


def latency_text(summary: Result, broker: Summary | None = None) -> str:
    """``median / p99 / worst`` in ms, and as multiples of the bare broker hop when it is known."""
    if not summary["count"]:
        return "no samples"
    text = f"{summary['median_ms']:.2f} / {summary['p99_ms']:.2f} / {summary['worst_ms']:.2f} ms (n={summary['count']})"
    if broker is not None and broker.median_ms > 0:
        text += (
            f"; ×broker {summary['median_ms'] / broker.median_ms:.1f} / {summary['p99_ms'] / broker.p99_ms:.1f}"
            f" / {summary['worst_ms'] / broker.worst_ms:.1f}"
        )
    return text


def new_session(clients: int) -> aiohttp.ClientSession:
    """An HTTP client with a connection per concurrent client and patience for a loaded server."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=120), connector=aiohttp.TCPConnector(limit=clients, force_close=False)
    )


async def issue_tickets(
    rig: Rig, session: aiohttp.ClientSession, count: int, clients: int, token: str | None = None
) -> list[float]:
    """Issue ``count`` tickets from ``clients`` concurrent kiosks as fast as they go; returns each request's time."""
    times: list[float] = []
    left = iter(range(count))
    kiosk = token or rig.token.kiosk

    async def client() -> None:
        for _ in left:
            started = time.perf_counter()
            await rig.post(session, "tickets", kiosk, {"matter": MATTER}, expect=201)
            times.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(max(1, min(clients, count)))))
    return times


HALL_BUILDS = "onewindow_hall_builds_total"
HALL_CATCH_UPS = "onewindow_hall_catch_ups_total"


async def _scrape(rig: Rig, session: aiohttp.ClientSession) -> list[str]:
    """Each instance's ``GET /api/v1/metrics``, as text."""
    texts = []
    for root in rig.apis:
        metrics = root.rsplit("/centres/", 1)[0] + "/metrics"
        async with session.get(metrics, headers={"Authorization": f"Bearer {rig.token.manager}"}) as response:
            text = await response.text()
            if response.status != 200:
                raise RuntimeError(f"GET {metrics} answered {response.status}: {text[:200]}")
        texts.append(text)
    return texts


async def hall_counts(rig: Rig, session: aiohttp.ClientSession) -> list[tuple[int, int]]:
    """How many halls each instance built from the centre's rows so far, and how many times it
    caught its kept hall up with another's actions, from its ``/metrics``.

    A scrape reads the counts before it reads the hall itself, so a scrape's own build or catch-up
    shows only in the next one: a count taken before and after a phase is at most one too high per
    instance.
    """
    counts = []
    for text in await _scrape(rig, session):
        found = {
            sample.name: int(sample.value)
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name in (HALL_BUILDS, HALL_CATCH_UPS) and sample.labels.get("centre") == CENTRE
        }
        counts.append((found.get(HALL_BUILDS, 0), found.get(HALL_CATCH_UPS, 0)))
    return counts


LOOP_LAG_BUCKET = "onewindow_event_loop_lag_seconds_bucket"
PAUSES = ("onewindow_gc_pause_seconds", "onewindow_sqlite_checkpoint_seconds", "onewindow_background_job_seconds")
"""Histograms of the server's pauses and periodic jobs whose count and sum a phase reports
(queue_server.app.stalls, .checkpoints)."""
STALL_SECONDS = 0.02
"""A loop lag over this (one of the histogram's bounds) is counted as a stall in the bench's figures."""


@dataclass(frozen=True, slots=True)
class _Pauses:
    """One instance's loop-lag histogram (samples at or under each bound) and its pauses' counts and
    sums, by name and label (``gc_pause_2_count``, ``background_job_prune_sum``)."""

    lag: dict[float, int]
    counts: dict[str, float]


async def _pauses(rig: Rig, session: aiohttp.ClientSession) -> list[_Pauses]:
    out = []
    for text in await _scrape(rig, session):
        lag: dict[float, int] = {}
        counts: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == LOOP_LAG_BUCKET:
                    lag[float(sample.labels["le"])] = int(sample.value)
                for name in PAUSES:
                    if sample.name in (f"{name}_count", f"{name}_sum"):
                        short = name.removeprefix("onewindow_").removesuffix("_seconds")
                        key = "_".join([short, *(v for k, v in sorted(sample.labels.items()) if k != "le")])
                        counts[f"{key}_{sample.name.rsplit('_', 1)[1]}"] = sample.value
        out.append(_Pauses(lag, counts))
    return out


class LoopLag:
    """The servers' event-loop lag during a phase (their own timer, every 25 ms), with their garbage
    collections and WAL checkpoints: :meth:`mark`, then :meth:`since`."""

    def __init__(self, rig: Rig, session: aiohttp.ClientSession) -> None:
        self.rig, self.session = rig, session
        self._at: list[_Pauses] = []

    async def mark(self) -> None:
        self._at = await _pauses(self.rig, self.session)

    async def since(self) -> Result:
        """``samples``, ``p99_le_ms`` (the least bucket bound holding 99 % of the samples), ``stalls``
        (lags over ``STALL_SECONDS``) and ``worst_le_ms`` (the bound of the worst one's bucket), over
        every instance; ``pauses``: each pause histogram's count and sum (seconds) in the phase, e.g.
        ``gc_pause_2_count``, ``sqlite_checkpoint_sum``."""
        now = await _pauses(self.rig, self.session)
        merged: dict[float, int] = {}
        pauses: dict[str, float] = {}
        for after, before in zip(now, self._at, strict=True):
            for bound, count in after.lag.items():
                merged[bound] = merged.get(bound, 0) + count - before.lag.get(bound, 0)
            for key, value in after.counts.items():
                pauses[key] = pauses.get(key, 0) + value - before.counts.get(key, 0)
        bounds = sorted(merged)
        samples = merged.get(float("inf"), 0)
        if not samples:
            return {"samples": 0, "pauses": pauses}
        p99 = next(b for b in bounds if merged[b] >= 0.99 * samples)
        worst = next(b for b in bounds if merged[b] >= samples)
        return {
            "samples": samples,
            "p99_le_ms": p99 * 1000,
            "worst_le_ms": worst * 1000,
            "stalls": samples - merged.get(STALL_SECONDS, 0),
            "stall_ms": STALL_SECONDS * 1000,
            "pauses": pauses,
        }


def lag_text(lag: Result) -> str:
    """``p99 ≤ 5 ms, worst ≤ 50 ms; 3 of 1500 over 20 ms``, then the full garbage collections and the WAL
    checkpoints in the phase, if any."""
    if not lag.get("samples"):
        return "not measured"

    def bound(ms: float) -> str:
        return "over 2.5 s" if ms == float("inf") else f"≤ {ms:g} ms"

    text = (
        f"p99 {bound(lag['p99_le_ms'])}, worst {bound(lag['worst_le_ms'])};"
        f" {lag['stalls']} of {lag['samples']} over {lag['stall_ms']:g} ms"
    )
    pauses = lag.get("pauses", {})
    if pauses.get("gc_pause_2_count"):
        text += f"; full GCs {pauses['gc_pause_2_count']:.0f}, {1000 * pauses['gc_pause_2_sum']:.0f} ms"
    if pauses.get("sqlite_checkpoint_count"):
        text += (
            f"; WAL checkpoints {pauses['sqlite_checkpoint_count']:.0f},"
            f" {1000 * pauses['sqlite_checkpoint_sum']:.0f} ms off the loop"
        )
    return text


class BuildCount:
    """The halls each instance built from the rows, and caught up, during a phase: :meth:`mark`,
    then :meth:`since`."""

    def __init__(self, rig: Rig, session: aiohttp.ClientSession) -> None:
        self.rig, self.session = rig, session
        self._at: list[tuple[int, int]] = []

    async def mark(self) -> None:
        self._at = await hall_counts(self.rig, self.session)

    async def since(self) -> Result:
        """``hall_builds`` and ``catch_ups``: summed over the instances, and per instance."""
        now = await hall_counts(self.rig, self.session)
        built = [after[0] - before[0] for after, before in zip(now, self._at, strict=True)]
        caught = [after[1] - before[1] for after, before in zip(now, self._at, strict=True)]
        return {
            "hall_builds": sum(built),
            "per_instance": built,
            "catch_ups": sum(caught),
            "catch_ups_per_instance": caught,
        }


def builds_text(built: Result) -> str:
    """``12 (5 + 7)``: halls built from the rows in a phase, and by each instance when several; then
    the catch-ups the same way (earlier runs' JSON has none)."""

    def text(total: int, each: list[int]) -> str:
        return f"{total}" + (f" ({' + '.join(str(n) for n in each)})" if len(each) > 1 else "")

    shown = text(built["hall_builds"], built["per_instance"])
    if "catch_ups" in built:
        shown += f"; caught up {text(built['catch_ups'], built['catch_ups_per_instance'])}"
    return shown


def builds_rows(result: Result, label: str = "") -> list[Row]:
    """A row of the halls built from the rows (earlier runs' JSON has none)."""
    if "hall_builds" not in result:
        return []
    return [(f"{label}halls built from the rows (per instance)", builds_text(result["hall_builds"]))]
