"""A matter's service guide (办事指南) as a page of its own: public, on a phone or printed on A4.

The kiosk's guide screen, the ticket's page and this page show the same guide (一次性告知): the
materials with their form and copies, the windows, the time limits, the procedure, the fees, the
result and where it is collected, and the laws it rests on. A matter whose guide was never
entered says so instead of showing an empty page.
"""

from __future__ import annotations

from aiohttp import web

from queue_server.domain.errors import NotFound
from queue_server.http_common.keys import SERVICE
from queue_server.pages.guide_view import shown_guide
from queue_server.pages.guide_words import GUIDE_WORDS
from queue_server.pages.render import language_of, render
from queue_server.pages.routes import PageRoute
from queue_server.pages.wording import words


async def guide_page(request: web.Request) -> web.StreamResponse:
    language = language_of(request)
    said = words(language, GUIDE_WORDS)
    try:
        centre = await request.app[SERVICE].centre(request.match_info["centre"])
    except NotFound:
        centre = None
    matter = centre.matters_by_code.get(request.match_info["matter"]) if centre is not None else None
    if centre is None or matter is None:
        return render(
            request,
            "error.html",
            title=said["guide_not_found"],
            page_words=GUIDE_WORDS,
            heading=said["guide_not_found"],
            detail=said["guide_not_found_detail"],
            status=404,
        )
    english = language == "en"
    shown = shown_guide(centre, matter, said, english=english)
    info = centre.centre
    centre_line = (
        said["guide_centre"]
        .replace("{centre}", (info.name_en or info.name) if english else info.name)
        .replace("{address}", info.address or "—")
        .replace("{phone}", info.phone or "—")
    )
    return render(
        request,
        "guide.html",
        title=said["guide_page_title"].replace("{matter}", shown.matter),
        page_words=GUIDE_WORDS,
        shown=shown,
        centre_line=centre_line,
    )


ROUTES = [
    PageRoute(method="GET", path="/guide/{centre}/{matter}", name="matter_guide", handler=guide_page, roles=None),
]
