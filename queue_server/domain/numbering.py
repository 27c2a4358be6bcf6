"""Ticket numbers: the group prefix and a sequence that starts again each local day (A001)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


def format_number(prefix: str, sequence: int, width: int) -> str:
    """``A`` and 7 with width 3 give ``A007``; a day past 999 simply gets ``A1000``."""
    if sequence < 1:
        raise ValueError(f"Cannot number a ticket {sequence}: sequences start at 1")
    return f"{prefix}{sequence:0{width}d}"


@dataclass
class NumberSeries:
    """The last sequence used per service day and prefix."""

    width: int
    last: dict[tuple[dt.date, str], int] = field(default_factory=dict)

    def next(self, day: dt.date, prefix: str) -> str:
        sequence = self.last.get((day, prefix), 0) + 1
        self.last[(day, prefix)] = sequence
        return format_number(prefix, sequence, self.width)
