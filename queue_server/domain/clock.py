"""Time as the domain sees it: always an aware UTC instant, handed in from outside.

The domain never reads the system clock itself, so tests and the simulator can run a whole
day in virtual time and the server can pass the instant of its transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

UTC = dt.UTC


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told: for tests and virtual-time simulation."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = require_utc(start)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, instant: dt.datetime) -> None:
        self._now = require_utc(instant)

    def advance(self, delta: dt.timedelta | None = None, *, minutes: float = 0, seconds: float = 0) -> None:
        self._now += (delta or dt.timedelta()) + dt.timedelta(minutes=minutes, seconds=seconds)


def require_utc(instant: dt.datetime) -> dt.datetime:
    """Normalise an aware instant to UTC; a naive one is a bug at the caller, so it is refused."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"Cannot use naive datetime {instant.isoformat()}: the domain needs aware instants")
    return instant.astimezone(UTC)
