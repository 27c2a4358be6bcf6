"""Read-only queries the API needs beyond a hall: the centre list, event records, status tokens.

They read rows as stored, without building a hall, so a read of a finished ticket or of an event
log never touches the live state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.errors import NotFound
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store import schema


@dataclass(frozen=True, slots=True)
class CentreRow:
    code: str
    name: str


async def ping(conn: AsyncConnection) -> None:
    """A round trip to the database: raises when it cannot be reached."""
    await conn.execute(select(literal(1)))


async def list_centres(conn: AsyncConnection) -> list[CentreRow]:
    c = schema.centres.c
    rows = await conn.execute(select(c.code, c.name).order_by(c.code))
    return [CentreRow(row.code, row.name) for row in rows]


async def centre_codes(conn: AsyncConnection) -> list[str]:
    """Every centre's code, in order."""
    c = schema.centres.c
    return list(await conn.scalars(select(c.code).order_by(c.code)))


async def centre_configs(conn: AsyncConnection, codes: Iterable[str]) -> dict[str, Any]:
    """The stored configuration of each of ``codes`` that exists, by code."""
    c = schema.centres.c
    rows = await conn.execute(select(c.code, c.config).where(c.code.in_(codes)))
    return {row.code: row.config for row in rows}


async def find_ticket_by_token(conn: AsyncConnection, token: str) -> tuple[str, int] | None:
    """The centre and serial of the ticket whose status token is ``token``, if any."""
    t = schema.tickets.c
    row = (await conn.execute(select(t.centre, t.serial).where(t.status_token == token))).one_or_none()
    return (str(row.centre), int(row.serial)) if row is not None else None


async def find_ticket_by_rating_code(conn: AsyncConnection, code: str) -> tuple[str, int] | None:
    """The centre and serial of the ticket whose service's rating code is ``code``, if any."""
    t = schema.tickets.c
    row = (await conn.execute(select(t.centre, t.serial).where(t.rating_code == code).limit(1))).one_or_none()
    return (str(row.centre), int(row.serial)) if row is not None else None


async def matter_of_ticket(conn: AsyncConnection, centre: str, serial: int) -> str | None:
    """The code of the matter ticket ``serial`` was taken for, if there is such a ticket."""
    t = schema.tickets.c
    return (await conn.execute(select(t.matter).where(t.centre == centre, t.serial == serial))).scalar_one_or_none()


async def ticket_event_records(conn: AsyncConnection, centre: str, serial: int) -> list[dict[str, Any]]:
    """A ticket's event log in order, each record with its place in the log (``seq``) first."""
    e = schema.ticket_events.c
    rows = await conn.execute(select(e.seq, e.data).where(e.centre == centre, e.serial == serial).order_by(e.seq))
    return [{"seq": int(row.seq), **row.data} for row in rows]


async def ticket_serial_by_number(conn: AsyncConnection, centre: str, number: str, day: dt.date) -> int | None:
    """The serial of the ticket numbered ``number`` on service day ``day`` (numbers restart each day)."""
    t = schema.tickets.c
    found = await conn.execute(select(t.serial).where(t.centre == centre, t.service_day == day, t.number == number))
    serial = found.scalar_one_or_none()
    return int(serial) if serial is not None else None


async def ticket_numbers(conn: AsyncConnection, centre: str, serials: Iterable[int]) -> dict[int, str]:
    """The numbers (A001 ...) of these tickets by serial, in one query: what people call a ticket."""
    wanted = sorted(set(serials))
    if not wanted:
        return {}
    t = schema.tickets.c
    rows = await conn.execute(select(t.serial, t.number).where(t.centre == centre, t.serial.in_(wanted)))
    return {int(row.serial): str(row.number) for row in rows}


async def live_version(conn: AsyncConnection, centre: str) -> tuple[int, int]:
    """The centre's state version and its cases' version: a live page reads again when either moves."""
    c = schema.centres.c
    row = (await conn.execute(select(c.state_version, c.cases_version).where(c.code == centre))).first()
    if row is None:
        raise NotFound(f"There is no centre {centre!r}", RefusalCode.CENTRE_NOT_FOUND, centre=centre)
    return int(row.state_version), int(row.cases_version)
