"""The hall's rating actions (好差评): asking for a rating at each finish, taking one, closing the
unanswered ones, and the service's own rating code.

One rating per service (一次一评): the pad of the window that served, the ticket's own QR (its
status page) or the code the window display shows after the finish. That code is made for the one
service (``Hall`` is given where codes come from, as it is given a clock) and retired when the
window finishes its next service, so a photo of the display rates nobody else's service. Kept
apart from the hall's queue and window actions; :class:`RatingActions` is mixed into ``Hall``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Protocol

from queue_server.domain.centre import Centre
from queue_server.domain.changes import Change, PendingChange
from queue_server.domain.errors import InvalidTransition, NotAllowed
from queue_server.domain.events import (
    RatingCodeRetired,
    RatingExpired,
    RatingReopened,
    RatingRequested,
    TicketEvent,
    TicketRated,
)
from queue_server.domain.rating_index import RatingIndex
from queue_server.domain.ratings import RatingLevel, RatingStatus, item_levels
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.tickets import Ticket

SYSTEM = "system"
"""The actor of what the hall does by itself (the hall's own ``SYSTEM``)."""
DELIVERY_RATING = dt.timedelta(days=1)
"""How long a promised case's result, once delivered, may be rated on the ticket's own page."""
RATING_CODE_BYTES = 16
"""Random bytes in a rating code: 128 bits, unguessable; 22 characters in the QR's address."""


def new_rating_code() -> str:
    """A fresh rating code, URL-safe."""
    return secrets.token_urlsafe(RATING_CODE_BYTES)


def awaiting_rating(ticket: Ticket) -> bool:
    """A finished ticket whose rating request is still open stays in the live hall."""
    return ticket.rating_status is RatingStatus.REQUESTED


class _Acting(Protocol):
    """What the rating actions use of the hall they are mixed into."""

    centre: Centre
    ratings: RatingIndex

    def ticket(self, serial: int) -> Ticket: ...

    def new_code(self) -> str: ...

    def _at(self, now: dt.datetime | None) -> dt.datetime: ...

    def _apply(self, pending: PendingChange, event: TicketEvent) -> Ticket: ...

    def _ticket_action(self, event: TicketEvent) -> Change: ...


class RatingActions:
    """Ratings of the hall's services; the hall supplies the tickets and applies the events."""

    def request_rating(
        self: _Acting, pending: PendingChange, ticket: Ticket, window: int, *, actor: str, now: dt.datetime
    ) -> None:
        """After ``ticket`` finished at ``window``: retire the codes of the window's earlier services
        still open for rating, and open this one's request with a code of its own."""
        for earlier in self.ratings.coded(window):  # the window's codes in use: one, mostly
            if earlier != ticket.serial:
                self._apply(pending, RatingCodeRetired(serial=earlier, at=now, actor=actor, by_serial=ticket.serial))
        expires = now + dt.timedelta(minutes=self.centre.policy.rating_minutes)
        requested = RatingRequested(
            serial=ticket.serial,
            at=now,
            actor=actor,
            window=window,
            expires_at=expires,
            code=self.new_code(),
        )
        self._apply(pending, requested)

    def rate(
        self: _Acting,
        serial: int,
        level: RatingLevel,
        *,
        source: str,
        window: int | None = None,
        reasons: Iterable[str] = (),
        comment: str = "",
        items: Mapping[str, int] | None = None,
        actor: str = SYSTEM,
        now: dt.datetime | None = None,
    ) -> Change:
        """Record a citizen's rating (and the items they rated); ``window`` is the pad's, which may
        rate only its window's tickets."""
        ticket = self.ticket(serial)
        if window is not None and ticket.window != window:
            raise NotAllowed(
                f"Cannot rate ticket {ticket.number} from the pad of window {window}: it was served at"
                f" window {ticket.window}",
                RefusalCode.RATING_WRONG_PAD,
                ticket=ticket.number,
                window=window,
                served_at=ticket.window or 0,
            )
        reasons = tuple(reasons)
        if reasons and not level.bad:
            raise InvalidTransition(
                f"Cannot rate ticket {ticket.number}: reasons go with 不满意 or 非常不满意",
                RefusalCode.RATING_REASONS_NOT_BAD,
                ticket=ticket.number,
            )
        unknown = [r for r in reasons if r not in self.centre.policy.bad_rating_reasons]
        if unknown:
            raise InvalidTransition(
                f"Cannot rate ticket {ticket.number}: {unknown[0]!r} is not one of the reasons",
                RefusalCode.RATING_REASON_UNKNOWN,
                ticket=ticket.number,
                reason=unknown[0],
            )
        event = TicketRated(
            serial=serial,
            at=self._at(now),
            actor=actor,
            level=level,
            source=source,
            reasons=reasons,
            comment=comment,
            items=item_levels(items or {}, ticket.number),
        )
        return self._ticket_action(event)

    def check_rating_code(self: _Acting, serial: int, code: str) -> Ticket:
        """The ticket ``code`` rates, if it is still that ticket's code in use; refuses a code of
        another ticket, and one the window's next finish retired (saying so)."""
        ticket = self.ticket(serial)
        if not ticket.rating_code or not hmac.compare_digest(ticket.rating_code.encode(), code.encode()):
            raise NotAllowed(
                f"Cannot rate ticket {ticket.number} with this code: it is not the ticket's rating code",
                RefusalCode.RATING_CODE_WRONG,
                ticket=ticket.number,
            )
        if ticket.rating_reopened_at is not None:
            raise InvalidTransition(
                f"Cannot rate ticket {ticket.number} with its window's code: the time to rate it at the window"
                " has passed; its result was delivered since, and the ticket's own page rates it",
                RefusalCode.RATING_EXPIRED,
                ticket=ticket.number,
            )
        if ticket.rating_code_retired_at is not None:
            raise InvalidTransition(
                f"Cannot rate ticket {ticket.number} with its window's code: the code has expired, window"
                f" {ticket.window} finished its next service at {ticket.rating_code_retired_at.isoformat()}",
                RefusalCode.RATING_CODE_RETIRED,
                ticket=ticket.number,
                window=ticket.window or 0,
            )
        return ticket

    def reopen_rating(self: _Acting, serial: int, *, actor: str = SYSTEM, now: dt.datetime | None = None) -> Change:
        """A promised case's result was delivered (送达): if its service was not rated at the window,
        the ticket's own page asks for the rating again, once, for :data:`DELIVERY_RATING`. The pad
        and the window display never show it (the citizen is not at that window)."""
        now = self._at(now)
        return self._ticket_action(RatingReopened(serial=serial, at=now, actor=actor, expires_at=now + DELIVERY_RATING))

    def expire_ratings(self: _Acting, *, actor: str = SYSTEM, now: dt.datetime | None = None) -> Change:
        """Close the rating requests nobody answered in time: those tickets stay unrated."""
        now = self._at(now)
        pending = PendingChange()
        for serial in sorted(self.ratings.requested):
            expires = self.ticket(serial).rating_expires_at
            if expires is not None and expires <= now:
                self._apply(pending, RatingExpired(serial=serial, at=now, actor=actor))
        return pending.change()
