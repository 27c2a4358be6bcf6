"""How many tickets a kiosk and a client address may take: the limits of the centre's policy, applied.

The HTTP API (tickets route) and the MQTT device requests (a button kiosk's ``ticket``) use the
same :class:`TicketLimits`, the one their hall service made with itself (``service.ticket_limits``),
so a kiosk that uses both is counted once. The buckets live in the server's memory: several server
instances each allow the limit, which still stops a flood. Time is the service's clock, so a test's
manual clock turns it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from queue_server.app.ratelimit import RateLimiter, whole_seconds
from queue_server.domain.centre import Centre

REMEMBERED_REQUESTS = 10_000
"""Request ids counted lately, kept so a repeat (a device that missed its answer) costs nothing."""

CONFIG_FRESH_FOR = 30.0
"""Seconds the HTTP edge trusts a centre's policy it read, so a ticket costs no extra read; a
manager's change of the limits takes effect within this time."""


class Scope(StrEnum):
    KIOSK = "kiosk"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class TooMany:
    """A ticket refused because its kiosk or its address asked too often; try again after ``retry_after`` s."""

    scope: Scope
    who: str
    per_minute: int
    retry_after: int

    @property
    def message(self) -> str:
        return f"取号过于频繁，请 {self.retry_after} 秒后再试。"

    @property
    def message_en(self) -> str:
        return f"Too many tickets in a short time; please try again in {self.retry_after} s."

    @property
    def detail(self) -> str:
        """What failed, which one and why: for logs, scripts and a device's answer."""
        source = f"kiosk {self.who}" if self.scope is Scope.KIOSK else f"address {self.who}"
        return (
            f"Cannot issue a ticket: {source} took its {self.per_minute} tickets a minute; try again in"
            f" {self.retry_after} s ({self.message})"
        )


class TicketLimits:
    """One bucket per kiosk and one per client address, at each centre, sized by its policy."""

    def __init__(self, clock: Callable[[], float]) -> None:
        """``clock``: seconds now, on the service's clock (a test turns it)."""
        self._limiter = RateLimiter(clock)
        self._centres: dict[str, tuple[float, Centre]] = {}
        self._counted: OrderedDict[tuple[str, str], None] = OrderedDict()

    def known_centre(self, code: str) -> Centre | None:
        """The centre's configuration read less than :data:`CONFIG_FRESH_FOR` seconds ago, if any."""
        found = self._centres.get(code)
        if found is None or time.monotonic() - found[0] > CONFIG_FRESH_FOR:
            return None
        return found[1]

    def remember_centre(self, centre: Centre) -> None:
        self._centres[centre.code] = (time.monotonic(), centre)

    def take(
        self, centre: Centre, *, kiosk: str | None = None, address: str | None = None, request_id: str | None = None
    ) -> TooMany | None:
        """Count one ticket for ``kiosk`` and ``address`` (either may be None); the refusal, if over a limit.

        A ``request_id`` already counted is not counted again: a repeat is answered from the record
        of the first, so it issues nothing and must not use up the kiosk's tickets.
        """
        policy, code = centre.policy, centre.code
        if request_id is not None and (code, request_id) in self._counted:
            return None
        buckets = [
            (scope, who, per_minute)
            for scope, who, per_minute in (
                (Scope.KIOSK, kiosk, policy.kiosk_tickets_per_minute),
                (Scope.ADDRESS, address, policy.address_tickets_per_minute),
            )
            if who is not None
        ]
        for scope, who, per_minute in buckets:  # refused by one, counted by none
            wait = self._limiter.wait((code, scope, who), per_minute)
            if wait is not None:
                return TooMany(scope, who, per_minute, whole_seconds(wait))
        for scope, who, per_minute in buckets:
            self._limiter.take((code, scope, who), per_minute)
        if request_id is not None:
            self._counted[(code, request_id)] = None
            if len(self._counted) > REMEMBERED_REQUESTS:
                self._counted.popitem(last=False)
        return None
