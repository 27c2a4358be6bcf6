"""Every MQTT payload, typed: validated strictly on the way in, read tolerantly on the way out.

A device's request is refused if it has a field OneWindow does not know (a typo is an error, not
a silence). What the server publishes is read by displays and printers that may be older than
the server, so they ignore fields they do not know. Everything an MQTT 5 property could carry
(request id, sequence, expiry) travels inside the JSON, so the contract works on MQTT 3.1.1.

The vocabularies (case outcomes, pause reasons, green-channel categories) are the domain's own
enums: pure values, one definition.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from queue_server.domain.devices import DeviceKind
from queue_server.domain.tickets import Category, Outcome
from queue_server.domain.windows import PauseReason

RequestId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9._:-]{1,64}$",
        description="Unique per request; includes the device's boot nonce, so a reboot never reuses one",
    ),
]


class Inbound(BaseModel):
    """A payload a device sends: strict."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Outbound(BaseModel):
    """A payload the server sends: tolerant of fields a reader does not know."""

    model_config = ConfigDict(frozen=True, extra="ignore")


# --- What the server publishes -----------------------------------------------------------------


class CurrentTicket(Outbound):
    serial: int
    number: str
    matter: str
    matter_name: str
    green_channel: bool
    status: str
    called_at: str | None = None
    serving_at: str | None = None
    calls: int = 0


class PauseInfo(Outbound):
    reason: PauseReason | None
    reason_name: str | None = None
    note: str = ""
    minutes: int | None = None
    until: str | None = None


class WindowView(Outbound):
    number: int
    name: str
    name_en: str = ""
    kinds: list[str] = []
    green_channel: bool = False
    status: str = Field(description="open, paused or closed")
    staff: str | None = None
    cover: str | None = None
    since: str | None = None
    pause: PauseInfo | None = None
    ticket: CurrentTicket | None = None
    version: int = 0


class CallView(Outbound):
    call_id: str = Field(description="Unique per call: ticket serial and the call's place in its log")
    serial: int
    number: str
    matter: str
    matter_name: str
    matter_name_en: str = ""
    green_channel: bool = False
    window: int
    window_name: str
    window_name_en: str = ""
    recall: bool = False
    at: str


class GroupCount(Outbound):
    prefix: str
    name: str
    name_en: str = ""
    waiting: int


class Sequenced(Outbound):
    seq: int = Field(ge=1, description="Per subject, never reset: a receiver drops a repeat or an older one")


class WindowState(WindowView, Sequenced):
    """``window/<n>/state``, retained."""


class Call(CallView, Sequenced):
    """``window/<n>/call``, QoS 1."""


class HallFeed(Sequenced):
    """``hall/feed``, retained: the whole board."""

    centre: str
    name: str
    name_en: str = ""
    at: str
    windows: list[WindowView]
    waiting: list[GroupCount]
    last_calls: list[CallView]


class PadStatus(StrEnum):
    IDLE = "idle"
    OPEN = "open"


class PadState(Outbound):
    """``pad/<id>/state``, retained: what the pad shows."""

    seq: int = Field(ge=1)
    state: PadStatus
    serial: int | None = None
    number: str | None = None
    window: int | None = None
    expires_at: str | None = None


class ResponseError(Outbound):
    type: str
    detail: str


class DeviceResponse(Outbound):
    """``<kind>/<id>/response/<what>``: the answer to one request, with its request id."""

    request_id: str
    ok: bool
    result: dict[str, object] | None = None
    error: ResponseError | None = None


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
    outcome: Outcome = Outcome.ON_THE_SPOT


class KeypadPause(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.KEYPAD
    what: ClassVar[str] = "pause"
    reason: PauseReason = PauseReason.BREAK
    minutes: int | None = Field(default=None, ge=1, le=1440)


class KeypadResume(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.KEYPAD
    what: ClassVar[str] = "resume"


class KioskTicket(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.KIOSK
    what: ClassVar[str] = "ticket"
    matter: str = Field(min_length=1, max_length=40)
    category: Category | None = None


class PadRating(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.PAD
    what: ClassVar[str] = "rating"
    serial: int = Field(ge=1, description="The ticket the pad's open request was for")
    level: int = Field(ge=1, le=5, description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")


class PrintResult(DeviceRequest):
    kind: ClassVar[DeviceKind] = DeviceKind.PRINTER
    what: ClassVar[str] = "result"
    job_id: str = Field(min_length=1, max_length=64)
    status: str = Field(pattern="^(done|failed|unknown)$")
    reason: str = Field(default="", max_length=200)


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
