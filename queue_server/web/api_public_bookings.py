"""Bookings from the public page (no token): the slots, a code texted to the number, and booking,
cancelling and moving with that code.

The number is the proof: a code is texted to it (rate limited per address and per number, 429
with ``Retry-After``), and each booking, cancel or move spends one (queue_server.app.booking_codes).
Only at a centre that texts codes; elsewhere 409, and the page says to book at the desk.
"""

from __future__ import annotations

import datetime as dt
import math

from aiohttp import web
from pydantic import AwareDatetime, Field

from queue_server.app import bookings, public_bookings
from queue_server.app.booking_codes import CodeSent, check_code, send_code
from queue_server.app.notices import mobile_number
from queue_server.app.once import Once
from queue_server.app.view_fields import documented
from queue_server.web import api_bookings
from queue_server.web.api import CITIZEN, _centre, _service, read_body, request_id_of
from queue_server.web.api_bookings import SlotsQuery
from queue_server.web.bodies import ActionBody
from queue_server.web.keys import BOOKING_LIMITS, ID_KEY
from queue_server.web.limits import client_address
from queue_server.web.problems import ProblemError, answer_response, problem, with_body
from queue_server.web.routes import Route

Phone = Field(min_length=6, max_length=24, description="A mainland mobile number, e.g. 138 0013 8000")
SmsCode = Field(min_length=1, max_length=12, description="The code texted to the number")


class CodeBody(ActionBody):
    phone: str = Phone


class PublicBookBody(ActionBody):
    matter: str = Field(min_length=1, max_length=40, description="The matter's code")
    start: AwareDatetime = Field(description="The slot's start, as the slots list gives it")
    phone: str = Phone
    sms_code: str = SmsCode
    id_number: str | None = Field(
        default=None, min_length=15, max_length=20, description="Optional: the ID number, kept only as a keyed hash"
    )
    reminder: bool = Field(
        default=False, description="The citizen agreed to the number being kept for the reminder the day before"
    )


class HolderBody(ActionBody):
    phone: str = Phone
    sms_code: str = SmsCode


class PublicMoveBody(HolderBody):
    start: AwareDatetime = Field(description="The new slot's start, of the same matter")


@documented
class PublicBookingView(bookings.BookingView):
    """A booking made from the public page, with where its QR code is"""

    qr: str
    """The booking's QR code (SVG), shown at the kiosk to check in"""


def _qr(centre: str, code: str) -> str:
    return f"/book/{centre}/booking/{code}/qr.svg"


async def ask_code(request: web.Request) -> web.StreamResponse:
    body = CodeBody.model_validate(await read_body(request))
    centre, number = _centre(request), mobile_number(body.phone)
    await _service(request).centre(centre)  # 404 for no such centre, before anything is counted
    wait = request.app[BOOKING_LIMITS].take(client_address(request), number)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        answer = problem(
            429,
            "rate-limited",
            "Too many codes",
            f"Too many codes asked for from this address or for this number: try again in {seconds} s",
            reason="rate_limited",
            message=f"获取验证码太频繁，请{seconds}秒后再试。",
            message_en=f"Too many codes asked for: try again in {seconds} seconds.",
            retry_after=seconds,
        )
        raise ProblemError(answer, {"Retry-After": str(seconds)})
    request_id = public_bookings.public_request_id(request.app[ID_KEY], number, request_id_of(request, body))
    once = Once(centre, CITIZEN, request_id)
    return answer_response(request, await send_code(_service(request), once, number, request.app[ID_KEY]))


async def proved(request: web.Request, body: HolderBody | PublicBookBody) -> tuple[Once, int]:
    """Who acts (the citizen, the request id scoped to the number) and the id of the code that
    proves the number; a wrong, expired or spent code refused (a wrong one counted)."""
    service, centre, key = _service(request), _centre(request), request.app[ID_KEY]
    request_id = public_bookings.public_request_id(key, body.phone, request_id_of(request, body))
    code_id = await check_code(service, centre, body.phone, body.sms_code, key, request_id)
    return Once(centre, CITIZEN, request_id), code_id


async def book(request: web.Request) -> web.StreamResponse:
    body = PublicBookBody.model_validate(await read_body(request))
    once, code_id = await proved(request, body)
    start = body.start.astimezone(dt.UTC)
    asked = public_bookings.PublicAsked(body.matter, start, body.phone, body.id_number, body.reminder, code_id)
    answer = await public_bookings.book(_service(request), once, asked, request.app[ID_KEY])
    if answer.ok:
        answer = with_body(answer, {**answer.body, "qr": _qr(once.centre, str(answer.body["code"]))})
    return answer_response(request, answer)


async def cancel(request: web.Request) -> web.StreamResponse:
    body = HolderBody.model_validate(await read_body(request))
    once, code_id = await proved(request, body)
    code, key = request.match_info["code"], request.app[ID_KEY]
    return answer_response(
        request, await public_bookings.cancel(_service(request), once, code, body.phone, code_id, key)
    )


async def move(request: web.Request) -> web.StreamResponse:
    body = PublicMoveBody.model_validate(await read_body(request))
    once, code_id = await proved(request, body)
    start, code, key = body.start.astimezone(dt.UTC), request.match_info["code"], request.app[ID_KEY]
    answer = await public_bookings.move(_service(request), once, code, start, body.phone, code_id, key)
    return answer_response(request, answer)


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/public/centres/{centre}/booking-slots",
        operation_id="list_public_booking_slots",
        summary="List a matter's bookable slots of a day, with the places left (the public booking page)",
        handler=api_bookings.list_slots,
        access=None,
        tag="citizens",
        response=bookings.SlotsView,
        query=SlotsQuery,
        description="Public. Empty when the matter takes no bookings that day.",
    ),
    Route(
        method="POST",
        path="/public/centres/{centre}/booking-code",
        operation_id="ask_booking_code",
        summary="Text a code to a mobile number, to book, cancel or move from the public page",
        handler=ask_code,
        access=None,
        tag="citizens",
        response=CodeSent,
        status=201,
        body=CodeBody,
        action=True,
        rate_limited=True,
        description=(
            "Public. Six digits, valid 10 minutes, dead after 5 wrong tries; a new code replaces the last."
            " 429 with Retry-After past 3 a minute from one address or 1 a minute for one number; 409 at a"
            " centre that texts no codes (bookings at the desk there)."
        ),
    ),
    Route(
        method="POST",
        path="/public/centres/{centre}/bookings",
        operation_id="book_public",
        summary="Book a slot with a mobile number proved by its texted code",
        handler=book,
        access=None,
        tag="citizens",
        response=PublicBookingView,
        status=201,
        body=PublicBookBody,
        action=True,
        description=(
            "Public. A wrong, expired or spent code is a 422 naming sms_code, and says why; the booking then"
            " as at the desk (409 when full, past, too far ahead, or past the per-person limit: per ID number"
            " when given, else per mobile number). The confirmation is texted; the number is kept for the"
            " reminder the day before only when ``reminder`` is true."
        ),
    ),
    Route(
        method="POST",
        path="/public/centres/{centre}/bookings/{code}/cancel",
        operation_id="cancel_public_booking",
        summary="Cancel a public booking: its code, its mobile number and a fresh texted code",
        handler=cancel,
        access=None,
        tag="citizens",
        response=bookings.BookingView,
        body=HolderBody,
        action=True,
        description="Public. 404 when the number is not the booking's; until the centre's latest cancellation.",
    ),
    Route(
        method="POST",
        path="/public/centres/{centre}/bookings/{code}/move",
        operation_id="move_public_booking",
        summary="Move a public booking to another slot of its matter: its code, its number and a fresh texted code",
        handler=move,
        access=None,
        tag="citizens",
        response=bookings.BookingView,
        body=PublicMoveBody,
        action=True,
        description="Public. As a cancel, to a slot with a place left.",
    ),
]
