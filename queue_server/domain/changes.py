"""What an action of the hall did, as one value: its events in order and the states after them.

:class:`PendingChange` collects them while an action runs; :class:`Change` is what the hall hands
back and the store persists in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from queue_server.domain.estimates import Position
from queue_server.domain.events import TicketEvent
from queue_server.domain.tickets import Ticket
from queue_server.domain.windows import WindowEvent, WindowState


@dataclass(frozen=True, slots=True)
class Change:
    """What one action did: the events to log, in order, and the states after them."""

    ticket_events: tuple[TicketEvent, ...] = ()
    window_events: tuple[WindowEvent, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    windows: tuple[WindowState, ...] = ()
    position: Position | None = None

    @property
    def ticket(self) -> Ticket | None:
        """The ticket the action was about (the last one changed), if any."""
        return self.tickets[-1] if self.tickets else None

    @property
    def empty(self) -> bool:
        return not self.ticket_events and not self.window_events


@dataclass
class PendingChange:
    """Events of one action, collected before they are returned as a Change."""

    ticket_events: list[TicketEvent] = field(default_factory=list)
    window_events: list[WindowEvent] = field(default_factory=list)
    tickets: dict[int, Ticket] = field(default_factory=dict)
    windows: dict[int, WindowState] = field(default_factory=dict)

    def change(self, position: Position | None = None, focus: int | None = None) -> Change:
        tickets = dict(self.tickets)
        if focus is not None and focus in tickets:
            tickets[focus] = tickets.pop(focus)
        return Change(
            tuple(self.ticket_events),
            tuple(self.window_events),
            tuple(tickets.values()),
            tuple(self.windows.values()),
            position,
        )
