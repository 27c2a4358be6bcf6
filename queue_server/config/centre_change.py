"""Whether a new configuration may replace a centre's while the hall is running.

The centre model checks a configuration on its own; this checks it against the day: a window
cannot go while staff or a ticket is at it, nor a matter, a ticket group or a window that an open
ticket still needs, or that ticket could never be called. Pure: it reads the hall, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from queue_server.domain.centre import Centre
from queue_server.domain.hall import Hall
from queue_server.domain.refusal_codes import Fact, RefusalCode
from queue_server.domain.windows import WindowStatus


@dataclass(frozen=True, slots=True)
class ChangeRefused:
    """Why not: in English for the log (``detail``), and as a code of the catalogue with the facts it
    names, for every screen to say in its language."""

    detail: str
    code: RefusalCode
    facts: dict[str, Fact] = field(default_factory=dict)


def change_refusal(hall: Hall, new: Centre) -> ChangeRefused | None:
    """Why ``new`` cannot replace the hall's centre now, in words a manager can act on; None when it can."""
    code = hall.centre.code
    numbers = set(new.windows_by_number)
    open_tickets = [t for t in hall.tickets() if not t.status.ended]
    for state in hall.windows():
        if state.number in numbers:
            continue
        holding = hall.holding(state.number)
        if holding is not None:
            return ChangeRefused(
                f"Cannot remove window {state.number} from {code}: ticket {holding.number} is at the window;"
                " finish it or transfer it first",
                RefusalCode.CHANGE_WINDOW_BUSY,
                {"window": state.number, "ticket": holding.number},
            )
        if state.status is not WindowStatus.CLOSED:
            return ChangeRefused(
                f"Cannot remove window {state.number} from {code}: it is {state.status.value}; close it first",
                RefusalCode.CHANGE_WINDOW_OPEN,
                {"window": state.number},
            )
    for ticket in open_tickets:
        if ticket.target_window is not None and ticket.target_window not in numbers:
            return ChangeRefused(
                f"Cannot remove window {ticket.target_window} from {code}: ticket {ticket.number} was transferred"
                " to it and waits there; transfer or cancel the ticket first",
                RefusalCode.CHANGE_WINDOW_AWAITED,
                {"window": ticket.target_window, "ticket": ticket.number},
            )
        if ticket.matter not in new.matters_by_code:
            return ChangeRefused(
                f"Cannot remove matter {ticket.matter!r} from {code}: ticket {ticket.number} is still open for it;"
                " let it end or cancel it first",
                RefusalCode.CHANGE_MATTER_OPEN,
                {"matter": ticket.matter, "ticket": ticket.number},
            )
        if ticket.prefix not in new.groups_by_prefix:
            return ChangeRefused(
                f"Cannot remove ticket group {ticket.prefix!r} from {code}: ticket {ticket.number} is still open;"
                " let it end or cancel it first",
                RefusalCode.CHANGE_GROUP_OPEN,
                {"prefix": ticket.prefix, "ticket": ticket.number},
            )
    return None
