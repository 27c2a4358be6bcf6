"""The hall's open rating requests per window, kept as tickets change.

A finished ticket stays in the live hall for as long as its rating request is open (minutes, and
thousands of tickets in a busy hall where few rate). Each finish retires the window's earlier codes
and shows the pad and the window display the service that ended last: looking for those among every
ticket of the hall made a call's cost grow with the hall. The hall hands each ticket's move
(``before`` → ``after``) to :class:`RatingIndex` instead, as it does to the waiting queue, and the
index answers from the window's own requests (tests/test_rating_index.py checks it against the scan).
"""

from __future__ import annotations

import bisect
import datetime as dt

from queue_server.domain.ratings import RatingStatus
from queue_server.domain.tickets import Ticket

_Key = tuple[dt.datetime, int]


def shown_key(ticket: Ticket) -> _Key:
    """Which of a window's open requests its pad shows: the service that ended last, then the
    latest serial (a green-channel ticket served earlier may carry a later serial)."""
    return ticket.ended_at or ticket.issued_at, ticket.serial


def _shown_at(ticket: Ticket) -> int | None:
    """The window whose pad shows the ticket's open request, if any. A promised case asked again at
    its delivery is rated on the ticket's page, not at the window."""
    if ticket.rating_status is RatingStatus.REQUESTED and ticket.rating_reopened_at is None:
        return ticket.window
    return None


def _coded_at(ticket: Ticket) -> int | None:
    """The window whose next finish retires the ticket's rating code, while the code is in use."""
    if ticket.rating_status is RatingStatus.REQUESTED and ticket.rating_code and ticket.rating_code_retired_at is None:
        return ticket.window
    return None


class RatingIndex:
    """Serials of the open rating requests: all of them, per window shown, per window with a code in use."""

    def __init__(self) -> None:
        self.requested: set[int] = set()
        """Every ticket whose rating request is open (``RatingStatus.REQUESTED``)."""
        self._shown: dict[int, list[_Key]] = {}
        """Per window, the open requests its pad may show, in order of :func:`shown_key`."""
        self._coded: dict[int, set[int]] = {}
        """Per window, the open requests whose code is still in use (one, mostly)."""

    def moved(self, before: Ticket | None, after: Ticket) -> None:
        """Keep the index as ``before`` became ``after`` (either may hold no open request)."""
        if before is not None and before.rating_status is RatingStatus.REQUESTED:
            self.requested.discard(before.serial)
            if (window := _shown_at(before)) is not None:
                shown = self._shown[window]
                key = shown_key(before)
                index = bisect.bisect_left(shown, key)
                if index < len(shown) and shown[index] == key:
                    del shown[index]
            if (window := _coded_at(before)) is not None:
                self._coded[window].discard(before.serial)
        if after.rating_status is RatingStatus.REQUESTED:
            self.requested.add(after.serial)
            if (window := _shown_at(after)) is not None:
                shown = self._shown.setdefault(window, [])
                key = shown_key(after)
                if not shown or shown[-1] < key:
                    shown.append(key)  # the service that just ended: the common case
                else:
                    bisect.insort(shown, key)
            if (window := _coded_at(after)) is not None:
                self._coded.setdefault(window, set()).add(after.serial)

    def shown(self, window: int) -> int | None:
        """The serial of the open request the window's pad shows: the service that ended last."""
        shown = self._shown.get(window)
        return shown[-1][1] if shown else None

    def coded(self, window: int) -> list[int]:
        """The serials of the window's open requests whose code is in use, in order."""
        return sorted(self._coded.get(window, ()))
