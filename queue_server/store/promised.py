"""Promised cases (承诺件): every ticket finished with a due date, and whether it was handed over.

The due date is the domain's (working days after acceptance, queue_server.domain.calendar); the
store adds only the delivery — when the result reached the citizen, by whom — one row per ticket,
so a second delivery of the same case is refused rather than recorded twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.tickets import Outcome
from queue_server.store import schema


@dataclass(frozen=True, slots=True)
class PromisedCase:
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

    def state(self, today: dt.date) -> str:
        """delivered, overdue (past its due day, not delivered) or due."""
        if self.delivered_at is not None:
            return "delivered"
        return "overdue" if today > self.due_date else "due"


def _query(centre: str) -> Select[Any]:
    t, d = schema.tickets.c, schema.promised_deliveries.c
    joined = schema.tickets.outerjoin(schema.promised_deliveries, (d.centre == t.centre) & (d.serial == t.serial))
    return (
        select(t.serial, t.number, t.service_day, t.matter, t.window, t.staff, t.due_date, d.delivered_at,
               d.actor, d.note)
        .select_from(joined)
        .where(t.centre == centre, t.outcome == Outcome.PROMISED.value, t.due_date.is_not(None))
        .order_by(t.due_date, t.serial)
    )  # fmt: skip


def _case(row: Any) -> PromisedCase:
    return PromisedCase(
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
    )


async def promised_cases(conn: AsyncConnection, centre: str) -> list[PromisedCase]:
    """Every promised case of the centre, soonest due first."""
    return [_case(row) for row in await conn.execute(_query(centre))]


async def promised_case(conn: AsyncConnection, centre: str, serial: int) -> PromisedCase | None:
    row = (await conn.execute(_query(centre).where(schema.tickets.c.serial == serial))).first()
    return None if row is None else _case(row)


async def record_delivery(
    conn: AsyncConnection, centre: str, serial: int, actor: str, note: str, at: dt.datetime
) -> None:
    await conn.execute(
        insert(schema.promised_deliveries).values(centre=centre, serial=serial, delivered_at=at, actor=actor, note=note)
    )
