"""Promised cases (承诺件): every ticket finished with a due date, and whether it was handed over.

The due date is the domain's (working days after acceptance, queue_server.domain.calendar); the
store adds only the delivery — when the result reached the citizen, by whom — one row per ticket,
so a second delivery of the same case is refused rather than recorded twice.

A case accepted at one centre may be handed to the centre responsible for it (全城通办: a village
station takes the papers, the district centre decides): one handover row per case, keyed like
the ticket. From then on the case is followed at the receiving centre — it is listed there, with
the centre that accepted it, and delivered there — and the accepting centre lists it as handed over.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.tickets import Outcome
from queue_server.store import schema


@dataclass(frozen=True, slots=True)
class PromisedCase:
    centre: str
    """The centre that accepted the case: its ticket's centre."""
    serial: int
    number: str
    service_day: dt.date
    matter: str
    window: int | None
    staff: str | None
    due_date: dt.date
    delivered_at: dt.datetime | None
    delivered_by: str | None
    note: str
    handed_to: str | None = None
    """The centre responsible for the case, once it was handed over; None while it stays here."""
    handed_at: dt.datetime | None = None
    handed_by: str | None = None
    handover_note: str = ""

    def held_by(self) -> str:
        """The centre that follows the case now: the one it was handed to, else the one that accepted it."""
        return self.handed_to or self.centre

    def state(self, today: dt.date, here: str | None = None) -> str:
        """delivered, handed_over (seen from the centre that handed it away), overdue or due."""
        if self.delivered_at is not None:
            return "delivered"
        if here is not None and self.held_by() != here:
            return "handed_over"
        return "overdue" if today > self.due_date else "due"


def _query() -> Select[Any]:
    t, d, h = schema.tickets.c, schema.promised_deliveries.c, schema.promised_handovers.c
    joined = schema.tickets.outerjoin(
        schema.promised_deliveries, (d.centre == t.centre) & (d.serial == t.serial)
    ).outerjoin(schema.promised_handovers, (h.centre == t.centre) & (h.serial == t.serial))
    return (
        select(t.centre, t.serial, t.number, t.service_day, t.matter, t.window, t.staff, t.due_date,
               d.delivered_at, d.actor, d.note, h.to_centre, h.handed_at, h.actor.label("handed_by"),
               h.note.label("handover_note"))
        .select_from(joined)
        .where(t.outcome == Outcome.PROMISED.value, t.due_date.is_not(None))
        .order_by(t.due_date, t.centre, t.serial)
    )  # fmt: skip


def _case(row: Any) -> PromisedCase:
    return PromisedCase(
        centre=row.centre,
        serial=row.serial,
        number=row.number,
        service_day=row.service_day,
        matter=row.matter,
        window=row.window,
        staff=row.staff,
        due_date=row.due_date,
        delivered_at=row.delivered_at,
        delivered_by=row.actor,
        note=row.note or "",
        handed_to=row.to_centre,
        handed_at=row.handed_at,
        handed_by=row.handed_by,
        handover_note=row.handover_note or "",
    )


async def promised_cases(conn: AsyncConnection, centre: str) -> list[PromisedCase]:
    """Every promised case accepted at the centre or handed to it, soonest due first."""
    t, h = schema.tickets.c, schema.promised_handovers.c
    return [_case(row) for row in await conn.execute(_query().where(or_(t.centre == centre, h.to_centre == centre)))]


async def promised_case(conn: AsyncConnection, centre: str, serial: int) -> PromisedCase | None:
    """The promised case of ticket ``serial`` accepted at ``centre`` (wherever it is followed now)."""
    t = schema.tickets.c
    row = (await conn.execute(_query().where(t.centre == centre, t.serial == serial))).first()
    return None if row is None else _case(row)


async def record_delivery(
    conn: AsyncConnection, centre: str, serial: int, actor: str, note: str, at: dt.datetime
) -> None:
    await conn.execute(
        insert(schema.promised_deliveries).values(centre=centre, serial=serial, delivered_at=at, actor=actor, note=note)
    )


async def record_handover(
    conn: AsyncConnection, centre: str, serial: int, to_centre: str, actor: str, note: str, at: dt.datetime
) -> None:
    await conn.execute(
        insert(schema.promised_handovers).values(
            centre=centre, serial=serial, to_centre=to_centre, handed_at=at, actor=actor, note=note
        )
    )
