"""Taking a citizen's number for SMS notices about their ticket: from the ticket's page, the kiosk or the desk.

Only at a centre that sends SMS, only with the citizen's consent to the words shown
(:meth:`queue_server.app.notices.Notifier.consent_words`), only a mainland mobile number; the
answer shows it masked. A number given again replaces the first.
"""

from __future__ import annotations

from queue_server.app.notices import give_phone
from queue_server.app.refusals import Refusal, RefusalKind
from queue_server.app.service import HallService
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store.contacts import mask
from queue_server.store.lookup import matter_of_ticket


async def take_phone(service: HallService, centre: str, serial: int, phone: str, *, consent: bool, source: str) -> str:
    """Keep ``phone`` for ticket ``serial``'s notices; returns it masked (138****5678)."""
    hall = await service.hall(centre)
    service.notifier.require(centre, hall.centre.name)
    async with service.db.write() as conn:
        if await matter_of_ticket(conn, centre, serial) is None:
            raise Refusal(
                RefusalKind.NOT_FOUND,
                f"There is no ticket #{serial} at {hall.centre.name}",
                code=RefusalCode.TICKET_NOT_FOUND,
            )
        number = await give_phone(
            conn, service.notifier, hall, serial, phone, consent=consent, source=source, now=service.clock.now()
        )
    return mask(number)
