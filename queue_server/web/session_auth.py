"""The session cookie on requests: who it stands for, its CSRF check, setting and clearing it.

The pages call the same JSON API as scripts do; a request that carries the session cookie and no
``Authorization`` header acts for the session's account. A request that changes something must
then also carry the session's CSRF value, in the ``X-CSRF-Token`` header (the pages' script) or in
a ``csrf`` form field (a plain form): another site can make the browser send the cookie, but it
cannot read the value. The cookie is HTTP-only and ``SameSite=Lax``, and ``Secure`` whenever the
request came over HTTPS, directly or through a proxy that says so in ``X-Forwarded-Proto``.
"""

from __future__ import annotations

import secrets

from aiohttp import hdrs, web

from queue_server.auth.sessions import SESSION_COOKIE, Session, find_session, needs_touch, touch_session
from queue_server.web.keys import DATABASE, SERVICE, SESSION
from queue_server.web.problems import ProblemError, forbidden, unauthorized, what_failed
from queue_server.web.routes import API_PREFIX

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_LOOKED_UP = web.RequestKey("session_looked_up", bool)


def has_session_cookie(request: web.Request) -> bool:
    return bool(request.cookies.get(SESSION_COOKIE))


async def session_of(request: web.Request) -> Session | None:
    """The request's live session (looked up once per request), or None; slides its end once a minute."""
    if request.get(_LOOKED_UP):
        return request.get(SESSION)
    request[_LOOKED_UP] = True
    key = request.cookies.get(SESSION_COOKIE, "")
    if not key:
        return None
    now = request.app[SERVICE].clock.now()
    async with request.app[DATABASE].read() as conn:
        session = await find_session(conn, key, now)
    if session is None:
        return None
    if needs_touch(session, now):
        async with request.app[DATABASE].write() as conn:
            await touch_session(conn, session, now)
    request[SESSION] = session
    return session


async def session_principal(request: web.Request) -> Session:
    """The session behind an API request that came without a token; 401 when it has ended, 403 on a bad CSRF."""
    session = await session_of(request)
    if session is None:
        raise unauthorized(f"{what_failed(request)}: the session has ended; log in again")
    if request.method not in SAFE_METHODS:
        check_csrf(request, session, request.headers.get(CSRF_HEADER, ""))
    return session


def check_csrf(request: web.Request, session: Session, sent: str) -> None:
    if not sent or not secrets.compare_digest(sent, session.csrf):
        raise csrf_refused(request)


def csrf_refused(request: web.Request) -> ProblemError | web.HTTPForbidden:
    """A problem for the API; a plain 403 for a page's form (pages keep aiohttp's own errors)."""
    if not request.path.startswith(API_PREFIX):
        return web.HTTPForbidden(text="The form did not carry this session's CSRF value; reload the page and try again")
    return forbidden(
        f"{what_failed(request)}: the request did not carry this session's {CSRF_HEADER} value;"
        " reload the page and try again"
    )


def is_https(request: web.Request) -> bool:
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def set_session_cookie(response: web.StreamResponse, request: web.Request, key: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        key,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
    )


def clear_session_cookie(response: web.StreamResponse, request: web.Request) -> None:
    response.del_cookie(SESSION_COOKIE, path="/", secure=is_https(request), httponly=True, samesite="Lax")


def wants_session(request: web.Request) -> bool:
    """An API request authenticated by the session cookie: no Authorization header, and the cookie."""
    return not request.headers.get(hdrs.AUTHORIZATION) and has_session_cookie(request)
