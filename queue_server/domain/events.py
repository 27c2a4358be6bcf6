"""A ticket's event log: every transition, with time and actor, and how it changes the ticket.

``apply`` is the only place where a ticket's state changes. It checks each transition, so a
log that could not have happened fails to replay; ``replay`` folds a whole log into the state.
Supervision trusts the record because the state is nothing but the log replayed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from queue_server.domain.case_terms import Assistance, CaseTerms
from queue_server.domain.errors import InvalidTransition
from queue_server.domain.ratings import RatingLevel, RatingStatus
from queue_server.domain.records import JSON, from_record, to_record
from queue_server.domain.refusal_codes import Fact, RefusalCode
from queue_server.domain.tickets import (
    CancelReason,
    Category,
    Channel,
    Outcome,
    Ticket,
    TicketStatus,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketEvent:
    """What every event records: which ticket, when, and who did it."""

    kind: ClassVar[str] = ""
    serial: int
    at: dt.datetime
    actor: str
    """Who acted: ``staff:<code>``, ``guide:<id>``, ``kiosk:<id>``, ``device:<id>``, ``manager:<name>``, ``citizen``."""

    def to_record(self) -> dict[str, JSON]:
        return to_record(self.kind, self)


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketIssued(TicketEvent):
    kind: ClassVar[str] = "issued"
    place: int
    number: str
    service_day: dt.date
    matter: str
    category: Category | None
    channel: Channel
    booked_from: dt.datetime | None = None
    """The slot start of the booking checked in with this ticket; None for a walk-in."""
    person: str | None = None
    """A real-name ticket's ID number as its keyed hash, never the number (queue_server.domain.real_name)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketCalled(TicketEvent):
    kind: ClassVar[str] = "called"
    window: int
    staff: str | None
    out_of_order: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketRecalled(TicketEvent):
    kind: ClassVar[str] = "recalled"
    window: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingStarted(TicketEvent):
    kind: ClassVar[str] = "serving_started"
    window: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkedNoShow(TicketEvent):
    kind: ClassVar[str] = "no_show"
    window: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketRequeued(TicketEvent):
    kind: ClassVar[str] = "requeued"
    place: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketPassedOver(TicketEvent):
    kind: ClassVar[str] = "passed_over"
    by_serial: int
    window: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketTransferred(TicketEvent):
    kind: ClassVar[str] = "transferred"
    from_window: int
    to_matter: str
    to_window: int | None
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketCancelled(TicketEvent):
    kind: ClassVar[str] = "cancelled"
    reason: CancelReason
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketFinished(TicketEvent):
    kind: ClassVar[str] = "finished"
    window: int
    outcome: Outcome
    due_date: dt.date | None = None
    reasons: tuple[str, ...] = ()
    missing_materials: tuple[str, ...] = ()
    note: str = ""
    terms: CaseTerms | None = None
    assistance: Assistance | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketCarried(TicketEvent):
    kind: ClassVar[str] = "carried"
    number: str
    service_day: dt.date


@dataclass(frozen=True, slots=True, kw_only=True)
class RatingRequested(TicketEvent):
    kind: ClassVar[str] = "rating_requested"
    window: int
    expires_at: dt.datetime
    code: str = ""
    """The service's rating code (the window display's QR); empty in logs written before codes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RatingCodeRetired(TicketEvent):
    """The window finished its next service: this ticket's code leaves its display and is refused
    from now on (its own ticket's QR still rates it while the request is open)."""

    kind: ClassVar[str] = "rating_code_retired"
    by_serial: int
    """The ticket whose finish retired it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RatingReopened(TicketEvent):
    """A promised case's result was delivered: a service not rated at the window may be rated now,
    once, on the ticket's own page, until ``expires_at``."""

    kind: ClassVar[str] = "rating_reopened"
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketRated(TicketEvent):
    kind: ClassVar[str] = "rated"
    level: RatingLevel
    source: str
    """``pad:<id>`` or ``citizen`` (the ticket's status page)."""
    reasons: tuple[str, ...] = ()
    comment: str = ""
    items: tuple[int, ...] = ()
    """服务效率, 服务水平, 服务态度 in that order (0: left unrated), or () when none was rated."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RatingExpired(TicketEvent):
    kind: ClassVar[str] = "rating_expired"


EVENT_TYPES: dict[str, type[TicketEvent]] = {
    cls.kind: cls
    for cls in (
        TicketIssued,
        TicketCalled,
        TicketRecalled,
        ServingStarted,
        MarkedNoShow,
        TicketRequeued,
        TicketPassedOver,
        TicketTransferred,
        TicketCancelled,
        TicketFinished,
        TicketCarried,
        RatingRequested,
        RatingCodeRetired,
        RatingReopened,
        TicketRated,
        RatingExpired,
    )
}


def event_from_record(record: dict[str, JSON]) -> TicketEvent:
    kind = record.get("kind")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise ValueError(f"Cannot read a ticket event of unknown kind {kind!r}")
    return from_record(EVENT_TYPES[kind], record)


def _refuse(ticket: Ticket, action: str, why: str, code: RefusalCode, **facts: Fact) -> InvalidTransition:
    return InvalidTransition(f"Cannot {action} ticket {ticket.number}: {why}", code, ticket=ticket.number, **facts)


_STATUS_WORDS = {
    TicketStatus.WAITING: "it is still waiting and was never called",
    TicketStatus.CALLED: "it has been called and not yet served",
    TicketStatus.SERVING: "it is being served",
    TicketStatus.NO_SHOW: "it was marked as a no-show",
    TicketStatus.FINISHED: "it is already finished",
    TicketStatus.CANCELLED: "it was cancelled",
}


def _require(ticket: Ticket, action: str, *allowed: TicketStatus) -> None:
    if ticket.status not in allowed:
        raise _refuse(
            ticket, action, _STATUS_WORDS[ticket.status], RefusalCode.TICKET_STATUS, status=ticket.status.value
        )


def _require_window(ticket: Ticket, action: str, window: int) -> None:
    if ticket.window != window:
        raise _refuse(
            ticket,
            f"{action} at window {window}",
            f"it is held by window {ticket.window}",
            RefusalCode.TICKET_AT_OTHER_WINDOW,
            window=window,
            held_by=ticket.window or 0,
        )


def _require_rating_open(ticket: Ticket, at: dt.datetime) -> None:
    match ticket.rating_status:
        case RatingStatus.RATED:
            raise _refuse(ticket, "rate", "it was rated already", RefusalCode.RATED_ALREADY)
        case RatingStatus.EXPIRED:
            raise _refuse(ticket, "rate", "its rating request expired", RefusalCode.RATING_EXPIRED)
        case RatingStatus.NONE:
            raise _refuse(ticket, "rate", "no rating was asked for (it is not finished)", RefusalCode.RATING_NOT_ASKED)
    if ticket.rating_expires_at is not None and at >= ticket.rating_expires_at:
        raise _refuse(ticket, "rate", "its rating request expired", RefusalCode.RATING_EXPIRED)


def _issued(event: TicketIssued) -> Ticket:
    return Ticket(
        serial=event.serial,
        place=event.place,
        number=event.number,
        service_day=event.service_day,
        matter=event.matter,
        category=event.category,
        channel=event.channel,
        issued_at=event.at,
        booked_from=event.booked_from,
        person=event.person,
        version=1,
    )


def _next(ticket: Ticket, **changes: Any) -> Ticket:
    """The ticket after an event: ``changes`` and the version counted, in one copy (a copy is costly)."""
    return replace(ticket, version=ticket.version + 1, **changes)


def _transition(ticket: Ticket, event: TicketEvent) -> Ticket:
    match event:
        case TicketIssued():
            raise _refuse(ticket, "issue", "it was issued already", RefusalCode.TICKET_ISSUED_ALREADY)
        case TicketCalled(window=window):
            _require(ticket, "call", TicketStatus.WAITING, TicketStatus.NO_SHOW)
            if ticket.target_window is not None and ticket.target_window != window:
                raise _refuse(
                    ticket,
                    f"call at window {window}",
                    f"it was sent to window {ticket.target_window}",
                    RefusalCode.TICKET_SENT_ELSEWHERE,
                    window=window,
                    target=ticket.target_window,
                )
            return _next(
                ticket,
                status=TicketStatus.CALLED,
                window=window,
                target_window=None,
                staff=event.staff,
                called_at=event.at,
                serving_at=None,
                calls=1,
            )
        case TicketRecalled(window=window):
            _require(ticket, "recall", TicketStatus.CALLED)
            _require_window(ticket, "recall", window)
            return _next(ticket, calls=ticket.calls + 1, recalls=ticket.recalls + 1)
        case ServingStarted(window=window):
            _require(ticket, "start serving", TicketStatus.CALLED)
            _require_window(ticket, "start serving", window)
            return _next(ticket, status=TicketStatus.SERVING, serving_at=event.at)
        case MarkedNoShow(window=window):
            _require(ticket, "mark as no-show", TicketStatus.CALLED)
            _require_window(ticket, "mark as no-show", window)
            return _next(ticket, status=TicketStatus.NO_SHOW, no_shows=ticket.no_shows + 1)
        case TicketRequeued(place=place):
            _require(ticket, "put back in the queue", TicketStatus.NO_SHOW)
            return _next(
                ticket,
                status=TicketStatus.WAITING,
                place=place,
                window=None,
                staff=None,
                calls=0,
            )
        case TicketPassedOver():
            _require(ticket, "pass over", TicketStatus.WAITING)
            return _next(ticket, passed_over=ticket.passed_over + 1)
        case TicketTransferred(from_window=window):
            _require(ticket, "transfer", TicketStatus.CALLED, TicketStatus.SERVING)
            _require_window(ticket, "transfer", window)
            return _next(
                ticket,
                status=TicketStatus.WAITING,
                matter=event.to_matter,
                target_window=event.to_window,
                window=None,
                staff=None,
                calls=0,
                transfers=ticket.transfers + 1,
                note=event.note or ticket.note,
            )
        case TicketCancelled():
            _require(ticket, "cancel", TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.NO_SHOW)
            return _next(
                ticket,
                status=TicketStatus.CANCELLED,
                ended_at=event.at,
                cancel_reason=event.reason,
                note=event.note or ticket.note,
            )
        case TicketFinished(window=window):
            _require(ticket, "finish", TicketStatus.CALLED, TicketStatus.SERVING)
            _require_window(ticket, "finish", window)
            return _next(
                ticket,
                status=TicketStatus.FINISHED,
                ended_at=event.at,
                outcome=event.outcome,
                due_date=event.due_date,
                reasons=event.reasons,
                missing_materials=event.missing_materials,
                note=event.note or ticket.note,
                terms=event.terms,
                assistance=event.assistance,
            )
        case TicketCarried():
            _require(ticket, "carry to the next day", TicketStatus.WAITING)
            return _next(ticket, number=event.number, service_day=event.service_day)
        case RatingRequested():
            _require(ticket, "ask for a rating of", TicketStatus.FINISHED)
            if ticket.rating_status is not RatingStatus.NONE:
                raise _refuse(
                    ticket, "ask for a rating of", "a rating was asked for already", RefusalCode.RATING_ASKED_ALREADY
                )
            return _next(
                ticket,
                rating_status=RatingStatus.REQUESTED,
                rating_expires_at=event.expires_at,
                rating_code=event.code,
            )
        case RatingCodeRetired():
            if not ticket.rating_code or ticket.rating_code_retired_at is not None:
                raise _refuse(
                    ticket, "retire the rating code of", "it has no code in use", RefusalCode.RATING_CODE_RETIRED
                )
            return _next(ticket, rating_code_retired_at=event.at)
        case RatingReopened():
            if ticket.outcome is not Outcome.PROMISED:
                raise _refuse(
                    ticket, "ask again for a rating of", "it is no promised case", RefusalCode.RATING_NOT_PROMISED
                )
            if ticket.rating_status is RatingStatus.RATED:
                raise _refuse(ticket, "ask again for a rating of", "it was rated already", RefusalCode.RATED_ALREADY)
            if ticket.rating_reopened_at is not None:
                raise _refuse(
                    ticket,
                    "ask again for a rating of",
                    "it was asked again when its result was delivered",
                    RefusalCode.RATING_ASKED_ALREADY,
                )
            return _next(
                ticket,
                rating_status=RatingStatus.REQUESTED,
                rating_expires_at=event.expires_at,
                rating_reopened_at=event.at,
            )
        case TicketRated():
            _require_rating_open(ticket, event.at)
            return _next(
                ticket,
                rating_status=RatingStatus.RATED,
                rating=event.level,
                rating_items=event.items,
            )
        case RatingExpired():
            if ticket.rating_status is not RatingStatus.REQUESTED:
                raise _refuse(ticket, "expire the rating of", "no rating request is open", RefusalCode.RATING_NOT_ASKED)
            return _next(ticket, rating_status=RatingStatus.EXPIRED)
    raise TypeError(f"Cannot apply unknown ticket event {type(event).__name__}")


def apply(ticket: Ticket | None, event: TicketEvent) -> Ticket:
    """The ticket after ``event``; raises InvalidTransition if the event cannot happen now."""
    if ticket is None:
        if not isinstance(event, TicketIssued):
            raise InvalidTransition(
                f"Cannot {event.kind} ticket #{event.serial}: it was never issued",
                RefusalCode.TICKET_NOT_FOUND,
                serial=event.serial,
            )
        return _issued(event)
    if event.serial != ticket.serial:
        raise ValueError(f"Event for ticket #{event.serial} applied to ticket #{ticket.serial}")
    return _transition(ticket, event)


def replay(events: Iterable[TicketEvent]) -> Ticket:
    """Rebuild a ticket from its whole log."""
    ticket: Ticket | None = None
    for event in events:
        ticket = apply(ticket, event)
    if ticket is None:
        raise ValueError("Cannot replay an empty event log")
    return ticket
