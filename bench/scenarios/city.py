"""City: 80 centres of 13 windows on one server, every device connected, idle, then a morning rush.

Each centre is the benchmark's hall (bench.hall) under its own code, with every window's keypad
and rating pad (twins) and display connected and the centre's hall board subscribed, as the scale
scenario has them for one centre. First the city sits idle: the server's CPU then is what every
centre's connection, relay and timers cost with nothing to do (the floor: under 5 % of a core),
and its memory. Then every window's staff signs on, each centre gets a first ticket per window,
and the morning rush comes across the centres: kiosks issue tickets to every centre in turn as
fast as they are answered while every window calls by keypad (finishing its ticket first).
Figures: the idle CPU and memory, the rush's tickets per second, the keypad's answer, call to
window display and to the hall board, every ``next`` answered or not, the memory's peak.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass

import aiohttp

from bench.callers import KeypadCaller
from bench.calls import CallWatch
from bench.hall import keypad_id, pad_id
from bench.load import GRACE_S, Tally, issue_until, run_window, stop_windows
from bench.measure import Probe, Summary, summarise
from bench.rig import Rig
from bench.scenarios.base import MB, Options, Result, Row, Scenario, latency_text, new_session
from bench.scenarios.scale import Usage, call_figures, connect_twins, tally_figures, within_budget
from queue_server.twins import Keypad, Pad


@dataclass(frozen=True, slots=True)
class City:
    centres: int
    windows: int
    """Windows per centre."""
    idle: float
    """Seconds the idle city's CPU is measured."""
    interval: float
    """Seconds between one window's calls in the rush."""
    calling: float
    """Seconds the windows call from the start of the rush, whether its tickets are all issued or not."""
    rush: int
    """Tickets in the morning rush, spread over the centres."""
    rush_limit: float
    """Seconds the rush may take at most: a server that cannot keep up is measured, not waited for."""
    budget: float
    """Seconds the whole scenario may take, a last resort."""


FULL = City(80, 13, 10.0, 10.0, 30.0, 2000, 45.0, 360.0)
SMALL = City(3, 2, 1.0, 1.0, 3.0, 30, 20.0, 120.0)
SETTLE_S = 2.0
"""After the devices connected: the server hears each one's availability before the idle phase."""
KIOSKS = 64


async def run(options: Options) -> Result:
    city = SMALL if options.small else FULL
    figures: Result = {
        "centres": city.centres,
        "windows_per_centre": city.windows,
        "windows": city.centres * city.windows,
        "devices_connected": city.centres * (3 * city.windows + 1),
        "call_interval_s": city.interval,
        "budget_s": city.budget,
    }
    phase = ["starting the rig"]
    loops: list[asyncio.Task[None]] = []
    async with (
        Rig(options.rig("city", city.windows, centres=city.centres)) as rig,
        new_session(KIOSKS) as session,
        contextlib.AsyncExitStack() as stack,
    ):
        probe = rig.server_probe()
        measure = _measure(rig, session, stack, city, figures, phase, loops, probe)
        await within_budget(measure, city.budget, figures, phase, loops, probe)
    return figures


async def _measure(
    rig: Rig,
    session: aiohttp.ClientSession,
    stack: contextlib.AsyncExitStack,
    city: City,
    figures: Result,
    phase: list[str],
    loops: list[asyncio.Task[None]],
    probe: Probe,
) -> None:
    """The phases, each adding its figures as soon as it is done."""
    codes = [centre.code for centre in rig.centres]
    windows = range(1, city.windows + 1)
    phase[0] = "connecting the devices"
    started = time.perf_counter()
    watches = [await stack.enter_async_context(CallWatch("127.0.0.1", rig.mqtt_port, code, windows)) for code in codes]
    # Patient twins, as in the scale scenario: an overloaded server is measured, not flooded with repeats.
    keypads = [
        (index, Keypad(code, keypad_id(n), n, rig.broker_url, retry_interval=10.0, timeout=60.0))
        for index, code in enumerate(codes)
        for n in windows
    ]
    pads = [Pad(code, pad_id(n), rig.broker_url, retry_interval=10.0, timeout=60.0) for code in codes for n in windows]
    await connect_twins(stack, [*(keypad for _, keypad in keypads), *pads])
    figures["connect_s"] = time.perf_counter() - started
    await asyncio.sleep(SETTLE_S)

    phase[0] = "idle"
    figures["server_rss_idle_mb"] = probe.rss_bytes() / MB
    idle = Usage(probe, rig.broker_probe(), 0.0)
    await asyncio.sleep(city.idle)
    figures["idle"] = idle.since(0)
    idle_share = figures["idle"]["server_cpu_share"]

    phase[0] = "signing the staff on and issuing the first tickets"
    started = time.perf_counter()
    for code in codes:
        await rig.sign_on_all(session, centre=code)
    first: list[float] = []
    await issue_until(rig, session, len(codes) * city.windows, 32, time.perf_counter() + city.budget, first, codes)
    figures["setup_s"] = time.perf_counter() - started

    phase[0] = "in the morning rush"
    usage = Usage(probe, rig.broker_probe(), idle_share)
    tally = Tally()
    rush_from = time.perf_counter()
    rng = random.Random(city.centres)
    loops += [
        asyncio.create_task(
            run_window(KeypadCaller(keypad), watches[index], city.interval, rush_from + city.calling, rng, tally)
        )
        for index, keypad in keypads
    ]
    rush_times: list[float] = []
    await issue_until(rig, session, city.rush, KIOSKS, rush_from + city.rush_limit, rush_times, codes)
    rush_until = time.perf_counter()
    figures["rush"] = {
        "tickets": city.rush,
        "issued": len(rush_times),
        "seconds": rush_until - rush_from,
        "tickets_per_s": len(rush_times) / (rush_until - rush_from),
        "issue": summarise(rush_times).as_dict(),
    }
    phase[0] = "waiting for the last calls to reach the displays"
    await asyncio.sleep(max(0.0, rush_from + city.calling - time.perf_counter()))
    await stop_windows(loops)
    figures["calling"] = usage.since(len(rush_times) + tally.actions) | {"tally": tally_figures(tally)}
    figures["nexts"] = {
        "asked": tally.asked,
        "answered": len(tally.next_answers),
        "failed": tally.next_failures,
        "unanswered": tally.unanswered,
    }
    await asyncio.gather(*(watch.wait_delivered(GRACE_S) for watch in watches))
    figures["calling"] |= call_figures(watches, rush_from, time.perf_counter())


def rows(result: Result, broker: Summary | None) -> list[Row]:
    c = f"{result['centres']} centres of {result['windows_per_centre']} windows"
    out: list[Row] = []
    if "idle" in result:
        idle = result["idle"]
        out.append(
            (
                f"{c}: devices connected; server memory idle / end / peak",
                f"{result['devices_connected']} in {result['connect_s']:.1f} s; {result['server_rss_idle_mb']:.0f}"
                f" / {result['server_rss_end_mb']:.0f} / {result['server_rss_peak_mb']:.0f} MB",
            )
        )
        broker_share = f", broker {idle['broker_cpu_share']:.1%}" if "broker_cpu_share" in idle else ""
        out.append((f"{c}: idle city, CPU share of a core", f"server {idle['server_cpu_share']:.1%}{broker_share}"))
    if "rush" in result:
        rush = result["rush"]
        out += [
            (
                f"{c}: rush of {rush['tickets']} tickets over the centres, tickets/s",
                f"{rush['tickets_per_s']:.0f}/s ({rush['issued']} issued in {rush['seconds']:.1f} s)",
            ),
            (f"{c}: rush, issue request", latency_text(rush["issue"], broker)),
        ]
    if "calling" in result:
        calling = result["calling"]
        tally = calling["tally"]
        out += [
            (
                f"{c}: rush and calls, actions/s; server CPU share; per 1000 actions",
                f"{calling['actions_per_s']:.0f}/s ({tally['calls']} calls, {tally['finishes']} finishes,"
                f" {calling['actions'] - tally['calls'] - tally['finishes']} tickets);"
                f" {calling['server_cpu_share']:.0%};"
                f" {calling['server_cpu_ms_per_1000_actions']:.0f} ms"
                f" ({calling['server_cpu_ms_per_1000_actions_above_idle']:.0f} above idle)",
            ),
            (f"{c}: keypad next → its answer", latency_text(tally["next_answer"], broker)),
        ]
        if "display" in calling:
            out += [
                (f"{c}: next → window display", latency_text(calling["display"], broker)),
                (f"{c}: next → hall board", latency_text(calling["board"], broker)),
            ]
    if "nexts" in result:
        nexts = result["nexts"]
        out.append(
            (
                f"{c}: keypad nexts asked / answered / refused or no answer in 60 s / cut off at the end",
                f"{nexts['asked']} / {nexts['answered']} / {nexts['failed']} / {nexts['unanswered']}",
            )
        )
    if "incomplete" in result:
        out.append((f"{c}: incomplete", f"{result['incomplete']} (peak memory {result['server_rss_peak_mb']:.0f} MB)"))
    return out


SCENARIO = Scenario("city", "a city: many centres on one server, idle, then a morning rush", run, rows)
