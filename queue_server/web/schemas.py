"""The shapes of the API's own answers, beside the hall's views (queue_server.app.views).

Each is a TypedDict written once: the handlers build plain dicts of it and the OpenAPI document
(queue_server.web.openapi) generates its components from it. A screen's API module declares the
shapes only it answers next to its handlers (api_pad.PadView, api_reports.Report ...).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import Field, RootModel
from typing_extensions import TypedDict

from queue_server.app.case_results import PublicResultView
from queue_server.app.view_fields import Instant, documented, values_of
from queue_server.app.views import PublicTicketView, WindowView
from queue_server.domain.devices import DeviceKind


@documented
class ProblemField(TypedDict):
    """A field that failed"""

    field: str
    message: str


@documented
class Problem(TypedDict):
    """An RFC 9457 problem: what failed (title), which one and why (detail); branch on type"""

    type: Annotated[str, Field(json_schema_extra={"format": "uri", "examples": ["urn:onewindow:problem:not-found"]})]
    title: str
    status: int
    detail: str
    errors: NotRequired[list[ProblemField]]
    """invalid-request: each field that failed, by its dotted path, with why"""
    reason: NotRequired[str]
    """issue-refused: why no ticket can be issued"""
    code: NotRequired[str]
    """a refusal of the hall (not-found, not-allowed, invalid-transition, issue-refused, invalid-request ...):
    which one of the catalogue, stable to branch on (e.g. window_closed, promised_days_missing)"""
    args: NotRequired[dict[str, str | int]]
    """with code: the facts the refusal names (window: its number, ticket: its printed number, matter:
    its code ...), for a page that words the refusal itself"""
    message: NotRequired[str]
    """with code: the refusal in Chinese, naming windows, matters and tickets as people know them
    (3号窗口（综合受理）, the matter's name, A001), to show as it is"""
    message_en: NotRequired[str]
    """with code: the refusal in English"""
    incident: NotRequired[str]
    """internal-error: the id the server logged the error under"""


@documented
class Health(TypedDict):
    """The server and its database answer"""

    status: Literal["ok"]
    database: Literal["ok"]


class OpenApiDocument(RootModel[dict[str, Any]]):
    """This document"""


@documented
class CentreEntry(TypedDict):
    """A centre"""

    code: str
    name: str


@documented
class CentreList(TypedDict):
    """The centres the token may see"""

    centres: list[CentreEntry]


@documented
class WindowList(TypedDict):
    """A centre's windows"""

    centre: str
    windows: list[WindowView]


@documented
class DeviceView(TypedDict):
    """A device of the registry"""

    id: str
    kind: Annotated[str, values_of(DeviceKind)]
    name: str
    window: int | None
    printer: str | None
    online: bool | None


@documented
class DeviceList(TypedDict):
    """A centre's registered devices and whether each is online now"""

    centre: str
    devices: list[DeviceView]


@documented
class EventRecord(TypedDict):
    """One event: its place in the log, kind, time and actor, then the kind's own fields"""

    seq: int
    kind: str
    serial: int
    at: Instant
    actor: str


@documented
class TicketEvents(TypedDict):
    """A ticket's event log, in order"""

    centre: str
    serial: int
    events: list[EventRecord]


@documented
class CentreSummary(TypedDict):
    """The centre"""

    code: str
    name: str
    name_en: str
    address: str
    phone: str


@documented
class StatusPage(TypedDict):
    """What a ticket's holder sees on its status page"""

    centre: CentreSummary
    ticket: PublicTicketView
    promised: PublicResultView | None
    """For a promised case (承诺件): its promised date, where its result stands and how it comes"""


@documented
class StatusAnswer(TypedDict):
    """What the citizen's cancel did"""

    changed: bool
    ticket: PublicTicketView | None
