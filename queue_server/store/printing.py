"""Keeping print jobs: a job's row waits for its printer's answer (done, failed with the reason,
or unknown), and is sent again while no answer came.

Which jobs a change causes and where they go is the application's (queue_server.app.print_jobs);
this keeps them and reads back what a reroute or a reprint needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.events import TicketIssued
from queue_server.protocol.topics import PRINTER_JOB
from queue_server.store import schema
from queue_server.store.outbox import Message


@dataclass(frozen=True, slots=True)
class Job:
    printer: str
    serial: int
    kind: str
    message: Message
    rerouted_from: str | None = None
    """The job this one replaces: its printer failed it because it could not print (this one prints
    it elsewhere), or a person asked for a reprint after it failed or ended unknown."""
    reprinted_by: str | None = None
    """The actor who asked for this reprint; None for a job the server made itself."""

    @property
    def job_id(self) -> str:
        return str(self.message.payload["job_id"])


async def record_jobs(conn: AsyncConnection, centre: str, jobs: list[Job], now: dt.datetime) -> None:
    if jobs:
        rows = [
            {
                "centre": centre,
                "job_id": job.job_id,
                "printer": job.printer,
                "serial": job.serial,
                "kind": job.kind,
                "status": "queued",
                "reason": "",
                "payload": job.message.payload,
                "sends": 1,
                "sent_at": now,
                "created_at": now,
                "updated_at": now,
                "rerouted_from": job.rerouted_from,
                "reprinted_by": job.reprinted_by,
            }
            for job in jobs
        ]
        await conn.execute(insert(schema.print_jobs), rows)


async def record_result(
    conn: AsyncConnection, centre: str, printer: str, job_id: str, status: str, reason: str, now: dt.datetime
) -> bool:
    """Keep a printer's answer to a job; False when that printer had no such job."""
    p = schema.print_jobs.c
    result = await conn.execute(
        update(schema.print_jobs)
        .where(p.centre == centre, p.job_id == job_id, p.printer == printer)
        .values(status=status, reason=reason, updated_at=now)
    )
    return bool(result.rowcount)


@dataclass(frozen=True, slots=True)
class JobRow:
    """A ticket's print job as kept: where it went, how it ended, what it printed."""

    job_id: str
    printer: str
    serial: int
    kind: str
    status: str
    payload: Any
    created_at: dt.datetime


_JOB_COLUMNS = (
    schema.print_jobs.c.job_id,
    schema.print_jobs.c.printer,
    schema.print_jobs.c.serial,
    schema.print_jobs.c.kind,
    schema.print_jobs.c.status,
    schema.print_jobs.c.payload,
    schema.print_jobs.c.created_at,
)


def _job_row(row: Any) -> JobRow:
    return JobRow(row.job_id, row.printer, row.serial, row.kind, row.status, row.payload, row.created_at)


async def failed_job(conn: AsyncConnection, centre: str, printer: str, job_id: str) -> JobRow | None:
    """The job ``printer`` was sent as ``job_id``, or None."""
    p = schema.print_jobs.c
    row = (
        await conn.execute(select(*_JOB_COLUMNS).where(p.centre == centre, p.job_id == job_id, p.printer == printer))
    ).one_or_none()
    return None if row is None else _job_row(row)


async def rerouted_already(conn: AsyncConnection, centre: str, job_id: str) -> bool:
    """Whether a job replacing ``job_id`` was made already."""
    p = schema.print_jobs.c
    return (
        await conn.execute(select(p.job_id).where(p.centre == centre, p.rerouted_from == job_id))
    ).first() is not None


async def ticket_jobs(conn: AsyncConnection, centre: str, serial: int) -> list[JobRow]:
    """The ticket jobs of a ticket (not its notices), in no order."""
    p = schema.print_jobs.c
    rows = await conn.execute(select(*_JOB_COLUMNS).where(p.centre == centre, p.serial == serial, p.kind == "ticket"))
    return [_job_row(row) for row in rows.all()]


async def issued_by(conn: AsyncConnection, centre: str, serial: int) -> str | None:
    """The actor that issued the ticket (a kiosk's, for a ticket printed at one)."""
    e = schema.ticket_events.c
    query = select(e.actor).where(e.centre == centre, e.serial == serial, e.kind == TicketIssued.kind).limit(1)
    return (await conn.execute(query)).scalar_one_or_none()


RESEND_AFTER = dt.timedelta(minutes=1)
MAX_SENDS = 5


def _unanswered(now: dt.datetime) -> ColumnElement[bool]:
    p = schema.print_jobs.c
    return and_(p.status == "queued", p.sent_at < now - RESEND_AFTER, p.sends < MAX_SENDS)


async def centres_with_unanswered_jobs(conn: AsyncConnection, now: dt.datetime) -> set[str]:
    """The centres that have jobs to send again (:func:`unanswered_jobs`): one look for every centre."""
    p = schema.print_jobs.c
    return set((await conn.execute(select(p.centre).where(_unanswered(now)).distinct())).scalars())


async def unanswered_jobs(conn: AsyncConnection, centre: str, now: dt.datetime) -> list[Job]:
    """Jobs no printer answered within ``RESEND_AFTER`` of their last sending, to send again."""
    p = schema.print_jobs.c
    rows = (
        await conn.execute(
            select(p.job_id, p.printer, p.serial, p.kind, p.payload).where(p.centre == centre, _unanswered(now))
        )
    ).all()
    return [
        Job(row.printer, row.serial, row.kind, Message(PRINTER_JOB.subject(device=row.printer), "job", row.payload))
        for row in rows
    ]


async def mark_resent(conn: AsyncConnection, centre: str, jobs: list[Job], now: dt.datetime) -> None:
    p = schema.print_jobs.c
    for job in jobs:
        await conn.execute(
            update(schema.print_jobs)
            .where(p.centre == centre, p.job_id == job.job_id)
            .values(sends=p.sends + 1, sent_at=now, updated_at=now)
        )


async def ticket_print_jobs(conn: AsyncConnection, centre: str, serial: int) -> list[dict[str, Any]]:
    """Every print job of a ticket, oldest first: where it went and how it ended."""
    p = schema.print_jobs.c
    rows = await conn.execute(
        select(
            p.job_id,
            p.printer,
            p.kind,
            p.status,
            p.reason,
            p.sends,
            p.sent_at,
            p.updated_at,
            p.rerouted_from,
            p.reprinted_by,
        )
        .where(p.centre == centre, p.serial == serial)
        .order_by(p.created_at, p.job_id)
    )
    return [dict(row._mapping) for row in rows]


async def waiting_jobs(conn: AsyncConnection, centre: str) -> dict[str, tuple[int, dt.datetime]]:
    """Per printer, how many of its jobs no printer has answered yet, and when the oldest was made."""
    p = schema.print_jobs.c
    rows = await conn.execute(
        select(p.printer, func.count(), func.min(p.created_at))
        .where(p.centre == centre, p.status == "queued")
        .group_by(p.printer)
    )
    return {str(printer): (int(count), oldest) for printer, count, oldest in rows}
