"""What the consultation desk (咨询导办台) needs beyond the core API: a ticket by its printed number,
and a reprint of a ticket whose print failed or ended unknown.

A citizen at the desk holds out a ticket, or says a number, never a serial: the lookup takes the
number as printed (A012) and finds today's ticket of that number, since numbers start again each
day. A reprint is a person's decision (some of the ticket may be on paper), so it is an action with
a request id, refused while the last job printed or is still printing.
"""

from __future__ import annotations

import re

from aiohttp import web
from pydantic import Field

from queue_server.app.tickets import read_ticket
from queue_server.app.views import ReprintAnswer, TicketView
from queue_server.auth.accounts import Action, Role
from queue_server.domain.centre import CODE_PATTERN
from queue_server.domain.devices import DeviceKind
from queue_server.domain.errors import NotFound
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store.lookup import ticket_serial_by_number
from queue_server.web.api import READ_HALL, _centre, _int_param, _service, read_body, request_id_of
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.keys import DATABASE
from queue_server.web.problems import (
    ProblemError,
    answer_response,
    field_errors,
    invalid_request,
    json_response,
    what_failed,
)
from queue_server.web.routes import Access, Route

NUMBER = re.compile(r"[A-Z]{1,2}[0-9]{1,9}")
"""A ticket number as printed: the group's prefix (one or two capitals) and its digits."""

REPRINTERS = Access(Action.REQUEUE, deny=frozenset({Role.STAFF}))
"""Who may reprint: the desk (guide), managers and admins. Staff serve at their window; a kiosk's
own reprint would let anyone at the kiosk print tickets over and over."""


async def get_ticket_by_number(request: web.Request) -> web.StreamResponse:
    service, centre = _service(request), _centre(request)
    asked = request.match_info["ticket_number"].strip().upper()
    hall = await service.hall(centre)
    name = hall.centre.name
    if not NUMBER.fullmatch(asked):
        raise NotFound(
            f"There is no ticket {asked!r} at {name}: a ticket number is its group's letter and digits, as printed"
            " (e.g. A012)",
            RefusalCode.TICKET_NUMBER_NOT_FOUND,
            ticket=asked,
            day=hall.calendar.local_date(hall.clock.now()).isoformat(),
        )
    today = hall.calendar.local_date(hall.clock.now())
    async with request.app[DATABASE].read() as conn:
        serial = await ticket_serial_by_number(conn, centre, asked, today)
    if serial is None:
        raise NotFound(
            f"There is no ticket {asked} today ({today.isoformat()}) at {name}; numbers start again each day",
            RefusalCode.TICKET_NUMBER_NOT_FOUND,
            ticket=asked,
            day=today.isoformat(),
        )
    _, view = await read_ticket(service, centre, serial)
    return json_response(view)


class ReprintBody(ActionBody):
    """Print a ticket again: on the named printer, or where a new ticket of its kiosk would go."""

    printer: str | None = Field(
        default=None,
        pattern=CODE_PATTERN,
        max_length=40,
        description="A printer device of the centre; left out, the ticket's kiosk's printer (or its ready spare)",
    )


async def reprint(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = ReprintBody.model_validate(await read_body(request))
    request_id = request_id_of(request, body)
    service, centre, serial = _service(request), _centre(request), _int_param(request, "serial")
    if body.printer is not None:
        config = (await service.hall(centre)).centre
        device = config.devices_by_id.get(body.printer)
        if device is None or device.kind is not DeviceKind.PRINTER:
            printers = ", ".join(d.id for d in config.devices if d.kind is DeviceKind.PRINTER) or "none"
            message = f"{body.printer!r} is not a printer of centre {centre!r} (its printers: {printers})"
            raise ProblemError(invalid_request(what_failed(request), field_errors([("printer", message)])))
    answer = await service.reprint(centre, serial, printer=body.printer, actor=principal.actor, request_id=request_id)
    return answer_response(request, answer)


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/tickets/by-number/{ticket_number}",
        operation_id="get_ticket_by_number",
        summary="Read today's ticket by its printed number",
        handler=get_ticket_by_number,
        access=READ_HALL,
        tag="reads",
        response=TicketView,
        description=(
            "The ticket that carries this number (A012, any case) today in the centre's time zone; numbers"
            " start again each day, so an older ticket is read by its serial. 404 when there is none today"
            " or the number is not one (letters and digits as printed)."
        ),
    ),
    Route(
        method="POST",
        path="/centres/{centre}/tickets/{serial}/reprint",
        operation_id="reprint_ticket",
        summary="Print a ticket again after its print failed or ended unknown",
        handler=reprint,
        access=REPRINTERS,
        tag="ticket actions",
        response=ReprintAnswer,
        status=201,
        body=ReprintBody,
        action=True,
        description=(
            "Sends the ticket's print job again as a new job id, linked to the job it replaces (rerouted_from"
            " in the ticket's prints) and marked with who asked (reprinted_by), to the named printer or to its"
            " kiosk's printer, through the outbox like every job. Refused (409 invalid-transition) when the"
            " ticket has no print job, has ended, or its last job printed (done) or is still queued. A"
            " printer that is not a printer of the centre is 422."
        ),
    ),
]
