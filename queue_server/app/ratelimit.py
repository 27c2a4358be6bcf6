"""A token bucket per key: how a kiosk or an address is kept from flooding the queue.

Each key has a bucket of ``per_minute`` tokens that refills at ``per_minute`` tokens a minute;
each ticket takes one. A kiosk may therefore issue a burst of ``per_minute`` tickets at once and
then one every ``60 / per_minute`` seconds, and one that was quiet for a minute has its whole burst
again. The limiter is pure: no I/O, and time comes from the clock it is given, so tests turn it.
Buckets of keys that have refilled are forgotten, so many addresses cannot fill the memory.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

MAX_KEYS = 10_000
"""Buckets kept at most; past it, those that have refilled are dropped (a full bucket is no bucket)."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by key; ``take`` says whether one more is allowed now, and if not, how long to wait."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, max_keys: int = MAX_KEYS) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[Hashable, _Bucket] = {}

    def take(self, key: Hashable, per_minute: int) -> float | None:
        """Take a token from ``key``'s bucket: None when allowed, else the seconds until one is there.

        ``per_minute`` is the bucket's size and its refill per minute; 0 means no limit. A refused
        request takes nothing, so waiting the time said is enough.
        """
        if per_minute <= 0:
            return None
        now = self.clock()
        bucket = self._buckets.get(key)
        tokens = per_minute if bucket is None else self._refilled(bucket, now, per_minute)
        if tokens >= 1:
            if bucket is None and len(self._buckets) >= self.max_keys:
                self._forget_full(now, per_minute)
            self._buckets[key] = _Bucket(tokens - 1, now)
            return None
        self._buckets[key] = _Bucket(tokens, now)
        return (1 - tokens) * 60 / per_minute

    def wait(self, key: Hashable, per_minute: int) -> float | None:
        """What :meth:`take` would answer, taking nothing: to check several buckets before taking from any."""
        if per_minute <= 0:
            return None
        bucket = self._buckets.get(key)
        tokens = per_minute if bucket is None else self._refilled(bucket, self.clock(), per_minute)
        return None if tokens >= 1 else (1 - tokens) * 60 / per_minute

    def __len__(self) -> int:
        return len(self._buckets)

    @staticmethod
    def _refilled(bucket: _Bucket, now: float, per_minute: int) -> float:
        elapsed = max(0.0, now - bucket.at)  # a clock set back refills nothing, and takes nothing
        return min(float(per_minute), bucket.tokens + elapsed * per_minute / 60)

    def _forget_full(self, now: float, per_minute: int) -> None:
        """Drop the buckets that have refilled; if none has, the oldest half (they refill soonest)."""
        full = [k for k, b in self._buckets.items() if self._refilled(b, now, per_minute) >= per_minute]
        if not full:
            by_age = sorted(self._buckets, key=lambda k: self._buckets[k].at)
            full = by_age[: max(1, len(by_age) // 2)]
        for key in full:
            del self._buckets[key]


def whole_seconds(wait: float) -> int:
    """A wait as ``Retry-After`` says it: whole seconds, rounded up, at least 1."""
    return max(1, math.ceil(wait - 1e-9))
