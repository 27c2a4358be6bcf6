"""The public booking page (预约办事) of a centre, phone-sized, in Chinese and English: ``/book/{centre}``.

It lists what the centre takes bookings for, in which slots, and the rules (how far ahead, the
latest cancellation, the check-in window and what happens to a late arrival). A booking from this
page needs the mobile number confirmed by a code texted to it (queue_server.app.booking_codes): at a
centre that texts codes the page books, shows the booking's code and QR, and cancels or moves a
booking (static/book.js, through the public API); at one that does not, it says that bookings are
made at the consultation desk or by phone, where staff book for the citizen.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from queue_server.app.booking_codes import codes_offered
from queue_server.app.bookings import booking_by_code
from queue_server.domain.booking_rules import BookableMatter
from queue_server.domain.centre import Centre, clock_text
from queue_server.domain.errors import NotFound
from queue_server.http_common.keys import SERVICE
from queue_server.pages.book_words import BOOK_WORDS
from queue_server.pages.page_status import qr_svg
from queue_server.pages.render import language_of, render
from queue_server.pages.routes import PageRoute
from queue_server.pages.wording import words


def bookable_matters(centre: Centre, said: dict[str, str], english: bool) -> list[dict[str, Any]]:
    """Each matter that takes bookings, with its slots and extended slots (延时服务) as the page says them."""
    shown = []
    for matter in centre.matters:
        rules: BookableMatter | None = next((b for b in centre.bookings.matters if b.matter == matter.code), None)
        rules = rules or next((b for b in centre.bookings.matters if b.prefix == matter.prefix), None)
        if rules is None:
            continue
        shown.append(
            {
                "code": matter.code,
                "name": (matter.name_en or matter.name) if english else matter.name,
                "slots": [f"{clock_text(s.start)}–{clock_text(s.end)}" for s in rules.slots],
                "extended": [
                    said["book_extended"].format(
                        days=("、" if not english else ", ").join(said[f"day_{day}"] for day in s.days),
                        start=clock_text(s.start),
                        end=clock_text(s.end),
                    )
                    for s in rules.extended
                ],
            }
        )
    return shown


async def book_page(request: web.Request) -> web.StreamResponse:
    said = words(language_of(request), BOOK_WORDS)
    service = request.app[SERVICE]
    try:
        hall = await service.hall(request.match_info["centre"])
    except NotFound:
        return render(
            request,
            "error.html",
            title=said["book_missing"],
            page_words=BOOK_WORDS,
            heading=said["book_missing"],
            detail=said["book_missing_detail"],
            status=404,
        )
    centre, english = hall.centre, language_of(request) == "en"
    info = centre.centre
    matters = bookable_matters(centre, said, english)
    codes = codes_offered(service.notifier, centre.code) and bool(matters)
    today = hall.calendar.local_date(service.clock.now())
    data: dict[str, Any] = {"public": True}
    if codes:  # what the booking form needs: the matters, the days one may book, the centre's clock
        data |= {
            "centre": centre.code,
            "time_zone": info.time_zone,
            "matters": [{"code": m["code"], "name": m["name"]} for m in matters],
            "today": today.isoformat(),
            "last_day": (today + dt.timedelta(days=centre.bookings.ahead_days)).isoformat(),
        }
    return render(
        request,
        "book.html",
        title=said["book_title"],
        page_words=BOOK_WORDS,
        data=data,
        centre_name=(info.name_en or info.name) if english else info.name,
        address=info.address,
        phone=info.phone,
        matters=matters,
        rules=centre.bookings,
        codes=codes,
        reminder_days=centre.bookings.keep_days,
    )


async def booking_qr(request: web.Request) -> web.StreamResponse:
    """The booking's QR code: its code, as the kiosk's scanner types it at check-in."""
    try:
        booking = await booking_by_code(request.app[SERVICE], request.match_info["centre"], request.match_info["code"])
    except NotFound:
        raise web.HTTPNotFound(text="No booking has this code") from None
    return web.Response(body=qr_svg(booking.code), content_type="image/svg+xml", headers={"Cache-Control": "private"})


ROUTES: list[PageRoute] = [
    PageRoute(method="GET", path="/book/{centre}", name="book", handler=book_page, roles=None),
    PageRoute(
        method="GET",
        path="/book/{centre}/booking/{code}/qr.svg",
        name="booking_qr",
        handler=booking_qr,
        roles=None,
        html=False,
    ),
]
