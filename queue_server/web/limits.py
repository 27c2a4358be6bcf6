"""The ticket limits at the HTTP edge: 429 with ``Retry-After`` and the reason in Chinese and English.

A request is counted against its kiosk (a kiosk token or an enrolled kiosk's session: the token's
subject) and against its client address. The address is the peer's; behind a reverse proxy on
the same machine (the peer is a loopback address) it is the last address of ``X-Forwarded-For``,
the one the proxy itself appended (``$proxy_add_x_forwarded_for``), which a client cannot forge.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web

from queue_server.auth.accounts import Principal, Role
from queue_server.store.errors import NoSuchCentre
from queue_server.store.repository import load_centre_config
from queue_server.web.keys import SERVICE
from queue_server.web.problems import ProblemError, problem

FORWARDED_FOR = "X-Forwarded-For"


def client_address(request: web.Request) -> str:
    """The client's address: the peer's, or the proxy's word for it when the peer is a local proxy."""
    peer = request.remote or "unknown"
    if _loopback(peer):
        forwarded = [part.strip() for part in request.headers.get(FORWARDED_FOR, "").split(",") if part.strip()]
        if forwarded and _is_address(forwarded[-1]):
            return forwarded[-1]
    return peer[:64]


async def limit_tickets(request: web.Request, centre: str, principal: Principal, request_id: str) -> None:
    """Count one ticket for the kiosk and the address; 429 when either is over its centre's limit."""
    service = request.app[SERVICE]
    limits = service.ticket_limits
    config = limits.known_centre(centre)
    if config is None:
        try:
            async with service.db.read() as conn:
                config = await load_centre_config(conn, centre)
        except NoSuchCentre:
            return  # no such centre: the action answers that itself
        limits.remember_centre(config)
    kiosk = principal.subject if principal.role is Role.KIOSK else None
    refused = limits.take(
        config, kiosk=kiosk, address=client_address(request), request_id=f"{principal.actor}:{request_id}"
    )
    if refused is None:
        return
    answer = problem(
        429,
        "rate-limited",
        "Too many tickets",
        refused.detail,
        reason="rate_limited",
        message=refused.message,
        message_en=refused.message_en,
        retry_after=refused.retry_after,
    )
    raise ProblemError(answer, {"Retry-After": str(refused.retry_after)})


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
