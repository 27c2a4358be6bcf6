"""The hall's queue, kept in order as tickets come and go, with its running counts.

Sorting every waiting ticket after each change cost a busy hall more than the change itself. The
hall hands each ticket's move (``before`` → ``after``) to :class:`WaitingQueue` instead, which takes
it out of its place and puts it back where its place says (bisect), and counts the waiting tickets
per number prefix and the green-channel ones on the way, and keeps those that may go first.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from queue_server.domain.tickets import Ticket, TicketStatus


def queue_order(ticket: Ticket) -> tuple[int, int]:
    """Where a ticket stands in the queue: by place (kept through transfers and carries), then serial."""
    return ticket.place, ticket.serial


class WaitingQueue:
    """The waiting tickets in order of place, and how many wait per prefix, in the green channel and booked."""

    def __init__(self) -> None:
        self._queue: list[Ticket] | None = None
        self._prefixes: dict[str, int] = {}
        self.green = 0
        """How many green-channel tickets wait: with none, the oldest ticket a window may call is its next."""
        self.booked = 0
        """How many booked tickets wait (due or not yet): with none and no green one, likewise."""
        self.firsts: list[Ticket] = []
        """The waiting green-channel and booked tickets, in order of place: the only ones that may go
        before older ones, so a call reads these to know whether it may take its window's oldest."""

    def ordered(self, tickets: Iterable[Ticket]) -> list[Ticket]:
        """The kept queue itself, in order of place: read it, never change it.

        Sorted once from ``tickets`` (every ticket of the hall) after a restore, then kept in
        order by each move: a call takes one ticket out, an issue appends one.
        """
        if self._queue is None:
            waiting = (t for t in tickets if t.status is TicketStatus.WAITING)
            self._queue = sorted(waiting, key=queue_order)
        return self._queue

    def moved(self, before: Ticket | None, after: Ticket) -> None:
        """Keep the queue and the counts as ``before`` became ``after`` (either may be out of the queue)."""
        self._count(before, after)
        self._requeue(before, after)

    def by_prefix(self) -> dict[str, int]:
        """How many tickets wait per number prefix (ticket group), without going through the queue."""
        return {prefix: n for prefix, n in self._prefixes.items() if n}

    def _requeue(self, before: Ticket | None, after: Ticket) -> None:
        queue = self._queue
        if queue is None:
            return
        if before is not None and before.status is TicketStatus.WAITING:
            index = bisect.bisect_left(queue, queue_order(before), key=queue_order)
            if index < len(queue) and queue[index].serial == before.serial:
                del queue[index]
            else:  # not where its place says: cannot happen, but never keep a wrong queue
                self._queue = None
                return
        if after.status is TicketStatus.WAITING:
            if not queue or queue_order(queue[-1]) < queue_order(after):
                queue.append(after)  # a new ticket goes last
            else:
                bisect.insort(queue, after, key=queue_order)

    def _count(self, before: Ticket | None, after: Ticket) -> None:
        counts = self._prefixes
        if before is not None and before.status is TicketStatus.WAITING:
            counts[before.prefix] -= 1
            self.green -= before.green
            self.booked -= before.booked
            if before.green or before.booked:
                firsts = self.firsts
                index = bisect.bisect_left(firsts, queue_order(before), key=queue_order)
                if index < len(firsts) and firsts[index].serial == before.serial:
                    del firsts[index]
        if after.status is TicketStatus.WAITING:
            counts[after.prefix] = counts.get(after.prefix, 0) + 1
            self.green += after.green
            self.booked += after.booked
            if after.green or after.booked:
                bisect.insort(self.firsts, after, key=queue_order)
