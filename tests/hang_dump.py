"""Before pytest-timeout ends a hung test, print the asyncio tasks of its event loop.

pytest-timeout prints every thread's stack, and for an asyncio test that is the event loop idling
in ``select``: it does not say which task waits for what. A little before the timeout, this finds
the loop running on the test's thread and asks it (thread-safely) to print each task's stack.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator

import pytest

HEAD_START = 15.0
"""Seconds before pytest-timeout's own timeout at which the tasks are printed."""


def test_timeout(item: pytest.Item) -> float:
    marker = item.get_closest_marker("timeout")
    if marker is not None and marker.args:
        return float(marker.args[0])
    return float(item.config.getini("timeout") or 0)


def running_loop(thread_id: int) -> asyncio.AbstractEventLoop | None:
    """The event loop whose ``run_forever`` is on ``thread_id``'s stack, if any."""
    frame = sys._current_frames().get(thread_id)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if frame.f_code.co_name == "run_forever" and isinstance(candidate, asyncio.AbstractEventLoop):
            return candidate
        frame = frame.f_back
    return None


def print_tasks(loop: asyncio.AbstractEventLoop) -> None:
    print(f"\n{'+' * 30} asyncio tasks of the hung test {'+' * 30}", file=sys.stderr)
    for task in asyncio.all_tasks(loop):
        print(f"--- {task!r}", file=sys.stderr)
        task.print_stack(file=sys.stderr)


def dump_if_hung(thread_id: int) -> None:
    loop = running_loop(thread_id)
    if loop is not None and not loop.is_closed():
        loop.call_soon_threadsafe(print_tasks, loop)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    limit = test_timeout(item)
    watchdog = None
    if limit > HEAD_START * 2:
        watchdog = threading.Timer(limit - HEAD_START, dump_if_hung, args=(threading.get_ident(),))
        watchdog.daemon = True
        watchdog.start()
    try:
        return (yield)
    finally:
        if watchdog is not None:
            watchdog.cancel()
