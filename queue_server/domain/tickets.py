"""A ticket's state and the closed vocabularies that describe it.

The green-channel categories and case outcomes are defined in ``queue_server.vocabulary``, which
the device protocol shares; they are named from here too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from queue_server.domain.case_terms import Assistance, CaseTerms
from queue_server.domain.ratings import RatingLevel, RatingStatus
from queue_server.vocabulary import Category, Outcome

__all__ = [
    "CATEGORY_NAMES_ZH",
    "OUTCOME_NAMES_EN",
    "OUTCOME_NAMES_ZH",
    "CancelReason",
    "Category",
    "Channel",
    "Outcome",
    "Ticket",
    "TicketStatus",
]


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    NO_SHOW = "no_show"
    FINISHED = "finished"
    CANCELLED = "cancelled"

    @property
    def at_window(self) -> bool:
        """Called or being served: the ticket occupies a window."""
        return self in (TicketStatus.CALLED, TicketStatus.SERVING)

    @property
    def ended(self) -> bool:
        return self in (TicketStatus.FINISHED, TicketStatus.CANCELLED)


class Channel(StrEnum):
    """Where a ticket was issued."""

    KIOSK = "kiosk"
    DESK = "desk"
    API = "api"
    DEVICE = "device"


OUTCOME_NAMES_ZH: dict[Outcome, str] = {
    Outcome.ON_THE_SPOT: "即办件",
    Outcome.PROMISED: "承诺件",
    Outcome.JOINT: "联办件",
    Outcome.REPORTED: "上报件",
    Outcome.RETURNED: "退回件",
    Outcome.SUPPLEMENT: "补正",
    Outcome.COMMITMENT: "告知承诺",
    Outcome.DEFERRED: "容缺受理",
}
"""Each outcome's one Chinese word: the console, the papers, the reports and the refusals say it."""
OUTCOME_NAMES_EN: dict[Outcome, str] = {
    Outcome.ON_THE_SPOT: "done on the spot",
    Outcome.PROMISED: "promised",
    Outcome.JOINT: "joint handling",
    Outcome.REPORTED: "reported up",
    Outcome.RETURNED: "returned",
    Outcome.SUPPLEMENT: "supplement",
    Outcome.COMMITMENT: "on commitment",
    Outcome.DEFERRED: "materials to follow",
}
"""Each outcome's one English word, beside the Chinese."""

CATEGORY_NAMES_ZH = {
    Category.ELDERLY: "老年人",
    Category.DISABLED: "残疾人",
    Category.PREGNANT: "孕妇",
    Category.VETERAN: "退役军人",
    Category.OTHER: "其他特殊群体",
}


class CancelReason(StrEnum):
    CITIZEN = "citizen"  # the citizen gave up (from the status page or the desk)
    STAFF = "staff"  # cancelled at a window or the desk
    CLOSING = "closing"  # still waiting when the centre closed


@dataclass(frozen=True, slots=True)
class Ticket:
    """Everything known about a ticket; rebuilt exactly by replaying its events."""

    serial: int
    """The ticket's identity within its centre, in order of issue; never reused."""
    place: int
    """Its place in the queue: the serial at issue, kept through transfers and carries."""
    number: str
    """What the citizen sees (A001); unique per centre and service day."""
    service_day: dt.date
    matter: str
    category: Category | None
    channel: Channel
    issued_at: dt.datetime
    status: TicketStatus = TicketStatus.WAITING
    window: int | None = None
    """The window that called it last (and serves or served it)."""
    target_window: int | None = None
    """Set by a transfer to a particular window: only that window may call it."""
    staff: str | None = None
    called_at: dt.datetime | None = None
    serving_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    calls: int = 0
    """Times called at the current window, recalls included."""
    recalls: int = 0
    no_shows: int = 0
    transfers: int = 0
    passed_over: int = 0
    """Later tickets called before it by a window that could serve it (bounded by K)."""
    outcome: Outcome | None = None
    due_date: dt.date | None = None
    reasons: tuple[str, ...] = ()
    missing_materials: tuple[str, ...] = ()
    cancel_reason: CancelReason | None = None
    rating_status: RatingStatus = RatingStatus.NONE
    rating_expires_at: dt.datetime | None = None
    rating: RatingLevel | None = None
    rating_items: tuple[int, ...] = ()
    """The items rated besides the level (queue_server.domain.ratings.item_levels)."""
    rating_code: str = ""
    """The code the window display shows as a QR after this service, to rate it and nothing else."""
    rating_code_retired_at: dt.datetime | None = None
    """When the window finished its next service: from then on the code is refused."""
    rating_reopened_at: dt.datetime | None = None
    """When a promised case's result was delivered and its rating, not given at the window, was asked again."""
    note: str = ""
    terms: CaseTerms | None = None
    """What an accepted case was accepted on (告知承诺, 容缺受理, 联办件, 上报件); None for the others."""
    assistance: Assistance | None = None
    """Who helped whom at a 帮办代办 window, recorded at the finish."""
    booked_from: dt.datetime | None = None
    """A booked ticket's slot start (a booking checked in); None for a walk-in. From then on it is due."""
    person: str | None = None
    """A real-name ticket's ID number as its keyed hash (queue_server.domain.real_name); blanked after
    the policy's ``real_name_days``."""
    version: int = 0
    """How many events made this state; the store uses it for optimistic checks."""

    @property
    def green(self) -> bool:
        return self.category is not None

    @property
    def booked(self) -> bool:
        return self.booked_from is not None

    def due(self, now: dt.datetime) -> bool:
        """A booked ticket whose slot has begun: routing serves it before walk-ins (docs/routing.md)."""
        return self.booked_from is not None and self.booked_from <= now

    def goes_first(self, now: dt.datetime) -> bool:
        """Green channel or a due booking: called before older ordinary tickets, within the bound K."""
        return self.category is not None or self.due(now)

    @property
    def prefix(self) -> str:
        return self.number.rstrip("0123456789")
