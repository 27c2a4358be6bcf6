"""A rating pad on a tablet, over the API: what its window asks to be rated, and the rating.

The same rules as the hardware pad on the bus (queue_server.bus.requests): a pad rates only the
tickets of its own window, once each, while the request is open; its rating is recorded as
``pad:<id>``. A tablet holds its pad's device token (enrolled at /kiosk/enrol) and may use only
its own pad's routes. Unlike the hardware pad, the tablet can also send the reasons of a bad
rating and a comment, as the ticket's own page does.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from queue_server.app.commands import ITEMS_DESCRIPTION, RateTicket
from queue_server.app.view_fields import Instant, documented
from queue_server.app.views import ActionAnswer, PadState, ShownStaffView, pad_view, shown_staff
from queue_server.auth.accounts import Action
from queue_server.domain.centre import Device
from queue_server.domain.devices import DeviceKind
from queue_server.domain.errors import NotFound
from queue_server.domain.hall import Hall
from queue_server.domain.ratings import RatingItem, RatingLevel
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.web.api import _centre, _service, read_body, request_id_of
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.problems import answer_response, forbidden, json_response, what_failed
from queue_server.web.routes import Access, Route

PAD_ACCESS = Access(Action.PAD)


async def _own_pad(request: web.Request) -> tuple[Device, int, Hall]:
    """The pad of the path (the token's own, bound to a window), its window and the hall read for it."""
    principal = principal_of(request)
    device_id = request.match_info["device"]
    if principal.subject != device_id:
        raise forbidden(
            f"{what_failed(request)}: this token is rating pad {principal.subject!r}'s, not {device_id!r}'s"
        )
    hall = await _service(request).hall(_centre(request))
    device = hall.centre.devices_by_id.get(device_id)
    if device is None or device.kind is not DeviceKind.PAD or device.window is None:
        raise NotFound(
            f"There is no rating pad {device_id!r} at a window of {hall.centre.name}", RefusalCode.PAD_NOT_FOUND
        )
    return device, device.window, hall


@documented
class PadView(PadState):
    """What a rating pad shows: idle, or the open rating request of its window"""

    device: str
    window_name: str
    shown_staff: ShownStaffView | None
    """Who serves at the window, as the centre's policy shows them; null when it is closed"""
    reasons: list[str]
    at: Instant


async def get_pad(request: web.Request) -> web.StreamResponse:
    device, number, hall = await _own_pad(request)
    view = pad_view(hall, number)
    window = hall.centre.windows_by_number[number]
    shown: PadView = {
        **view,
        "device": device.id,
        "window_name": window.name,
        "shown_staff": shown_staff(hall.centre, hall.window(number)),
        "reasons": list(hall.centre.policy.bad_rating_reasons),
        "at": hall.clock.now().isoformat(),
    }
    return json_response(shown)


class PadRatingBody(ActionBody):
    serial: int = Field(ge=1, description="The ticket the pad's open request is for")
    level: RatingLevel = Field(description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    reasons: tuple[str, ...] = Field(
        default=(), max_length=10, description="For 不满意 and 非常不满意: from the centre's list"
    )
    comment: str = Field(default="", max_length=500, description="What the citizen wrote, if anything")
    items: dict[RatingItem, RatingLevel] = Field(default_factory=dict, description=ITEMS_DESCRIPTION)


async def rate(request: web.Request) -> web.StreamResponse:
    device, number, _ = await _own_pad(request)
    body = PadRatingBody.model_validate(await read_body(request))
    request_id = request_id_of(request, body)
    command = RateTicket(
        serial=body.serial,
        level=body.level,
        window=number,
        source=f"pad:{device.id}",
        reasons=body.reasons,
        comment=body.comment,
        items=body.items,
    )
    answer = await _service(request).act(_centre(request), command, actor=f"device:{device.id}", request_id=request_id)
    return answer_response(request, answer)


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/pads/{device}",
        operation_id="get_pad",
        summary="Read what a rating pad shows",
        handler=get_pad,
        access=PAD_ACCESS,
        tag="ratings",
        response=PadView,
        description="Only the pad's own device token: the window's open rating request, or idle.",
    ),
    Route(
        method="POST",
        path="/centres/{centre}/pads/{device}/rating",
        operation_id="rate_from_pad",
        summary="Rate a ticket from a rating pad",
        handler=rate,
        access=PAD_ACCESS,
        tag="ratings",
        response=ActionAnswer,
        body=PadRatingBody,
        action=True,
        description=(
            "The pad's own device token rates its window's ticket while the request is open, once; recorded"
            " as pad:<id>. Reasons go with 不满意 or 非常不满意 and come from the centre's list."
        ),
    ),
]
