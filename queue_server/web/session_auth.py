"""The session cookie on API requests: the session's account acts, and a change needs its CSRF value.

The cookie, its lookup and the CSRF value are shared with the pages (queue_server.http_common
.session_cookie); here the API's side: which requests it authenticates, and a refusal as a
problem (401 when the session has ended, 403 on a missing or wrong CSRF value).
"""

from __future__ import annotations

from aiohttp import hdrs, web

from queue_server.auth.sessions import Session
from queue_server.http_common.session_cookie import (
    CSRF_HEADER,
    SAFE_METHODS,
    csrf_matches,
    has_session_cookie,
    session_of,
)
from queue_server.web.problems import ProblemError, forbidden, unauthorized, what_failed


async def session_principal(request: web.Request) -> Session:
    """The session behind an API request that came without a token; 401 when it has ended, 403 on a bad CSRF."""
    session = await session_of(request)
    if session is None:
        raise unauthorized(f"{what_failed(request)}: the session has ended; log in again")
    if request.method not in SAFE_METHODS and not csrf_matches(session, request.headers.get(CSRF_HEADER, "")):
        raise csrf_refused(request)
    return session


def csrf_refused(request: web.Request) -> ProblemError:
    return forbidden(
        f"{what_failed(request)}: the request did not carry this session's {CSRF_HEADER} value;"
        " reload the page and try again"
    )


def wants_session(request: web.Request) -> bool:
    """An API request authenticated by the session cookie: no Authorization header, and the cookie."""
    return not request.headers.get(hdrs.AUTHORIZATION) and has_session_cookie(request)
