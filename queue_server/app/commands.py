"""Every action, as a validated value: what the API, the bus and the pages ask the hall to do.

A command is parsed once at the edge (an HTTP body, an MQTT payload), carries its own JSON
schema for the OpenAPI document, and runs against a ``Hall`` with the acting principal's
actor string, at the instant it is given. The service runs it inside one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from queue_server.auth.accounts import Action
from queue_server.domain.case_terms import (
    COMMITMENT_MAX_CHARS,
    DEPARTMENT_MAX_CHARS,
    HELPED_MAX_CHARS,
    CaseTerms,
    Level,
)
from queue_server.domain.changes import Change
from queue_server.domain.hall import Hall
from queue_server.domain.outcomes import Assisted
from queue_server.domain.ratings import RatingItem, RatingLevel
from queue_server.domain.real_name import Holder
from queue_server.domain.tickets import CancelReason, Category, Channel, Outcome
from queue_server.domain.windows import PauseReason

WindowNumber = Annotated[int, Field(ge=1, le=9999, description="The window's number")]
MAX_SERIAL = 10**18 - 1
"""The largest serial a request may name: what the path's 18 digits allow, well inside a 64-bit column
(a larger number reached the database and failed there as a 500; found by tests/test_fuzz_http.py)."""
Serial = Annotated[int, Field(ge=1, le=MAX_SERIAL, description="The ticket's serial (its id within the centre)")]
Note = Annotated[str, Field(max_length=500)]


class Command(BaseModel):
    """Base of every command; ``permission`` is the action whose roles may run it."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    name: ClassVar[str] = ""
    permission: ClassVar[Action] = Action.WINDOW
    created: ClassVar[bool] = False
    """True when success creates something (a ticket): the answer says so."""

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        raise NotImplementedError

    def serials(self) -> tuple[int, ...]:
        """Tickets the command names, so the store can load them if they are not open."""
        return ()


class IssueTicket(Command):
    name: ClassVar[str] = "issue"
    permission: ClassVar[Action] = Action.ISSUE
    created: ClassVar[bool] = True
    matter: str = Field(min_length=1, max_length=40, description="The matter's code")
    category: Category | None = Field(default=None, description="Set for a green-channel (绿色通道) ticket")
    channel: Channel = Channel.API
    person: str | None = Field(default=None, exclude=True, pattern=r"^[0-9a-f]{64}$")
    """Set by the edge from the ID number given (its keyed hash), never by a client: no body has it."""
    born: dt.date | None = Field(default=None, exclude=True)
    """The ID number's birth date, set with ``person``: answers the green channel's age question."""

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        holder = Holder(self.person, self.born) if self.person is not None and self.born is not None else None
        return hall.issue(
            self.matter, category=self.category, channel=self.channel, actor=actor, now=now, holder=holder
        )


class CheckInTicket(Command):
    """The ticket a booking's check-in issues: booked (its slot start kept) or, too late, a walk-in."""

    name: ClassVar[str] = "check_in"
    permission: ClassVar[Action] = Action.CHECK_IN
    created: ClassVar[bool] = True
    matter: str = Field(min_length=1, max_length=40)
    booked_from: dt.datetime | None = None
    channel: Channel = Channel.KIOSK

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.issue(self.matter, channel=self.channel, actor=actor, now=now, booked_from=self.booked_from)


class SignOn(Command):
    name: ClassVar[str] = "sign_on"
    window: WindowNumber
    staff: str = Field(min_length=1, max_length=40, description="The staff member's code")

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.sign_on(self.window, self.staff, actor=actor, now=now)


class SignOff(Command):
    name: ClassVar[str] = "sign_off"
    window: WindowNumber
    staff: str = Field(min_length=1, max_length=40)

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.sign_off(self.window, self.staff, actor=actor, now=now)


class Pause(Command):
    name: ClassVar[str] = "pause"
    window: WindowNumber
    reason: PauseReason
    note: Note = ""
    minutes: int | None = Field(default=None, ge=1, le=1440, description="Planned length of the pause")
    public: bool = Field(
        default=False,
        description="Show the note to citizens on the hall board and the window's display; otherwise only staff see it",
    )

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.pause(
            self.window, self.reason, note=self.note, minutes=self.minutes, public=self.public, actor=actor, now=now
        )


class Resume(Command):
    name: ClassVar[str] = "resume"
    window: WindowNumber

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.resume(self.window, actor=actor, now=now)


class CloseWindow(Command):
    name: ClassVar[str] = "close_window"
    window: WindowNumber

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.close_window(self.window, actor=actor, now=now)


class CallNext(Command):
    name: ClassVar[str] = "call_next"
    window: WindowNumber

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.call_next(self.window, actor=actor, now=now)


class CallTicket(Command):
    name: ClassVar[str] = "call_ticket"
    window: WindowNumber
    serial: Serial
    reason: str = Field(min_length=1, max_length=200, description="Why this ticket is called out of order")

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.call_ticket(self.window, self.serial, reason=self.reason, actor=actor, now=now)

    def serials(self) -> tuple[int, ...]:
        return (self.serial,)


class Recall(Command):
    name: ClassVar[str] = "recall"
    window: WindowNumber

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.recall(self.window, actor=actor, now=now)


class StartServing(Command):
    name: ClassVar[str] = "start_serving"
    window: WindowNumber

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.start_serving(self.window, actor=actor, now=now)


class NoShow(Command):
    name: ClassVar[str] = "no_show"
    window: WindowNumber

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.no_show(self.window, actor=actor, now=now)


class Transfer(Command):
    name: ClassVar[str] = "transfer"
    window: WindowNumber
    to_matter: str | None = Field(default=None, max_length=40)
    to_window: int | None = Field(default=None, ge=1, le=9999)
    note: Note = ""

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.transfer(
            self.window, to_matter=self.to_matter, to_window=self.to_window, note=self.note, actor=actor, now=now
        )


class FinishTerms(BaseModel):
    """What an accepted case is accepted on; each outcome takes only its own fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    commitment: str = Field(
        default="", max_length=COMMITMENT_MAX_CHARS, description="告知承诺: what the applicant commits to"
    )
    to_follow: tuple[str, ...] = Field(
        default=(), max_length=50, description="容缺受理: the matter's materials that follow later"
    )
    by: dt.date | None = Field(
        default=None,
        description="告知承诺: verified by this day; 容缺受理: materials due by this day (none: the policy's latest)",
    )
    lead_department: str = Field(default="", max_length=DEPARTMENT_MAX_CHARS, description="联办件: the lead department")
    level: Level | None = Field(default=None, description="上报件: the level it is reported to")
    days: int | None = Field(default=None, ge=1, le=365, description="联办件, 上报件: the time limit in working days")

    def domain(self) -> CaseTerms:
        return CaseTerms(
            commitment=self.commitment,
            to_follow=self.to_follow,
            by=self.by,
            lead_department=self.lead_department,
            level=self.level,
            days=self.days,
        )


class FinishAssisted(BaseModel):
    """A 帮办代办 record, at a window of an assisting kind."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    helped: str = Field(
        min_length=1, max_length=HELPED_MAX_CHARS, description="The person helped: a name or a short description"
    )
    matter: str = Field(min_length=1, max_length=40, description="The code of the matter they were helped with")
    consent: bool = Field(description="The person agreed to be recorded; false is refused")


class Finish(Command):
    name: ClassVar[str] = "finish"
    window: WindowNumber
    outcome: Outcome
    reasons: tuple[str, ...] = Field(default=(), max_length=20)
    missing_materials: tuple[str, ...] = Field(default=(), max_length=50)
    promised_days: int | None = Field(default=None, ge=1, le=365)
    note: Note = ""
    terms: FinishTerms | None = None
    assisted: FinishAssisted | None = None

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        assisted = self.assisted
        return hall.finish(
            self.window,
            self.outcome,
            reasons=self.reasons,
            missing_materials=self.missing_materials,
            promised_days=self.promised_days,
            note=self.note,
            terms=self.terms.domain() if self.terms is not None else None,
            assisted=Assisted(assisted.helped, assisted.matter, assisted.consent) if assisted is not None else None,
            actor=actor,
            now=now,
        )


class Requeue(Command):
    name: ClassVar[str] = "requeue"
    permission: ClassVar[Action] = Action.REQUEUE
    serial: Serial

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.requeue(self.serial, actor=actor, now=now)

    def serials(self) -> tuple[int, ...]:
        return (self.serial,)


class Cancel(Command):
    name: ClassVar[str] = "cancel"
    permission: ClassVar[Action] = Action.CANCEL
    serial: Serial
    reason: CancelReason = CancelReason.STAFF
    note: Note = ""

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.cancel(self.serial, reason=self.reason, note=self.note, actor=actor, now=now)

    def serials(self) -> tuple[int, ...]:
        return (self.serial,)


ITEMS_DESCRIPTION = (
    "Optionally, besides the level: efficiency (服务效率), skill (服务水平), attitude (服务态度), 1 to 5"
)


class RateTicket(Command):
    """A citizen's rating, from the window's pad (``window`` set) or the ticket's own page."""

    name: ClassVar[str] = "rate"
    permission: ClassVar[Action] = Action.PAD
    """A pad rates by its role; a citizen rates through the ticket's status token, which no role covers."""
    serial: Serial
    level: RatingLevel
    window: int | None = Field(default=None, ge=1, le=9999, description="The pad's window, when a pad rates")
    source: str = Field(default="citizen", max_length=80)
    reasons: tuple[str, ...] = Field(default=(), max_length=10)
    comment: str = Field(default="", max_length=500)
    items: dict[RatingItem, RatingLevel] = Field(default_factory=dict, description=ITEMS_DESCRIPTION)
    code: str | None = Field(
        default=None,
        max_length=32,
        description="The rating code the window display showed, when the citizen rates by it: refused once the"
        " window finished its next service",
    )

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        if self.code is not None:
            hall.check_rating_code(self.serial, self.code)
        return hall.rate(
            self.serial,
            self.level,
            source=self.source,
            window=self.window,
            reasons=self.reasons,
            comment=self.comment,
            items={item.value: int(level) for item, level in self.items.items()},
            actor=actor,
            now=now,
        )

    def serials(self) -> tuple[int, ...]:
        return (self.serial,)


class AskRatingAtDelivery(Command):
    """A promised case's result was delivered: its service, if not rated at the window, may be rated now."""

    name: ClassVar[str] = "ask_rating_at_delivery"
    permission: ClassVar[Action] = Action.DELIVER
    serial: Serial

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.reopen_rating(self.serial, actor=actor, now=now)

    def serials(self) -> tuple[int, ...]:
        return (self.serial,)


class ExpireRatings(Command):
    name: ClassVar[str] = "expire_ratings"
    permission: ClassVar[Action] = Action.CLOSE_DAY

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.expire_ratings(actor=actor, now=now)


class CloseDay(Command):
    name: ClassVar[str] = "close_day"
    permission: ClassVar[Action] = Action.CLOSE_DAY

    def run(self, hall: Hall, actor: str, now: dt.datetime | None = None) -> Change:
        return hall.close_day(actor=actor, now=now)


WINDOW_COMMANDS: dict[str, type[Command]] = {
    "sign-on": SignOn,
    "sign-off": SignOff,
    "pause": Pause,
    "resume": Resume,
    "close": CloseWindow,
    "call-next": CallNext,
    "call": CallTicket,
    "recall": Recall,
    "start": StartServing,
    "no-show": NoShow,
    "transfer": Transfer,
    "finish": Finish,
}
"""Window actions by the last segment of their route: POST /centres/{c}/windows/{n}/<segment>."""

TICKET_COMMANDS: dict[str, type[Command]] = {"requeue": Requeue, "cancel": Cancel}
"""Ticket actions: POST /centres/{c}/tickets/{serial}/<segment>."""
