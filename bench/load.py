"""The hall's steady work: windows that call every few seconds, kiosks that issue at a rate.

A window finishes its current ticket, asks for the next and waits about ``interval`` seconds (a
random phase and ±20 % jitter, so windows do not press in step). A kiosk issues at a fixed rate
whatever the answers take, up to a cap of requests in flight, as a hall's arrivals do.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

from bench.callers import Caller
from bench.calls import CallWatch
from bench.hall import CENTRE, MATTER
from bench.rig import Rig

KIOSKS_IN_FLIGHT = 64
GRACE_S = 5.0
"""How long a phase that has ended waits for the answers still on their way."""


@dataclass
class Tally:
    """What the windows and kiosks did, and how long their answers took (seconds)."""

    asked: int = 0
    """Nexts sent."""
    calls: int = 0
    empty: int = 0
    """Nexts that found nobody waiting."""
    finishes: int = 0
    failed: int = 0
    """Requests that failed or went unanswered (a loaded server, a twin's timeout)."""
    next_failures: int = 0
    issued: int = 0
    next_answers: list[float] = field(default_factory=list)
    issue_answers: list[float] = field(default_factory=list)

    @property
    def unanswered(self) -> int:
        """Nexts still waiting for their answer when the phase ended."""
        return self.asked - len(self.next_answers) - self.next_failures

    @property
    def actions(self) -> int:
        """Every action the server applied: nexts (answered), finishes and tickets."""
        return len(self.next_answers) + self.finishes + self.issued


async def run_window(
    caller: Caller, watch: CallWatch, interval: float, deadline: float, rng: random.Random, tally: Tally
) -> None:
    await asyncio.sleep(rng.uniform(0, interval))
    holding = False
    while time.perf_counter() < deadline:
        if holding:
            try:
                await caller.finish()
                tally.finishes += 1
            except Exception:
                tally.failed += 1
            holding = False
        watch.expect(caller.window)
        tally.asked += 1
        try:
            called, took = await caller.next()
        except Exception:
            tally.failed += 1
            tally.next_failures += 1
            holding = True  # it may have called someone: finish (or fail harmlessly) first
        else:
            tally.next_answers.append(took)
            if called:
                tally.calls += 1
                holding = True
            else:
                watch.cancel(caller.window)
                tally.empty += 1
        await asyncio.sleep(interval * rng.uniform(0.8, 1.2))


async def issue_steadily(rig: Rig, session: aiohttp.ClientSession, rate: float, deadline: float, tally: Tally) -> None:
    """Issue ``rate`` tickets per second until ``deadline``, each in its own request."""
    gate = asyncio.Semaphore(KIOSKS_IN_FLIGHT)
    tasks: set[asyncio.Task[None]] = set()

    async def one() -> None:
        try:
            started = time.perf_counter()
            await rig.post(session, "tickets", rig.token.kiosk, {"matter": MATTER}, expect=201)
            tally.issue_answers.append(time.perf_counter() - started)
            tally.issued += 1
        except Exception:
            tally.failed += 1
        finally:
            gate.release()

    beat, due = 1 / rate, time.perf_counter()
    try:
        while due < deadline:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            try:  # a server far behind holds every kiosk: wait for one no longer than the phase lasts
                async with asyncio.timeout(max(0.0, deadline - time.perf_counter())):
                    await gate.acquire()
            except TimeoutError:
                break
            task = asyncio.create_task(one())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            due += beat
        if tasks:  # the last answers, if they come soon; a server far behind is not waited for
            await asyncio.wait(tasks, timeout=GRACE_S)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def issue_until(
    rig: Rig,
    session: aiohttp.ClientSession,
    count: int,
    clients: int,
    deadline: float,
    times: list[float],
    centres: Sequence[str] = (CENTRE,),
) -> None:
    """Issue up to ``count`` tickets from ``clients`` concurrent kiosks as fast as they go, until
    ``deadline``; the tickets go to ``centres`` in turn (a city's rush)."""
    left = iter(range(count))

    async def client() -> None:
        for n in left:
            if time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            centre = centres[n % len(centres)]
            kiosk = rig.token.kiosks[centre]
            await rig.post(session, "tickets", kiosk, {"matter": MATTER}, expect=201, centre=centre)
            times.append(time.perf_counter() - started)

    workers = [asyncio.create_task(client()) for _ in range(max(1, min(clients, count)))]
    try:
        await asyncio.wait(workers, timeout=max(0.0, deadline - time.perf_counter()) + GRACE_S)
    finally:
        for worker in workers:
            worker.cancel()
        for result in await asyncio.gather(*workers, return_exceptions=True):
            if isinstance(result, Exception):
                raise result


async def stop_windows(loops: list[asyncio.Task[None]]) -> None:
    """Let the windows finish their last request if it comes soon, then stop them."""
    if loops:
        await asyncio.wait(loops, timeout=GRACE_S)
    for loop in loops:
        loop.cancel()
    for result in await asyncio.gather(*loops, return_exceptions=True):
        if isinstance(result, Exception):
            raise result
