"""Which ticket a window gets next: the one rule, used by calls and by wait estimates alike.

The rule (docs/routing.md):

1. A window may call a ticket only if the ticket was sent to that window, or, if it was sent
   nowhere in particular, the window's kinds cover the ticket's matter.
2. Among the tickets a window may call, green-channel tickets (绿色通道) and due booked tickets
   (a booking checked in, once its slot has begun) come first, oldest place first; then ordinary
   tickets, oldest place first.
3. Starvation bound: when a later ticket is called before a waiting ticket that the same window
   could have called, that ticket is *passed over*. If any ticket the window may call has been
   passed over K times already, the window calls the oldest ticket it may call instead. Calling
   the oldest passes nobody over, so no ticket is ever passed over more than K times.

Places are given at issue and kept through transfers and carries to the next day, so the
oldest place is the citizen who has been in the hall longest.

Whether a booked ticket is due depends on the instant, so ``choose`` takes ``now``; it reads
only the waiting tickets (a booking not checked in is no ticket), so its cost does not grow with
the bookings of the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from queue_server.domain.centre import Centre
from queue_server.domain.tickets import Ticket, TicketStatus


@dataclass(frozen=True, slots=True)
class Choice:
    ticket: Ticket
    passed_over: tuple[Ticket, ...]
    """Waiting tickets this window could have called that are older than the chosen one."""
    forced: bool = False
    """True when the starvation bound made the window call the oldest ticket."""


class Why(StrEnum):
    """Why a ticket stands where it does in a window's call order."""

    IN_ORDER = "in_order"
    """The oldest place among the tickets the window may call."""
    GREEN_CHANNEL = "green_channel"
    """A green-channel ticket, called before older ordinary ones (rule 2)."""
    BOOKED = "booked"
    """A due booked ticket, called before older ordinary ones (rule 2)."""
    PASSED_OVER_BOUND = "passed_over_bound"
    """The oldest ticket, called first because one the window may call was passed over too often (rule 3)."""


@dataclass(frozen=True, slots=True)
class Upcoming:
    """One ticket of a window's call order, and why it stands there."""

    ticket: Ticket
    why: Why


class Router:
    """The routing rule for one centre, with its window-to-matter table worked out once."""

    def __init__(self, centre: Centre) -> None:
        self.max_passed_over = centre.policy.max_passed_over
        self._served: dict[int, frozenset[str]] = {
            window.number: frozenset(m.code for m in centre.matters if centre.serves(window, m))
            for window in centre.windows
        }
        self._serving: dict[str, tuple[int, ...]] = {}
        """``windows_serving`` per matter, worked out when first asked (every issue asks)."""

    def served_matters(self, window: int) -> frozenset[str]:
        return self._served.get(window, frozenset())

    def windows_serving(self, matter: str) -> tuple[int, ...]:
        found = self._serving.get(matter)
        if found is None:
            found = self._serving[matter] = tuple(n for n, matters in self._served.items() if matter in matters)
        return found

    def can_serve(self, window: int, ticket: Ticket) -> bool:
        """Rule 1: the window may call this ticket."""
        if ticket.target_window is not None:
            return ticket.target_window == window
        return ticket.matter in self._served.get(window, ())

    def choose(self, window: int, waiting: Iterable[Ticket], *, now: dt.datetime, green: bool = True) -> Choice | None:
        """The ticket ``window`` calls next at ``now``, from waiting tickets given in order of place.

        ``green=False`` says no ticket the window may call goes first (green channel, due booking;
        the hall knows from its few such tickets): then the oldest ticket the window may call is the
        one, and the queue is read only up to it instead of to its end.
        """
        if not green:
            for ticket in waiting:
                if ticket.status is TicketStatus.WAITING and self.can_serve(window, ticket):
                    return Choice(ticket, ())
            return None
        oldest: Ticket | None = None
        older_ordinary: list[Ticket] = []
        starving = False
        for ticket in waiting:
            if ticket.status is not TicketStatus.WAITING or not self.can_serve(window, ticket):
                continue
            if oldest is None:
                oldest = ticket
            if ticket.goes_first(now):
                if starving:
                    return Choice(oldest, (), forced=True)
                return Choice(ticket, tuple(older_ordinary))
            if ticket.passed_over >= self.max_passed_over:
                starving = True
            older_ordinary.append(ticket)
        if oldest is None:
            return None
        return Choice(oldest, ())

    def passed_over_by(self, window: int, chosen: Ticket, waiting: Iterable[Ticket]) -> tuple[Ticket, ...]:
        """Tickets an out-of-order call of ``chosen`` at ``window`` passes over."""
        return tuple(
            t
            for t in waiting
            if t.status is TicketStatus.WAITING
            and t.place < chosen.place
            and t.serial != chosen.serial
            and self.can_serve(window, t)
        )

    def call_order(self, window: int, waiting: Iterable[Ticket], limit: int, *, now: dt.datetime) -> list[Upcoming]:
        """The next ``limit`` tickets ``window`` will call if nothing else happens, in order.

        Every call is taken at ``now``: a booked ticket whose slot begins later stands as a walk-in.

        Each step is :meth:`choose` on what is left, with the tickets that step passes over
        counted as passed over, so the green channel and the starvation bound play out as the
        real calls would. Read for the clerk's list, never on a call: it costs ``limit`` walks of
        the queue.
        """
        left = [t for t in waiting if t.status is TicketStatus.WAITING and self.can_serve(window, t)]
        order: list[Upcoming] = []
        while left and len(order) < limit:
            choice = self.choose(window, left, now=now)
            assert choice is not None  # every ticket left is one the window may call
            chosen = choice.ticket
            why = _why(choice, now)
            order.append(Upcoming(chosen, why))
            passed = {t.serial for t in choice.passed_over}
            left = [
                replace(t, passed_over=t.passed_over + 1) if t.serial in passed else t
                for t in left
                if t.serial != chosen.serial
            ]
        return order


def _why(choice: Choice, now: dt.datetime) -> Why:
    if choice.forced:
        return Why.PASSED_OVER_BOUND
    if not choice.passed_over:
        return Why.IN_ORDER
    return Why.GREEN_CHANNEL if choice.ticket.green else Why.BOOKED
