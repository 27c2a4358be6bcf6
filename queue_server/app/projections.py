"""What a change says to the devices: the pure projections of a ``Change`` the service writes with it.

An action's change becomes outbox messages (a window's call and state, a pad's state,
:func:`build_messages`; the hall board's summary and latest calls, :func:`hall_messages`) and a
bad rating becomes a rectification case (:func:`rating_cases`); print jobs are in queue_server.app.print_jobs. Nothing
here reads or writes: the store keeps what these return, in the action's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from queue_server.app.views import View, iso, pad_view, window_state_view, windows_view
from queue_server.domain.changes import Change
from queue_server.domain.devices import DeviceKind
from queue_server.domain.events import (
    MarkedNoShow,
    RatingCodeRetired,
    RatingExpired,
    RatingRequested,
    ServingStarted,
    TicketCalled,
    TicketFinished,
    TicketRated,
    TicketRecalled,
    TicketTransferred,
)
from queue_server.domain.hall import Hall
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.rectification import Case, CaseSource
from queue_server.protocol.topics import HALL_CALLS, HALL_SUMMARY, PAD_STATE, WINDOW_CALL, WINDOW_STATE
from queue_server.store.database import Connection
from queue_server.store.outbox import RECENT_CALLS, Message, RecentCall, RecentCalls


def call_record(
    hall: Hall,
    *,
    serial: int,
    seq: int,
    number: str,
    matter: str,
    green: bool,
    window: int,
    recall: bool,
    at: str | None,
    booked: bool = False,
) -> View:
    """A call as windows, the hall board and its feed show it: one shape for live and past calls."""
    found = hall.centre.matters_by_code.get(matter)
    place = hall.centre.windows_by_number.get(window)
    return {
        "call_id": f"{serial}-{seq}",
        "serial": serial,
        "number": number,
        "matter": matter,
        "matter_name": found.name if found else matter,
        "matter_name_en": found.name_en if found else "",
        "green_channel": green,
        "booked": booked,
        "window": window,
        "window_name": place.name if place else str(window),
        "window_name_en": place.name_en if place else "",
        "recall": recall,
        "at": at,
    }


def call_view(hall: Hall, event: TicketCalled | TicketRecalled, seq: int) -> View:
    ticket = hall.ticket(event.serial)
    return call_record(
        hall,
        serial=ticket.serial,
        seq=seq,
        number=ticket.number,
        matter=ticket.matter,
        green=ticket.green,
        window=event.window,
        recall=isinstance(event, TicketRecalled),
        at=iso(event.at),
        booked=ticket.booked,
    )


def build_messages(hall: Hall, change: Change, recent_calls: list[View], *, hall_board: bool = True) -> list[Message]:
    """What the displays must learn from one change: calls, window states and (``hall_board``) the
    hall's summary and latest calls (:func:`hall_messages`).

    The service leaves the hall's messages out and keeps them with :meth:`Writes.keep_latest`
    instead: a batch of actions writes each once, as the hall is at the end.
    """
    messages: list[Message] = []
    versions = {t.serial: t.version for t in change.tickets}
    seen: dict[int, int] = {}
    for event in change.ticket_events:
        seen[event.serial] = seen.get(event.serial, 0) + 1
        if isinstance(event, (TicketCalled, TicketRecalled)):
            later = sum(1 for e in change.ticket_events if e.serial == event.serial) - seen[event.serial]
            seq = versions[event.serial] - later
            messages.append(Message(WINDOW_CALL.subject(number=event.window), "call", call_view(hall, event, seq)))
    rated_windows = {hall.ticket(e.serial).window for e in change.ticket_events if isinstance(e, RATING_EVENTS)}
    # a rating given or lapsed takes the service's code off its window's display
    for number in sorted(windows_touched(change) | {w for w in rated_windows if w is not None}):
        messages.append(Message(WINDOW_STATE.subject(number=number), "state", window_state_view(hall, number)))
    pads = hall.centre.pads_by_window
    for number in sorted(w for w in rated_windows if w is not None):
        for pad in pads.get(number, ()):
            messages.append(Message(PAD_STATE.subject(device=pad.id), "state", pad_view(hall, number)))
    if hall_board:
        messages += [
            Message(subject, kind, build()) for subject, kind, build in hall_messages(hall, change, recent_calls)
        ]
    return messages


def hall_messages(
    hall: Hall,
    change: Change,
    recent_calls: list[View] | Callable[[], list[View]],
    listed: Callable[[], set[int]] | None = None,
) -> list[tuple[str, str, Callable[[], View]]]:
    """The hall board's retained messages a change calls for: subject, event type and a builder.

    The summary (waiting counts) after any change; the latest calls after a change that called
    someone or changed a ticket they list (a transfer changes its matter). Neither holds the
    windows (each has its own retained state), so neither grows with the hall. ``recent_calls``
    may be a function, so a batch builds the list once, at its end; ``listed`` then says which
    tickets it names without building it.
    """
    if change.empty:
        return []
    calls = recent_calls if callable(recent_calls) else lambda: recent_calls
    built: list[tuple[str, str, Callable[[], View]]] = [(HALL_SUMMARY.subject(), "summary", lambda: hall_summary(hall))]
    called = any(isinstance(e, (TicketCalled, TicketRecalled)) for e in change.ticket_events)
    changed = {ticket.serial for ticket in change.tickets}
    if listed is None:
        listed = lambda: {call["serial"] for call in calls()}  # noqa: E731
    if called or changed & listed():  # new calls, or a listed ticket changed
        built.append((HALL_CALLS.subject(), "calls", lambda: hall_calls(hall, calls())))
    return built


RATING_EVENTS = (RatingRequested, TicketRated, RatingExpired, RatingCodeRetired)


def configuration_messages(hall: Hall) -> list[Message]:
    """Every window's state, every pad's and the hall's summary, as a new configuration shows them.

    A renamed window, a staff member's new work number or photo, a changed ``show_staff`` policy:
    the screens learn it with the change, not at each window's next action.
    """
    messages = [
        Message(WINDOW_STATE.subject(number=state.number), "state", window_state_view(hall, state.number))
        for state in hall.windows()
    ]
    messages += [
        Message(PAD_STATE.subject(device=pad.id), "state", pad_view(hall, pad.window))
        for pad in hall.centre.devices
        if pad.kind is DeviceKind.PAD and pad.window is not None
    ]
    messages.append(Message(HALL_SUMMARY.subject(), "summary", hall_summary(hall)))
    return messages


def windows_touched(change: Change) -> set[int]:
    """Windows whose state or current ticket the change altered."""
    touched = {w.number for w in change.windows}
    for event in change.ticket_events:
        if isinstance(event, (TicketCalled, TicketRecalled, ServingStarted, MarkedNoShow, TicketFinished)):
            touched.add(event.window)
        elif isinstance(event, TicketTransferred):
            touched.add(event.from_window)
    return touched


def hall_summary(hall: Hall) -> View:
    """The board's heading and waiting counts (``hall/summary``): a few hundred bytes whatever the hall."""
    info = hall.centre.centre
    return {
        "centre": info.code,
        "name": info.name,
        "name_en": info.name_en,
        "time_zone": info.time_zone,
        "at": iso(hall.clock.now()),
        "waiting": summary_groups(hall),
    }


def hall_calls(hall: Hall, recent_calls: list[View]) -> View:
    """The latest calls, newest first (``hall/calls``)."""
    return {"at": iso(hall.clock.now()), "calls": recent_calls}


def hall_feed(hall: Hall, recent_calls: list[View]) -> View:
    """The whole hall board in one retained snapshot: the old form (``hall/feed``), grows with the hall."""
    info = hall.centre.centre
    return {
        "centre": info.code,
        "name": info.name,
        "name_en": info.name_en,
        "time_zone": info.time_zone,
        "at": iso(hall.clock.now()),
        "windows": windows_view(hall, public=True),
        "waiting": waiting_groups(hall),
        "last_calls": recent_calls,
    }


def waiting_groups(hall: Hall) -> list[View]:
    """``views.waiting_counts`` of the hall's queue, from the hall's running counts."""
    counts = hall.waiting_by_prefix()
    return [
        {"prefix": g.prefix, "name": g.name, "name_en": g.name_en, "waiting": counts.get(g.prefix, 0)}
        for g in hall.centre.ticket_groups
    ]


def summary_groups(hall: Hall) -> list[View]:
    """The waiting counts with each group's newcomer wait as a range (``hall/summary``): the one the
    last working-out of the hall's ranges told (``Hall.range_basis``), read, not played, in the action."""
    basis = hall.range_basis
    told = basis.newcomers if basis is not None else {}
    groups = waiting_groups(hall)
    for group in groups:
        found = told.get(group["prefix"])
        if found is not None:
            group["wait_range_minutes"] = list(found.whole_minutes())
    return groups


def recent_call_views(hall: Hall, calls: list[RecentCall]) -> list[View]:
    """The latest calls as the hall board lists them, newest first."""
    return [
        call_record(
            hall,
            serial=call.serial,
            seq=call.seq,
            number=call.number,
            matter=call.matter,
            green=call.green,
            window=call.window,
            recall=call.recall,
            at=call.at,
            booked=call.booked,
        )
        for call in calls
    ]


async def recent_calls(conn: Connection, hall: Hall, limit: int = RECENT_CALLS) -> list[View]:
    """The latest calls and recalls, newest first, as the hall board lists them (one query)."""
    return recent_call_views(hall, (await RecentCalls.load(conn, hall.centre.code, limit)).calls())


def rating_cases(hall: Hall, change: Change, now: dt.datetime, first_id: int) -> list[Case]:
    """A rectification case for each 不满意 or 非常不满意 rating in ``change``, numbered from ``first_id``."""
    bad = [e for e in change.ticket_events if isinstance(e, TicketRated) and RatingLevel(e.level).bad]
    due = hall.calendar.add_working_days(hall.calendar.local_date(now), hall.centre.policy.rectification_days)
    cases = []
    for offset, event in enumerate(bad):
        ticket = hall.ticket(event.serial)
        cases.append(
            Case(
                id=first_id + offset,
                source=CaseSource.RATING,
                opened_at=now,
                due_on=due,
                serial=ticket.serial,
                window=ticket.window,
                staff=ticket.staff,
                matter=ticket.matter,
                level=int(event.level),
                reasons=tuple(event.reasons),
                comment=event.comment,
            )
        )
    return cases


def opens_cases(change: Change) -> bool:
    """Whether the change has a bad rating, which opens a rectification case."""
    return any(isinstance(e, TicketRated) and RatingLevel(e.level).bad for e in change.ticket_events)
