"""A print job from the bus as a slip for ticket_printer: the one place the two vocabularies meet."""

from __future__ import annotations

from queue_server.protocol.payloads import PrintJob, PrintKind
from ticket_printer.slips import NoticeSlip, Slip, TicketSlip


def slip_for(job: PrintJob, *, english: bool = False) -> Slip:
    """The slip to print; ``english`` (the client's setting) adds the English lines as the job's flag does.

    Raises ValueError for a job whose kind and content disagree.
    """
    if job.kind is PrintKind.TICKET:
        if job.ticket is None:
            raise ValueError(f"job {job.job_id} is a ticket without its ticket")
        ticket = job.ticket
        return TicketSlip(
            centre_name=ticket.centre_name,
            centre_name_en=ticket.centre_name_en,
            number=ticket.number,
            matter_name=ticket.matter_name,
            matter_name_en=ticket.matter_name_en,
            green_channel=ticket.green_channel,
            category_name=ticket.category_name,
            people_ahead=ticket.people_ahead,
            estimated_wait_minutes=ticket.estimated_wait_minutes,
            wait_range_minutes=None
            if ticket.wait_range_minutes is None
            else (ticket.wait_range_minutes[0], ticket.wait_range_minutes[1]),
            issued_at=ticket.issued_at,
            status_url=ticket.status_url,
            english=job.english or english,
        )
    if job.notice is None:
        raise ValueError(f"job {job.job_id} is a notice without its notice")
    notice = job.notice
    return NoticeSlip(
        centre_name=notice.centre_name,
        number=notice.number,
        matter_name=notice.matter_name,
        outcome_name=notice.outcome_name,
        reasons=tuple(notice.reasons),
        missing_materials=tuple(notice.missing_materials),
        phone=notice.phone,
        address=notice.address,
        date=notice.date,
        title=notice.title,
        case_number=notice.case_number,
        staff=notice.staff,
        note=notice.note,
        deadline=notice.deadline,
        remedy=notice.remedy,
        commitment=notice.commitment,
        received_materials=tuple(notice.received_materials),
        due=notice.due,
        delivery=notice.delivery,
        lead_department=notice.lead_department,
        level=notice.level,
        delivered_how=notice.delivered_how,
    )


def _pair(told: list[int] | None) -> tuple[int, int] | None:
    return None if told is None else (told[0], told[1])
