"""Reading one ticket's view: from the live hall while it is open, from the store once it ended.

The API's ticket routes, the desk's lookup by number and the counter console's notice read a
ticket through here, so each shows the same view.
"""

from __future__ import annotations

from dataclasses import replace

from queue_server.app.service import HallService
from queue_server.app.views import TicketView, ticket_view
from queue_server.domain.centre import Centre
from queue_server.domain.errors import NotFound
from queue_server.domain.hall import Hall
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.tickets import Ticket, TicketStatus
from queue_server.store.repository import load_ticket


async def read_ticket(service: HallService, centre: str, serial: int) -> tuple[Centre, TicketView]:
    """The ticket's view with its position when waiting: open tickets from the live hall, ended ones stored."""
    hall = await service.hall(centre)
    try:
        ticket = hall.ticket(serial)
    except NotFound:
        config = hall.centre
        async with service.db.read() as conn:
            stored = await load_ticket(conn, centre, serial)
        if stored is None:
            raise NotFound(
                f"There is no ticket #{serial} at {config.name}", RefusalCode.TICKET_NOT_FOUND, serial=serial
            ) from None
        return config, ticket_view(config, stored)
    position = None
    if ticket.status is TicketStatus.WAITING:
        position = hall.position(serial)
        told = (await service.wait_ranges.of(hall)).get(serial)
        if told is not None:
            position = replace(position, wait_range=told, moved=service.wait_ranges.moved(centre, serial))
        else:  # issued since the last working-out: told as at its issue, from the last ranges
            position = hall.told(ticket, position)
    return hall.centre, ticket_view(hall.centre, ticket, position)


async def finished_ticket(service: HallService, centre: str, serial: int) -> tuple[Hall, Ticket]:
    """A ticket as the domain keeps it, from the live hall or stored, with the hall for its calendar."""
    hall = await service.hall(centre)
    try:
        return hall, hall.ticket(serial)
    except NotFound:
        async with service.db.read() as conn:
            stored = await load_ticket(conn, centre, serial)
        if stored is None:
            raise NotFound(
                f"There is no ticket #{serial} at {hall.centre.name}", RefusalCode.TICKET_NOT_FOUND, serial=serial
            ) from None
        return hall, stored
