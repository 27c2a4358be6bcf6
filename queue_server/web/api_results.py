"""A promised case's result over the API: the business system's reports by case number, the search
at the result window, and the postal address taken at the counter.

The use cases are queue_server.app.case_results's. The business system holds a ``business`` token
scoped to its centres and names a case by its case number (``CODE-YEAR-SERIAL``, under the centre
of its code): ``ready``, ``refused`` with the reason, ``delivered`` collected at a window or posted
with the courier and the tracking number; once per request id, forward only (409 otherwise). It
reads the postal address in full, to post the result; everywhere else it is masked.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from queue_server.app import case_results
from queue_server.app.once import Once, Presenter
from queue_server.app.view_fields import Instant, documented
from queue_server.app.views import iso
from queue_server.auth.accounts import Action
from queue_server.domain.case_results import DeliveryMethod, ResultState
from queue_server.domain.errors import NotFound
from queue_server.store.contacts import PHONE
from queue_server.web.api import _centre, _int_param, _service, read_body, request_id_of
from queue_server.web.api_promised import DELIVER, PromisedCaseView, _seen_view, seen_view
from queue_server.web.audited import reader_of, request_id_for_audit
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.problems import (
    ProblemError,
    answer_response,
    field_errors,
    invalid_request,
    json_response,
    what_failed,
)
from queue_server.web.routes import Access, Route

RESULT = Access(Action.RESULT)


class ResultBody(ActionBody):
    """What the business system says of a case."""

    state: Literal["ready", "refused", "delivered"] = Field(
        description="ready (办结: the result can be collected), refused (不予许可), delivered (送达)"
    )
    reason: str = Field(default="", max_length=500, description="For refused: why, as the decision says")
    method: DeliveryMethod = Field(
        default=DeliveryMethod.WINDOW, description="For delivered: collected at a window, or posted"
    )
    courier: str = Field(default="", max_length=60, description="For delivered by post: the courier (EMS, 顺丰 ...)")
    tracking_number: str = Field(
        default="", max_length=60, pattern=r"^[A-Za-z0-9-]*$", description="For delivered by post: the tracking number"
    )
    note: str = Field(default="", max_length=500, description="Anything else the business system records")


def result_errors(body: ResultBody) -> list[tuple[str, str]]:
    """A refusal has its reason; a posting has its courier and tracking number; nothing else has them."""
    errors = []
    if body.state == "refused" and not body.reason:
        errors.append(("reason", "a refusal (不予许可) gives its reason"))
    if body.state != "refused" and body.reason:
        errors.append(("reason", "only a refusal gives a reason"))
    posted = body.state == "delivered" and body.method is DeliveryMethod.POST
    if posted and not body.courier:
        errors.append(("courier", "a result posted names its courier"))
    if posted and not body.tracking_number:
        errors.append(("tracking_number", "a result posted has its tracking number"))
    if not posted and (body.courier or body.tracking_number):
        errors.append(("method", "a courier and a tracking number go only with a result delivered by post"))
    return errors


async def report_result(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = ResultBody.model_validate(await read_body(request))
    errors = result_errors(body)
    if errors:
        raise ProblemError(invalid_request(what_failed(request), field_errors(errors)))
    report = case_results.ResultReport(
        ResultState(body.state), body.reason, body.method, body.courier or None, body.tracking_number or None, body.note
    )
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    answer = await case_results.report_result(
        _service(request), once, request.match_info["case_number"], report, Presenter(_seen_view)
    )
    return answer_response(request, answer)


@documented
class PostalAddressView(TypedDict):
    """Where a promised case's result is to be posted, in full, with the consent it was taken with"""

    case_number: str
    recipient: str
    phone: str
    address: str
    consent: str
    taken_at: Instant


class PostalReadQuery(BaseModel):
    reason: str | None = Field(
        default=None,
        max_length=200,
        description="Why the address is read, recorded in the audit trail; by default, posting the result",
    )


async def postal_address(request: web.Request) -> web.StreamResponse:
    query = PostalReadQuery.model_validate(dict(request.query))
    seen = await case_results.postal_address_read(
        _service(request),
        _centre(request),
        request.match_info["case_number"],
        reader_of(request),
        query.reason,
        request_id_for_audit(request),
    )
    postal = seen.case.postal
    if postal is None:
        raise NotFound(
            f"Case {seen.case_number} has no postal address: the citizen collects the result, or it was delivered"
        )
    answer: PostalAddressView = {
        "case_number": seen.case_number,
        "recipient": postal.recipient,
        "phone": postal.phone,
        "address": postal.address,
        "consent": postal.consent,
        "taken_at": iso(postal.taken_at) or "",
    }
    return json_response(answer)


class FindQuery(BaseModel):
    q: str = Field(
        min_length=1,
        max_length=300,
        description="A case number (CODE-YEAR-SERIAL), or the ticket's QR code: its status page address or token",
    )


async def find_case(request: web.Request) -> web.StreamResponse:
    query = FindQuery.model_validate(dict(request.query))
    seen = await case_results.find_case(_service(request), _centre(request), query.q)
    return json_response(seen_view(seen))


class AddressBody(ActionBody):
    recipient: str = Field(min_length=1, max_length=60, description="Who receives the post")
    phone: str = Field(min_length=1, max_length=24, description="The recipient's phone, for the courier")
    address: str = Field(min_length=6, max_length=300, description="The full postal address")
    consent: bool = Field(
        description="The citizen agreed to the address being kept for the posting, in the words shown"
    )


async def take_address(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = AddressBody.model_validate(await read_body(request))
    errors = [] if PHONE.fullmatch(body.phone) else [("phone", "a phone number of digits, e.g. 138 0000 0000")]
    if not body.consent:
        errors.append(("consent", "the address is kept only when the citizen agrees to it being kept for the posting"))
    if errors:
        raise ProblemError(invalid_request(what_failed(request), field_errors(errors)))
    given = case_results.AddressGiven(body.recipient, body.phone, body.address, body.consent)
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    answer = await case_results.take_address(
        _service(request), once, _int_param(request, "serial"), given, Presenter(_seen_view)
    )
    return answer_response(request, answer)


ROUTES: list[Route] = [
    Route(
        method="POST",
        path="/centres/{centre}/cases/{case_number}/result",
        operation_id="report_case_result",
        summary="The business system reports a promised case's result: ready, refused or delivered",
        handler=report_result,
        access=RESULT,
        tag="business system",
        response=PromisedCaseView,
        body=ResultBody,
        action=True,
        description=(
            "By case number, with a business token scoped to the centre. A case accepted becomes ready or refused"
            " (with the reason); a ready one is delivered (collected, or posted with the courier and tracking"
            " number), which deletes its postal address. Forward only and once each: any other step is a 409"
            " naming where the case stands; an unknown case number is a 404."
        ),
    ),
    Route(
        method="GET",
        path="/centres/{centre}/cases/{case_number}/postal-address",
        operation_id="get_case_postal_address",
        summary="Read where a promised case's result is to be posted, in full",
        handler=postal_address,
        access=RESULT,
        tag="business system",
        response=PostalAddressView,
        query=PostalReadQuery,
        description=(
            "For the posting only; 404 when the citizen gave none or it was deleted with the delivery. Each read"
            " is recorded in the audit trail with the token, the time and the reason."
        ),
    ),
    Route(
        method="GET",
        path="/centres/{centre}/promised/find",
        operation_id="find_promised",
        summary="Find a promised case by its case number or its ticket's QR code",
        handler=find_case,
        access=DELIVER,
        tag="reads",
        response=PromisedCaseView,
        query=FindQuery,
        description="What the result window's search box takes: typed, or scanned by a keyboard-wedge scanner.",
    ),
    Route(
        method="POST",
        path="/centres/{centre}/promised/{serial}/postal-address",
        operation_id="take_postal_address",
        summary="Keep the address a promised case's result is posted to, with the citizen's consent",
        handler=take_address,
        access=DELIVER,
        tag="ticket actions",
        response=PromisedCaseView,
        body=AddressBody,
        action=True,
        description=(
            "Only with consent (422 without); replaces an earlier address; deleted with the delivery and at the"
            " latest 60 days after the promised date. Lists and the console show it masked."
        ),
    ),
]
