"""Why a ticket's told wait moved between two workings-out of the hall's wait ranges.

The service works the ranges out now and then (``app.wait_ranges``); each time it also takes a
``Glance`` of the hall: which windows are staffed and paused, which tickets wait and go first, who
is being served past their expected time. When a ticket's expected call (the single estimate's
instant) moved by ``MOVE_MINUTES`` or more since the last time, the reasons are read from
the difference between the two glances, as far as they concern the windows that may call it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from queue_server.domain.estimates import HandlingStats
from queue_server.domain.routing import Router
from queue_server.domain.tickets import Ticket, TicketStatus
from queue_server.domain.windows import WindowState, WindowStatus

MOVE_MINUTES = 3.0
"""A told wait whose expected call moved by less than this did not move (the plays' own noise)."""


class MoveReason(StrEnum):
    GREEN_AHEAD = "green_ahead"
    """A green-channel ticket that came later goes first (绿色通道优先)."""
    WINDOW_PAUSED = "window_paused"
    WINDOW_OPENED = "window_opened"
    """A window that may call it was signed on or ended its pause."""
    WINDOW_CLOSED = "window_closed"
    BOOKING_DUE = "booking_due"
    """A booked ticket's slot came: it is called before walk-ins."""
    SLOWER = "slower"
    """A service at a window that may call it runs longer than expected."""


@dataclass(frozen=True, slots=True)
class Glance:
    """What of the hall a told wait depends on, at one working-out."""

    at: dt.datetime
    staffed: frozenset[int]
    paused: frozenset[int]
    first: frozenset[int]
    """Waiting tickets that go first (green channel, due bookings)."""
    overdue: frozenset[int]
    """Windows serving a ticket past its expected handling time."""
    calls: dict[int, dt.datetime]
    """Each waiting ticket's expected call (the single estimate's play: no sampling noise)."""


def glance(
    now: dt.datetime,
    windows: tuple[WindowState, ...],
    holding: dict[int, Ticket],
    waiting: list[Ticket],
    calls: dict[int, dt.datetime],
    stats: HandlingStats,
) -> Glance:
    overdue = set()
    for number, ticket in holding.items():
        if ticket.called_at is not None:
            expected = stats.expected_minutes(ticket.matter, number, ticket.staff)
            if now - ticket.called_at > dt.timedelta(minutes=expected):
                overdue.add(number)
    return Glance(
        at=now,
        staffed=frozenset(w.number for w in windows if w.staffed),
        paused=frozenset(w.number for w in windows if w.status is WindowStatus.PAUSED),
        first=frozenset(t.serial for t in waiting if t.status is TicketStatus.WAITING and t.goes_first(now)),
        overdue=frozenset(overdue),
        calls=calls,
    )


@dataclass(frozen=True, slots=True)
class WaitMove:
    """The told wait of a ticket moved: when, by how many minutes (later: positive), and why."""

    at: dt.datetime
    minutes: int
    reasons: tuple[MoveReason, ...]


def moves(before: Glance, after: Glance, tickets: dict[int, Ticket], router: Router) -> dict[int, WaitMove]:
    """The tickets whose expected call moved by ``MOVE_MINUTES`` or more, with the reasons found."""
    out: dict[int, WaitMove] = {}
    for serial, call in after.calls.items():
        earlier = before.calls.get(serial)
        ticket = tickets.get(serial)
        if earlier is None or ticket is None:
            continue
        shift = (call - earlier).total_seconds() / 60
        if abs(shift) < MOVE_MINUTES:
            continue
        why = _reasons(before, after, ticket, tickets, router, later=shift > 0)
        out[serial] = WaitMove(after.at, round(shift), why)
    return out


def _reasons(
    before: Glance, after: Glance, ticket: Ticket, tickets: dict[int, Ticket], router: Router, *, later: bool
) -> tuple[MoveReason, ...]:
    mine = {n for n in after.staffed | before.staffed if router.can_serve(n, ticket)}
    found: list[MoveReason] = []
    if later:
        new_first = [tickets[s] for s in after.first - before.first if s in tickets]
        if any(t.green and t.place > ticket.place and _shares(t, ticket, mine, router) for t in new_first):
            found.append(MoveReason.GREEN_AHEAD)
        if any(t.booked and _shares(t, ticket, mine, router) for t in new_first):
            found.append(MoveReason.BOOKING_DUE)
        if (after.paused - before.paused) & mine:
            found.append(MoveReason.WINDOW_PAUSED)
        if (before.staffed - after.staffed) & mine:
            found.append(MoveReason.WINDOW_CLOSED)
        if (after.overdue - before.overdue) & mine:
            found.append(MoveReason.SLOWER)
    elif ((after.staffed - before.staffed) | ((before.paused - after.paused) & after.staffed)) & mine:
        found.append(MoveReason.WINDOW_OPENED)
    return tuple(found)


def _shares(other: Ticket, ticket: Ticket, windows: set[int], router: Router) -> bool:
    """``other`` may be called by a window that may call ``ticket``."""
    return any(router.can_serve(n, other) for n in windows)
