"""Printing beside the actions: a person's reprint, the resending of unanswered jobs, a printer's answer.

Each writes its jobs with their outbox rows under the centre's lock, like an action; the hall's
state does not change, so its version stays. Subscribers are told when a new job waits to be sent.
"""

from __future__ import annotations

import datetime as dt

from queue_server.app.answers import Answer
from queue_server.app.halls import Halls
from queue_server.app.print_jobs import reprint_job, reroute_job
from queue_server.app.printers import PrinterBoard
from queue_server.app.request_ids import Work
from queue_server.app.views import View
from queue_server.domain.hall import Hall
from queue_server.protocol.payloads import fault_in
from queue_server.store.database import Connection
from queue_server.store.outbox import write_outbox
from queue_server.store.printing import Job, mark_resent, record_jobs, record_result, unanswered_jobs
from queue_server.store.repository import adopt_tickets

REPRINT = "reprint"
"""The action name a reprint is recorded under with its request id."""


def reprint_view(centre: str, number: str, job: Job) -> View:
    """The answer to a reprint: the new job, where it goes, and the job it replaces."""
    return {
        "centre": centre,
        "serial": job.serial,
        "number": number,
        "job_id": job.job_id,
        "printer": job.printer,
        "replaces": job.rerouted_from,
        "reprinted_by": job.reprinted_by,
    }


def reprint_work(centre: str, serial: int, board: PrinterBoard, *, printer: str | None, actor: str) -> Work:
    """The step of a reprint, run once for its request id (queue_server.app.print_jobs.reprint_job)."""

    async def work(conn: Connection, hall: Hall, now: dt.datetime) -> Answer:
        await adopt_tickets(conn, hall, (serial,))
        ticket = hall.ticket(serial)
        job = await reprint_job(conn, hall.centre, board, ticket, printer=printer, actor=actor)
        await write_outbox(conn, centre, [job.message], now)
        await record_jobs(conn, centre, [job], now)
        hall.compact()
        return Answer(reprint_view(centre, ticket.number, job), created=True)

    return work


async def resend_print_jobs(halls: Halls, centre: str) -> int:
    """Send again the print jobs no printer answered in time; returns how many.

    A printer acknowledges a job to the broker before it has it safely in its spool, so one that
    dies in that moment never answers. It prints a job id only once, so a repeat is free.
    """
    async with halls.db.read() as conn:  # the usual answer is none: no write lock for that
        if not await unanswered_jobs(conn, centre, halls.clock.now()):
            return 0
    async with halls.locked(centre) as locked:
        now = halls.clock.now()
        jobs = await unanswered_jobs(locked.conn, centre, now)
        await write_outbox(locked.conn, centre, [job.message for job in jobs], now)
        await mark_resent(locked.conn, centre, jobs, now)
    return len(jobs)


async def print_result(
    halls: Halls, board: PrinterBoard, centre: str, printer: str, job_id: str, status: str, reason: str
) -> tuple[bool, Job | None]:
    """Keep a printer's answer to a job: whether that printer had such a job, and the new job on
    another printer when it failed one because it cannot print (paper out, cover open).

    A repeat of the answer changes nothing more. An ``unknown`` result is never rerouted: some of
    the ticket may be on paper, so a person decides.
    """
    if status != "failed" or fault_in(reason) is None:
        async with halls.db.write() as conn:
            return await record_result(conn, centre, printer, job_id, status, reason, halls.clock.now()), None
    async with halls.locked(centre) as locked:
        now = halls.clock.now()
        if not await record_result(locked.conn, centre, printer, job_id, status, reason, now):
            return False, None
        hall = await locked.hall()
        job = await reroute_job(locked.conn, hall.centre, board, printer, job_id)
        if job is not None:
            await write_outbox(locked.conn, centre, [job.message], now)
            await record_jobs(locked.conn, centre, [job], now)
    return True, job
