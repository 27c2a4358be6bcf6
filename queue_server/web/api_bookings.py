"""Bookings (预约) over the API: the desk books for someone on the phone, a provincial booking platform
books on a citizen's behalf with its own ``platform`` token, and the kiosk or the desk checks in.

The use cases are queue_server.app.bookings's. An ID number is taken in a request and hashed with
the server's key (``ID_KEY``) at once; no answer ever carries it, and the phone only masked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, Field

from queue_server.app import bookings
from queue_server.app.once import Once
from queue_server.app.view_fields import documented
from queue_server.app.views import ActionAnswer
from queue_server.auth.accounts import Action, Role
from queue_server.domain.bookings import BookingChannel
from queue_server.domain.tickets import Channel
from queue_server.web.api import _centre, _service, read_body, request_id_of
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.keys import ID_KEY
from queue_server.web.limits import limit_tickets
from queue_server.web.problems import (
    ProblemError,
    answer_response,
    field_errors,
    invalid_request,
    json_response,
    what_failed,
    with_body,
)
from queue_server.web.routes import Access, Route

BOOK = Access(Action.BOOK)
CHECK_IN = Access(Action.CHECK_IN)

IdNumber = Field(
    min_length=15, max_length=20, description="The citizen's resident ID number; only its keyed hash is kept"
)


class SlotsQuery(BaseModel):
    matter: str = Field(min_length=1, max_length=40, description="The matter's code")
    day: dt.date = Field(description="The local day, YYYY-MM-DD")


class BookBody(ActionBody):
    matter: str = Field(min_length=1, max_length=40, description="The matter's code")
    start: AwareDatetime = Field(description="The slot's start, as the slots list gives it")
    id_number: str = IdNumber
    phone: str = Field(min_length=6, max_length=24, description="A mobile number; kept masked only")


class MoveBody(ActionBody):
    start: AwareDatetime = Field(description="The new slot's start, of the same matter")


class CheckInBody(ActionBody):
    code: str | None = Field(
        default=None, min_length=8, max_length=8, description="The booking's code, typed or read from its QR"
    )
    id_number: str | None = Field(default=None, min_length=15, max_length=20, description="Or the ID number")


@documented
class CheckInAnswer(ActionAnswer):
    """A check-in: the ticket it issued, the booking, and what to tell the citizen"""

    booking: bookings.BookingView
    arrival: Literal["on_time", "late"]
    """on_time: a booked ticket, called first once its slot begins; late: a walk-in ticket"""
    message: str
    message_en: str


async def list_slots(request: web.Request) -> web.StreamResponse:
    query = SlotsQuery.model_validate(dict(request.query))
    return json_response(await bookings.slots(_service(request), _centre(request), query.matter, query.day))


async def book(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = BookBody.model_validate(await read_body(request))
    channel = BookingChannel.API if principal.role is Role.PLATFORM else BookingChannel.DESK
    asked = bookings.BookingAsked(body.matter, body.start.astimezone(dt.UTC), body.id_number, body.phone, channel)
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    answer = await bookings.book(_service(request), once, asked, request.app[ID_KEY])
    return answer_response(request, answer)


async def read_booking(request: web.Request) -> web.StreamResponse:
    booking = await bookings.booking_by_code(_service(request), _centre(request), request.match_info["code"])
    return json_response(bookings.booking_view(booking))


async def cancel(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = ActionBody.model_validate(await read_body(request))
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    return answer_response(request, await bookings.cancel(_service(request), once, request.match_info["code"]))


async def move(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = MoveBody.model_validate(await read_body(request))
    once = Once(_centre(request), principal.actor, request_id_of(request, body))
    start = body.start.astimezone(dt.UTC)
    return answer_response(request, await bookings.move(_service(request), once, request.match_info["code"], start))


async def check_in(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = CheckInBody.model_validate(await read_body(request))
    if (body.code is None) == (body.id_number is None):
        message = "give the booking's code or the ID number, one of them"
        raise ProblemError(invalid_request(what_failed(request), field_errors([("code", message)])))
    centre, request_id = _centre(request), request_id_of(request, body)
    service = _service(request)
    await limit_tickets(
        request, centre, principal, request_id
    )  # a kiosk trying ID numbers is stopped like one taking tickets
    booking = await bookings.find_for_check_in(
        service, centre, code=body.code, id_number=body.id_number, key=request.app[ID_KEY]
    )
    channel = Channel.KIOSK if principal.role is Role.KIOSK else Channel.DESK
    done = await bookings.check_in(service, Once(centre, principal.actor, request_id), booking, channel)
    answer = done.answer
    if answer.ok and done.arrival is not None:
        late = (await service.centre(centre)).bookings.late_minutes
        zh, en = bookings.arrival_words(done.arrival, late)
        checked = bookings.booking_view(await bookings.booking_by_code(service, centre, booking.code))
        shown: dict[str, Any] = {
            **answer.body,
            "booking": checked,
            "arrival": done.arrival.value,
            "message": zh,
            "message_en": en,
        }
        answer = with_body(answer, shown)
    return answer_response(request, answer)


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/booking-slots",
        operation_id="list_booking_slots",
        summary="List a matter's bookable slots of a day, with the places left",
        handler=list_slots,
        access=BOOK,
        tag="bookings",
        response=bookings.SlotsView,
        query=SlotsQuery,
        description="Empty when the matter takes no bookings that day (a holiday, or no slots in the centre file).",
    ),
    Route(
        method="POST",
        path="/centres/{centre}/bookings",
        operation_id="book",
        summary="Book a slot for a citizen",
        handler=book,
        access=BOOK,
        tag="bookings",
        response=bookings.BookingView,
        status=201,
        body=BookBody,
        action=True,
        description=(
            "The desk (for someone on the phone) or a provincial booking platform (its platform token). 409 when"
            " the slot is full, has begun or is too far ahead, or the person has the most active bookings"
            " already; the ID number is kept only as a keyed hash, the phone masked."
        ),
    ),
    Route(
        method="GET",
        path="/centres/{centre}/bookings/{code}",
        operation_id="get_booking",
        summary="Read a booking by its code",
        handler=read_booking,
        access=BOOK,
        tag="bookings",
        response=bookings.BookingView,
    ),
    Route(
        method="POST",
        path="/centres/{centre}/bookings/{code}/cancel",
        operation_id="cancel_booking",
        summary="Cancel a booking",
        handler=cancel,
        access=BOOK,
        tag="bookings",
        response=bookings.BookingView,
        body=ActionBody,
        action=True,
        description="Until the centre's latest cancellation before the slot; 409 later or when not active.",
    ),
    Route(
        method="POST",
        path="/centres/{centre}/bookings/{code}/move",
        operation_id="move_booking",
        summary="Move a booking to another slot of its matter",
        handler=move,
        access=BOOK,
        tag="bookings",
        response=bookings.BookingView,
        body=MoveBody,
        action=True,
        description="Until the latest cancellation before its slot, to a slot with a place left.",
    ),
    Route(
        method="POST",
        path="/centres/{centre}/check-in",
        operation_id="check_in",
        summary="Check a booking in by its code or the ID number: a booked ticket, or a walk-in one when late",
        handler=check_in,
        access=CHECK_IN,
        tag="bookings",
        response=CheckInAnswer,
        status=201,
        body=CheckInBody,
        action=True,
        rate_limited=True,
        description=(
            "From the centre's early minutes before the slot to its late minutes after it: a ticket called"
            " before walk-ins once the slot begins. Later, a walk-in ticket, and the answer says so plainly."
        ),
    ),
]
