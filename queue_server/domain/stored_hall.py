"""What the store keeps of a hall between actions, handed to it in one piece.

A hall is rebuilt from it (every open ticket) or brought up to date with it (the tickets another
process's actions changed): either way the windows and today's counters come whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from queue_server.domain.tickets import Ticket
from queue_server.domain.windows import WindowState


@dataclass(frozen=True, slots=True)
class StoredHall:
    tickets: Sequence[Ticket]
    """Every open ticket (and those awaiting a rating), or only those changed since a hall was kept."""
    windows: Sequence[WindowState]
    last_serial: int
    numbers: dict[tuple[dt.date, str], int]
    """The last number given per service day and prefix, from today on."""
    issued: dict[tuple[dt.date, str], int]
    """Tickets issued per service day and matter, from today on."""
    people: dict[tuple[dt.date, str], int] = field(default_factory=dict)
    """Real-name tickets per service day and person (the ID number's keyed hash), from today on."""
