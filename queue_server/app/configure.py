"""A centre's configuration changed while it runs: what would change, refused if the hall cannot take it now.

It runs under the centre's lock like an action, so no call slips in between the check and the
change; a change the running hall cannot take (a window with a ticket at it) is refused. Applying
bumps the state version: every process then rebuilds its hall from the new configuration, and
every window's and pad's state and the hall's summary go out again in the same transaction, so the
screens show a renamed window or a new staff photo at once. A
repeated request id of an applied change gets the first answer.
"""

from __future__ import annotations

import datetime as dt

from queue_server.app import audit, request_ids
from queue_server.app.answers import Answer
from queue_server.app.audit import actor_named
from queue_server.app.halls import Halls
from queue_server.app.projections import configuration_messages
from queue_server.app.refusals import Refusal, RefusalKind
from queue_server.config.centre_change import ChangeRefused, change_refusal
from queue_server.domain.audit import configuration_acts
from queue_server.domain.bookings import overbooked
from queue_server.domain.centre import Centre
from queue_server.domain.hall import Hall
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store.bookings import places_booked_since
from queue_server.store.database import Connection
from queue_server.store.outbox import write_outbox
from queue_server.store.repository import load_hall
from queue_server.store.seed import CentreChangeRefused, apply_centre, describe_difference
from queue_server.store.staff_photos import missing_photos

CONFIGURE = "configure"
"""The action name a centre's configuration change is recorded under with its request id."""


async def configure(
    halls: Halls, centre: str, config: Centre, *, actor: str, request_id: str | None, dry_run: bool
) -> Answer:
    """What ``config`` would change at ``centre``, applied in one transaction unless ``dry_run``."""
    async with halls.locked(centre) as locked:
        if request_id is not None:
            prior = await request_ids.prior_answer(locked.conn, centre, request_id, actor, CONFIGURE)
            if prior is not None:
                return prior
        hall = await locked.hall()
        answer = await _configure(locked.conn, hall, config, halls.clock.now(), dry_run=dry_run)
        if request_id is not None:
            await request_ids.record(locked.conn, centre, request_id, actor, CONFIGURE, answer, halls.clock.now())
        if applied(answer):
            for act in configuration_acts(
                actor_named(actor), centre, answer.body["differences"], request_id=request_id or "", source="manager"
            ):
                await audit.record_in(locked.conn, act, halls.clock.now())
            locked.slot.forget()
            hall = await load_hall(locked.conn, centre, halls.clock)  # the new configuration, not cached
            await write_outbox(locked.conn, centre, configuration_messages(hall), halls.clock.now())
    return answer


def applied(answer: Answer) -> bool:
    """Whether the answer is of a change applied (the hall is rebuilt, the devices are told)."""
    return bool(answer.ok and answer.body["applied"])


async def _configure(conn: Connection, hall: Hall, config: Centre, now: dt.datetime, *, dry_run: bool) -> Answer:
    code = hall.centre.code
    differences = describe_difference(hall.centre, config)
    refusal = (
        change_refusal(hall, config)
        or await _photo_refusal(conn, config)
        or await _booked_refusal(conn, hall, config, now)
    )
    if refusal is None and differences and not dry_run:
        try:
            await apply_centre(conn, config, now)
        except CentreChangeRefused as refused:
            refusal = ChangeRefused(str(refused), RefusalCode.CHANGE_REFUSED)
    if refusal is not None:
        refused_change = Refusal(
            RefusalKind.CHANGE_REFUSED,
            refusal.detail,
            extra={"differences": differences},
            code=refusal.code,
            facts=refusal.facts,
            centre=hall.centre,
        )
        return Answer.refused(refused_change)
    return Answer({"centre": code, "differences": differences, "applied": bool(differences and not dry_run)})


async def _booked_refusal(conn: Connection, hall: Hall, config: Centre, now: dt.datetime) -> ChangeRefused | None:
    """A slot keeps at least the places already booked in it, whatever the change (its places, a day's
    places, the slot itself, the hours or the holidays)."""
    found = overbooked(config, await places_booked_since(conn, config.code, now))
    if found is None:
        return None
    start = hall.calendar.local(found.start)
    return ChangeRefused(
        f"Cannot give the slot of {found.matter!r} at {start:%Y-%m-%d %H:%M} {found.places} places:"
        f" {found.booked} are booked in it",
        RefusalCode.CHANGE_BELOW_BOOKED,
        {
            "matter": found.matter,
            "day": start.date().isoformat(),
            "time": f"{start:%H:%M}",
            "places": found.places,
            "booked": found.booked,
        },
    )


async def _photo_refusal(conn: Connection, config: Centre) -> ChangeRefused | None:
    """A staff member's photo must have been uploaded to the centre before the configuration names it."""
    missing = await missing_photos(conn, config.code, (person.photo for person in config.staff))
    if not missing:
        return None
    whose = next(person.code for person in config.staff if person.photo == missing[0])
    return ChangeRefused(
        f"The photo of staff {whose} ({missing[0][:12]}…) was never uploaded to this centre: upload it, then save",
        RefusalCode.CHANGE_REFUSED,
    )
