"""Typed keys of what the application and each request carry: the API's own, and the shared ones.

They live apart from ``app`` so the handlers and middlewares can import them without importing
the module that assembles the application from them. The keys the pages use too are defined in
queue_server.http_common.keys and named here again for the API's modules.
"""

from __future__ import annotations

from aiohttp import web

from queue_server.app.booking_codes import PublicBookingLimits
from queue_server.app.staffing_advice import AdviceBoard
from queue_server.auth.accounts import Principal
from queue_server.auth.verified_tokens import VerifiedTokens
from queue_server.http_common.keys import BUS, DATABASE, ID_KEY, SERVICE, SESSION
from queue_server.web.openapi import ApiDocument
from queue_server.web.routes import Route

__all__ = [
    "ADVICE",
    "BOOKING_LIMITS",
    "BUS",
    "DATABASE",
    "ID_KEY",
    "OPENAPI",
    "PRINCIPAL",
    "ROUTE_INDEX",
    "SERVICE",
    "SESSION",
    "VERIFIED_TOKENS",
]

ROUTE_INDEX = web.AppKey("route_index", dict[web.AbstractRoute, Route])
"""The declaration behind each registered aiohttp route: its access rule and its summary."""

ADVICE = web.AppKey("advice", AdviceBoard)
"""Each centre's live staffing advice, kept a few seconds between plays."""

OPENAPI = web.AppKey("openapi", ApiDocument)
"""The OpenAPI document of the route table, built when first read."""

PRINCIPAL = web.RequestKey("principal", Principal)
"""Who the request acts for, once its bearer token was checked (protected routes only)."""

VERIFIED_TOKENS = web.AppKey("verified_tokens", VerifiedTokens)
"""Bearer tokens verified in the last seconds (queue_server.auth.verified_tokens): not read per request."""

BOOKING_LIMITS = web.AppKey("booking_limits", PublicBookingLimits)
"""How often an address and a number may ask for the public booking page's codes (this instance's count)."""
