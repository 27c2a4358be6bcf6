"""SMS notices over HTTP: a citizen's number given for them (ticket page, kiosk, desk) and their record.

The number is taken only at a centre that sends SMS, with the citizen's consent to the words the
page showed, and answered masked. The record lists the centre's latest notices, numbers masked,
with the template, the provider's id and whether each was sent or failed and why.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field
from typing_extensions import TypedDict

from queue_server.app.notices import PhoneSource
from queue_server.app.once import Once
from queue_server.app.request_ids import citizen_request_id
from queue_server.app.sms_phones import take_phone
from queue_server.app.view_fields import documented
from queue_server.auth.accounts import Action, Role
from queue_server.store.sms import notice_records
from queue_server.web.api import (
    CITIZEN,
    _centre,
    _int_param,
    _service,
    _token_ticket,
    read_body,
    request_id_of,
)
from queue_server.web.api_manager import READ_CONFIG
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.problems import answer_response, json_response
from queue_server.web.routes import Access, Route


class PhoneBody(ActionBody):
    """A mobile number for the ticket's SMS notices, and the citizen's consent."""

    phone: str = Field(min_length=1, max_length=24, description="A mainland mobile number, e.g. 138 0013 8000")
    consent: bool = Field(description="The citizen agreed to the consent words shown; false is refused")


class StaffPhoneBody(PhoneBody):
    source: str = Field(default=PhoneSource.DESK, pattern="^(kiosk|desk)$", description="kiosk or desk")


@documented
class PhoneAnswer(TypedDict):
    """The number kept for the ticket's notices"""

    phone: str
    """Masked: 138****8000"""


@documented
class NoticeRecordView(TypedDict):
    """One SMS notice as recorded"""

    id: int
    kind: str
    phone: str
    """Masked"""
    template: str
    status: str
    """pending, sent (accepted by the provider), delivered (the network's receipt) or failed"""
    reason: str
    biz_id: str | None
    attempts: int
    created_at: str
    sent_at: str | None


@documented
class NoticeRecords(TypedDict):
    """The centre's latest SMS notices, newest first, and whether the centre sends SMS"""

    configured: bool
    notices: list[NoticeRecordView]


async def give_phone_by_token(request: web.Request) -> web.StreamResponse:
    centre, serial = await _token_ticket(request)
    body = PhoneBody.model_validate(await read_body(request))
    once = Once(centre, CITIZEN, citizen_request_id(serial, request_id_of(request, body)))
    answer = await take_phone(
        _service(request), once, serial, body.phone, consent=body.consent, source=PhoneSource.TICKET_PAGE
    )
    return answer_response(request, answer)


async def give_phone_by_staff(request: web.Request) -> web.StreamResponse:
    body = StaffPhoneBody.model_validate(await read_body(request))
    once = Once(_centre(request), principal_of(request).actor, request_id_of(request, body))
    serial = _int_param(request, "serial")
    answer = await take_phone(_service(request), once, serial, body.phone, consent=body.consent, source=body.source)
    return answer_response(request, answer)


async def list_notices(request: web.Request) -> web.StreamResponse:
    service, centre = _service(request), _centre(request)
    async with service.db.read() as conn:
        records = await notice_records(conn, centre)
    views: list[Any] = [
        {
            "id": r.id,
            "kind": r.kind,
            "phone": r.phone_masked,
            "template": r.template,
            "status": r.status,
            "reason": r.reason,
            "biz_id": r.biz_id,
            "attempts": r.attempts,
            "created_at": r.created_at.isoformat(),
            "sent_at": r.sent_at.isoformat() if r.sent_at else None,
        }
        for r in records
    ]
    return json_response(NoticeRecords(configured=service.notifier.offers(centre), notices=views))


ROUTES: list[Route] = [
    Route(
        method="POST",
        path="/status/{token}/sms",
        operation_id="give_sms_phone_by_status_token",
        summary="Give a mobile number for the ticket's SMS notices",
        handler=give_phone_by_token,
        access=None,
        tag="citizens",
        response=PhoneAnswer,
        body=PhoneBody,
        action=True,
        description=(
            "Public: the status token is the proof. The centre texts this number when the ticket's turn is near,"
            " when it is called and when its promised case's result is ready. Only at a centre that sends SMS"
            " (409 otherwise), only with consent and a mainland mobile number (422 otherwise)."
        ),
    ),
    Route(
        method="POST",
        path="/centres/{centre}/tickets/{serial}/sms",
        operation_id="give_sms_phone",
        summary="Give a mobile number for a ticket's SMS notices, at the kiosk or the desk",
        handler=give_phone_by_staff,
        access=Access(Action.ISSUE, deny=frozenset({Role.STAFF})),
        tag="ticket actions",
        response=PhoneAnswer,
        body=StaffPhoneBody,
        action=True,
        description="As the ticket page's, for the kiosk or the guide's desk that issued the ticket.",
    ),
    Route(
        method="GET",
        path="/centres/{centre}/sms-notices",
        operation_id="list_sms_notices",
        summary="Read the centre's latest SMS notices",
        handler=list_notices,
        access=READ_CONFIG,
        tag="reads",
        response=NoticeRecords,
        description="Newest first, at most 100, numbers masked: what was sent, to whom, and what the provider said.",
    ),
]
