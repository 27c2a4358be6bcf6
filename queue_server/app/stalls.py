"""The event loop's stalls, measured: how late a timer fires, and how long the garbage collector pauses.

Every action, every device request and every publish of a call waits for the one event loop; a
callback that holds it (a full garbage collection, a statement that scans a big table, a large
JSON built for the old hall feed) delays them all, and shows as a call whose p99 is many times its
median. :func:`watch_loop` sleeps ``LOOP_WATCH_SECONDS`` at a time and records how much later than
asked it woke up (:data:`LOOP_LAG`); :func:`watch_garbage_collector` times each collection by
generation (:data:`GC_PAUSES`). Both are histograms in the process's registry, so
``GET /api/v1/metrics`` shows them and the benchmark reads them before and after each phase. A lag
over ``STALL_LOG_SECONDS`` is also logged, to find it in the server's log beside what it did. To
learn what held the loop, run the server with ``PYTHONASYNCIODEBUG=1``: asyncio then logs every
callback that ran longer than ``SLOW_CALLBACK_SECONDS``, naming its task and coroutine (debug
mode costs CPU: for finding stalls, not for a hall).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import Histogram

from queue_server.app.instruments import REGISTRY

log = logging.getLogger(__name__)

LOOP_WATCH_SECONDS = 0.025
"""How long the watch sleeps each time. A timer due at a random moment is late by what a message
arriving then waits for the loop, so the lag's distribution does not depend on it; a shorter sleep
only takes more samples, at a cost: 100 wake-ups a second took 1.4 % of a core on a loaded 2-core
machine, 40 took 0.7 %."""
STALL_LOG_SECONDS = 0.1
"""A lag at least this long is logged as a warning."""
SLOW_CALLBACK_SECONDS = 0.02
"""In asyncio's debug mode, a callback running at least this long is logged with its name."""
LAG_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

LOOP_LAG = Histogram(
    "onewindow_event_loop_lag_seconds",
    f"How much later than asked the event loop woke a timer of {LOOP_WATCH_SECONDS * 1000:.0f} ms:"
    " what a message or request arriving then waited for the loop",
    buckets=LAG_BUCKETS,
    registry=REGISTRY,
)
BACKGROUND_JOBS = Histogram(
    "onewindow_background_job_seconds",
    "The server's periodic jobs (the daily jobs' steps), by job: how long each round took, awaits included",
    ["job"],
    buckets=LAG_BUCKETS,
    registry=REGISTRY,
)
GC_PAUSES = Histogram(
    "onewindow_gc_pause_seconds",
    "Garbage collections by generation and how long each held the process",
    ["generation"],
    buckets=LAG_BUCKETS,
    registry=REGISTRY,
)


async def watch_loop(period: float = LOOP_WATCH_SECONDS) -> None:
    """Record the event loop's lag every ``period`` seconds, until cancelled."""
    loop = asyncio.get_running_loop()
    if loop.get_debug():
        loop.slow_callback_duration = SLOW_CALLBACK_SECONDS
    while True:
        asked = loop.time()
        await asyncio.sleep(period)
        lag = max(0.0, loop.time() - asked - period)
        LOOP_LAG.observe(lag)
        if lag >= STALL_LOG_SECONDS:
            log.warning("the event loop stalled for %.0f ms", lag * 1000)


class _CollectionTimer:
    """A ``gc.callbacks`` entry timing each collection from its start to its stop."""

    def __init__(self) -> None:
        self.started = 0.0
        self.histograms = {generation: GC_PAUSES.labels(str(generation)) for generation in range(3)}

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.histograms[int(info["generation"])].observe(time.perf_counter() - self.started)


_TIMER = _CollectionTimer()


def watch_garbage_collector() -> None:
    """Time every garbage collection of this process from now on (once, however often called)."""
    if _TIMER not in gc.callbacks:
        gc.callbacks.append(_TIMER)


@contextmanager
def timed_job(job: str) -> Iterator[None]:
    """Time one round of a periodic job into :data:`BACKGROUND_JOBS` (awaits included: what it held
    the loop for is at most that)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        BACKGROUND_JOBS.labels(job).observe(time.perf_counter() - started)
