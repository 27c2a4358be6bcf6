"""The JSON API as an aiohttp application: its middlewares, its routes and its OpenAPI document.

Middlewares, outermost first: the request's time and log context (queue_server.web.http_figures),
problems (every error under the API prefix becomes problem+json, foreign exceptions translated
there), then bearer tokens or the session cookie (401/403 before any handler runs). The
application serves nothing until someone puts a service under ``SERVICE`` and ``DATABASE``:
queue_server.assembly does, and adds the pages to the same application.
"""

from __future__ import annotations

from aiohttp import web

from queue_server.app.booking_codes import PublicBookingLimits
from queue_server.app.staffing_advice import AdviceBoard
from queue_server.auth.verified_tokens import VerifiedTokens
from queue_server.web import openapi
from queue_server.web.api import add_routes
from queue_server.web.auth import bearer_middleware
from queue_server.web.http_figures import figures_middleware
from queue_server.web.keys import ADVICE, BOOKING_LIMITS, OPENAPI, VERIFIED_TOKENS
from queue_server.web.problems import problem_middleware
from queue_server.web.route_table import all_routes


def api_application() -> web.Application:
    """A new application with every API route registered, its OpenAPI document built when first read."""
    app = web.Application(middlewares=[figures_middleware, problem_middleware, bearer_middleware])
    routes = list(all_routes())
    add_routes(app, routes)
    app[OPENAPI] = openapi.ApiDocument(routes)
    app[VERIFIED_TOKENS] = VerifiedTokens()
    app[BOOKING_LIMITS] = PublicBookingLimits()
    app[ADVICE] = AdviceBoard()
    return app
