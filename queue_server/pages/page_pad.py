"""A rating pad on a tablet (/pad/<id>): the five levels of 好差评 for its window, as the hardware pad.

Only a tablet enrolled with that pad's device token opens it. The buttons light only while the
window has an open rating request; a tap rates that ticket once (the API's pad routes), a bad level
first asks the reasons from the centre's list. It listens to the centre's live stream, so the
request shows the moment the window finishes a ticket.
"""

from __future__ import annotations

from aiohttp import web

from queue_server.domain.devices import DeviceKind
from queue_server.http_common.keys import SERVICE
from queue_server.http_common.session_cookie import session_of
from queue_server.pages.pad_words import WORDS
from queue_server.pages.render import language_of, render
from queue_server.pages.routes import PAD, PageRoute
from queue_server.pages.wording import words


async def pad_page(request: web.Request) -> web.StreamResponse:
    session = await session_of(request)
    assert session is not None, "the page middleware lets only an enrolled pad through"
    device_id = request.match_info["device"]
    principal = session.principal
    if principal.subject != device_id or not principal.centres:
        raise web.HTTPForbidden(text=f"This tablet is enrolled as {principal.subject!r}, not {device_id!r}")
    centre = principal.centres[0]
    config = (await request.app[SERVICE].hall(centre)).centre
    device = config.devices_by_id.get(device_id)
    if device is None or device.kind is not DeviceKind.PAD or device.window is None:
        raise web.HTTPNotFound(text=f"{device_id!r} is no rating pad at a window of {config.centre.name}")
    window = config.windows_by_number[device.window]
    return render(
        request,
        "pad.html",
        title=words(language_of(request), WORDS)["pad_title"],
        page_words=WORDS,
        window_label=f"{window.number}号窗口 {window.name}",
        data={
            "centre": centre,
            "device": device_id,
            "window": device.window,
            "kiosk": device_id,
            "time_zone": config.centre.time_zone,
        },
    )


ROUTES: list[PageRoute] = [PageRoute(method="GET", path="/pad/{device}", name="pad", handler=pad_page, roles=PAD)]
