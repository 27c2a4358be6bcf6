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

from queue_server.domain.case_results import DeliveryMethod, ResultState
from queue_server.domain.tickets import Outcome
from queue_server.store import schema
from queue_server.store.postal_addresses import PostalAddress


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
    decided: ResultState | None = None
    """The business system's decision: ready (办结) or refused (不予许可); None while pending."""
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    reason: str = ""
    """Why it was refused, as the business system words it."""
    method: DeliveryMethod | None = None
    """How it was delivered: collected at a window or posted; None while not delivered."""
    courier: str | None = None
    tracking_number: str | None = None
    issued_at: dt.datetime | None = None
    """When its ticket was taken: the year of its case number."""
    postal: PostalAddress | None = None
    """Where the result is to be posted, taken with consent; deleted once delivered."""

    @property
    def result_state(self) -> ResultState:
        """Where the result stands: delivered, else the decision, else accepted."""
        if self.delivered_at is not None:
            return ResultState.DELIVERED
        return self.decided or ResultState.ACCEPTED

    def held_by(self) -> str:
        """The centre that follows the case now: the one it was handed to, else the one that accepted it."""
        return self.handed_to or self.centre

    def state(self, today: dt.date, here: str | None = None) -> str:
        """delivered, handed_over (seen from the centre that handed it away), refused, ready, overdue
        or due: a case decided (ready or refused) kept its promise's date and is overdue no more."""
        if self.delivered_at is not None:
            return "delivered"
        if here is not None and self.held_by() != here:
            return "handed_over"
        if self.decided is not None:
            return self.decided.value
        return "overdue" if today > self.due_date else "due"


def _query() -> Select[Any]:
    t, d, h = schema.tickets.c, schema.promised_deliveries.c, schema.promised_handovers.c
    r, a = schema.promised_results.c, schema.postal_addresses.c
    joined = (
        schema.tickets.outerjoin(schema.promised_deliveries, (d.centre == t.centre) & (d.serial == t.serial))
        .outerjoin(schema.promised_handovers, (h.centre == t.centre) & (h.serial == t.serial))
        .outerjoin(schema.promised_results, (r.centre == t.centre) & (r.serial == t.serial))
        .outerjoin(schema.postal_addresses, (a.centre == t.centre) & (a.serial == t.serial))
    )
    return (
        select(t.centre, t.serial, t.number, t.service_day, t.matter, t.window, t.staff, t.due_date,
               t.issued_at, d.delivered_at, d.actor, d.note, d.method, d.courier, d.tracking_number,
               h.to_centre, h.handed_at, h.actor.label("handed_by"), h.note.label("handover_note"),
               r.state.label("decided"), r.decided_at, r.actor.label("decided_by"), r.reason, a.recipient,
               a.phone, a.address, a.consent, a.taken_at, a.taken_by)
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
        decided=ResultState(row.decided) if row.decided else None,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        reason=row.reason or "",
        method=DeliveryMethod(row.method) if row.delivered_at is not None else None,
        courier=row.courier,
        tracking_number=row.tracking_number,
        issued_at=row.issued_at,
        postal=PostalAddress(row.recipient, row.phone, row.address, row.consent, row.taken_at, row.taken_by)
        if row.address is not None
        else None,
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


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a result reached the citizen: collected at a window, or posted with a courier's tracking number."""

    method: DeliveryMethod = DeliveryMethod.WINDOW
    courier: str | None = None
    tracking_number: str | None = None


async def record_delivery(
    conn: AsyncConnection,
    centre: str,
    serial: int,
    actor: str,
    note: str,
    at: dt.datetime,
    how: Delivery = Delivery(),
) -> None:
    await conn.execute(
        insert(schema.promised_deliveries).values(
            centre=centre, serial=serial, delivered_at=at, actor=actor, note=note, method=how.method.value,
            courier=how.courier, tracking_number=how.tracking_number,
        )
    )  # fmt: skip


async def record_decision(
    conn: AsyncConnection, centre: str, serial: int, state: ResultState, actor: str, reason: str, at: dt.datetime
) -> None:
    """The business system's decision (ready or refused), once per case: the key refuses a second."""
    await conn.execute(
        insert(schema.promised_results).values(
            centre=centre, serial=serial, state=state.value, decided_at=at, actor=actor, reason=reason
        )
    )


async def record_handover(
    conn: AsyncConnection, centre: str, serial: int, to_centre: str, actor: str, note: str, at: dt.datetime
) -> None:
    await conn.execute(
        insert(schema.promised_handovers).values(
            centre=centre, serial=serial, to_centre=to_centre, handed_at=at, actor=actor, note=note
        )
    )
