"""A ticket's status page (the citizen's phone, after scanning the ticket's QR code) and that QR code.

Both are public: the ticket's unguessable status token is the proof. The page reads the ticket
through the public status API and follows it live (``/live/ticket/{token}``): position and wait,
the call to a window, cancelling, and the rating (好差评) after service. A token that names no
ticket gets a friendly 404 page, not an error.
"""

from __future__ import annotations

import io
import re

import segno
from aiohttp import web

from queue_server.http_common.keys import DATABASE, SERVICE
from queue_server.pages.guide_view import shown_guide
from queue_server.pages.guide_words import GUIDE_WORDS
from queue_server.pages.render import language_of, render
from queue_server.pages.routes import PageRoute
from queue_server.pages.status_words import WORDS
from queue_server.pages.wording import words
from queue_server.store.contacts import CONSENT_EN, CONSENT_ZH
from queue_server.store.lookup import find_ticket_by_token, matter_of_ticket

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
STATUS_AND_GUIDE = {language: {**WORDS[language], **GUIDE_WORDS[language]} for language in WORDS}
"""The page shows the matter's guide (what to bring) under the ticket."""


async def ticket_of(request: web.Request) -> tuple[str, int] | None:
    """The centre and serial of the path's status token; None for any token that names no ticket."""
    token = request.match_info["token"]
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    async with request.app[DATABASE].read() as conn:
        return await find_ticket_by_token(conn, token)


def status_url(request: web.Request, token: str) -> str:
    """The page's address as printed on the ticket: the public base URL, else this request's origin."""
    base = request.app[SERVICE].public_base_url or str(request.url.origin())
    return f"{base}/ticket/{token}"


def qr_svg(text: str) -> bytes:
    """``text`` as a QR code in SVG, sized by its viewBox so the page can scale it freely."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=1, border=4, omitsize=True, light="#fff", xmldecl=False)
    return out.getvalue()


async def status_page(request: web.Request) -> web.StreamResponse:
    said = words(language_of(request), WORDS)
    found = await ticket_of(request)
    if found is None:
        return render(
            request,
            "error.html",
            title=said["status_missing"],
            page_words=WORDS,
            heading=said["status_missing"],
            detail=said["status_missing_detail"],
            status=404,
        )
    centre = (await request.app[SERVICE].hall(found[0])).centre
    async with request.app[DATABASE].read() as conn:
        matter = centre.matters_by_code.get(await matter_of_ticket(conn, *found) or "")
    table = words(language_of(request), STATUS_AND_GUIDE)
    guide = shown_guide(centre, matter, table, english=language_of(request) == "en") if matter else None
    data = {
        "token": request.match_info["token"],
        "public": True,
        "time_zone": centre.centre.time_zone,
        "reasons": list(centre.policy.bad_rating_reasons),
    }
    consent = CONSENT_EN if language_of(request) == "en" else CONSENT_ZH
    notifier = request.app[SERVICE].notifier
    sms = notifier.offers(centre.code)  # only at a centre that sends SMS
    data["sms"] = sms
    return render(
        request,
        "status.html",
        title=said["status_title"],
        page_words=STATUS_AND_GUIDE,
        data=data,
        consent=consent.format(days=centre.policy.follow_up_days),
        sms_consent=notifier.consent_words(centre.code, english=language_of(request) == "en") if sms else None,
        guide=guide,
        guide_url=f"/guide/{centre.code}/{matter.code}" if matter else None,
    )


async def status_qr(request: web.Request) -> web.StreamResponse:
    if await ticket_of(request) is None:
        raise web.HTTPNotFound(text="No ticket has this status token")
    svg = qr_svg(status_url(request, request.match_info["token"]))
    return web.Response(body=svg, content_type="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"})


ROUTES: list[PageRoute] = [
    PageRoute(method="GET", path="/ticket/{token}", name="ticket_status", handler=status_page, roles=None),
    PageRoute(method="GET", path="/ticket/{token}/qr.svg", name="ticket_qr", handler=status_qr, roles=None, html=False),
]
