"""The kiosk (取号机) at the hall entrance and in the 24-hour self-service area: a touch screen for citizens.

Only an enrolled kiosk PC opens it (its year-long kiosk session); the centre is the kiosk's own.
The page does its work through the API with that session: it reads the centre's matters, issues
the ticket (with the green-channel category when the citizen asks for it), and reads how the
ticket printed, to say "take your ticket" or, when the printer cannot print, to ask the citizen to
photograph the ticket on the screen.

For the elderly and the disabled (适老化): a large-text, high-contrast mode one tap away, and spoken
guidance in the hall board's voice (:mod:`queue_server.pages.kiosk_voice`, ``/kiosk/voice``).

全城通办: when a ticket cannot be had here because no window for the matter is open or its tickets
are gone for today, the page asks the API which other centres serve it and shows where they are and
how many wait there. A matter this centre does not serve at all is not on its menu; the server hands
the page those matters (served at other centres of the deployment), so a citizen who searches for one
is told where to go instead of "nothing found".

Before a tap the page reads whether each matter can be issued now (``.../issuing``, the hall's own
rule): a closed hall shows its next opening and hours, a matter that cannot be had shows why. A
kiosk the centre file places in the 24-hour self-service area (``self_service_area``) shows the
matters' guides while the hall is closed; it issues no ticket until the hall opens.
"""

from __future__ import annotations

from aiohttp import web

from queue_server.app.elsewhere import other_halls
from queue_server.http_common.keys import DATABASE, SERVICE
from queue_server.http_common.session_cookie import session_of
from queue_server.pages.guide_words import FORM_WORDS, GUIDE_WORDS
from queue_server.pages.kiosk_voice import kiosk_voice
from queue_server.pages.kiosk_words import WORDS
from queue_server.pages.render import language_of, render
from queue_server.pages.routes import KIOSK, PageRoute
from queue_server.pages.wording import Language, words

KIOSK_WORDS: dict[Language, dict[str, str]] = {
    "zh": {**GUIDE_WORDS["zh"], **FORM_WORDS["zh"], **WORDS["zh"]},
    "en": {**GUIDE_WORDS["en"], **FORM_WORDS["en"], **WORDS["en"]},
}
"""The kiosk's own words over a matter's guide's (its guide screen shows the whole guide)."""


async def kiosk_page(request: web.Request) -> web.StreamResponse:
    session = await session_of(request)
    assert session is not None, "the page middleware lets only a kiosk session through"
    if not session.principal.centres:
        raise web.HTTPForbidden(text="This kiosk's token names no centre; enrol it again with a centre's kiosk token")
    centre = session.principal.centres[0]
    service = request.app[SERVICE]
    config = (await service.hall(centre)).centre
    info = config.centre
    elsewhere: dict[str, dict[str, str]] = {}
    for hall in await other_halls(service, request.app[DATABASE], centre):
        for matter in hall.centre.matters:
            if matter.code not in config.matters_by_code and matter.code not in elsewhere:
                elsewhere[matter.code] = {"code": matter.code, "name": matter.name, "name_en": matter.name_en}
    english = language_of(request) == "en" and info.name_en
    device = config.devices_by_id.get(session.principal.subject)
    return render(
        request,
        "kiosk.html",
        title=words(language_of(request), WORDS)["kiosk_title"],
        page_words=KIOSK_WORDS,
        centre_name=info.name_en if english else info.name,
        data={
            "centre": centre,
            "kiosk": session.principal.subject,
            "self_service": device is not None and device.self_service_area,
            "time_zone": info.time_zone,
            "elsewhere_matters": sorted(elsewhere.values(), key=lambda m: m["code"]),
            "bookings": bool(config.bookings.matters),
            "real_name_per_day": config.policy.real_name_tickets_per_day,
            "green_channel_age": config.policy.green_channel_age,
        },
        sms_consent=service.notifier.consent_words(centre, english=bool(english))
        if service.notifier.offers(centre)
        else None,
    )


ROUTES: list[PageRoute] = [
    PageRoute(method="GET", path="/kiosk", name="kiosk", handler=kiosk_page, roles=KIOSK),
    PageRoute(method="GET", path="/kiosk/voice", name="kiosk_voice", handler=kiosk_voice, roles=KIOSK, html=False),
]
