"""Stopping tasks for good, even those that swallow a cancellation.

On Python 3.11 ``asyncio.wait_for`` (which aiomqtt uses for every publish with a timeout) returns
the result instead of raising when the task is cancelled in the same instant its inner future
completes: the cancellation is lost, and a loop such as a keypad twin's "next, wait, finish" runs
on. Whoever cancels such a task and awaits it would then wait forever (a demo that did not stop on
Ctrl-C). :func:`stop_tasks` cancels again until each task has ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

NUDGE_SECONDS = 0.5
"""How long a cancelled task may run before it is cancelled again."""


async def stop_tasks(tasks: Iterable[asyncio.Task[object]], *, nudge: float = NUDGE_SECONDS) -> None:
    """Cancel ``tasks`` and wait until every one has ended, cancelling again those that go on.

    The tasks' results and exceptions are left in them (retrieved, so none is logged as never
    retrieved); a cancellation of the caller itself still propagates.
    """
    stopping = list(tasks)
    pending = {task for task in stopping if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=nudge)
    for task in stopping:
        if not task.cancelled():
            task.exception()
