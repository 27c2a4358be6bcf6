"""Scale: 10, 100 and 1,000 windows with every device connected, a steady day, then a morning rush.

Each window has its caller keypad and rating pad (twins) and its display (a subscriber) connected,
and the hall board subscribes as a protocol 2 board does (every window's state and calls, the
hall's summary and latest calls); what it receives in the steady phase, divided by the calls made
then, is the board's cost per call, which must not grow with the hall. For ``steady`` seconds
each window calls about every ``interval`` seconds by keypad (finishing its ticket first) while
kiosks issue over HTTP a little faster than the windows call; then a morning rush issues a burst
of tickets from many kiosks at once while the windows go on calling. Figures per size:
call-to-display latencies, the answers' times, the server's resident memory (idle with the
devices connected, and at the end) and its CPU time per thousand actions (tickets, nexts and
finishes), and the broker's CPU when the rig started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

from bench.callers import KeypadCaller
from bench.calls import CallWatch, Traffic
from bench.hall import CENTRE, keypad_id, pad_id
from bench.load import GRACE_S, Tally, issue_steadily, issue_until, run_window, stop_windows
from bench.measure import Probe, ProcessProbe, Summary, own_cpu_seconds, summarise
from bench.rig import Rig
from bench.scenarios.base import Options, Result, Row, Scenario, issue_tickets, latency_text, new_session
from queue_server.twins import Keypad, Pad, Twin

ISSUE_MARGIN = 1.1
"""Kiosks issue this much faster than the windows call, so the queue never runs dry."""
MB = 2**20


@dataclass(frozen=True, slots=True)
class Size:
    windows: int
    interval: float
    """Seconds between one window's calls."""
    steady: float
    """Seconds of the steady phase."""
    rush: int
    """Tickets in the morning rush."""
    rush_limit: float
    """Seconds the rush may take at most: a server that cannot keep up is measured, not waited for."""
    budget: float
    """Seconds the whole size may take, a last resort: each phase has its own bound."""


FULL = (
    Size(10, 3.0, 20.0, 300, 30.0, 120.0),
    Size(100, 5.0, 30.0, 1000, 45.0, 150.0),
    Size(1000, 10.0, 40.0, 2000, 45.0, 240.0),
)
SMALL = (Size(10, 1.0, 3.0, 30, 20.0, 120.0),)
SETTLE_S = 1.0
IDLE_S = 3.0
"""Seconds the server's CPU is measured with every device connected and nothing happening: its own
background work (relay polling, the daily jobs), which every per-action figure also contains."""


class Usage:
    """CPU seconds of the server, the broker (if a process of its own) and the load generator since ``mark``."""

    def __init__(self, server: Probe, broker: ProcessProbe | None, idle_share: float) -> None:
        self.server, self.broker, self.idle_share = server, broker, idle_share
        self.mark()

    def mark(self) -> None:
        self._at = time.perf_counter()
        self._server = self.server.cpu_seconds()
        self._broker = self.broker.cpu_seconds() if self.broker else 0.0
        self._own = own_cpu_seconds()

    def since(self, actions: int) -> Result:
        wall = time.perf_counter() - self._at
        server = self.server.cpu_seconds() - self._server
        figures: Result = {
            "seconds": wall,
            "actions": actions,
            "actions_per_s": actions / wall,
            "server_cpu_s": server,
            "server_cpu_share": server / wall,
            "server_cpu_ms_per_1000_actions": server / max(actions, 1) * 1e6,
            "server_cpu_ms_per_1000_actions_above_idle": max(0.0, server - self.idle_share * wall)
            / max(actions, 1)
            * 1e6,
            "load_generator_cpu_share": (own_cpu_seconds() - self._own) / wall,
        }
        if self.broker is not None:
            broker = self.broker.cpu_seconds() - self._broker
            figures["broker_cpu_ms_per_1000_actions"] = broker / max(actions, 1) * 1e6
            figures["broker_cpu_share"] = broker / wall
        return figures


async def connect_twins(stack: contextlib.AsyncExitStack, twins: list[Twin]) -> None:
    """One after another: each twin's task group belongs to the task that opened it."""
    for twin in twins:
        await stack.enter_async_context(twin)


def call_figures(watches: Sequence[CallWatch], since: float, until: float) -> Result:
    """The calls asked for between ``since`` and ``until`` at every watched centre: their delays to the
    window display and to the hall board, and how many reached neither in time."""
    samples = [s for watch in watches for s in watch.delivered(since) if s.asked_at < until]
    return {
        "display": summarise([s.display_s for s in samples if s.display_s is not None]).as_dict(),
        "board": summarise([s.board_s for s in samples if s.board_s is not None]).as_dict(),
        "undelivered": sum(1 for s in samples if s.display_s is None or s.board_s is None),
    }


async def run_size(options: Options, size: Size) -> Result:
    """One hall size; a phase the server cannot finish within the size's budget ends it, with what was measured."""
    figures: Result = {
        "windows": size.windows,
        "devices_connected": 3 * size.windows + 1,
        "call_interval_s": size.interval,
        "issue_rate_per_s": size.windows / size.interval * ISSUE_MARGIN,
        "budget_s": size.budget,
    }
    phase = ["starting the rig"]
    loops: list[asyncio.Task[None]] = []
    async with (
        Rig(options.rig(f"scale-{size.windows}", size.windows)) as rig,
        new_session(64) as session,
        contextlib.AsyncExitStack() as stack,
    ):
        probe = rig.server_probe()
        measure = _measure(rig, session, stack, size, figures, phase, loops)
        await within_budget(measure, size.budget, figures, phase, loops, probe)
    return figures


async def within_budget(
    measure: Coroutine[Any, Any, None],
    budget: float,
    figures: Result,
    phase: list[str],
    loops: list[asyncio.Task[None]],
    probe: Probe,
) -> None:
    """Run ``measure`` for at most ``budget`` seconds: a server that cannot keep up is reported with
    what was measured (and the phase it was in), not waited for; then the loops stop and the
    server's memory at the end and at its peak are read."""
    try:
        async with asyncio.timeout(budget):
            await measure
    except TimeoutError:
        figures["incomplete"] = f"the budget of {budget:g} s ran out while {phase[0]}"
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)  # cancelled: nothing to report
        figures["server_rss_end_mb"] = probe.rss_bytes() / MB
        figures["server_rss_peak_mb"] = probe.peak_rss_bytes() / MB


async def _measure(
    rig: Rig,
    session: aiohttp.ClientSession,
    stack: contextlib.AsyncExitStack,
    size: Size,
    figures: Result,
    phase: list[str],
    loops: list[asyncio.Task[None]],
) -> None:
    """The phases of one size, each adding its figures as soon as it is done."""
    windows = range(1, size.windows + 1)
    probe = rig.server_probe()
    phase[0] = "connecting the devices"
    started = time.perf_counter()
    watch = await stack.enter_async_context(CallWatch("127.0.0.1", rig.mqtt_port, CENTRE, windows))
    # A device repeats an unanswered request every retry_interval: patient twins, so an overloaded
    # server is measured rather than flooded with repeats.
    keypads = [Keypad(CENTRE, keypad_id(n), n, rig.broker_url, retry_interval=10.0, timeout=60.0) for n in windows]
    pads = [Pad(CENTRE, pad_id(n), rig.broker_url, retry_interval=10.0, timeout=60.0) for n in windows]
    await connect_twins(stack, [*keypads, *pads])
    figures["connect_s"] = time.perf_counter() - started
    await asyncio.sleep(SETTLE_S)  # the server hears every device come online
    figures["server_rss_idle_mb"] = probe.rss_bytes() / MB
    cpu, at = probe.cpu_seconds(), time.perf_counter()
    await asyncio.sleep(IDLE_S)
    figures["server_idle_cpu_share"] = (probe.cpu_seconds() - cpu) / (time.perf_counter() - at)

    phase[0] = "signing the staff on"
    started = time.perf_counter()
    await rig.sign_on_all(session)
    phase[0] = "issuing the first tickets"
    await issue_tickets(rig, session, size.windows, 32)
    figures["setup_s"] = time.perf_counter() - started

    phase[0] = "in the steady phase"
    usage = Usage(probe, rig.broker_probe(), figures["server_idle_cpu_share"])
    tally = Tally()
    steady_from = time.perf_counter()
    board_from, legacy_from = watch.board.copy(), watch.legacy.copy()
    steady_until = steady_from + size.steady
    rng = random.Random(size.windows)
    # The windows go on calling through the rush.
    loops += [
        asyncio.create_task(
            run_window(KeypadCaller(k), watch, size.interval, steady_until + size.rush_limit, rng, tally)
        )
        for k in keypads
    ]
    await issue_steadily(rig, session, figures["issue_rate_per_s"], steady_until, tally)
    rush_from = time.perf_counter()
    figures["steady"] = (
        usage.since(tally.actions) | {"tally": tally_figures(tally)} | call_figures([watch], steady_from, rush_from)
    )
    figures["hall_board"] = _board(watch, board_from, legacy_from, rush_from - steady_from)

    phase[0] = "in the morning rush"
    before = tally.actions
    usage.mark()
    rush_times: list[float] = []
    await issue_until(rig, session, size.rush, 64, rush_from + size.rush_limit, rush_times)
    rush_until = time.perf_counter()
    figures["rush"] = usage.since(len(rush_times) + tally.actions - before) | {
        "tickets": size.rush,
        "issued": len(rush_times),
        "tickets_per_s": len(rush_times) / (rush_until - rush_from),
        "issue": summarise(rush_times).as_dict(),
    }
    phase[0] = "waiting for the last calls to reach the displays"
    await stop_windows(loops)
    figures["hall_board"]["largest_bytes"] = watch.board.largest
    figures["nexts"] = {
        "asked": tally.asked,
        "answered": len(tally.next_answers),
        "failed": tally.next_failures,
        "unanswered": tally.unanswered,
    }
    await watch.wait_delivered(GRACE_S)
    figures["steady"] |= call_figures([watch], steady_from, rush_from)  # again, with the calls that came late
    figures["rush"] |= call_figures([watch], rush_from, rush_until)


def _board(watch: CallWatch, board: Traffic, legacy: Traffic, seconds: float) -> Result:
    """What the hall board received in the steady phase, per call it received then (an answer to a
    keypad may come too late for the keypad, but its call still reaches the board); the old feed beside it.
    """
    received = watch.board.bytes - board.bytes
    calls = watch.board.calls - board.calls
    old = watch.legacy.bytes - legacy.bytes
    return {
        "calls": calls,
        "largest_bytes": watch.board.largest,
        "messages": watch.board.messages - board.messages,
        "bytes": received,
        "bytes_per_call": received / calls if calls else None,
        "legacy_messages": watch.legacy.messages - legacy.messages,
        "legacy_bytes_per_s": old / seconds if seconds > 0 else None,
        "legacy_largest_bytes": watch.legacy.largest,
    }


def tally_figures(tally: Tally) -> Result:
    return {
        "nexts_asked": tally.asked,
        "nexts_unanswered": tally.unanswered,
        "calls": tally.calls,
        "empty_nexts": tally.empty,
        "finishes": tally.finishes,
        "issued": tally.issued,
        "failed": tally.failed,
        "next_answer": summarise(tally.next_answers).as_dict(),
        "issue_answer": summarise(tally.issue_answers).as_dict(),
    }


def sizes(options: Options) -> list[Size]:
    """The sizes asked for: the full run's, or (``--windows``) those given; a size the full run does
    not have takes the phases of the next larger one (else the largest), for comparing a figure per
    action between halls in a shorter run."""
    if options.small:
        return list(SMALL)
    if not options.windows:
        return list(FULL)
    return [replace(next((s for s in FULL if s.windows >= n), FULL[-1]), windows=n) for n in options.windows]


async def run(options: Options) -> Result:
    return {"sizes": [await run_size(options, size) for size in sizes(options)]}


def rows(result: Result, broker: Summary | None) -> list[Row]:
    out: list[Row] = []
    for figures in result["sizes"]:
        w = f"{figures['windows']} windows"
        if "server_rss_idle_mb" in figures:
            out.append(
                (
                    f"{w}: devices connected; server memory idle / end / peak",
                    f"{figures['devices_connected']} in {figures['connect_s']:.1f} s;"
                    f" {figures['server_rss_idle_mb']:.0f} / {figures['server_rss_end_mb']:.0f}"
                    f" / {figures['server_rss_peak_mb']:.0f} MB;"
                    f" server CPU idle {figures['server_idle_cpu_share']:.0%}",
                )
            )
        if "setup_s" in figures:
            out.append((f"{w}: staff signed on and first tickets issued", f"{figures['setup_s']:.1f} s"))
        if "steady" in figures:
            steady = figures["steady"]
            out += [
                (
                    f"{w}: steady, actions/s; server CPU per 1000 actions",
                    f"{steady['actions_per_s']:.0f}/s ({steady['tally']['calls']} calls, {steady['tally']['issued']}"
                    f" tickets, {steady['tally']['failed']} failed); {steady['server_cpu_ms_per_1000_actions']:.0f} ms"
                    f" ({steady['server_cpu_ms_per_1000_actions_above_idle']:.0f} above idle)" + _broker_cpu(steady),
                ),
                (f"{w}: steady, next → window display", latency_text(steady["display"], broker)),
                (f"{w}: steady, next → hall board", latency_text(steady["board"], broker)),
                (f"{w}: steady, keypad next → its answer", latency_text(steady["tally"]["next_answer"], broker)),
            ]
        if "nexts" in figures:
            nexts = figures["nexts"]
            failed = nexts.get("failed", nexts["asked"] - nexts["answered"] - nexts["unanswered"])
            out.append(
                (
                    f"{w}: keypad nexts asked / answered / refused or no answer in 60 s / cut off at the end",
                    f"{nexts['asked']} / {nexts['answered']} / {failed} / {nexts['unanswered']}",
                )
            )
        if "hall_board" in figures:
            board = figures["hall_board"]
            per_call = board["bytes_per_call"]
            out += [
                (
                    f"{w}: hall feed at the board, steady: bytes per call",
                    f"{per_call:,.0f} B" if per_call is not None else "no calls",
                ),
                (
                    f"{w}: hall feed at the board, steady: messages, calls; largest message",
                    f"{board['messages']}, {board['calls']}; {board.get('largest_bytes', 0):,} B",
                ),
                (
                    f"{w}: old hall/feed (previous release's boards), steady: messages, bytes/s; largest",
                    f"{board['legacy_messages']}, {board['legacy_bytes_per_s'] or 0:,.0f} B/s;"
                    f" {board['legacy_largest_bytes']:,} B",
                ),
            ]
        if "rush" in figures:
            rush = figures["rush"]
            out += [
                (
                    f"{w}: rush of {rush['tickets']} tickets, tickets/s; server CPU per 1000 actions",
                    f"{rush['tickets_per_s']:.0f}/s ({rush['issued']} issued in {rush['seconds']:.1f} s);"
                    f" {rush['server_cpu_ms_per_1000_actions']:.0f} ms" + _broker_cpu(rush),
                ),
                (f"{w}: rush, issue request", latency_text(rush["issue"], broker)),
            ]
            if "display" in rush:
                out.append((f"{w}: rush, next → window display", latency_text(rush["display"], broker)))
        if "incomplete" in figures:
            out.append(
                (f"{w}: incomplete", f"{figures['incomplete']} (peak memory {figures['server_rss_peak_mb']:.0f} MB)")
            )
    return out


def _broker_cpu(figures: Result) -> str:
    if "broker_cpu_ms_per_1000_actions" in figures:
        return f" (broker {figures['broker_cpu_ms_per_1000_actions']:.0f} ms)"
    return ""


SCENARIO = Scenario("scale", "windows, devices, a steady day and a morning rush", run, rows)
