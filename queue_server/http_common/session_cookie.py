"""The session cookie on requests: who it stands for, its CSRF value, setting and clearing it.

The pages call the same JSON API as scripts do; a request that carries the session cookie and no
``Authorization`` header acts for the session's account. A request that changes something must
then also carry the session's CSRF value, in the ``X-CSRF-Token`` header (the pages' script) or in
a ``csrf`` form field (a plain form): another site can make the browser send the cookie, but it
cannot read the value. The cookie is HTTP-only and ``SameSite=Lax``, and ``Secure`` whenever the
request came over HTTPS, directly or through a proxy that says so in ``X-Forwarded-Proto``.

How a refusal is told is each adapter's: the API answers a problem (queue_server.web.session_auth),
a page's form a plain 403 (:func:`check_form_csrf`).
"""

from __future__ import annotations

import secrets

from aiohttp import web

from queue_server.auth.sessions import SESSION_COOKIE, Session, find_session, needs_touch, touch_session
from queue_server.http_common.keys import DATABASE, SERVICE, SESSION

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


def csrf_matches(session: Session, sent: str) -> bool:
    """Whether ``sent`` is the session's CSRF value (compared in constant time)."""
    return bool(sent) and secrets.compare_digest(sent, session.csrf)


def check_form_csrf(session: Session, sent: str) -> None:
    """A page's form or request: a plain 403 unless it carried the session's CSRF value."""
    if not csrf_matches(session, sent):
        raise web.HTTPForbidden(text="The form did not carry this session's CSRF value; reload the page and try again")


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
