"""The public booking page's phone check: whether codes can be sent, and how often one may ask.

A booking made from the public page needs a mobile number confirmed by a code sent to it, so that
nobody books a day's slots away under numbers they do not hold. The codes go out through the
server's notices (SMS) when a gateway is configured. Until then :func:`codes_can_be_sent` is False
and the page says that bookings are made at the consultation desk or by phone.

The seam, for whoever wires the SMS notices:

- put a :class:`CodeSender` under ``queue_server.http_common.keys.CODE_SENDER`` when a gateway is
  configured; the page then offers booking (``queue_server.pages.page_book``);
- a code is asked for (``POST /api/v1/public/centres/{centre}/booking-code``, to be added beside
  the page) only after :meth:`PublicBookingLimits.take` allowed both the address and the number.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Protocol

from queue_server.app.ratelimit import RateLimiter

CODES_PER_ADDRESS_PER_MINUTE = 3
"""Codes one address may ask for in a burst, and then per minute."""
CODES_PER_NUMBER_PER_MINUTE = 1
"""Codes one mobile number may be sent in a burst, and then per minute."""


class CodeSender(Protocol):
    """What sends a booking's confirmation code to a mobile number (the SMS notices)."""

    async def send_code(self, phone: str, text: str) -> None: ...


def codes_can_be_sent(sender: CodeSender | None) -> bool:
    """Whether the public page may offer booking: only with a gateway to send the phone's code."""
    return sender is not None


class PublicBookingLimits:
    """How often an address and a mobile number may ask for a code: one token bucket per address
    and one per number (queue_server.app.ratelimit), so neither a script nor a number is a flood."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        per_address: int = CODES_PER_ADDRESS_PER_MINUTE,
        per_number: int = CODES_PER_NUMBER_PER_MINUTE,
    ) -> None:
        self._limiter = RateLimiter(clock)
        self.per_address = per_address
        self.per_number = per_number

    def take(self, address: str, phone: str) -> float | None:
        """One code for ``phone`` asked from ``address``: None when both allow it (each counts it),
        else the seconds to wait (nothing is counted)."""
        keys: list[tuple[Hashable, int]] = [
            (("address", address), self.per_address),
            (("phone", phone), self.per_number),
        ]
        waits = [wait for key, limit in keys if (wait := self._limiter.wait(key, limit)) is not None]
        if waits:
            return max(waits)
        for key, limit in keys:
            self._limiter.take(key, limit)
        return None
