"""Promised cases (承诺件): list those due and overdue, deliver one once, hand one to the centre
responsible for it, and deliver there a case handed over (naming where it was accepted).

A ticket finished as a promised case carries its due date (working days after acceptance). A
case accepted at one centre may be handed to another (a village station to the district centre):
once per case, at the accepting centre. The receiving centre then lists and delivers it; the
accepting centre lists it as ``handed_over`` and may no longer deliver it. Deliveries and
handovers are actions, once per request id (queue_server.app.once).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from queue_server.app.answers import Answer
from queue_server.app.commands import AskRatingAtDelivery
from queue_server.app.once import Once, Presenter, run_once
from queue_server.app.print_jobs import delivery_job, window_printer
from queue_server.app.refusals import Refusal, RefusalKind
from queue_server.app.service import HallService
from queue_server.app.views import iso
from queue_server.domain.case_results import CaseNumber, ResultState, check_collection
from queue_server.domain.hall import Hall
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store.database import Connection
from queue_server.store.lookup import list_centres
from queue_server.store.outbox import write_outbox
from queue_server.store.postal_addresses import forget_address
from queue_server.store.printing import Job, record_jobs
from queue_server.store.promised import (
    PromisedCase,
    promised_case,
    promised_cases,
    record_delivery,
    record_handover,
)
from queue_server.store.repository import adopt_tickets

COLLECTED_AT_WINDOW_ZH = "窗口领取"
"""How a result collected at a window was handed over, on its proof of delivery."""

DELIVER = "deliver"
HAND_OVER = "hand_over"
"""The actions' names, recorded with each request id."""

Wanted = Literal["open", "due", "overdue", "ready", "refused", "delivered", "handed_over", "all"]
"""Which cases a list asks for: open (due, overdue or ready here), all, or one state."""

_STATES: dict[str, frozenset[str]] = {
    "open": frozenset({"due", "overdue", "ready"}),
    "all": frozenset({"due", "overdue", "ready", "refused", "delivered", "handed_over"}),
}


@dataclass(frozen=True, slots=True)
class PromisedAt:
    """A case as seen at centre ``here`` on its day ``today`` (due, overdue, handed over ...)."""

    case: PromisedCase
    today: dt.date
    here: str
    provisional: bool = False
    """The due date lies beyond the known holidays and 调休 (the national calendar, as this centre has it)."""
    case_number: str = ""
    """CODE-YEAR-SERIAL, as the papers print it (queue_server.domain.papers.case_number)."""

    @property
    def state(self) -> str:
        return self.case.state(self.today, self.here)


@dataclass(frozen=True, slots=True)
class PromisedList:
    centre: str
    today: dt.date
    overdue: int
    """Overdue here, whichever cases were asked for."""
    cases: list[PromisedAt]


def seen_at(hall: Hall, case: PromisedCase, today: dt.date, here: str) -> PromisedAt:
    """The case as seen at ``here`` on ``today``, with its case number and whether its date may move."""
    year = hall.calendar.local_date(case.issued_at).year if case.issued_at else case.service_day.year
    number = str(CaseNumber(case.centre, year, case.serial))
    return PromisedAt(case, today, here, hall.calendar.is_provisional(case.due_date), number)


async def list_promised(service: HallService, centre: str, wanted: Wanted) -> PromisedList:
    """The cases this centre follows or accepted, soonest due first, in the states asked for."""
    hall = await service.hall(centre)
    today = hall.calendar.local_date(service.clock.now())
    async with service.db.read() as conn:
        cases = [seen_at(hall, case, today, centre) for case in await promised_cases(conn, centre)]
    states = _STATES.get(wanted, frozenset({wanted}))
    overdue = sum(1 for seen in cases if seen.state == "overdue")
    return PromisedList(centre, today, overdue, [seen for seen in cases if seen.state in states])


async def centre_name(conn: Connection, code: str | None) -> str:
    """The name a person knows a centre by, for a refusal that names it."""
    return next((row.name for row in await list_centres(conn) if row.code == code), code or "")


async def deliver(
    service: HallService,
    once: Once,
    serial: int,
    note: str,
    present: Presenter[PromisedAt],
    origin: str | None = None,
    window: int | None = None,
) -> Answer:
    """Record that the result reached the citizen; ``origin`` names the accepting centre of a case
    handed to this one (default this centre). Handed over at ``window``, whose printer prints the
    proof of delivery (送达回证) the citizen signs, for a case accepted here."""
    centre = once.centre
    accepted_at = origin or centre
    printed: list[Job] = []

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> PromisedAt:
        case = await promised_case(conn, accepted_at, serial)
        if case is None or centre not in (accepted_at, case.handed_to):
            where = "" if accepted_at == centre else f" accepted at {accepted_at} and handed to this centre"
            raise Refusal(
                RefusalKind.NOT_FOUND,
                f"Ticket #{serial} is no promised case (承诺件){where} at {hall.centre.name}",
                code=RefusalCode.PROMISED_NOT_FOUND,
            )
        if case.held_by() != centre:
            raise Refusal(
                RefusalKind.CONFLICT,
                f"Cannot deliver promised case {case.number} ({case.service_day}) at {centre}: it was handed"
                f" to {case.handed_to} at {iso(case.handed_at)}, which follows and delivers it",
                code=RefusalCode.PROMISED_HANDED_OVER,
                facts={"ticket": case.number, "centre": await centre_name(conn, case.handed_to)},
            )
        if case.delivered_at is not None:
            raise Refusal(
                RefusalKind.CONFLICT,
                f"Cannot deliver promised case {case.number} ({case.service_day}): it was delivered at"
                f" {case.delivered_at.isoformat()} by {case.delivered_by}",
                code=RefusalCode.PROMISED_DELIVERED,
                facts={"ticket": case.number},
            )
        seen = seen_at(hall, case, hall.calendar.local_date(now), centre)
        if case.result_state is ResultState.REFUSED:
            check_collection(seen.case_number, case.result_state)
        await record_delivery(conn, accepted_at, serial, once.actor, note, now)
        await forget_address(conn, accepted_at, serial)
        printer = window_printer(hall, window) if window is not None and accepted_at == centre else None
        if printer is not None:
            await adopt_tickets(conn, hall, (serial,))
            deliverer = once.actor.split(":", 1)[1] if once.actor.startswith("staff:") else None
            today = hall.calendar.local_date(now)
            job = delivery_job(hall, hall.ticket(serial), printer.id, COLLECTED_AT_WINDOW_ZH, deliverer, today)
            await write_outbox(conn, centre, [job.message], now)
            await record_jobs(conn, centre, [job], now)
            hall.compact()
            printed.append(job)
        delivered = await promised_case(conn, accepted_at, serial)
        assert delivered is not None
        return seen_at(hall, delivered, hall.calendar.local_date(now), centre)

    answer = await run_once(service, once, DELIVER, step, present)
    if printed and answer.ok:
        service.outbox_written(centre)
    if answer.ok and not answer.replayed:
        await ask_rating(service, accepted_at, serial, once)
    return answer


async def ask_rating(service: HallService, accepted_at: str, serial: int, once: Once) -> None:
    """After a delivery: the ticket's own page asks for the rating of a service not rated at the window.

    Its own action at the accepting centre, after the delivery's: a case rated already (or asked
    again before) is refused there and left as it is; a repeat of the delivery asks nothing again."""
    command = AskRatingAtDelivery(serial=serial)
    await service.act(accepted_at, command, actor=once.actor, request_id=f"{once.request_id}:{command.name}"[:128])


async def hand_over(
    service: HallService, once: Once, serial: int, to_centre: str, note: str, present: Presenter[PromisedAt]
) -> Answer:
    """Hand a case accepted here to ``to_centre``, which then follows and delivers it."""
    centre = once.centre

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> PromisedAt:
        case = await promised_case(conn, centre, serial)
        if case is None:
            raise Refusal(
                RefusalKind.NOT_FOUND,
                f"Ticket #{serial} is no promised case (承诺件) at {hall.centre.name}",
                code=RefusalCode.PROMISED_NOT_FOUND,
            )
        named = {"ticket": case.number}
        if to_centre == centre:
            raise Refusal(
                RefusalKind.CONFLICT,
                f"Cannot hand promised case {case.number} over to {centre}: it is there",
                code=RefusalCode.PROMISED_HERE_ALREADY,
                facts=named,
            )
        if case.delivered_at is not None:
            raise Refusal(
                RefusalKind.CONFLICT,
                f"Cannot hand promised case {case.number} ({case.service_day}) over: it was delivered at"
                f" {case.delivered_at.isoformat()} by {case.delivered_by}",
                code=RefusalCode.PROMISED_DELIVERED,
                facts=named,
            )
        if case.handed_to is not None:
            raise Refusal(
                RefusalKind.CONFLICT,
                f"Cannot hand promised case {case.number} ({case.service_day}) over again: it was handed to"
                f" {case.handed_to} at {iso(case.handed_at)} by {case.handed_by}",
                code=RefusalCode.PROMISED_HANDED_OVER,
                facts={**named, "centre": await centre_name(conn, case.handed_to)},
            )
        if to_centre not in {row.code for row in await list_centres(conn)}:
            raise Refusal(
                RefusalKind.NOT_FOUND,
                f"Cannot hand promised case {case.number} over to {to_centre!r}: no such centre",
                code=RefusalCode.CENTRE_NOT_FOUND,
                facts={"centre": to_centre},
            )
        await record_handover(conn, centre, serial, to_centre, once.actor, note, now)
        handed = await promised_case(conn, centre, serial)
        assert handed is not None
        return seen_at(hall, handed, hall.calendar.local_date(now), centre)

    return await run_once(service, once, HAND_OVER, step, present)
