"""The page routes, the middleware that guards them, and their static files.

:func:`page_routes` is the one list of page routes (the shared ones here, and each screen's listed
in queue_server.pages.screens): registered here, walked by the access test.
A protected page opened without a session sends the browser to log in (a kiosk page to the
kiosk's enrolment), a role the route does not name gets a 403 page, and a form or request that
changes something must carry the session's CSRF value.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cache
from importlib import resources

from aiohttp import web

from queue_server.http_common.keys import SERVICE
from queue_server.http_common.session_cookie import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, check_form_csrf, session_of
from queue_server.pages import live
from queue_server.pages.kiosk_voice import KIOSK_VOICE, KioskVoice
from queue_server.pages.login import enrol, enrol_form, home, login, login_form, login_redirect, logout
from queue_server.pages.render import language_of, render
from queue_server.pages.routes import ENROLLED, LISTENERS, PageHandler, PageRoute
from queue_server.pages.screens import SCREENS
from queue_server.pages.wording import words

PAGE_INDEX = web.AppKey("page_index", dict[web.AbstractRoute, PageRoute])


STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".png": "image/png"}


def _routes() -> list[PageRoute]:
    return [
        PageRoute(method="GET", path="/", name="home", handler=home, roles=None),
        PageRoute(method="GET", path="/login", name="login_form", handler=login_form, roles=None),
        PageRoute(method="POST", path="/login", name="login", handler=login, roles=None, html=False),
        PageRoute(method="POST", path="/logout", name="logout", handler=logout, roles=None, html=False),
        PageRoute(method="GET", path="/kiosk/enrol", name="kiosk_enrol_form", handler=enrol_form, roles=None),
        PageRoute(method="POST", path="/kiosk/enrol", name="kiosk_enrol", handler=enrol, roles=None, html=False),
        PageRoute(
            method="GET",
            path="/live/centres/{centre}",
            name="live_centre",
            handler=live.centre_stream,
            roles=LISTENERS,
            html=False,
        ),
        PageRoute(
            method="GET",
            path="/live/ticket/{token}",
            name="live_ticket",
            handler=live.ticket_stream,
            roles=None,
            html=False,
        ),
    ]


@cache
def page_routes() -> tuple[PageRoute, ...]:
    """Every page route: the shared ones above and each screen's (queue_server.pages.screens)."""
    return (*_routes(), *(route for screen in SCREENS for route in screen.routes))


def forbidden_page(request: web.Request, role: str) -> web.Response:
    said = words(language_of(request))
    return render(
        request,
        "error.html",
        title=said["not_allowed"],
        heading=said["not_allowed"],
        detail=said["not_allowed_detail"].format(role=role),
        status=403,
    )


@web.middleware
async def page_middleware(request: web.Request, handler: PageHandler) -> web.StreamResponse:
    route = request.app[PAGE_INDEX].get(request.match_info.route)
    if route is None or route.roles is None:
        return await handler(request)
    session = await session_of(request)
    if session is None:
        if route.html and request.method == "GET":
            if route.roles <= ENROLLED:
                raise web.HTTPSeeOther("/kiosk/enrol")
            raise login_redirect(request)
        raise web.HTTPUnauthorized(text=words(language_of(request))["session_ended"])
    principal = session.principal
    centre = request.match_info.get("centre")
    if principal.role not in route.roles or (centre is not None and not principal.may_see(centre)):
        return forbidden_page(request, principal.role.value)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            sent = str((await request.post()).get(CSRF_FIELD, ""))
        check_form_csrf(session, sent)
    return await handler(request)


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    suffix = name[name.rfind(".") :] if "." in name else ""
    folder = resources.files("queue_server.pages") / "static"
    if suffix not in STATIC_TYPES or "/" in name or name.startswith(".") or not (folder / name).is_file():
        raise web.HTTPNotFound()
    body = (folder / name).read_bytes()
    return web.Response(body=body, content_type=STATIC_TYPES[suffix], headers={"Cache-Control": "no-cache"})


def add_pages(app: web.Application) -> None:
    """Register every page route, its static files and the live feed on ``app`` (which has SERVICE at start)."""
    index: dict[web.AbstractRoute, PageRoute] = {}
    for route in page_routes():
        index[app.router.add_route(route.method, route.path, route.handler, name=f"page_{route.name}")] = route
    app.router.add_get("/static/{name}", static, name="page_static")
    app[PAGE_INDEX] = index
    app[KIOSK_VOICE] = KioskVoice()
    app.middlewares.append(page_middleware)

    async def feed(app: web.Application) -> AsyncIterator[None]:
        async with live.ChangeFeed(app[SERVICE]) as change_feed:
            app[live.FEED] = change_feed
            yield

    app.cleanup_ctx.append(feed)

    async def end_streams(app: web.Application) -> None:
        app[live.FEED].end_streams()

    app.on_shutdown.append(end_streams)
