"""Who is acting where, for every log line written while they do: the request id, the centre, the
window and the actor.

The edges set it where a request is handled (the HTTP middleware, a device's request) and the
service where an action runs; each value lives in a context variable, so it follows the task that
set it and the tasks it starts, and never leaks into another request's lines. The log formatter
(queue_server.cli.logs) reads it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class LogContext:
    """What a log line says of the action under way; None where nothing says it."""

    request_id: str | None = None
    centre: str | None = None
    window: int | None = None
    actor: str | None = None

    def fields(self) -> dict[str, str | int]:
        """The values that are set, by name, for a structured log line."""
        return {name: value for name, value in asdict(self).items() if value is not None}


NOBODY = LogContext()
"""Outside any request or action."""

_CURRENT: contextvars.ContextVar[LogContext | None] = contextvars.ContextVar("onewindow_log_context", default=None)


def current() -> LogContext:
    """The context of the code running now."""
    return _CURRENT.get() or NOBODY


@contextmanager
def acting(
    *, request_id: str | None = None, centre: str | None = None, window: int | None = None, actor: str | None = None
) -> Iterator[LogContext]:
    """Within the block, log lines carry these values (those given; the others stay as they were)."""
    was = current()
    context = LogContext(
        request_id=request_id if request_id is not None else was.request_id,
        centre=centre if centre is not None else was.centre,
        window=window if window is not None else was.window,
        actor=actor if actor is not None else was.actor,
    )
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)
