"""What a report is made of: each ticket of the period as handled, and each pause of a window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HandledTicket:
    """A ticket of the period, as the store kept it (the last window and staff member that had it)."""

    serial: int
    number: str
    matter: str
    status: str
    category: str | None
    """Set for a green-channel ticket."""
    issued_at: dt.datetime
    first_called_at: dt.datetime | None
    serving_at: dt.datetime | None
    ended_at: dt.datetime | None
    window: int | None
    staff: str | None
    outcome: str | None
    no_shows: int
    transfers: int
    rating_status: str
    rating: int | None
    due_date: dt.date | None
    assisted: bool = False
    """A 帮办代办 record was made at its finish (who was helped is not read into a report)."""
    appeal_upheld: bool = False
    """The window's appeal of this rating was upheld: the rating no longer counts in the figures."""
    named_bad: bool = False
    """A bad rating the citizen left a number with: a follow-up call (回访) is due."""
    followed_up: bool = False
    """Its follow-up has an outcome (reached, satisfied, or not reached after the policy's tries)."""
    rating_items: tuple[int, ...] = ()
    """The items rated besides the level (服务效率, 服务水平, 服务态度; 0: left unrated)."""
    booked_from: dt.datetime | None = None
    """A booked ticket's slot start (预约); None for a walk-in."""
    estimate_minutes: int | None = None
    """The single wait estimate told at issue, in whole minutes (None: none was told)."""
    estimate_low: int | None = None
    estimate_high: int | None = None
    """The wait range told at issue, in whole minutes (None: none was worked out)."""

    @property
    def green(self) -> bool:
        return self.category is not None

    @property
    def booked_wait(self) -> dt.timedelta | None:
        """A booked ticket's wait: from its slot's start (or its check-in, if later) to the first call."""
        if self.booked_from is None or self.first_called_at is None:
            return None
        return max(self.first_called_at - max(self.issued_at, self.booked_from), dt.timedelta())

    @property
    def wait(self) -> dt.timedelta | None:
        """From issue to the first call: the citizen's wait."""
        return self.first_called_at - self.issued_at if self.first_called_at is not None else None

    @property
    def handling(self) -> dt.timedelta | None:
        """From the start of service to its end, for a finished ticket."""
        if self.status != "finished" or self.serving_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.serving_at


@dataclass(frozen=True, slots=True)
class TransferMove:
    """A ticket sent on (转办): from the window, staff member and matter that had it, to another."""

    serial: int
    from_window: int
    from_staff: str | None
    from_matter: str
    to_matter: str
    to_window: int | None
    """Set when it was sent to one window; None when any window serving ``to_matter`` may call it."""


def transfer_moves(events: Iterable[tuple[int, str, dict[str, object]]]) -> list[TransferMove]:
    """The transfers in tickets' logs (``(serial, kind, data)`` in each ticket's order), with the
    matter and staff member each left: the log's ``transferred`` names only the window it left."""
    matter: dict[int, str] = {}
    staff: dict[int, str | None] = {}
    moves = []
    for serial, kind, data in events:
        if kind == "issued":
            matter[serial] = str(data["matter"])
        elif kind == "called":
            who = data.get("staff")
            staff[serial] = who if isinstance(who, str) else None
        elif kind == "transferred":
            to_window = data.get("to_window")
            moves.append(
                TransferMove(
                    serial=serial,
                    from_window=int(str(data["from_window"])),
                    from_staff=staff.get(serial),
                    from_matter=matter.get(serial, ""),
                    to_matter=str(data["to_matter"]),
                    to_window=int(str(to_window)) if to_window is not None else None,
                )
            )
            matter[serial] = str(data["to_matter"])
            staff[serial] = None
    return moves


@dataclass(frozen=True, slots=True)
class PauseSpan:
    """A window paused (暂停服务) from ``start`` to ``end`` (the resume, close or sign-off)."""

    window: int
    staff: str | None
    reason: str
    start: dt.datetime
    end: dt.datetime

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


@dataclass(frozen=True, slots=True)
class WindowMoment:
    """One event of a window's log, as a report needs it."""

    window: int
    kind: str
    at: dt.datetime
    actor: str
    reason: str = ""


def pause_spans(moments: Iterable[WindowMoment], until: dt.datetime) -> list[PauseSpan]:
    """Pair each window's ``paused`` with what ended it; a pause still running ends at ``until``."""
    open_pauses: dict[int, WindowMoment] = {}
    spans = []
    for moment in sorted(moments, key=lambda m: (m.window, m.at)):
        if moment.kind == "paused":
            open_pauses.setdefault(moment.window, moment)
        elif moment.kind in ("resumed", "closed", "signed_off") and moment.window in open_pauses:
            began = open_pauses.pop(moment.window)
            spans.append(_span(began, moment.at))
    spans.extend(_span(began, max(until, began.at)) for began in open_pauses.values())
    return spans


def _span(began: WindowMoment, end: dt.datetime) -> PauseSpan:
    staff = began.actor.split(":", 1)[1] if began.actor.startswith("staff:") else None
    return PauseSpan(began.window, staff, began.reason, began.at, end)
