"""JSON views of the hall: what the API answers, the pages show and the outbox carries.

One function per thing shown, so a ticket looks the same in an HTTP answer, on the hall board
feed and in a window's state message. Each view's shape is a TypedDict, written once here: mypy
checks the functions against it, the OpenAPI document is generated from it, and at run time a
view is still the plain dict it always was (no validation on the hot path). The device protocol's
payloads (``queue_server.protocol.payloads``) stay its own versioned models: a change here must
never reach the firmware.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Annotated, Any, Literal, NotRequired, overload

from pydantic import Field
from typing_extensions import TypedDict

from queue_server.app.staff_photos import photo_path
from queue_server.app.view_fields import Day, DumpOf, Instant, documented, values_of
from queue_server.domain.calendar import is_provisional, known_through
from queue_server.domain.case_terms import LEVEL_NAMES_ZH, Assistance, CaseTerms, Level
from queue_server.domain.centre import Centre, Domain, Matter, Policy, ShowStaff, TicketGroup, Window, WindowKind
from queue_server.domain.estimates import Position, whole_minutes
from queue_server.domain.hall import Hall
from queue_server.domain.ratings import RATING_NAMES_ZH, RatingStatus
from queue_server.domain.tickets import (
    CATEGORY_NAMES_ZH,
    OUTCOME_NAMES_ZH,
    CancelReason,
    Category,
    Channel,
    Outcome,
    Ticket,
    TicketStatus,
)
from queue_server.domain.wait_moves import MoveReason
from queue_server.domain.windows import PAUSE_REASON_NAMES_ZH, PauseReason, WindowState, WindowStatus

View = dict[str, Any]
"""A view not typed yet (an answer still assembled where it is sent)."""


@documented
class TermsView(TypedDict):
    """What an accepted case was accepted on (告知承诺, 容缺受理, 联办件, 上报件); each outcome fills its own fields"""

    commitment: str
    to_follow: list[str]
    by: Day | None
    """告知承诺: verified by this day; 容缺受理: the materials are due by this day"""
    lead_department: str
    level: Annotated[str | None, values_of(Level, nullable=True)]
    level_name: str | None
    days: int | None
    """联办件 and 上报件: the time limit in working days"""


@documented
class AssistanceView(TypedDict):
    """A 帮办代办 record: who at the window helped whom, with which matter"""

    helper: str
    helped: str
    matter: str
    matter_name: str


@documented
class WaitMovedView(TypedDict):
    """The last time a waiting ticket's told wait moved, by how much and why"""

    at: Instant
    minutes: int
    """Later (positive) or earlier (negative), in minutes"""
    reasons: list[Annotated[str, values_of(MoveReason)]]


@documented
class PositionView(TypedDict):
    """Where a waiting ticket stands"""

    people_ahead: int
    estimated_wait_minutes: int | None
    expected_call: Instant | None
    green_ahead: NotRequired[int]
    """Of those ahead, green-channel tickets issued later (绿色通道优先); on a single ticket's reading"""
    wait_range_minutes: NotRequired[list[int]]
    """The wait told as a range [low, high] in whole minutes, when the hall's ranges were computed"""
    wait_moved: NotRequired[WaitMovedView]


class _TicketFields(TypedDict):
    """What anyone who may see a ticket sees of it (a base: pydantic reads no field docstrings here)."""

    serial: int
    number: Annotated[str, Field(description="What the citizen sees, e.g. A001")]
    service_day: Day
    matter: str
    matter_name: str
    matter_name_en: str
    group: str
    green_channel: bool
    booked_from: Instant | None
    """A booked ticket's slot start (预约): from then on it is called before walk-ins; None for a walk-in"""
    category: Annotated[str | None, values_of(Category, nullable=True)]
    category_name: str | None
    channel: Annotated[str, values_of(Channel)]
    status: Annotated[str, values_of(TicketStatus)]
    issued_at: Instant
    window: int | None
    target_window: int | None
    called_at: Instant | None
    serving_at: Instant | None
    ended_at: Instant | None
    calls: int
    recalls: int
    no_shows: int
    transfers: int
    passed_over: int
    outcome: Annotated[str | None, values_of(Outcome, nullable=True)]
    outcome_name: str | None
    due_date: Day | None
    due_date_provisional: bool
    """The due date lies beyond the centre's known holidays and 调休: a holiday announced later may move it"""
    reasons: list[str]
    missing_materials: list[str]
    terms: TermsView | None
    cancel_reason: Annotated[str | None, values_of(CancelReason, nullable=True)]
    rating_status: Annotated[str, values_of(RatingStatus)]
    rating_expires_at: Instant | None
    rating: Annotated[int, Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意")] | None
    rating_name: str | None
    version: int
    position: Annotated[PositionView | None, Field(description="Set while the ticket waits")]


@documented
class TicketView(_TicketFields):
    """A ticket; the answer to issuing it adds its status token and status URL"""

    staff: str | None
    note: str
    assistance: AssistanceView | None
    status_token: NotRequired[str]
    """The key of the ticket's public status page"""
    status_url: NotRequired[str]
    """The status page, for the QR code"""


@documented
class PublicTicketView(_TicketFields):
    """A ticket as its holder sees it: no staff names, no internal notes"""

    window_name: str | None
    """The name of the window it was called to"""


PRIVATE_TICKET_FIELDS = ("staff", "note", "assistance")
"""What a citizen's status page leaves out of a ticket: who served it, the staff's notes, whom they helped."""


@documented
class PauseView(TypedDict):
    """Why and how long the window is paused"""

    reason: Annotated[str | None, values_of(PauseReason, nullable=True)]
    reason_name: str | None
    note: str
    """Staff's note: in what citizens see (the bus, the hall board) only when ``note_public``"""
    note_public: bool
    """The staff member chose to show the note to citizens"""
    minutes: int | None
    until: Instant | None


@documented
class ShownStaffView(TypedDict):
    """Who serves at the window, as the centre's policy lets its display and pad show them (工作证)"""

    name: str | None
    """The staff member's name; null when the policy shows the number only"""
    number: str
    """The work number (工号), or the staff code where the centre gives none"""
    photo: str | None
    """The path of the staff member's photo on the server (a 300×400 JPEG); null when the centre
    has none for them or the policy shows the number only"""


@documented
class WindowTicketView(TypedDict):
    """The ticket called to or served at the window"""

    serial: int
    number: str
    matter: str
    matter_name: str
    green_channel: bool
    booked: bool
    """A booked ticket (预约), checked in for its slot"""
    status: Annotated[str, values_of(TicketStatus)]
    called_at: Instant | None
    serving_at: Instant | None
    calls: int


@documented
class WindowView(TypedDict):
    """A window's state and the ticket at it"""

    number: int
    name: str
    name_en: str
    kinds: list[str]
    green_channel: bool
    status: Annotated[str, values_of(WindowStatus)]
    staff: str | None
    cover: str | None
    since: Instant | None
    pause: PauseView | None
    shown_staff: ShownStaffView | None
    """Who serves there, as the policy allows; null when closed or the policy shows nobody"""
    ticket: WindowTicketView | None
    version: int


@documented
class WindowRatingView(TypedDict):
    """The rating code of the service the window finished last, shown as a QR until its next finish"""

    serial: int
    number: str
    code: str
    path: str
    """The rating page's path on the server: /rate/<code>"""
    expires_at: Instant | None


@documented
class WindowStateView(WindowView):
    """A window's state as its display is told it (``window/<n>/state``): the view and its rating code"""

    rating: WindowRatingView | None
    """Set from the finish until the window calls its next ticket, while the service's rating is open"""


@documented
class PadState(TypedDict):
    """What a rating pad shows: idle, or the open rating request of its window"""

    state: Literal["idle", "open"]
    window: int
    serial: NotRequired[int]
    number: NotRequired[str]
    expires_at: NotRequired[Instant | None]


@documented
class GroupCount(TypedDict):
    """Waiting tickets of a ticket group"""

    prefix: str
    name: str
    name_en: str
    waiting: int


@documented
class QueueView(TypedDict):
    """The waiting tickets in order, each with its position"""

    centre: str
    at: Instant
    waiting: list[TicketView]
    groups: list[GroupCount]
    longest_wait_minutes: int | None


@documented
class UpcomingTicketView(TicketView):
    """A ticket of a window's call order, with why it stands there"""

    why: Literal["in_order", "green_channel", "booked", "passed_over_bound"]
    """in_order: the oldest the window may call; green_channel: called before older ordinary
    tickets; booked: a booking whose slot has begun, called before older ordinary tickets;
    passed_over_bound: called first because a ticket was passed over too often"""


@documented
class CallOrderView(TypedDict):
    """The tickets a window's next calls will bring if nothing else happens, in that order"""

    centre: str
    window: int
    at: Instant
    upcoming: list[UpcomingTicketView]
    """The next ones, at most the limit asked for"""
    waiting: int
    """Every waiting ticket this window may call"""


@documented
class StaffView(TypedDict):
    """A staff member"""

    code: str
    name: str
    windows: list[int]


@documented
class CentreView(TypedDict):
    """A centre's configuration: matters, windows, staff and policy"""

    code: str
    name: str
    name_en: str
    time_zone: str
    address: str
    phone: str
    domains: list[Annotated[dict[str, Any], DumpOf(Domain)]]
    window_kinds: list[Annotated[dict[str, Any], DumpOf(WindowKind)]]
    ticket_groups: list[Annotated[dict[str, Any], DumpOf(TicketGroup)]]
    matters: list[Annotated[dict[str, Any], DumpOf(Matter)]]
    windows: list[Annotated[dict[str, Any], DumpOf(Window)]]
    staff: list[StaffView]
    policy: Annotated[dict[str, Any], DumpOf(Policy)]


@documented
class ActionAnswer(TypedDict):
    """What an action did: the ticket and the window it concerned"""

    changed: bool
    """False when the action had nothing to do"""
    ticket: TicketView | None
    window: WindowView | None
    tickets: NotRequired[list[TicketView]]
    """Every ticket the action changed, when it changed several (closing the day)"""


@overload
def iso(instant: dt.datetime | dt.date) -> str: ...
@overload
def iso(instant: dt.datetime | dt.date | None) -> str | None: ...
def iso(instant: dt.datetime | dt.date | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def minutes(delta: dt.timedelta | None) -> int | None:
    """Whole minutes, rounded up: a citizen told "0 minutes" should not have to wait at all."""
    return whole_minutes(delta)


def position_view(position: Position | None) -> PositionView | None:
    if position is None or position.expected_call is None:
        return None
    view: PositionView = {
        "people_ahead": position.people_ahead,
        "estimated_wait_minutes": minutes(position.estimated_wait),
        "expected_call": iso(position.expected_call),
    }
    if position.green_ahead is not None:
        view["green_ahead"] = position.green_ahead
    if position.wait_range is not None:
        view["wait_range_minutes"] = list(position.wait_range.whole_minutes())
    if position.moved is not None:
        moved = position.moved
        view["wait_moved"] = {
            "at": iso(moved.at),
            "minutes": moved.minutes,
            "reasons": [r.value for r in moved.reasons],
        }
    return view


def terms_view(terms: CaseTerms) -> TermsView:
    return {
        "commitment": terms.commitment,
        "to_follow": list(terms.to_follow),
        "by": iso(terms.by),
        "lead_department": terms.lead_department,
        "level": terms.level.value if terms.level is not None else None,
        "level_name": LEVEL_NAMES_ZH[terms.level] if terms.level is not None else None,
        "days": terms.days,
    }


def assistance_view(centre: Centre, record: Assistance) -> AssistanceView:
    matter = centre.matters_by_code.get(record.matter)
    return {
        "helper": record.helper,
        "helped": record.helped,
        "matter": record.matter,
        "matter_name": matter.name if matter is not None else record.matter,
    }


def ticket_view(centre: Centre, ticket: Ticket, position: Position | None = None) -> TicketView:
    matter = centre.matters_by_code.get(ticket.matter)
    return {
        "serial": ticket.serial,
        "number": ticket.number,
        "service_day": iso(ticket.service_day),
        "matter": ticket.matter,
        "matter_name": matter.name if matter else ticket.matter,
        "matter_name_en": matter.name_en if matter else "",
        "group": ticket.prefix,
        "green_channel": ticket.green,
        "booked_from": iso(ticket.booked_from),
        "category": ticket.category.value if ticket.category else None,
        "category_name": CATEGORY_NAMES_ZH[ticket.category] if ticket.category else None,
        "channel": ticket.channel.value,
        "status": ticket.status.value,
        "issued_at": iso(ticket.issued_at),
        "window": ticket.window,
        "target_window": ticket.target_window,
        "staff": ticket.staff,
        "called_at": iso(ticket.called_at),
        "serving_at": iso(ticket.serving_at),
        "ended_at": iso(ticket.ended_at),
        "calls": ticket.calls,
        "recalls": ticket.recalls,
        "no_shows": ticket.no_shows,
        "transfers": ticket.transfers,
        "passed_over": ticket.passed_over,
        "outcome": ticket.outcome.value if ticket.outcome else None,
        "outcome_name": OUTCOME_NAMES_ZH[ticket.outcome] if ticket.outcome else None,
        "due_date": iso(ticket.due_date),
        "due_date_provisional": ticket.due_date is not None
        and is_provisional(ticket.due_date, known_through(centre.calendar)),
        "reasons": list(ticket.reasons),
        "missing_materials": list(ticket.missing_materials),
        "terms": terms_view(ticket.terms) if ticket.terms is not None else None,
        "assistance": assistance_view(centre, ticket.assistance) if ticket.assistance is not None else None,
        "cancel_reason": ticket.cancel_reason.value if ticket.cancel_reason else None,
        "rating_status": ticket.rating_status.value,
        "rating_expires_at": iso(ticket.rating_expires_at),
        "rating": int(ticket.rating) if ticket.rating is not None else None,
        "rating_name": RATING_NAMES_ZH[ticket.rating] if ticket.rating is not None else None,
        "note": ticket.note,
        "version": ticket.version,
        "position": position_view(position) if ticket.status is TicketStatus.WAITING else None,
    }


def window_view(centre: Centre, state: WindowState, holding: Ticket | None, *, public: bool = False) -> WindowView:
    """A window as staff see it, or (``public``) as the bus and the hall board show it to citizens:
    then a pause's note is left out unless the staff member marked it public."""
    window = centre.window(state.number)
    paused = state.status is WindowStatus.PAUSED
    shown_note = state.pause_note if state.pause_note_public or not public else ""
    return {
        "number": state.number,
        "name": window.name,
        "name_en": window.name_en,
        "kinds": list(window.kinds),
        "green_channel": window.green_channel,
        "status": state.status.value,
        "staff": state.staff,
        "cover": state.cover,
        "since": iso(state.since),
        "pause": {
            "reason": state.pause_reason.value if state.pause_reason else None,
            "reason_name": PAUSE_REASON_NAMES_ZH[state.pause_reason] if state.pause_reason else None,
            "note": shown_note,
            "note_public": state.pause_note_public,
            "minutes": state.pause_minutes,
            "until": iso(state.pause_ends()) if state.pause_minutes else None,
        }
        if paused
        else None,
        "shown_staff": shown_staff(centre, state),
        "ticket": _current(centre, holding),
        "version": state.version,
    }


def shown_staff(centre: Centre, state: WindowState) -> ShownStaffView | None:
    """Who acts at the window now, as far as ``policy.show_staff`` lets citizens see; None when closed."""
    show = centre.policy.show_staff
    acting = state.acting_staff
    if show is ShowStaff.NONE or not state.staffed or acting is None:
        return None
    staff = centre.staff_by_code.get(acting)
    number = staff.work_number if staff else acting
    full = staff is not None and show is ShowStaff.NAME_AND_NUMBER
    name = staff.name if full and staff else None
    photo = photo_path(centre.code, staff.photo) if full and staff and staff.photo else None
    return {"name": name, "number": number, "photo": photo}


def _current(centre: Centre, ticket: Ticket | None) -> WindowTicketView | None:
    if ticket is None:
        return None
    matter = centre.matters_by_code.get(ticket.matter)
    return {
        "serial": ticket.serial,
        "number": ticket.number,
        "matter": ticket.matter,
        "matter_name": matter.name if matter else ticket.matter,
        "green_channel": ticket.green,
        "booked": ticket.booked,
        "status": ticket.status.value,
        "called_at": iso(ticket.called_at),
        "serving_at": iso(ticket.serving_at),
        "calls": ticket.calls,
    }


def windows_view(hall: Hall, *, public: bool = False) -> list[WindowView]:
    return [window_view(hall.centre, state, hall.holding(state.number), public=public) for state in hall.windows()]


def rating_open_at(hall: Hall, window: int) -> Ticket | None:
    """The ticket of the service the window ended last, while its rating request is open (the hall's
    index of open requests: ``rating_index``)."""
    serial = hall.ratings.shown(window)
    return hall.ticket(serial) if serial is not None else None


RATING_PATH = "/rate/{code}"
"""Where a rating code is taken: the page the window display's QR opens."""


def window_state_view(hall: Hall, window: int) -> WindowStateView:
    """A window as its display is told it: the public view, and the rating code of the service it
    finished last while no ticket is at the window and that service's code is in use."""
    state = hall.window(window)
    holding = hall.holding(window)
    ticket = rating_open_at(hall, window) if holding is None else None
    rating: WindowRatingView | None = None
    if ticket is not None and ticket.rating_code and ticket.rating_code_retired_at is None:
        rating = {
            "serial": ticket.serial,
            "number": ticket.number,
            "code": ticket.rating_code,
            "path": RATING_PATH.format(code=ticket.rating_code),
            "expires_at": iso(ticket.rating_expires_at),
        }
    return {**window_view(hall.centre, state, holding, public=True), "rating": rating}


def pad_view(hall: Hall, window: int) -> PadState:
    """What a window's rating pad shows: the open rating request of the service that ended last, or idle."""
    ticket = rating_open_at(hall, window)
    if ticket is None:
        return {"state": "idle", "window": window}
    return {
        "state": "open",
        "serial": ticket.serial,
        "number": ticket.number,
        "window": window,
        "expires_at": iso(ticket.rating_expires_at),
    }


def waiting_counts(centre: Centre, waiting: Iterable[Ticket]) -> list[GroupCount]:
    """Waiting tickets per ticket group, for the hall board."""
    counts = Counter(t.prefix for t in waiting)
    return [
        {"prefix": g.prefix, "name": g.name, "name_en": g.name_en, "waiting": counts.get(g.prefix, 0)}
        for g in centre.ticket_groups
    ]


def queue_view(hall: Hall) -> QueueView:
    """The queue with every waiting ticket's position, from one forecast."""
    waiting = hall.waiting()
    positions = hall.positions()
    now = hall.clock.now()
    longest = max((now - t.issued_at for t in waiting), default=None)
    return {
        "centre": hall.centre.code,
        "at": iso(now),
        "waiting": [ticket_view(hall.centre, t, positions.get(t.serial)) for t in waiting],
        "groups": waiting_counts(hall.centre, waiting),
        "longest_wait_minutes": minutes(longest),
    }


def call_order_view(hall: Hall, window: int, limit: int) -> CallOrderView:
    """The clerk's list: ``Router.call_order`` for one window, read when asked, never on a call."""
    hall.window(window)  # an unknown window is refused as such
    waiting = hall.waiting()
    now = hall.clock.now()
    upcoming = hall.router.call_order(window, waiting, limit, now=now)
    return {
        "centre": hall.centre.code,
        "window": window,
        "at": iso(now),
        "upcoming": [{**ticket_view(hall.centre, u.ticket), "why": u.why.value} for u in upcoming],
        "waiting": sum(1 for t in waiting if hall.router.can_serve(window, t)),
    }


def centre_view(centre: Centre) -> CentreView:
    info = centre.centre
    return {
        "code": info.code,
        "name": info.name,
        "name_en": info.name_en,
        "time_zone": info.time_zone,
        "address": info.address,
        "phone": info.phone,
        "domains": [d.model_dump(mode="json") for d in centre.domains],
        "window_kinds": [k.model_dump(mode="json") for k in centre.window_kinds],
        "ticket_groups": [g.model_dump(mode="json") for g in centre.ticket_groups],
        "matters": [m.model_dump(mode="json") for m in centre.matters],
        "windows": [w.model_dump(mode="json") for w in centre.windows],
        "staff": [{"code": s.code, "name": s.name, "windows": list(s.windows)} for s in centre.staff],
        "policy": centre.policy.model_dump(mode="json"),
    }


@documented
class ReprintAnswer(TypedDict):
    """The new print job of a reprinted ticket, and the job it replaces"""

    centre: str
    serial: int
    number: str
    job_id: str
    printer: str
    replaces: str
    reprinted_by: str | None


@documented
class CentreChange(TypedDict):
    """What a new configuration changes, one line per difference, and whether it was applied"""

    centre: str
    differences: list[str]
    applied: bool
