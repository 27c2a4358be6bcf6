"""How a ticket's printing went: each of its print jobs and the state of the printer it went to.

The kiosk page reads it after issuing, to tell the citizen to take the ticket, or that the
printer is out of paper and to photograph the ticket on the screen; the desk reads it to see a
print that ended "unknown" (the bytes went out when the printer client died) before reprinting.
"""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from typing_extensions import TypedDict

from queue_server.app.view_fields import Instant, documented, one_of, values_of
from queue_server.app.views import iso
from queue_server.domain.errors import NotFound
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.protocol.payloads import PrinterStatus
from queue_server.store.printing import ticket_print_jobs
from queue_server.web.api import READ, _centre, _int_param, _service
from queue_server.web.keys import DATABASE
from queue_server.web.problems import json_response
from queue_server.web.routes import Route

JOB_STATUSES = ("queued", "done", "failed", "unknown")


@documented
class PrintJobView(TypedDict):
    """One print job: where it went and how it ended"""

    job_id: str
    printer: str
    kind: Annotated[str, one_of("ticket", "notice")]
    status: Annotated[str, one_of(*JOB_STATUSES)]
    reason: str
    sends: int
    sent_at: Instant
    updated_at: Instant
    rerouted_from: str | None
    reprinted_by: str | None
    printer_state: Annotated[str | None, values_of(PrinterStatus, nullable=True)]
    printer_online: bool | None


@documented
class TicketPrints(TypedDict):
    """A ticket's print jobs, oldest first, with what their printers last said"""

    centre: str
    serial: int
    jobs: list[PrintJobView]


async def get_ticket_prints(request: web.Request) -> web.StreamResponse:
    service, centre, serial = _service(request), _centre(request), _int_param(request, "serial")
    async with request.app[DATABASE].read() as conn:
        jobs = await ticket_print_jobs(conn, centre, serial)
    if not jobs and not 1 <= serial <= (await service.hall(centre)).last_serial:
        raise NotFound(
            f"There is no ticket #{serial} at centre {centre!r}", RefusalCode.TICKET_NOT_FOUND, serial=serial
        )
    board = service.printers(centre)
    shown: list[PrintJobView] = []
    for job in jobs:
        health = board.health(job["printer"])
        shown.append(
            {
                "job_id": job["job_id"],
                "printer": job["printer"],
                "kind": job["kind"],
                "status": job["status"],
                "reason": job["reason"],
                "sends": job["sends"],
                "sent_at": iso(job["sent_at"]),
                "updated_at": iso(job["updated_at"]),
                "rerouted_from": job["rerouted_from"],
                "reprinted_by": job["reprinted_by"],
                "printer_state": health.state.value if health.state is not None else None,
                "printer_online": health.online,
            }
        )
    answer: TicketPrints = {"centre": centre, "serial": serial, "jobs": shown}
    return json_response(answer)


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/tickets/{serial}/prints",
        operation_id="get_ticket_prints",
        summary="Read how a ticket's printing went",
        handler=get_ticket_prints,
        access=READ,
        tag="reads",
        response=TicketPrints,
        description=(
            "Each print job of the ticket (queued, done, failed with the reason, or unknown) and the"
            " state its printer last published (ready, paper low or out, cover open, offline)."
        ),
    ),
]
