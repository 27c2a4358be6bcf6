"""Which print jobs a change causes and where each goes: a kiosk's ticket to its printer, a
window's one-time notice to the window's printer.

A job is written like every other message, in the action's transaction (queue_server.store.printing
keeps it): an outbox row on ``printer/<id>/job`` and a ``print_jobs`` row that waits for the
printer's answer (done, failed with the reason, or unknown). The printer never prints a job id
twice; the relay may deliver it twice.

A kiosk's ticket goes to its own printer, or to its first ready spare printer when its own is
known unable to print (queue_server.app.printers). A ticket job failed because the printer cannot
print (paper out, cover open) is rerouted once: a new job id for the same ticket, on a printer of
the kiosk that can print and has not had it, linked to the failed job by ``rerouted_from``.

A job that ended ``unknown`` (some of the ticket may be on paper) or failed is never sent again by
itself: a person at the desk decides and asks for a reprint, which is a new job id for the same
ticket, linked to the job it replaces the same way and marked with who asked (``reprinted_by``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from queue_server.app.printers import PrinterBoard, reroute_printer, ticket_printer
from queue_server.app.views import minutes
from queue_server.domain.centre import Centre, Device
from queue_server.domain.changes import Change
from queue_server.domain.devices import DeviceKind
from queue_server.domain.errors import InvalidTransition
from queue_server.domain.estimates import Position
from queue_server.domain.events import TicketFinished, TicketIssued
from queue_server.domain.hall import Hall
from queue_server.domain.papers import PRINTED_AT_WINDOW, REMEDY_ZH, PaperKind, paper, papers_for, staff_words
from queue_server.domain.tickets import CATEGORY_NAMES_ZH, Ticket
from queue_server.protocol.topics import PRINTER_JOB
from queue_server.store.database import Connection
from queue_server.store.outbox import Message
from queue_server.store.printing import Job, failed_job, issued_by, rerouted_already, ticket_jobs

log = logging.getLogger(__name__)


def issuing_kiosk(centre: Centre, actor: str) -> Device | None:
    """The kiosk that acted (a button kiosk on the bus, or a kiosk PC's token), if it has a printer."""
    kind, _, ident = actor.partition(":")
    device = centre.devices_by_id.get(ident) if kind in ("device", "kiosk") else None
    if device is None or device.kind is not DeviceKind.KIOSK or device.printer is None:
        return None
    return device


def window_printer(hall: Hall, window: int) -> Device | None:
    return next(
        (d for d in hall.centre.devices if d.kind is DeviceKind.PRINTER and d.window == window),
        None,
    )


def _local(hall: Hall, instant: dt.datetime) -> str:
    return hall.calendar.local(instant).strftime("%Y-%m-%d %H:%M")


def ticket_job(hall: Hall, ticket: Ticket, status_url: str, position: Position | None, printer: str) -> Job:
    info = hall.centre.centre
    matter = hall.centre.matters_by_code.get(ticket.matter)
    payload: dict[str, Any] = {
        "job_id": f"{ticket.serial}-ticket-1",
        "kind": "ticket",
        "english": False,
        "ticket": {
            "centre_name": info.name,
            "centre_name_en": info.name_en,
            "number": ticket.number,
            "matter_name": matter.name if matter else ticket.matter,
            "matter_name_en": matter.name_en if matter else "",
            "green_channel": ticket.green,
            "category_name": CATEGORY_NAMES_ZH[ticket.category] if ticket.category else None,
            "people_ahead": position.people_ahead if position else 0,
            "estimated_wait_minutes": minutes(position.estimated_wait) if position else None,
            "wait_range_minutes": told_minutes(position),
            "issued_at": _local(hall, ticket.issued_at),
            "status_url": status_url,
        },
    }
    return Job(printer, ticket.serial, "ticket", Message(PRINTER_JOB.subject(device=printer), "job", payload))


def told_minutes(position: Position | None) -> list[int] | None:
    """The range told at issue as printed, [low, high] whole minutes: what the ticket keeps as told."""
    if position is None or position.wait_range is None:
        return None
    return list(position.wait_range.whole_minutes())


def notice_job(hall: Hall, ticket: Ticket, printer: str) -> Job:
    """The window's thermal print of the case's first paper (``domain.papers``): the notice of
    acceptance, to supplement, of non-acceptance, of acceptance with materials to follow, or the
    letter of commitment, with its case number, as the A4 page says it."""
    (kind, *_) = papers_for(ticket.outcome)
    return paper_job(hall, ticket, printer, kind, f"{ticket.serial}-notice-1")


def delivery_job(
    hall: Hall, ticket: Ticket, printer: str, how: str, deliverer: str | None, on: dt.date | None = None
) -> Job:
    """The proof of delivery (送达回证) a window's printer prints as the citizen collects a result:
    what was handed over, how, by whom and on which day, and a line for the citizen to sign."""
    job_id = f"{ticket.serial}-delivery-1"
    return paper_job(hall, ticket, printer, PaperKind.DELIVERY, job_id, how, deliverer, on)


def paper_job(
    hall: Hall,
    ticket: Ticket,
    printer: str,
    kind: PaperKind,
    job_id: str,
    delivered_how: str = "",
    deliverer: str | None = None,
    on: dt.date | None = None,
) -> Job:
    """One of the case's papers for the window's thermal printer, dated ``on`` (default the day the
    case ended at the window)."""
    shown = paper(hall.centre, hall.calendar, ticket, kind)
    terms = shown.terms
    staff = staff_words(hall.centre, deliverer) if deliverer is not None else shown.staff
    payload: dict[str, Any] = {
        "job_id": job_id,
        "kind": "notice",
        "notice": {
            "centre_name": shown.centre_name,
            "number": shown.ticket_number,
            "matter_name": shown.matter_name,
            "outcome_name": shown.outcome_name,
            "reasons": list(shown.reasons),
            "missing_materials": list(terms.to_follow if terms is not None and terms.to_follow else shown.missing),
            "phone": shown.centre_phone,
            "address": shown.centre_address,
            "date": (on or shown.day).isoformat(),
            "title": shown.title,
            "case_number": shown.case_number,
            "staff": staff,
            "note": shown.note,
            "deadline": "".join(shown.deadline()),
            "remedy": REMEDY_ZH if kind is PaperKind.REFUSAL else "",
            "commitment": terms.commitment if terms is not None else "",
            "received_materials": list(shown.received) if kind is PaperKind.ACCEPTANCE else [],
            "due": shown.due_line() if kind is PaperKind.ACCEPTANCE else "",
            "delivery": shown.delivery if kind is PaperKind.ACCEPTANCE else "",
            "lead_department": terms.lead_department if terms is not None else "",
            "level": shown.level_name,
            "delivered_how": delivered_how,
        },
    }
    return Job(printer, ticket.serial, "notice", Message(PRINTER_JOB.subject(device=printer), "job", payload))


def print_jobs(hall: Hall, change: Change, tokens: dict[int, str], base_url: str, board: PrinterBoard) -> list[Job]:
    """The jobs one change causes: tickets issued at a kiosk with a printer (or at its spare, when
    its own is known unable to print), notices at a window's printer."""
    jobs = []
    for event in change.ticket_events:
        if isinstance(event, TicketIssued) and event.serial in tokens:
            kiosk = issuing_kiosk(hall.centre, event.actor)
            target = ticket_printer(kiosk, board) if kiosk is not None else None
            if target is not None:
                url = f"{base_url}/ticket/{tokens[event.serial]}"
                jobs.append(ticket_job(hall, hall.ticket(event.serial), url, change.position, target))
        elif isinstance(event, TicketFinished) and event.outcome in PRINTED_AT_WINDOW:
            printer = window_printer(hall, event.window)
            if printer is not None:
                jobs.append(notice_job(hall, hall.ticket(event.serial), printer.id))
    return jobs


async def reroute_job(conn: Connection, centre: Centre, board: PrinterBoard, printer: str, job_id: str) -> Job | None:
    """A new job for a ticket that ``printer`` failed because it cannot print (paper out, cover
    open): the same ticket, a new job id, on the first printer of its kiosk that can print and has
    not had it. None when the job is no failed ticket, was rerouted already, or no printer can.
    """
    code = centre.code
    failed = await failed_job(conn, code, printer, job_id)
    if failed is None or failed.kind != "ticket" or failed.status != "failed":
        return None
    if await rerouted_already(conn, code, job_id):
        return None  # a repeat of the same answer: rerouted once already
    kiosk = issuing_kiosk(centre, await issued_by(conn, code, failed.serial) or "")
    tried = [job.printer for job in await ticket_jobs(conn, code, failed.serial)]
    target = reroute_printer(kiosk, board, tried) if kiosk is not None else None
    if target is None:
        log.warning("job %s failed on printer %s and no other printer of its kiosk can print it", job_id, printer)
        return None
    payload = {**failed.payload, "job_id": f"{failed.serial}-ticket-{len(tried) + 1}"}
    message = Message(PRINTER_JOB.subject(device=target), "job", payload)
    log.info("job %s failed on printer %s; ticket %s goes to printer %s", job_id, printer, failed.serial, target)
    return Job(target, failed.serial, "ticket", message, rerouted_from=job_id)


REPRINTABLE = frozenset({"failed", "unknown"})
"""How a ticket's last job must have ended for a person to print it again."""


async def reprint_job(
    conn: Connection, centre: Centre, board: PrinterBoard, ticket: Ticket, *, printer: str | None, actor: str
) -> Job:
    """A new job for ``ticket`` after its last ticket job failed or ended unknown: the same ticket as
    printed, a new job id, on ``printer`` or else where a new ticket of its kiosk would go.

    Raises InvalidTransition when there is nothing to reprint: no job, or the last one printed or is
    still being printed (a printer prints a job once; the server sends an unanswered one again).
    """
    code = centre.code
    rows = await ticket_jobs(conn, code, ticket.serial)
    what = f"Cannot reprint ticket {ticket.number}"
    if not rows:
        raise InvalidTransition(
            f"{what}: it has no print job; only a ticket issued at a kiosk with a printer is printed"
            " (read a desk ticket's number out, or send its status link)"
        )
    if ticket.status.ended:
        raise InvalidTransition(f"{what}: the ticket is {ticket.status.value}; there is nothing to print for")
    last = max(rows, key=lambda row: (row.created_at, _job_order(row.job_id)))
    if last.status == "done":
        raise InvalidTransition(f"{what}: its job {last.job_id} printed on {last.printer}; it printed")
    if last.status not in REPRINTABLE:
        raise InvalidTransition(
            f"{what}: its job {last.job_id} is still being printed on {last.printer}; wait for the printer's"
            " answer (a job not answered is sent again by itself)"
        )
    target = printer or _reprint_printer(centre, board, await issued_by(conn, code, ticket.serial) or "", last.printer)
    if target is None:
        raise InvalidTransition(f"{what}: its kiosk has no printer any more; name the printer to print it on")
    payload = {**last.payload, "job_id": f"{ticket.serial}-ticket-{max(_job_order(r.job_id) for r in rows) + 1}"}
    message = Message(PRINTER_JOB.subject(device=target), "job", payload)
    log.info("%s reprints ticket %s (job %s, %s) on printer %s", actor, ticket.number, last.job_id, last.status, target)
    return Job(target, ticket.serial, "ticket", message, rerouted_from=last.job_id, reprinted_by=actor)


def _job_order(job_id: str) -> int:
    """The n of a ticket's job id ``<serial>-ticket-<n>``: its place among the ticket's jobs."""
    tail = job_id.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 0


def _reprint_printer(centre: Centre, board: PrinterBoard, issued_by: str, last_printer: str) -> str | None:
    """Where a reprint goes unless a printer is named: where a new ticket of the ticket's kiosk
    would go (its own printer, or a ready spare when its own cannot print), else the last job's
    printer while it is still a printer of the centre."""
    kiosk = issuing_kiosk(centre, issued_by)
    if kiosk is not None:
        return ticket_printer(kiosk, board)
    device = centre.devices_by_id.get(last_printer)
    return last_printer if device is not None and device.kind is DeviceKind.PRINTER else None
