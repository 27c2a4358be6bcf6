"""Every MQTT payload, typed: validated strictly on the way in, read tolerantly on the way out.

A device's request is refused if it has a field OneWindow does not know (a typo is an error, not
a silence). What the server publishes is read by displays and printers that may be older than
the server, so they ignore fields they do not know. Everything an MQTT 5 property could carry
(request id, sequence, expiry) travels inside the JSON, so the contract works on MQTT 3.1.1.

The vocabularies (device kinds, case outcomes, pause reasons, green-channel categories) come from
``queue_server.vocabulary``, the ground floor the domain shares: one definition, and the protocol
imports nothing of the domain.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from queue_server.vocabulary import Category, DeviceKind, Outcome, PauseReason, RatingItem

RequestId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9._:-]{1,64}$",
        description="Unique per request; includes the device's boot nonce, so a reboot never reuses one",
    ),
]


class Inbound(BaseModel):
    """A payload a device sends: strict about unknown fields and numbers (no "5" for 5, no true for 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Outbound(BaseModel):
    """A payload the server sends: tolerant of fields a reader does not know."""

    model_config = ConfigDict(frozen=True, extra="ignore")


# --- What the server publishes -----------------------------------------------------------------


class CurrentTicket(Outbound):
    serial: int = Field(
        description="The ticket's serial number at the centre, unique for ever (the number repeats each day)"
    )
    number: str = Field(description="The number called and printed, e.g. A023: group prefix and the day's count")
    matter: str = Field(description="The matter's code (事项编码) in the centre file")
    matter_name: str = Field(description="The matter's name as people read it, e.g. 居住证申领")
    green_channel: bool = Field(description="Served through the green channel (绿色通道)")
    booked: bool = Field(default=False, description="A booked ticket (预约), checked in for its slot")
    status: str = Field(description="called or serving")
    called_at: str | None = Field(default=None, description="When it was last called (UTC)")
    serving_at: str | None = Field(default=None, description="When service started (UTC); null while only called")
    calls: int = Field(default=0, description="How many times it was called, recalls included")


class PauseInfo(Outbound):
    reason: PauseReason | None = Field(description="Why the window is paused")
    reason_name: str | None = Field(default=None, description="The reason in Chinese, e.g. 休息")
    note: str = Field(
        default="",
        description="What the staff member added, shown as it is; empty unless they chose to show it to citizens",
    )
    note_public: bool = Field(
        default=False, description="The staff member chose to show the note to citizens (otherwise it is left out)"
    )
    minutes: int | None = Field(default=None, description="How long the pause should last, if said")
    until: str | None = Field(
        default=None, description="When the window should open again (UTC), if minutes were given"
    )


class ShownStaff(Outbound):
    """Who serves at the window (工作证), as far as the centre's policy shows them."""

    name: str | None = Field(default=None, description="The staff member's name; null when only the number is shown")
    number: str = Field(description="The work number (工号), or the staff code where the centre gives none")
    photo: str | None = Field(
        default=None,
        description=(
            "The path of the staff member's photo on the server (a 300×400 JPEG, named by its hash: it never"
            " changes); null when there is none or the policy shows the number only"
        ),
    )


class WindowView(Outbound):
    number: int = Field(description="The window's number, as on the sign above it")
    name: str = Field(description="The window's name, e.g. 3号窗口")
    name_en: str = Field(default="", description="The window's name in English, empty if none")
    kinds: list[str] = Field(default=[], description="The window kinds (window_kinds codes) it serves")
    green_channel: bool = Field(default=False, description="A green-channel window (绿色通道)")
    status: str = Field(description="open, paused or closed")
    staff: str | None = Field(default=None, description="The code of the staff member signed on, null when closed")
    cover: str | None = Field(
        default=None, description="Who covers the window for now (B post, A/B岗), acting in the first one's place"
    )
    since: str | None = Field(default=None, description="When the status last changed (UTC)")
    pause: PauseInfo | None = Field(default=None, description="Why and how long, while paused; null otherwise")
    shown_staff: ShownStaff | None = Field(
        default=None,
        description="Who serves there, as the centre's policy (show_staff) allows; null when closed or shown to nobody",
    )
    ticket: CurrentTicket | None = Field(
        default=None, description="The ticket called to or served at the window, null if none"
    )
    version: int = Field(default=0, description="The window's own change counter in the database")


class CallView(Outbound):
    call_id: str = Field(description="Unique per call: ticket serial and the call's place in its log")
    serial: int = Field(description="The ticket's serial number")
    number: str = Field(description="The number to show and announce, e.g. A023")
    matter: str = Field(description="The matter's code")
    matter_name: str = Field(description="The matter's name, e.g. 居住证申领")
    matter_name_en: str = Field(default="", description="The matter's name in English, empty if none")
    green_channel: bool = Field(default=False, description="Served through the green channel (绿色通道)")
    booked: bool = Field(default=False, description="A booked ticket (预约), checked in for its slot")
    window: int = Field(description="The window the citizen is called to")
    window_name: str = Field(description="That window's name, to show and announce")
    window_name_en: str = Field(default="", description="That window's name in English, empty if none")
    recall: bool = Field(default=False, description="A recall (重呼) of a ticket called before, not a first call")
    at: str = Field(description="When it was called (UTC)")


class GroupCount(Outbound):
    prefix: str = Field(description="The ticket group's prefix, e.g. A")
    name: str = Field(description="The group's name, e.g. 综合业务")
    name_en: str = Field(default="", description="The group's name in English, empty if none")
    waiting: int = Field(description="Tickets of this group waiting now")
    wait_range_minutes: list[int] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="A newcomer's wait in this group, [low, high] in whole minutes, as of the last working-out of the"
        " hall's wait ranges (revision 1); absent before the first or when no staffed window serves the group",
    )


PROTOCOL = 2
"""The version of what the server publishes, carried as ``protocol`` by every sequenced message.

It grows when a message changes so that an older reader would misread it (version 2: the hall
board builds itself from the windows' states, ``hall/summary`` and ``hall/calls``). A reader takes
every version up to the one it knows and refuses a higher one, saying it must be updated."""

PROTOCOL_REVISION = 1
"""The revision of :data:`PROTOCOL` the server writes, carried as ``revision`` by every sequenced
message and in ``server/protocol``.

A revision only adds (a new optional field, a new topic): a reader of an older revision of the
same version reads every message as before, ignoring what it does not know, and only notes that
an update is available. The revision starts again at 0 when :data:`PROTOCOL` grows.

Revision 1: the wait as a range, on a ticket's print job and per ticket group in ``hall/summary``
(``wait_range_minutes``)."""


class Sequenced(Outbound):
    seq: int = Field(
        ge=0, description="Per subject, never reset: a receiver drops a repeat or an older one (0: no change yet)"
    )
    protocol: int = Field(
        default=1,
        ge=1,
        description="The protocol version the server speaks (absent from servers before version 2): a reader"
        " that knows a lower one must not show the message, and says it needs an update",
    )
    revision: int = Field(
        default=0,
        ge=0,
        description="The revision of that version the server writes (absent: 0). A newer revision only adds"
        " fields: a reader that knows an older one reads the message as before and notes that an update is"
        " available",
    )


class WindowRating(Outbound):
    """The rating code of the service a window finished last: its display shows it as a QR code."""

    serial: int = Field(description="The ticket whose service the code rates, and no other")
    number: str = Field(description="That ticket's number, e.g. A023, to show beside the code")
    code: str = Field(description="The code itself: unguessable, made for this one service")
    path: str = Field(
        description="The rating page's path on the server (/rate/<code>): the QR code holds the server's address"
        " followed by it"
    )
    expires_at: str | None = Field(default=None, description="When the service's rating request lapses (UTC)")


class WindowState(WindowView, Sequenced):
    """``window/<n>/state``, retained."""

    rating: WindowRating | None = Field(
        default=None,
        description="From a finish until the window calls its next ticket, while that service may still be rated"
        " by it: the code to show as a QR. The window's next finish retires the code (the page then says it"
        " expired); null otherwise",
    )


class Call(CallView, Sequenced):
    """``window/<n>/call``, QoS 1."""


class ServerProtocol(Outbound):
    """``server/protocol``, retained: the protocol the server speaks, for devices to compare with their own.

    Each server instance publishes it when it connects; during a rolling upgrade a newer instance
    may say a newer revision than an older one. A device that reads a newer revision of the version
    it knows keeps working and notes that an update is available; one that reads a newer version
    says it needs an update (it cannot read that version's messages)."""

    protocol: int = Field(ge=1, description="The protocol version of the messages the server publishes")
    revision: int = Field(default=0, ge=0, description="The revision of that version it writes")


class HallSummary(Sequenced):
    """``hall/summary``, retained: the board's heading and waiting counts, without the windows.

    A hall board shows the centre's name and time, every window from its own retained
    ``window/<n>/state``, the latest calls from ``hall/calls`` and the waiting counts from this:
    no message grows with the number of windows."""

    centre: str = Field(description="The centre's code")
    name: str = Field(description="The centre's name, e.g. 示范街道便民服务中心")
    name_en: str = Field(default="", description="The centre's name in English, empty if none")
    time_zone: str = Field(
        default="Asia/Shanghai",
        description="The centre's time zone (IANA name): boards show the hall's time, whatever their own clock's zone",
    )
    at: str = Field(description="When the summary was made (UTC)")
    waiting: list[GroupCount] = Field(description="Waiting tickets per ticket group")


class HallCalls(Sequenced):
    """``hall/calls``, retained: the latest calls and recalls of the hall, newest first.

    Published after each commit that called someone; a board that connects late lists them at once.
    Each call also comes live on its window's ``window/<n>/call``, which is what a board announces."""

    at: str = Field(description="When the list was made (UTC)")
    calls: list[CallView] = Field(description="The latest calls and recalls, newest first (at most 10)")


class HallFeed(Sequenced):
    """``hall/feed``, retained: the whole board in one message, the old form kept for boards of the
    previous release.

    Protocol 2 boards do not read it: it grows with the hall (every window is in it), so the server
    publishes it at most every few seconds, as the hall is then (see "The hall board")."""

    centre: str = Field(description="The centre's code")
    name: str = Field(description="The centre's name, e.g. 示范街道便民服务中心")
    name_en: str = Field(default="", description="The centre's name in English, empty if none")
    time_zone: str = Field(
        default="Asia/Shanghai",
        description="The centre's time zone (IANA name): boards show the hall's time, whatever their own clock's zone",
    )
    at: str = Field(description="When the feed was made (UTC)")
    windows: list[WindowView] = Field(description="Every window of the hall, by number")
    waiting: list[GroupCount] = Field(description="Waiting tickets per ticket group")
    last_calls: list[CallView] = Field(description="The latest calls and recalls, newest first")


class PadStatus(StrEnum):
    IDLE = "idle"
    OPEN = "open"


class PadState(Sequenced):
    """``pad/<id>/state``, retained: what the pad shows."""

    state: PadStatus = Field(description="idle, or open while a rating request waits")
    serial: int | None = Field(
        default=None, description="The ticket to rate (send it back in the rating); set when open"
    )
    number: str | None = Field(default=None, description="The ticket's number to show, e.g. A023")
    window: int | None = Field(default=None, description="The window the pad belongs to")
    expires_at: str | None = Field(default=None, description="When the open request lapses unanswered (UTC)")


class PrintKind(StrEnum):
    TICKET = "ticket"
    NOTICE = "notice"  # the one-time notice (一次性告知) of a returned or supplement case


class TicketPrint(Outbound):
    """What a ticket says: the fields of ticket_printer's TicketSlip."""

    centre_name: str
    centre_name_en: str = ""
    number: str
    matter_name: str
    matter_name_en: str = ""
    green_channel: bool = False
    category_name: str | None = None
    people_ahead: int = 0
    estimated_wait_minutes: int | None = None
    wait_range_minutes: list[int] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="The range told for the wait, [low, high] in whole minutes, printed as 约 low-high 分钟 instead of"
        " the single estimate (revision 1); the ticket keeps it as the range told at issue",
    )
    issued_at: str = Field(description="Local date and time as printed, e.g. 2026-11-30 09:05")
    status_url: str = Field(description="The ticket's status page: the QR code's data")


class NoticePrint(Outbound):
    """What a one-time notice says: the fields of ticket_printer's NoticeSlip."""

    centre_name: str
    number: str
    matter_name: str
    outcome_name: str
    reasons: list[str] = []
    missing_materials: list[str] = []
    phone: str = ""
    address: str = ""
    date: str
    title: str = Field(default="一次性告知单", description="The paper's title, e.g. 补正材料通知书 or 不予受理通知书")
    case_number: str = Field(default="", description="The case's number (受理编号), unique per centre and year")
    staff: str = Field(default="", description="Who handled it: the name as the policy shows it and the work number")
    note: str = Field(default="", description="The clerk's note on the case, printed as written")
    deadline: str = Field(default="", description="For a case to supplement: by when, and what happens after")
    remedy: str = Field(default="", description="For a case not accepted: the right to administrative review or to sue")
    commitment: str = Field(
        default="", description="For a letter of commitment (告知承诺书): what the applicant commits to, as written"
    )
    received_materials: list[str] = Field(
        default=[], description="For a notice of acceptance (受理通知书): the materials received"
    )
    due: str = Field(default="", description="For a notice of acceptance: by when the case is done, in words")
    delivery: str = Field(default="", description="For a notice of acceptance: how the result reaches the citizen")
    lead_department: str = Field(default="", description="For a joint case (联办件): the department that leads it")
    level: str = Field(default="", description="For a reported case (上报件): the level it is reported to, in words")
    delivered_how: str = Field(
        default="", description="For a proof of delivery (送达回证): how the result was handed over, in words"
    )


class PrintJob(Sequenced):
    """``printer/<id>/job``, QoS 1: something to print, once; answered by a ``result`` request."""

    job_id: str = Field(description="Unique per job; the printer answers with it and never prints it twice")
    kind: PrintKind
    english: bool = Field(default=False, description="Add the English lines")
    ticket: TicketPrint | None = None
    notice: NoticePrint | None = None


class PrinterStatus(StrEnum):
    READY = "ready"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"  # the printer itself does not answer (cable, power)


FAULT_REASONS: dict[PrinterStatus, str] = {PrinterStatus.PAPER_OUT: "paper out", PrinterStatus.COVER_OPEN: "cover open"}
"""The reason a printer gives for a job it failed because it cannot print at all just now: the
server then sends the ticket to a spare printer. Any other reason (a job it cannot render) is final."""


def fault_in(reason: str) -> PrinterStatus | None:
    """The state a failed job's reason names: ``paper out`` or ``cover open`` (or a state word)."""
    words = reason.strip().lower()
    for state, said in FAULT_REASONS.items():
        if words in (said, state.value):
            return state
    return PrinterStatus.OFFLINE if words == PrinterStatus.OFFLINE.value else None


class PrinterState(Outbound):
    """``printer/<id>/state``, retained, published by the printer client. While it says paper_out,
    cover_open or offline (or the printer is offline), the server sends its kiosk's tickets to a spare."""

    state: PrinterStatus
    detail: str = ""
    at: str
    pending: int = Field(default=0, ge=0, description="Jobs taken and not yet printed")


class ResponseError(Outbound):
    type: str = Field(description="A short word for what went wrong, e.g. invalid-transition or invalid")
    detail: str = Field(description="What failed and why, for a person to read")
    code: str | None = Field(
        default=None, description="Which refusal of the hall, stable to branch on (e.g. window_paused); absent if none"
    )
    message: str | None = Field(
        default=None, description="The refusal in Chinese, naming the window and ticket as staff know them, to show"
    )


class DeviceResponse(Outbound):
    """``<kind>/<id>/response/<what>``: the answer to one request, with its request id."""

    request_id: str = Field(description="The id of the request this answers (empty if the request could not be read)")
    ok: bool = Field(description="True if the request was applied; false with an error otherwise")
    result: dict[str, object] | None = Field(
        default=None, description="What changed, when ok (the same view as the JSON API's answer)"
    )
    error: ResponseError | None = Field(default=None, description="Why the request was refused, when not ok")


# --- What devices send -------------------------------------------------------------------------


class DeviceRequest(Inbound):
    """Base of every request; ``kind`` and ``what`` place it in its topic."""

    kind: ClassVar[DeviceKind]
    what: ClassVar[str]
    request_id: RequestId


class KeypadNext(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.KEYPAD
    what: ClassVar[str] = "next"


class KeypadRecall(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.KEYPAD
    what: ClassVar[str] = "recall"


class KeypadNoShow(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.KEYPAD
    what: ClassVar[str] = "no_show"


class KeypadStart(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.KEYPAD
    what: ClassVar[str] = "start"


class KeypadFinish(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.KEYPAD
    what: ClassVar[str] = "finish"
    outcome: Outcome = Field(default=Outcome.ON_THE_SPOT, description="How the case ended (办结类型)")


class KeypadPause(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.KEYPAD
    what: ClassVar[str] = "pause"
    reason: PauseReason = Field(default=PauseReason.BREAK, description="Why the window pauses")
    minutes: StrictInt | None = Field(description="How long, if known", default=None, ge=1, le=1440)


class KeypadResume(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.KEYPAD
    what: ClassVar[str] = "resume"


class KioskTicket(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.KIOSK
    what: ClassVar[str] = "ticket"
    matter: str = Field(description="The code of the matter the citizen chose", min_length=1, max_length=40)
    category: Category | None = Field(
        default=None, description="For the green channel (绿色通道): why the citizen may skip the queue"
    )


class PadRating(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.PAD
    what: ClassVar[str] = "rating"
    serial: StrictInt = Field(ge=1, description="The ticket the pad's open request was for")
    level: StrictInt = Field(ge=1, le=5, description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    items: dict[RatingItem, Annotated[StrictInt, Field(ge=1, le=5)]] | None = Field(
        default=None,
        max_length=3,
        description="Optionally, besides the level, the items the citizen rated, each 1 to 5: efficiency (服务效率),"
        " skill (服务水平), attitude (服务态度); an item left out is unrated",
    )


class PrintResult(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.PRINTER
    what: ClassVar[str] = "result"
    job_id: str = Field(description="The id of the print job this reports on", min_length=1, max_length=64)
    status: str = Field(description="done, failed or unknown", pattern="^(done|failed|unknown)$")
    reason: str = Field(
        description="Why it failed: `paper out` or `cover open` when the printer cannot print now (the server "
        "sends a ticket to a spare printer then), else what went wrong",
        default="",
        max_length=200,
    )


REQUESTS: dict[tuple[DeviceKind, str], type[DeviceRequest]] = {
    (cls.kind, cls.what): cls
    for cls in (
        KeypadNext,
        KeypadRecall,
        KeypadNoShow,
        KeypadStart,
        KeypadFinish,
        KeypadPause,
        KeypadResume,
        KioskTicket,
        PadRating,
        PrintResult,
    )
}
"""Every request a device may send, by its kind and the last segment of its topic."""
