"""Bearer tokens to principals, and who may use which route.

Scripts, kiosk PCs, the consultation desk and staff tools send ``Authorization: Bearer <token>``.
:func:`bearer_middleware` looks the token up (in a read transaction, unless it was verified in the
last seconds: queue_server.auth.verified_tokens bounds how long a revoked token goes on working),
keeps the principal under :data:`~queue_server.web.keys.PRINCIPAL`, and refuses before any handler
runs:

- 401 (with ``WWW-Authenticate``) when a protected route gets no token or one that does not work;
- 403 when the token's role is not in the route's group, or the centre is outside its scope.

A browser's page sends no token but its session cookie (queue_server.web.session_auth), and, on
every request that changes something, the session's CSRF value.

Public routes (health, the OpenAPI document, a ticket's status page and its cancel) ask for no
token; the status token in their path is their proof. That a staff member acts only at the window
signed on to is the domain's rule, checked through the principal's actor string.
"""

from __future__ import annotations

from aiohttp import hdrs, web

from queue_server.auth.accounts import ACTION_ROLES, Principal, authenticate_token
from queue_server.web.keys import DATABASE, PRINCIPAL, ROUTE_INDEX, VERIFIED_TOKENS
from queue_server.web.problems import forbidden, unauthorized, what_failed
from queue_server.web.routes import Access, Handler, Route
from queue_server.web.session_auth import session_principal, wants_session


def bearer_token(request: web.Request) -> str:
    """The token of the ``Authorization`` header; 401 when there is none or it is not a bearer token."""
    header = request.headers.get(hdrs.AUTHORIZATION, "").strip()
    if not header:
        raise unauthorized(f"{what_failed(request)}: no token came; send Authorization: Bearer <token>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized(
            f"{what_failed(request)}: the Authorization header must read Bearer <token>,"
            f" not {scheme or 'an empty scheme'}"
        )
    return token.strip()


async def authenticate(request: web.Request) -> Principal:
    """The request's principal, looked up once and kept on the request."""
    known: Principal | None = request.get(PRINCIPAL)
    if known is not None:
        return known
    if wants_session(request):
        session = await session_principal(request)
        request[PRINCIPAL] = session.principal
        return session.principal
    token = bearer_token(request)
    verified = request.app.get(VERIFIED_TOKENS)
    principal = verified.get(token) if verified is not None else None
    if principal is None:
        async with request.app[DATABASE].read() as conn:
            principal = await authenticate_token(conn, token)
        if principal is not None and verified is not None:
            verified.put(token, principal)
    if principal is None:
        raise unauthorized(
            f"{what_failed(request)}: the bearer token is unknown, revoked or its account disabled",
            invalid_token=True,
        )
    request[PRINCIPAL] = principal
    return principal


def permits(principal: Principal, access: Access, centre: str | None) -> str | None:
    """Why ``principal`` may not use a route with ``access`` at ``centre``, or None when it may."""
    roles = ACTION_ROLES[access.group] - access.deny
    if principal.role not in roles:
        return f"a {principal.role} token may not do this; it takes a token of: {', '.join(sorted(roles))}"
    if centre is not None and not principal.may_see(centre):
        return f"the token is not for centre {centre!r}"
    return None


def authorize(request: web.Request, route: Route, principal: Principal) -> None:
    """403 unless the principal's role and centres allow the route."""
    assert route.access is not None
    why = permits(principal, route.access, request.match_info.get("centre"))
    if why is not None:
        raise forbidden(f"{what_failed(request)}: {why}")


def principal_of(request: web.Request) -> Principal:
    """The principal the middleware proved; only protected routes have one."""
    try:
        principal: Principal = request[PRINCIPAL]
    except KeyError:
        raise RuntimeError(f"{request.method} {request.path} is a public route: it has no principal") from None
    return principal


@web.middleware
async def bearer_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate and authorize a protected route before its handler runs; leave the rest alone."""
    route = request.app[ROUTE_INDEX].get(request.match_info.route)
    if route is not None and route.access is not None:
        authorize(request, route, await authenticate(request))
    return await handler(request)
