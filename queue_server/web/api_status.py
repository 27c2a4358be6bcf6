"""The citizen rates a finished ticket (好差评) from its status page, with the ticket's status token.

The token is the proof, as for reading the status and cancelling: whoever holds the ticket may
rate it, once, while its rating request is open (the domain refuses a second rating, or one
after the request expired, whether the pad or the page came first). The rating is recorded with
the source ``citizen`` (RateTicket's default; a pad's is ``pad:<id>``) and the actor ``citizen``.
Reasons must be the centre's own and go only with 不满意 or 非常不满意; the page's form shows
them, and a wrong one is a 422 naming the field. A citizen may leave a phone number for the
follow-up visit (回访) with their consent; it is kept with the rating (queue_server.store.contacts)
and the answer shows it masked.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, NotRequired

from aiohttp import web
from pydantic import Field
from typing_extensions import TypedDict

from queue_server.app.commands import ITEMS_DESCRIPTION, RateTicket
from queue_server.app.request_ids import citizen_request_id
from queue_server.app.view_fields import documented
from queue_server.app.views import PublicTicketView
from queue_server.domain.changes import Change
from queue_server.domain.hall import Hall
from queue_server.domain.ratings import RatingItem, RatingLevel
from queue_server.store.contacts import CONSENT_ZH, PHONE, keep_contact, mask
from queue_server.store.database import Connection
from queue_server.store.rectification import mark_named
from queue_server.web.api import (
    CITIZEN,
    _service,
    _token_ticket,
    public_ticket,
    read_body,
    request_id_of,
)
from queue_server.web.bodies import ActionBody
from queue_server.web.problems import (
    ProblemError,
    answer_response,
    field_errors,
    invalid_request,
    what_failed,
    with_body,
)
from queue_server.web.routes import Route

SOURCE = "citizen"
"""How a rating from the ticket's own page is recorded (a pad's is ``pad:<id>``)."""


class RatingBody(ActionBody):
    """A citizen's rating of a finished ticket."""

    level: RatingLevel = Field(
        description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意",
    )
    reasons: tuple[Annotated[str, Field(min_length=1, max_length=40)], ...] = Field(
        default=(),
        max_length=10,
        description="For 不满意 or 非常不满意 only: reasons from the centre's policy (bad_rating_reasons)",
    )
    comment: str = Field(default="", max_length=500, description="Optional words of the citizen")
    contact_phone: str = Field(
        default="", max_length=24, description="A phone number for the follow-up visit (回访), if the citizen wants one"
    )
    contact_consent: bool = Field(
        default=False, description="The citizen agreed to the follow-up call, in the words the page showed"
    )
    items: dict[RatingItem, RatingLevel] = Field(default_factory=dict, description=ITEMS_DESCRIPTION)


def contact_errors(body: RatingBody) -> list[tuple[str, str]]:
    """A follow-up number must look like one, and comes only with the citizen's consent."""
    phone = body.contact_phone.strip()
    if not phone:
        return []
    if not PHONE.fullmatch(phone):
        return [("contact_phone", "a phone number of digits (spaces and dashes allowed), e.g. 138 0000 0000")]
    if not body.contact_consent:
        return [("contact_consent", "the number is kept only when the citizen agrees to the follow-up call")]
    return []


def reason_errors(level: RatingLevel, reasons: tuple[str, ...], known: tuple[str, ...]) -> list[tuple[str, str]]:
    """Each reason the centre does not list, and reasons given with a good level, by field."""
    if reasons and not level.bad:
        return [("reasons", "reasons go only with 不满意 (2) or 非常不满意 (1)")]
    return [
        (f"reasons.{index}", f"{reason!r} is not one of the centre's reasons: {', '.join(known)}")
        for index, reason in enumerate(reasons)
        if reason not in known
    ]


async def citizen_rate(request: web.Request) -> web.StreamResponse:
    centre, serial = await _token_ticket(request)
    body = RatingBody.model_validate(await read_body(request))
    request_id = citizen_request_id(serial, request_id_of(request, body))
    service = _service(request)
    config = (await service.hall(centre)).centre
    wrong = reason_errors(body.level, body.reasons, config.policy.bad_rating_reasons) + contact_errors(body)
    if wrong:
        raise ProblemError(invalid_request(what_failed(request), field_errors(wrong)))
    command = RateTicket(
        serial=serial,
        level=body.level,
        source=SOURCE,
        reasons=body.reasons,
        comment=body.comment.strip(),
        items=body.items,
    )
    phone = body.contact_phone.strip()
    days = config.policy.follow_up_days

    async def keep(conn: Connection, hall: Hall, change: Change, now: dt.datetime) -> None:
        await keep_contact(conn, centre, serial, phone, CONSENT_ZH.format(days=days), now, days)
        await mark_named(conn, centre, serial)  # a bad rating's case, opened above: its follow-up call is due

    answer = await service.act(centre, command, actor=CITIZEN, request_id=request_id, also=keep if phone else None)
    if answer.ok:
        ticket = answer.body.get("ticket")
        shown: RatingAnswer = {
            "changed": answer.body["changed"],
            "ticket": public_ticket(config, ticket) if ticket else None,
        }
        if phone:
            shown["contact"] = mask(phone)
        answer = with_body(answer, dict(shown))
    return answer_response(request, answer)


@documented
class RatingAnswer(TypedDict):
    """What the citizen's rating did: the ticket, now rated, and the follow-up number masked if one was left"""

    changed: bool
    ticket: PublicTicketView | None
    contact: NotRequired[str]
    """The follow-up number, masked: 138****5678"""


ROUTES: list[Route] = [
    Route(
        method="POST",
        path="/status/{token}/rating",
        operation_id="rate_by_status_token",
        summary="Rate a finished ticket by its status token",
        handler=citizen_rate,
        access=None,
        tag="citizens",
        response=RatingAnswer,
        body=RatingBody,
        action=True,
        description=(
            "Public: the status token is the proof. One rating per ticket, while its rating request is open"
            " (409 when it was rated already, on the pad or here, or the request expired). Reasons come from"
            " the centre's bad_rating_reasons and go only with 不满意 or 非常不满意 (422 otherwise)."
        ),
    ),
]
