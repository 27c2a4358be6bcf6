"""Logging in and out, the home page that sends each role to its page, and enrolling a kiosk PC.

The login form carries a CSRF value of its own (a cookie and a hidden field that must match), so
another site cannot log a browser into an account of its choosing. Failed logins are limited per
username and per address (queue_server.auth.sessions).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from queue_server.auth.accounts import Principal, Role, verify_login
from queue_server.auth.sessions import (
    KIOSK_LIFETIME,
    PERSON_LIFETIME,
    clear_failures,
    close_session,
    enrolment_token_id,
    login_wait,
    open_session,
    record_failure,
)
from queue_server.http_common.keys import DATABASE, SERVICE
from queue_server.http_common.session_cookie import (
    CSRF_FIELD,
    check_form_csrf,
    clear_session_cookie,
    is_https,
    session_of,
    set_session_cookie,
)
from queue_server.pages.render import language_of, render
from queue_server.pages.wording import words

LOGIN_CSRF_COOKIE = "ow_login_csrf"
KIOSK_ENROL_USERNAME = "~kiosk-enrol"
"""The name failed enrolments are counted under, beside failed logins."""
HOME_OF: dict[Role, str] = {
    Role.STAFF: "/console",
    Role.GUIDE: "/desk",
    Role.MANAGER: "/manager",
    Role.ADMIN: "/manager",
    Role.SUPERVISOR: "/manager",
    Role.KIOSK: "/kiosk",
}


def home_of(principal: Principal) -> str:
    """Where a person or an enrolled screen starts: a rating tablet at its own pad's page."""
    if principal.role is Role.DEVICE:
        return f"/pad/{principal.subject}"
    return HOME_OF.get(principal.role, "/login")


def safe_next(target: str | None, fallback: str) -> str:
    """Only a path of this site: never an address elsewhere (an open redirect)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def login_redirect(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/login?next={quote(request.path_qs)}")


def client_address(request: web.Request) -> str:
    return (request.remote or "unknown")[:64]


async def home(request: web.Request) -> web.StreamResponse:
    session = await session_of(request)
    if session is None:
        raise login_redirect(request)
    raise web.HTTPSeeOther(home_of(session.principal))


def _form_page(request: web.Request, template: str, title: str, path: str, **context: Any) -> web.Response:
    """A form before any session (login, kiosk enrolment), with a CSRF value of its own in a cookie."""
    token = secrets.token_urlsafe(24)
    response = render(request, template, title=title, csrf=token, **context)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, path=path, httponly=True, samesite="Strict", secure=is_https(request))
    return response


def _form_csrf_ok(request: web.Request, form: Mapping[str, Any]) -> bool:
    sent, expected = str(form.get(CSRF_FIELD, "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(sent and expected and secrets.compare_digest(sent, expected))


def _login_page(request: web.Request, *, error: str = "", username: str = "", status: int = 200) -> web.Response:
    title = words(language_of(request))["login_title"]
    next_path = safe_next(request.query.get("next"), "/")
    return _form_page(
        request, "login.html", title, "/login", error=error, username=username, next=next_path, status=status
    )


async def login_form(request: web.Request) -> web.StreamResponse:
    session = await session_of(request)
    if session is not None and session.principal.via != "token":
        raise web.HTTPSeeOther(safe_next(request.query.get("next"), HOME_OF.get(session.principal.role, "/")))
    return _login_page(request)


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    said = words(language_of(request))
    if not _form_csrf_ok(request, form):
        return _login_page(request, error=said["csrf_failed"], status=403)
    username = str(form.get("username", "")).strip().lower()[:64]
    password = str(form.get("password", ""))
    if not username or not password:
        return _login_page(request, error=said["login_missing"], username=username, status=422)
    service, database = request.app[SERVICE], request.app[DATABASE]
    now = service.clock.now()
    address = client_address(request)
    async with database.write() as conn:
        wait = await login_wait(conn, username, address, now)
        if wait is None:
            principal = await verify_login(conn, username, password)
            if principal is None or principal.user_id is None:
                await record_failure(conn, username, address, now)
            else:
                await clear_failures(conn, username)
                key, _ = await open_session(conn, now, user_id=principal.user_id)
    if wait is not None:
        response = _login_page(request, error=said["login_wait"].format(seconds=wait), username=username, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    if principal is None or principal.user_id is None:
        return _login_page(request, error=said["login_failed"], username=username, status=401)
    target = safe_next(str(form.get("next", "")), HOME_OF.get(principal.role, "/"))
    response = web.HTTPSeeOther(target)
    set_session_cookie(response, request, key, int(PERSON_LIFETIME.total_seconds()))
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """Ends the session (a form with the session's CSRF value), then the login page."""
    session = await session_of(request)
    response = web.HTTPSeeOther("/login")
    if session is not None:
        form = await request.post()
        check_form_csrf(session, str(form.get(CSRF_FIELD, "")))
        async with request.app[DATABASE].write() as conn:
            await close_session(conn, request.cookies.get("ow_session", ""))
    clear_session_cookie(response, request)
    raise response


# --- Enrolling a kiosk PC -----------------------------------------------------------------------


def _enrol_page(request: web.Request, *, error: str = "", done: str = "", status: int = 200) -> web.Response:
    title = words(language_of(request))["kiosk_enrol"]
    return _form_page(request, "enrol.html", title, "/kiosk/enrol", error=error, done=done, status=status)


async def enrol_form(request: web.Request) -> web.StreamResponse:
    return _enrol_page(request)


async def enrol(request: web.Request) -> web.StreamResponse:
    """A kiosk's (or a rating tablet's) device token, typed once by a manager, becomes a year-long session."""
    form = await request.post()
    said = words(language_of(request))
    if not _form_csrf_ok(request, form):
        return _enrol_page(request, error=said["csrf_failed"], status=403)
    token = str(form.get("token", "")).strip()
    now = request.app[SERVICE].clock.now()
    address = client_address(request)
    async with request.app[DATABASE].write() as conn:
        wait = await login_wait(conn, KIOSK_ENROL_USERNAME, address, now)
        found = None if wait is not None else await enrolment_token_id(conn, token)
        if wait is None and found is None:
            await record_failure(conn, KIOSK_ENROL_USERNAME, address, now)
        if found is not None:
            key, _ = await open_session(conn, now, token_id=found[0])
    if wait is not None:
        response = _enrol_page(request, error=said["login_wait"].format(seconds=wait), status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    if found is None:
        return _enrol_page(request, error=said["kiosk_enrol_bad"], status=422)
    response = web.HTTPSeeOther(home_of(found[1]))
    set_session_cookie(response, request, key, int(KIOSK_LIFETIME.total_seconds()))
    raise response
