"""Taking a citizen's number for SMS notices about their ticket: from the ticket's page, the kiosk or the desk.

Only at a centre that sends SMS, only with the citizen's consent to the words shown
(:meth:`queue_server.app.notices.Notifier.consent_words`), only a mainland mobile number; the
answer shows it masked. An action once per request id, under the centre's lock; a number given
again (another request) replaces the first.
"""

from __future__ import annotations

import datetime as dt

from queue_server.app.answers import Answer
from queue_server.app.notices import give_phone
from queue_server.app.once import Once, Presenter, run_once
from queue_server.app.refusals import Refusal, RefusalKind
from queue_server.app.service import HallService
from queue_server.app.views import View
from queue_server.domain.hall import Hall
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store.contacts import mask
from queue_server.store.database import Connection
from queue_server.store.lookup import matter_of_ticket

TAKE_PHONE = "take_sms_phone"
"""The action's name, recorded with each request id."""


def _shown(masked: str) -> View:
    return {"phone": masked}


SHOWN: Presenter[str] = Presenter(_shown)


async def take_phone(
    service: HallService, once: Once, serial: int, phone: str, *, consent: bool, source: str
) -> Answer:
    """Keep ``phone`` for ticket ``serial``'s notices; the answer has it masked (138****5678)."""

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> str:
        service.notifier.require(once.centre, hall.centre.name)
        if await matter_of_ticket(conn, once.centre, serial) is None:
            raise Refusal(
                RefusalKind.NOT_FOUND,
                f"There is no ticket #{serial} at {hall.centre.name}",
                code=RefusalCode.TICKET_NOT_FOUND,
            )
        number = await give_phone(conn, service.notifier, hall, serial, phone, consent=consent, source=source, now=now)
        return mask(number)

    return await run_once(service, once, TAKE_PHONE, step, SHOWN)
