"""Live staffing advice: which matters will wait longest, and which change of staffing would help most.

The hall is played forward (``estimates.forecast``: the real router, the learned handling times,
the calendar) as it stands, and again with each change a manager could make now:

- sign a B-post (B岗, a staff member on call and signed on nowhere) on at a closed window;
- move a staff member from their window to a closed one (they finish the ticket in hand first);
- end a pause now instead of when it was announced to end.

Everyone who moves is charged the centre's ``policy.advice_move_minutes`` before their first call.
A suggestion is kept only when it helps: the play with it leaves fewer tickets that no window can
serve, or a shorter longest wait, or a shorter mean wait, and never a longer green-channel mean
wait. Suggestions are ranked by that effect. Nothing here changes the hall: it reads the windows
and the queue and builds the plays from copies.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.centre import Centre
from queue_server.domain.estimates import HandlingStats, forecast, window_free_at
from queue_server.domain.hall import Hall
from queue_server.domain.routing import Router
from queue_server.domain.tickets import Ticket, TicketStatus
from queue_server.domain.windows import WindowState, WindowStatus

SHOWN_MATTERS = 5
"""The matters the advice names as waiting longest."""
SHOWN_SUGGESTIONS = 5
"""The suggestions the advice keeps, best first."""
HORIZON = dt.timedelta(hours=1)
"""The advice says, per matter, how many of those waiting now will still wait this much later."""
MIN_GAIN_MINUTES = 1.0
"""A suggestion helps only if it shortens the longest or the mean wait by at least this much."""


class SuggestionKind(StrEnum):
    SIGN_ON = "sign_on"
    """Sign a B-post on at a closed window."""
    MOVE = "move"
    """Move a staff member from their window to a closed one."""
    END_PAUSE = "end_pause"
    """End a window's pause now."""


@dataclass(frozen=True, slots=True)
class MatterOutlook:
    """One matter's tickets waiting now, as the play expects them to be called."""

    matter: str
    waiting: int
    longest: float | None
    """Minutes from issue to the expected call of the one that waits longest; None: none can be served."""
    mean: float | None
    unserved: int
    """Tickets of the matter that no staffed window can call."""
    in_an_hour: int = 0
    """Of those waiting now, how many are expected still to wait an hour from now (unserved ones too)."""


@dataclass(frozen=True, slots=True)
class Outlook:
    """What one forward play of the hall expects for the tickets waiting now (waits from issue, minutes)."""

    longest: float
    mean: float
    green_mean: float | None
    """The green channel's mean wait; None when no green-channel ticket waits."""
    unserved: int
    matters: tuple[MatterOutlook, ...]
    """Every matter with a ticket waiting, the longest expected wait first (unserved ones first of all)."""

    def matter(self, code: str) -> MatterOutlook | None:
        return next((m for m in self.matters if m.matter == code), None)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One change a manager could make now, with the play of the hall after it."""

    kind: SuggestionKind
    window: int
    """The window that opens (sign on, move) or resumes (end a pause)."""
    staff: str | None = None
    """Who signs on or moves; None for ending a pause."""
    from_window: int | None = None
    """Where the staff member who moves works now."""
    move_minutes: float = 0.0
    """Minutes until the window can call: the ticket in hand finished (a move) and the walk over."""
    matters: tuple[str, ...] = ()
    """The waiting matters the window would serve, the longest waiting first."""
    after: Outlook | None = None

    def effect(self, before: Outlook) -> tuple[float, float, float]:
        """Minutes the longest wait, the mean wait and the green channel's mean wait get shorter."""
        assert self.after is not None
        green = 0.0
        if before.green_mean is not None and self.after.green_mean is not None:
            green = before.green_mean - self.after.green_mean
        return before.longest - self.after.longest, before.mean - self.after.mean, green


@dataclass(frozen=True, slots=True)
class Advice:
    """The hall now and what would help, best first; empty suggestions: nothing a change could improve."""

    at: dt.datetime
    now: Outlook
    suggestions: tuple[Suggestion, ...]


@dataclass(frozen=True, slots=True)
class LiveHall:
    """What the advice reads of a hall: a snapshot, so that nothing it does can reach the hall."""

    centre: Centre
    router: Router
    stats: HandlingStats
    calendar: WorkCalendar
    now: dt.datetime
    windows: tuple[WindowState, ...]
    holding: Mapping[int, Ticket]
    waiting: tuple[Ticket, ...]


def staffing_advice(hall: LiveHall, *, limit: int = SHOWN_SUGGESTIONS) -> Advice:
    """The hall's outlook and the suggestions that help, ranked by their effect."""
    before = play(hall, hall.windows)
    helping = []
    for suggestion in candidates(hall, before):
        after = play(hall, apply(hall, suggestion))
        found = replace(suggestion, after=after)
        if helps(before, after):
            helping.append(found)
    helping.sort(key=lambda s: _rank(before, s))
    return Advice(hall.now, before, tuple(helping[:limit]))


def play(hall: LiveHall, windows: Iterable[WindowState]) -> Outlook:
    """Play the hall forward with these windows and sum up the expected waits."""
    windows = tuple(windows)
    calls = forecast(hall.router, hall.stats, hall.calendar, hall.now, windows, hall.holding, hall.waiting)
    waits: dict[str, list[float]] = {}
    unserved: dict[str, int] = {}
    later: dict[str, int] = {}
    all_waits: list[float] = []
    green: list[float] = []
    horizon = hall.now + HORIZON
    for ticket in hall.waiting:
        if ticket.status is not TicketStatus.WAITING:
            continue
        waits.setdefault(ticket.matter, [])
        unserved.setdefault(ticket.matter, 0)
        later.setdefault(ticket.matter, 0)
        call = calls.get(ticket.serial)
        if call is None or call.at > horizon:
            later[ticket.matter] += 1
        if call is None:
            unserved[ticket.matter] += 1
            continue
        wait = max((call.at - ticket.issued_at).total_seconds() / 60, 0.0)
        waits[ticket.matter].append(wait)
        all_waits.append(wait)
        if ticket.green:
            green.append(wait)
    matters = [
        MatterOutlook(
            code, len(found) + unserved[code], max(found, default=None), _mean(found), unserved[code], later[code]
        )
        for code, found in waits.items()
    ]
    matters.sort(key=lambda m: (-m.unserved, -(m.longest or 0.0), m.matter))
    return Outlook(
        longest=max(all_waits, default=0.0),
        mean=_mean(all_waits) or 0.0,
        green_mean=_mean(green),
        unserved=sum(unserved.values()),
        matters=tuple(matters),
    )


def candidates(hall: LiveHall, before: Outlook) -> list[Suggestion]:
    """Every change worth playing: only windows that would serve a matter waiting now."""
    waiting_matters = [m.matter for m in before.matters]
    move = hall.centre.policy.advice_move_minutes
    closed = [w.number for w in hall.windows if w.status is WindowStatus.CLOSED]
    signed_on = {code for w in hall.windows for code in (w.staff, w.cover) if code is not None}
    found: list[Suggestion] = []

    def serves(window: int) -> tuple[str, ...]:
        served = hall.router.served_matters(window)
        return tuple(m for m in waiting_matters if m in served)

    for person in hall.centre.staff:
        allowed = _one_of_each_kind(hall.router, [n for n in closed if not person.windows or n in person.windows])
        if person.code not in signed_on:
            if person.b_post:
                found += [
                    Suggestion(SuggestionKind.SIGN_ON, n, person.code, move_minutes=move, matters=serves(n))
                    for n in allowed
                    if serves(n)
                ]
            continue
        home = next(w for w in hall.windows if w.signed_on(person.code))
        busy_until = hall.now  # paused, or the other of an A/B pair goes on: they can walk over now
        if home.status is WindowStatus.OPEN and home.cover is None:
            busy_until = window_free_at(home, hall.holding.get(home.number), hall.stats, hall.calendar, hall.now)
        lead = max((busy_until - hall.now).total_seconds() / 60, 0.0) + move
        found += [
            Suggestion(SuggestionKind.MOVE, n, person.code, home.number, lead, serves(n)) for n in allowed if serves(n)
        ]
    for window in hall.windows:
        if window.status is WindowStatus.PAUSED and serves(window.number):
            found.append(Suggestion(SuggestionKind.END_PAUSE, window.number, matters=serves(window.number)))
    return found


def apply(hall: LiveHall, suggestion: Suggestion) -> tuple[WindowState, ...]:
    """The hall's windows as they would be right after the manager follows the suggestion."""
    now = hall.now
    changed: dict[int, WindowState] = {}
    match suggestion.kind:
        case SuggestionKind.END_PAUSE:
            state = next(w for w in hall.windows if w.number == suggestion.window)
            changed[state.number] = replace(
                state, status=WindowStatus.OPEN, since=now, pause_reason=None, pause_note="", pause_minutes=None
            )
        case SuggestionKind.SIGN_ON | SuggestionKind.MOVE:
            assert suggestion.staff is not None
            changed[suggestion.window] = _arriving(suggestion.window, suggestion.staff, now, suggestion.move_minutes)
            if suggestion.from_window is not None:
                home = next(w for w in hall.windows if w.number == suggestion.from_window)
                changed[home.number] = _leaving(home, suggestion.staff)
    return tuple(changed.get(w.number, w) for w in hall.windows)


def helps(before: Outlook, after: Outlook) -> bool:
    """Fewer tickets nobody can serve, or a shorter longest or mean wait; never a longer green-channel wait."""
    if after.unserved > before.unserved:
        return False
    if before.green_mean is not None and after.green_mean is not None and after.green_mean > before.green_mean:
        return False
    if after.unserved < before.unserved:
        return True
    return (
        before.longest - after.longest >= MIN_GAIN_MINUTES or before.mean - after.mean >= MIN_GAIN_MINUTES
    ) and after.longest <= before.longest


def snapshot(hall: Hall) -> LiveHall:
    """What the advice reads of a hall, copied at the hall's instant."""
    windows = hall.windows()
    holding = {w.number: t for w in windows if (t := hall.holding(w.number)) is not None}
    return LiveHall(
        hall.centre, hall.router, hall.stats, hall.calendar, hall.clock.now(), windows, holding, tuple(hall.waiting())
    )


def _one_of_each_kind(router: Router, windows: Sequence[int]) -> list[int]:
    """The lowest-numbered of the windows that serve the same matters: opening any one of them plays
    the same, so a hall with many closed windows alike costs one play per kind, not per window."""
    kinds: dict[frozenset[str], int] = {}
    for number in sorted(windows):
        kinds.setdefault(router.served_matters(number), number)
    return sorted(kinds.values())


def _arriving(number: int, staff: str, now: dt.datetime, minutes: float) -> WindowState:
    """A window someone reaches ``minutes`` from now: paused until then (as the forecast reads a pause)."""
    if minutes <= 0:
        return WindowState(number, WindowStatus.OPEN, staff=staff, since=now)
    return WindowState(number, WindowStatus.PAUSED, staff=staff, since=now, pause_minutes=math.ceil(minutes))


def _leaving(home: WindowState, staff: str) -> WindowState:
    """The window a staff member leaves: the other of an A/B pair goes on, else it closes."""
    if home.cover is not None:
        other = home.cover if staff == home.staff else home.staff
        return replace(home, staff=other, cover=None)
    return WindowState(home.number)


def _rank(before: Outlook, suggestion: Suggestion) -> tuple[float, float, float, float, int]:
    assert suggestion.after is not None
    longest, mean, green = suggestion.effect(before)
    return (suggestion.after.unserved, -longest, -mean, -green, suggestion.window)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
