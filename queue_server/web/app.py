"""The aiohttp application: routes, middlewares, and the resources it owns.

:func:`create_app` serves a :class:`HallService` someone else owns (tests, a process that runs
the bus beside the web server). :func:`build_app` owns its database and service: they are opened
in ``cleanup_ctx`` when the server starts and disposed of when it stops.

Middlewares, outermost first: problems (every error under the API prefix becomes problem+json,
foreign exceptions translated there), then bearer tokens or the session cookie (401/403 before any
handler runs), then the pages' guard (queue_server.pages: log in, roles, CSRF).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from queue_server.app.service import HallService
from queue_server.bus.runner import Bus
from queue_server.domain.clock import Clock
from queue_server.store.database import Database
from queue_server.store.errors import unreachable
from queue_server.store.migrate import require_current
from queue_server.web import openapi
from queue_server.web.api import add_routes
from queue_server.web.auth import bearer_middleware
from queue_server.web.keys import BUS, DATABASE, OPENAPI, SERVICE
from queue_server.web.problems import problem_middleware
from queue_server.web.route_table import all_routes

log = logging.getLogger(__name__)

__all__ = ["DATABASE", "SERVICE", "build_app", "create_app"]


def add_pages(app: web.Application) -> None:
    """The pages on the same application (imported here: the pages import the web layer's keys)."""
    from queue_server.pages.app import add_pages as add

    add(app)


def _application() -> web.Application:
    app = web.Application(middlewares=[problem_middleware, bearer_middleware])
    routes = list(all_routes())
    add_routes(app, routes)
    app[OPENAPI] = openapi.document(routes)
    return app


def create_app(service: HallService, *, bus: Bus | None = None) -> web.Application:
    """The API serving ``service``; the caller opens and closes its database (and runs the bus)."""
    app = _application()
    app[SERVICE] = service
    app[DATABASE] = service.db
    if bus is not None:
        app[BUS] = bus
    add_pages(app)
    return app


def build_app(database_url: str, public_base_url: str, clock: Clock | None = None) -> web.Application:
    """The API with its own database and service, for ``onewindow serve``.

    The URL is checked now (a typo fails before the server binds its port); connections open on
    the first request. A database that is not reachable at start is no reason to refuse to start:
    the API answers 503 until it is. A database at an older schema is: run ``onewindow init``.
    """
    database = Database(database_url)
    app = _application()

    async def resources(app: web.Application) -> AsyncIterator[None]:
        async with database:
            try:
                await require_current(database)
            except Exception as error:
                if not unreachable(error):
                    raise
                log.warning("Database %s is not reachable at start; answering 503 until it is", database.describe())
            async with HallService(database, clock, public_base_url=public_base_url) as service:
                app[DATABASE] = database
                app[SERVICE] = service
                yield

    app.cleanup_ctx.append(resources)
    add_pages(app)  # after the resources: the pages' live feed needs the service
    return app
