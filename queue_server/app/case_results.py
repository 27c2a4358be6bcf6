"""A promised case after the counter: the business system's reports, the search at the result
window, and the postal address the result is posted to.

The province's business system decides a case and tells OneWindow by its case number: ready
(办结), refused (不予许可, with the reason), delivered (collected or posted, with the courier and
tracking number). Each report is an action, once per request id, and only moves a case forward
(queue_server.domain.case_results); the decision and the delivery are kept with the actor that
reported them. At the counter a case is found by its case number or by its ticket's QR code (the
status page's address, or its token), and the citizen's postal address is taken only with their
consent and deleted with the delivery.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated

from typing_extensions import TypedDict

from queue_server.app import audit
from queue_server.app.answers import Answer
from queue_server.app.once import Once, Presenter, run_once
from queue_server.app.promised import PromisedAt, centre_name, seen_at
from queue_server.app.refusals import Refusal, RefusalKind
from queue_server.app.service import HallService
from queue_server.app.view_fields import Day, Instant, documented, values_of
from queue_server.app.views import iso
from queue_server.domain.audit import Actor, AuditAct, AuditKind
from queue_server.domain.case_results import (
    CaseNumber,
    DeliveryMethod,
    ResultState,
    check_step,
    parse_case_number,
)
from queue_server.domain.hall import Hall
from queue_server.domain.papers import DEFAULT_DELIVERY_ZH
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store.database import Connection
from queue_server.store.lookup import find_ticket_by_token
from queue_server.store.postal_addresses import (
    CONSENT_ZH,
    PostalAddress,
    forget_address,
    keep_address,
    mask_address,
)
from queue_server.store.promised import Delivery, PromisedCase, promised_case, record_decision, record_delivery

REPORT = "report_result"
TAKE_ADDRESS = "take_postal_address"
"""The actions' names, recorded with each request id."""

STATUS_TOKEN = re.compile(r"(?:.*/ticket/)?(?P<token>[A-Za-z0-9_-]{16,64})/?")
"""A ticket's QR code as a scanner types it: the status page's address, or the bare token."""


@dataclass(frozen=True, slots=True)
class ResultReport:
    """What the business system says of a case: ready, refused (why), or delivered (how)."""

    state: ResultState
    reason: str = ""
    method: DeliveryMethod = DeliveryMethod.WINDOW
    courier: str | None = None
    tracking_number: str | None = None
    note: str = ""


def unknown(case_number: str, where: str) -> Refusal:
    return Refusal(
        RefusalKind.NOT_FOUND,
        f"There is no promised case (承诺件) numbered {case_number!r} at {where}",
        code=RefusalCode.CASE_NUMBER_UNKNOWN,
        facts={"case": case_number},
    )


async def case_by_number(conn: Connection, hall: Hall, text: str) -> PromisedCase:
    """The promised case the case number names, accepted at this hall's centre or handed to it; a
    refusal naming the number when there is none."""
    number: CaseNumber | None = parse_case_number(text)
    if number is None:
        raise unknown(text.strip(), hall.centre.name)
    case = await promised_case(conn, number.centre, number.serial)
    here = hall.centre.code
    if (
        case is None
        or here not in (case.centre, case.handed_to)
        or case.issued_at is None
        or hall.calendar.local_date(case.issued_at).year != number.year
    ):
        raise unknown(str(number), hall.centre.name)
    return case


async def find_case(service: HallService, centre: str, text: str) -> PromisedAt:
    """The promised case a case number or a ticket's QR code (address or token) names, as seen here.

    A case accepted here or handed to this centre is found; any other text is a refusal naming it.
    """
    hall = await service.hall(centre)
    now = service.clock.now()
    async with service.db.read() as conn:
        if parse_case_number(text) is None:
            scanned = STATUS_TOKEN.fullmatch(text.strip())
            found = await find_ticket_by_token(conn, scanned["token"]) if scanned else None
            case = await promised_case(conn, *found) if found is not None else None
            if case is None or centre not in (case.centre, case.handed_to):
                raise unknown(text.strip()[:80], hall.centre.name)
            return seen_at(hall, case, hall.calendar.local_date(now), centre)
        return seen_at(hall, await case_by_number(conn, hall, text), hall.calendar.local_date(now), centre)


async def case_numbered(service: HallService, centre: str, case_number: str) -> PromisedAt:
    """The promised case a case number (and nothing else) names at ``centre``, as seen there."""
    hall = await service.hall(centre)
    async with service.db.read() as conn:
        case = await case_by_number(conn, hall, case_number)
    return seen_at(hall, case, hall.calendar.local_date(service.clock.now()), centre)


POSTING = "寄递办理结果 (posting the result)"
"""The purpose recorded when the business system reads an address without giving another reason."""


async def postal_address_read(
    service: HallService, centre: str, case_number: str, reader: Actor, reason: str | None, request_id: str
) -> PromisedAt:
    """The case, for its postal address in full: the read is recorded in the audit trail first, with
    ``reason`` (by default, posting the result: what the address was given for)."""
    seen = await case_numbered(service, centre, case_number)
    postal = seen.case.postal
    if postal is not None:
        act = AuditAct.by(
            reader,
            AuditKind.PERSONAL_VIEWED,
            centre,
            f"case:{seen.case_number}",
            reason=POSTING if reason is None else audit.require_reason(reason),
            request_id=request_id,
            detail={"data": "postal_address", "shown": postal.masked()},
        )
        await audit.record(service.db, service.clock, act)
    return seen


async def report_result(
    service: HallService, once: Once, case_number: str, report: ResultReport, present: Presenter[PromisedAt]
) -> Answer:
    """The business system's report on a case: its state moves forward once, with who said so."""

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> PromisedAt:
        case = await case_by_number(conn, hall, case_number)
        seen = seen_at(hall, case, hall.calendar.local_date(now), once.centre)
        check_step(seen.case_number, case.result_state, report.state)
        if report.state is ResultState.DELIVERED:
            how = Delivery(report.method, report.courier, report.tracking_number)
            await record_delivery(conn, case.centre, case.serial, once.actor, report.note, now, how)
            await forget_address(conn, case.centre, case.serial)
        else:
            await record_decision(conn, case.centre, case.serial, report.state, once.actor, report.reason, now)
            if report.state is ResultState.READY:
                await tell_ready(service, conn, hall, case, now)
        changed = await promised_case(conn, case.centre, case.serial)
        assert changed is not None
        return seen_at(hall, changed, hall.calendar.local_date(now), once.centre)

    return await run_once(service, once, REPORT, step, present)


async def tell_ready(service: HallService, conn: Connection, hall: Hall, case: PromisedCase, now: dt.datetime) -> None:
    """Write the SMS notice that the case's result is ready, to the number its ticket gave, if any."""
    here = hall.centre
    matter = here.matters_by_code.get(case.matter)
    accepted_at = here.name if case.centre == here.code else await centre_name(conn, case.centre)
    place = here.name if case.held_by() == here.code else await centre_name(conn, case.held_by())
    await service.notifier.result_ready(
        conn, case.centre, case.serial, centre_name=accepted_at, matter=matter.name if matter else case.matter,
        place=place, now=now,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class AddressGiven:
    recipient: str
    phone: str
    address: str
    consent: bool
    """The citizen agreed to the words :func:`consent_words` gives, as the counter showed them."""


def consent_words(days: int) -> str:
    """The words the counter shows, with the centre's ``policy.postal_days_after_due``."""
    return CONSENT_ZH.format(days=days)


async def take_address(
    service: HallService, once: Once, serial: int, given: AddressGiven, present: Presenter[PromisedAt]
) -> Answer:
    """Keep where a case's result is to be posted, with the citizen's consent, until it is delivered."""
    centre = once.centre

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> PromisedAt:
        case = await promised_case(conn, centre, serial)
        if case is None or case.held_by() != centre:
            raise Refusal(
                RefusalKind.NOT_FOUND,
                f"Ticket #{serial} is no promised case (承诺件) followed at {hall.centre.name}",
                code=RefusalCode.PROMISED_NOT_FOUND,
            )
        if case.result_state in (ResultState.DELIVERED, ResultState.REFUSED):
            seen = seen_at(hall, case, hall.calendar.local_date(now), centre)
            check_step(seen.case_number, case.result_state, ResultState.DELIVERED)
        if not given.consent:
            raise Refusal(
                RefusalKind.INVALID,
                f"Cannot keep the postal address of case {case.number}: the citizen has not agreed to it being kept",
                code=RefusalCode.INVALID,
            )
        days = hall.centre.policy.postal_days_after_due
        address = PostalAddress(given.recipient, given.phone, given.address, consent_words(days), now, once.actor)
        purge_after = dt.datetime.combine(case.due_date + dt.timedelta(days=days), dt.time(), tzinfo=dt.UTC)
        await keep_address(conn, centre, serial, address, max(purge_after, now + dt.timedelta(days=1)))
        kept = await promised_case(conn, centre, serial)
        assert kept is not None
        return seen_at(hall, kept, hall.calendar.local_date(now), centre)

    return await run_once(service, once, TAKE_ADDRESS, step, present)


@documented
class PublicResultView(TypedDict):
    """A promised case as its citizen sees it: the promised date, where its result stands, how it comes"""

    case_number: str
    state: Annotated[str, values_of(ResultState)]
    """accepted, ready (办结: collect it), delivered, refused (不予许可)"""
    due_date: Day
    due_provisional: bool
    collection: str
    """Where and how the result is collected, from the matter's service guide"""
    collect_at: str | None
    """The centre that hands it out, when the case was handed to another centre"""
    reason: str
    """Why it was refused"""
    method: Annotated[str | None, values_of(DeliveryMethod, nullable=True)]
    courier: str | None
    tracking_number: str | None
    delivered_at: Instant | None
    post_to: str | None
    """Where it is posted, masked, when the citizen gave an address"""


async def public_result(service: HallService, centre: str, serial: int) -> PublicResultView | None:
    """The citizen's view of ticket ``serial``'s promised case; None when the ticket is no promised case."""
    hall = await service.hall(centre)
    async with service.db.read() as conn:
        case = await promised_case(conn, centre, serial)
        handed_to = await centre_name(conn, case.handed_to) if case is not None and case.handed_to else None
    if case is None:
        return None
    seen = seen_at(hall, case, hall.calendar.local_date(service.clock.now()), centre)
    matter = hall.centre.matters_by_code.get(case.matter)
    guide = matter.guide if matter is not None else None
    postal = case.postal
    return {
        "case_number": seen.case_number,
        "state": case.result_state.value,
        "due_date": case.due_date.isoformat(),
        "due_provisional": seen.provisional,
        "collection": guide.collection if guide is not None else DEFAULT_DELIVERY_ZH,
        "collect_at": handed_to,
        "reason": case.reason,
        "method": case.method.value if case.method else None,
        "courier": case.courier,
        "tracking_number": case.tracking_number,
        "delivered_at": iso(case.delivered_at),
        "post_to": mask_address(postal.address) if postal is not None else None,
    }
