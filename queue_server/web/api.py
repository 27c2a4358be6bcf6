"""The JSON API under /api/v1: the route table and its handlers.

Reads go through :meth:`HallService.hall` (the live hall) or the store's lookups (logs, finished
tickets); every action goes through :meth:`HallService.act` with the principal's actor string and
the request id, and answers what the service answered, a replay included. Who may call a route
is declared here, in :data:`ROUTES`, and enforced by the bearer middleware before the handler runs.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from aiohttp import web
from pydantic import BaseModel, Field

from queue_server.app.case_results import PublicResultView, public_result
from queue_server.app.commands import (
    TICKET_COMMANDS,
    WINDOW_COMMANDS,
    Cancel,
    CloseDay,
    Command,
    IssueTicket,
    SignOff,
    SignOn,
)
from queue_server.app.request_ids import citizen_request_id
from queue_server.app.service import HallService
from queue_server.app.tickets import read_ticket
from queue_server.app.views import (
    PRIVATE_TICKET_FIELDS,
    ActionAnswer,
    CallOrderView,
    CentreView,
    PublicTicketView,
    QueueView,
    TicketView,
    WindowView,
    call_order_view,
    centre_view,
    queue_view,
    window_view,
    windows_view,
)
from queue_server.auth.accounts import Action, Principal, Role
from queue_server.domain.centre import Centre
from queue_server.domain.errors import NotFound
from queue_server.domain.real_name import holder_of
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.tickets import CancelReason, Channel
from queue_server.store import lookup
from queue_server.web.auth import principal_of
from queue_server.web.bodies import (
    REQUEST_ID_PATTERN,
    TICKET_BODIES,
    WINDOW_BODIES,
    ActionBody,
    IssueBody,
    RequestIdBody,
)
from queue_server.web.keys import DATABASE, ID_KEY, OPENAPI, ROUTE_INDEX, SERVICE
from queue_server.web.limits import limit_tickets
from queue_server.web.problems import (
    ProblemError,
    answer_response,
    field_errors,
    forbidden,
    invalid_request,
    json_response,
    problem,
    what_failed,
    with_body,
)
from queue_server.web.routes import Access, Handler, Route
from queue_server.web.schemas import (
    CentreList,
    DeviceList,
    Health,
    OpenApiDocument,
    StatusAnswer,
    StatusPage,
    TicketEvents,
    WindowList,
)

IDEMPOTENCY_KEY = "Idempotency-Key"
CITIZEN = "citizen"

READ = Access(Action.READ)
READ_HALL = Access(Action.READ, deny=frozenset({Role.KIOSK}))
"""Reading windows, tickets and logs: a kiosk reads only the centre and its queue."""


# --- Helpers ----------------------------------------------------------------------------------------


def _service(request: web.Request) -> HallService:
    return request.app[SERVICE]


def _centre(request: web.Request) -> str:
    return request.match_info["centre"]


def _int_param(request: web.Request, name: str) -> int:
    return int(request.match_info[name])


async def read_body(request: web.Request) -> dict[str, Any]:
    """The JSON object of the body; an empty body is an empty object (the request id may be a header)."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise ProblemError(
            problem(400, "bad-json", "The body is not JSON", f"{what_failed(request)}: the body is not UTF-8 text")
        ) from None
    except json.JSONDecodeError:
        raise  # answered with its line and column by web.problems
    except (RecursionError, ValueError) as error:  # nested thousands deep, a number of thousands of digits
        reason = "it is nested too deep" if isinstance(error, RecursionError) else str(error)
        raise ProblemError(
            problem(400, "bad-json", "The body is not JSON", f"{what_failed(request)}: cannot read the body: {reason}")
        ) from None
    if not isinstance(data, dict):
        raise ProblemError(
            problem(
                400,
                "bad-body",
                "The body is not a JSON object",
                f"{what_failed(request)}: the body must be a JSON object with named fields,"
                f" not a JSON {type(data).__name__}",
            )
        )
    return data


def request_id_of(request: web.Request, body: ActionBody) -> str:
    """The action's request id, from the body or the ``Idempotency-Key`` header; 422 when missing."""
    what = what_failed(request)
    header = request.headers.get(IDEMPOTENCY_KEY)
    if header is not None:
        header = header.strip()
        if not re.fullmatch(REQUEST_ID_PATTERN, header):
            message = "1 to 128 letters, digits, '.', '_', ':' or '-'"
            raise ProblemError(invalid_request(what, field_errors([(IDEMPOTENCY_KEY, message)])))
        if body.request_id is not None and body.request_id != header:
            message = f"{body.request_id!r} differs from the {IDEMPOTENCY_KEY} header {header!r}; send one request id"
            raise ProblemError(invalid_request(what, field_errors([("request_id", message)])))
        return header
    if body.request_id is None:
        message = (
            "missing: make one request id per intended action, e.g. a UUID, and send it as request_id"
            f" or in the {IDEMPOTENCY_KEY} header; a repeat with the same id is answered without acting twice"
        )
        raise ProblemError(invalid_request(what, field_errors([("request_id", message)])))
    return body.request_id


async def _act(
    request: web.Request, centre: str, command: Command, principal: Principal, request_id: str
) -> web.Response:
    answer = await _service(request).act(centre, command, actor=principal.actor, request_id=request_id)
    return answer_response(request, answer)


# --- Reads --------------------------------------------------------------------------------------------


async def health(request: web.Request) -> web.StreamResponse:
    async with request.app[DATABASE].read() as conn:
        await lookup.ping(conn)
    answer: Health = {"status": "ok", "database": "ok"}
    return json_response(answer)


async def openapi_document(request: web.Request) -> web.StreamResponse:
    return json_response(await request.app[OPENAPI].read())


async def list_centres(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    async with request.app[DATABASE].read() as conn:
        rows = await lookup.list_centres(conn)
    answer: CentreList = {"centres": [{"code": r.code, "name": r.name} for r in rows if principal.may_see(r.code)]}
    return json_response(answer)


async def get_centre(request: web.Request) -> web.StreamResponse:
    hall = await _service(request).hall(_centre(request))
    return json_response(centre_view(hall.centre))


async def get_queue(request: web.Request) -> web.StreamResponse:
    hall = await _service(request).hall(_centre(request))
    return json_response(queue_view(hall))


async def get_windows(request: web.Request) -> web.StreamResponse:
    hall = await _service(request).hall(_centre(request))
    answer: WindowList = {"centre": hall.centre.code, "windows": windows_view(hall)}
    return json_response(answer)


async def get_devices(request: web.Request) -> web.StreamResponse:
    """The registry with each device's availability as the bus last heard it (None: not heard)."""
    centre = _centre(request)
    service = _service(request)
    hall = await service.hall(centre)
    online = service.devices(centre).online()
    devices = [{**device.model_dump(mode="json"), "online": online.get(device.id)} for device in hall.centre.devices]
    return json_response({"centre": centre, "devices": devices})


async def get_window(request: web.Request) -> web.StreamResponse:
    number = _int_param(request, "number")
    hall = await _service(request).hall(_centre(request))
    return json_response(window_view(hall.centre, hall.window(number), hall.holding(number)))


class CallOrderQuery(BaseModel):
    limit: int = Field(default=8, ge=1, le=50, description="How many of the next tickets to list (1 to 50)")


async def get_call_order(request: web.Request) -> web.StreamResponse:
    """The clerk's waiting list: the order this window's next calls will come in, and why."""
    number = _int_param(request, "number")
    query = CallOrderQuery.model_validate(dict(request.query))  # a bad limit is a 422 naming it
    hall = await _service(request).hall(_centre(request))
    return json_response(call_order_view(hall, number, query.limit))


async def get_ticket(request: web.Request) -> web.StreamResponse:
    _, view = await read_ticket(_service(request), _centre(request), _int_param(request, "serial"))
    return json_response(view)


async def get_ticket_events(request: web.Request) -> web.StreamResponse:
    centre, serial = _centre(request), _int_param(request, "serial")
    async with request.app[DATABASE].read() as conn:
        records = await lookup.ticket_event_records(conn, centre, serial)
    if not records:
        raise NotFound(
            f"There is no ticket #{serial} at centre {centre!r}", RefusalCode.TICKET_NOT_FOUND, serial=serial
        )
    return json_response({"centre": centre, "serial": serial, "events": records})


# --- The citizen's status page -----------------------------------------------------------------------


async def _token_ticket(request: web.Request) -> tuple[str, int]:
    """The ticket of the path's status token; 404 for any token that names none, well-formed or not."""
    token = request.match_info["token"]
    found = None
    if re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token):
        async with request.app[DATABASE].read() as conn:
            found = await lookup.find_ticket_by_token(conn, token)
    if found is None:
        raise ProblemError(
            problem(
                404,
                "unknown-status-token",
                "No such ticket",
                "There is no ticket with this status link; check the link or scan the QR code on the ticket again",
            )
        )
    return found


def public_ticket(centre: Centre, view: TicketView) -> PublicTicketView:
    """A ticket as its holder sees it: no staff names, no internal notes; the window's name added."""
    shown = cast(PublicTicketView, {key: value for key, value in view.items() if key not in PRIVATE_TICKET_FIELDS})
    number = view["window"]
    window = centre.windows_by_number.get(number) if number is not None else None
    shown["window_name"] = window.name if window is not None else None
    return shown


def status_view(centre: Centre, view: TicketView, promised: PublicResultView | None = None) -> StatusPage:
    info = centre.centre
    return {
        "centre": {
            "code": info.code,
            "name": info.name,
            "name_en": info.name_en,
            "address": info.address,
            "phone": info.phone,
        },
        "ticket": public_ticket(centre, view),
        "promised": promised,
    }


async def get_status(request: web.Request) -> web.StreamResponse:
    centre, serial = await _token_ticket(request)
    config, view = await read_ticket(_service(request), centre, serial)
    promised = await public_result(_service(request), centre, serial) if view["outcome"] == "promised" else None
    return json_response(status_view(config, view, promised))


async def citizen_cancel(request: web.Request) -> web.StreamResponse:
    centre, serial = await _token_ticket(request)
    body = RequestIdBody.model_validate(await read_body(request))
    request_id = citizen_request_id(serial, request_id_of(request, body))
    service = _service(request)
    command = Cancel(serial=serial, reason=CancelReason.CITIZEN, note="")
    answer = await service.act(centre, command, actor=CITIZEN, request_id=request_id)
    if answer.ok:
        config = await service.centre(centre)
        ticket = answer.body.get("ticket")
        shown = {"changed": answer.body["changed"], "ticket": public_ticket(config, ticket) if ticket else None}
        answer = with_body(answer, shown)
    return answer_response(request, answer)


# --- Actions ------------------------------------------------------------------------------------------


async def issue_ticket(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = IssueBody.model_validate(await read_body(request))
    request_id = request_id_of(request, body)
    channel = Channel.KIOSK if principal.role is Role.KIOSK else Channel.DESK
    fields = body.command_fields()
    typed = fields.pop("id_number", None)
    if typed is not None:  # the number stops here: the command carries its keyed hash and birth date
        holder = holder_of(request.app[ID_KEY], typed)
        fields |= {"person": holder.person, "born": holder.born}
    command = IssueTicket.model_validate({**fields, "channel": channel})
    await limit_tickets(request, _centre(request), principal, request_id)  # 429 past the kiosk's or the address's limit
    return await _act(request, _centre(request), command, principal, request_id)


def _signing_staff(principal: Principal, named: str | None, command: type[Command], window: int) -> str:
    """Whom a sign-on or sign-off is for: a staff token signs only itself; others must name someone."""
    verb = "sign on to" if command is SignOn else "sign off from"
    if principal.role is Role.STAFF:
        own = principal.staff_code
        if named is not None and named != own:
            raise forbidden(
                f"Cannot {verb} window {window} for {named}: a staff member signs only themselves on or off"
                f" (this token is staff member {own})"
            )
        assert own is not None, "a staff principal has its staff code"
        return own
    if named is None:
        message = f"name the staff member to {verb} window {window}"
        raise ProblemError(invalid_request(f"Cannot {verb} window {window}", field_errors([("staff", message)])))
    return named


def window_action(command: type[Command], body_model: type[ActionBody]) -> Handler:
    """The handler of one window action: the window from the path, the rest from the body."""

    async def handle(request: web.Request) -> web.StreamResponse:
        principal = principal_of(request)
        number = _int_param(request, "number")
        body = body_model.model_validate(await read_body(request))
        request_id = request_id_of(request, body)
        fields = body.command_fields()
        if command in (SignOn, SignOff):
            fields["staff"] = _signing_staff(principal, fields.get("staff"), command, number)
        parsed = command.model_validate({**fields, "window": number})
        return await _act(request, _centre(request), parsed, principal, request_id)

    return handle


def ticket_action(command: type[Command], body_model: type[ActionBody]) -> Handler:
    """The handler of one ticket action: the serial from the path, the rest from the body."""

    async def handle(request: web.Request) -> web.StreamResponse:
        principal = principal_of(request)
        body = body_model.model_validate(await read_body(request))
        request_id = request_id_of(request, body)
        parsed = command.model_validate({**body.command_fields(), "serial": _int_param(request, "serial")})
        return await _act(request, _centre(request), parsed, principal, request_id)

    return handle


async def close_day(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = RequestIdBody.model_validate(await read_body(request))
    return await _act(request, _centre(request), CloseDay(), principal, request_id_of(request, body))


# --- The route table ----------------------------------------------------------------------------------

WINDOW_SUMMARIES = {
    "sign-on": "Sign a staff member on to a window",
    "sign-off": "Sign a staff member off a window",
    "pause": "Pause a window (暂停服务)",
    "resume": "Resume a paused window",
    "close": "Close a window",
    "call-next": "Call the next ticket to a window",
    "call": "Call a chosen ticket to a window out of order",
    "recall": "Call a window's ticket again",
    "start": "Start serving a window's called ticket",
    "no-show": "Mark a window's called ticket as a no-show",
    "transfer": "Transfer a window's ticket to another matter or window",
    "finish": "Finish a window's ticket with its outcome",
}
"""Each window action's summary; a window command without one stops the server at start."""

TICKET_SUMMARIES = {
    "requeue": "Put a no-show ticket back in the queue",
    "cancel": "Cancel a ticket",
}


def _window_routes() -> list[Route]:
    return [
        Route(
            method="POST",
            path=f"/centres/{{centre}}/windows/{{number}}/{segment}",
            operation_id=f"window_{segment.replace('-', '_')}",
            summary=WINDOW_SUMMARIES[segment],
            handler=window_action(command, WINDOW_BODIES[segment]),
            access=Access(command.permission),
            tag="window actions",
            response=ActionAnswer,
            body=WINDOW_BODIES[segment],
            action=True,
            description=(
                "A staff token acts only at the window its staff member is signed on to; sign-on and"
                " sign-off take the staff member from a staff token."
                if segment in ("sign-on", "sign-off")
                else "A staff token acts only at the window its staff member is signed on to."
            ),
        )
        for segment, command in WINDOW_COMMANDS.items()
    ]


def _ticket_routes() -> list[Route]:
    return [
        Route(
            method="POST",
            path=f"/centres/{{centre}}/tickets/{{serial}}/{segment}",
            operation_id=f"ticket_{segment}",
            summary=TICKET_SUMMARIES[segment],
            handler=ticket_action(command, TICKET_BODIES[segment]),
            access=Access(command.permission),
            tag="ticket actions",
            response=ActionAnswer,
            body=TICKET_BODIES[segment],
            action=True,
        )
        for segment, command in TICKET_COMMANDS.items()
    ]


def _routes() -> list[Route]:
    return [
        Route(
            method="GET",
            path="/health",
            operation_id="health",
            summary="Check the server and its database",
            handler=health,
            access=None,
            tag="service",
            response=Health,
        ),
        Route(
            method="GET",
            path="/openapi.json",
            operation_id="openapi",
            summary="Read this API's OpenAPI document",
            handler=openapi_document,
            access=None,
            tag="service",
            response=OpenApiDocument,
        ),
        Route(
            method="GET",
            path="/centres",
            operation_id="list_centres",
            summary="List the centres you may see",
            handler=list_centres,
            access=READ,
            tag="reads",
            response=CentreList,
        ),
        Route(
            method="GET",
            path="/centres/{centre}",
            operation_id="get_centre",
            summary="Read a centre",
            handler=get_centre,
            access=READ,
            tag="reads",
            response=CentreView,
        ),
        Route(
            method="GET",
            path="/centres/{centre}/queue",
            operation_id="get_queue",
            summary="Read a centre's queue",
            handler=get_queue,
            access=READ,
            tag="reads",
            response=QueueView,
        ),
        Route(
            method="GET",
            path="/centres/{centre}/windows",
            operation_id="list_windows",
            summary="List a centre's windows",
            handler=get_windows,
            access=READ_HALL,
            tag="reads",
            response=WindowList,
        ),
        Route(
            method="GET",
            path="/centres/{centre}/devices",
            operation_id="list_devices",
            summary="List a centre's devices and whether each is online",
            handler=get_devices,
            access=READ_HALL,
            tag="reads",
            response=DeviceList,
        ),
        Route(
            method="GET",
            path="/centres/{centre}/windows/{number}",
            operation_id="get_window",
            summary="Read a window",
            handler=get_window,
            access=READ_HALL,
            tag="reads",
            response=WindowView,
        ),
        Route(
            method="GET",
            path="/centres/{centre}/windows/{number}/call-order",
            operation_id="get_call_order",
            summary="Read the order a window's next calls will come in",
            handler=get_call_order,
            access=READ_HALL,
            tag="reads",
            response=CallOrderView,
            query=CallOrderQuery,
            description=(
                "The routing rule played forward for this window alone (green channel first, the"
                " passed-over bound), each ticket with why it stands there: what the counter console lists."
            ),
        ),
        Route(
            method="GET",
            path="/centres/{centre}/tickets/{serial}",
            operation_id="get_ticket",
            summary="Read a ticket",
            handler=get_ticket,
            access=READ_HALL,
            tag="reads",
            response=TicketView,
            description="A waiting ticket comes with its position: people ahead and the estimated wait.",
        ),
        Route(
            method="GET",
            path="/centres/{centre}/tickets/{serial}/events",
            operation_id="get_ticket_events",
            summary="Read a ticket's event log",
            handler=get_ticket_events,
            access=READ_HALL,
            tag="reads",
            response=TicketEvents,
            description="Every event in order, each with its place in the log (seq), time and actor.",
        ),
        Route(
            method="POST",
            path="/centres/{centre}/tickets",
            operation_id="issue_ticket",
            summary="Issue a ticket",
            handler=issue_ticket,
            access=Access(IssueTicket.permission),
            tag="ticket actions",
            response=ActionAnswer,
            status=201,
            body=IssueBody,
            action=True,
            rate_limited=True,
            description=(
                "Needs a kiosk or desk (guide) token; the channel comes from the token. The answer's ticket"
                " carries its status token and status page URL."
            ),
        ),
        *_window_routes(),
        *_ticket_routes(),
        Route(
            method="POST",
            path="/centres/{centre}/close-day",
            operation_id="close_day",
            summary="Close the service day",
            handler=close_day,
            access=Access(CloseDay.permission),
            tag="centre actions",
            response=ActionAnswer,
            body=RequestIdBody,
            action=True,
            description="Waiting tickets are cancelled or carried to the next open day, as the centre's policy says.",
        ),
        Route(
            method="GET",
            path="/status/{token}",
            operation_id="get_status",
            summary="Read a ticket's status by its status token",
            handler=get_status,
            access=None,
            tag="citizens",
            response=StatusPage,
            description="Public: the status token is the proof. No staff names or internal notes are shown.",
        ),
        Route(
            method="POST",
            path="/status/{token}/cancel",
            operation_id="cancel_by_status_token",
            summary="Cancel a ticket by its status token",
            handler=citizen_cancel,
            access=None,
            tag="citizens",
            response=StatusAnswer,
            body=RequestIdBody,
            action=True,
            description="Public: the citizen gives up their ticket; the event log records the actor citizen.",
        ),
    ]


ROUTES: list[Route] = _routes()
"""Every route of the API: registered by :func:`add_routes`, documented by ``openapi.document``."""


def add_routes(app: web.Application, routes: list[Route] | None = None) -> None:
    """Register ``routes`` (default :data:`ROUTES`) and remember the declaration behind each."""
    index = {}
    for route in routes if routes is not None else ROUTES:
        registered = app.router.add_route(route.method, route.router_path, route.handler, name=route.operation_id)
        index[registered] = route
    app[ROUTE_INDEX] = index
