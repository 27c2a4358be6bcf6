"""One aiohttp application: the JSON API (queue_server.web) and the pages (queue_server.pages).

The two adapters do not know of each other's assembly: each adds itself to an application, and
this module is the one place that composes them with a hall service. :func:`create_app` serves a
:class:`HallService` someone else owns (``onewindow serve`` runs it beside the bus, cli/server.py;
tests). :func:`build_app` owns its database and service: they open in ``cleanup_ctx`` when the
application starts and close when it stops (tests that run the application alone use it).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator

from aiohttp import web

from queue_server.app.service import HallService
from queue_server.bus.runner import Bus
from queue_server.domain.clock import Clock
from queue_server.http_common.id_key import KEY_BYTES
from queue_server.http_common.keys import ID_KEY
from queue_server.pages.app import add_pages
from queue_server.store.database import Database
from queue_server.store.errors import unreachable
from queue_server.store.migrate import require_current
from queue_server.web.app import api_application
from queue_server.web.keys import BUS, DATABASE, SERVICE

log = logging.getLogger(__name__)

__all__ = ["build_app", "create_app"]


def create_app(service: HallService, *, bus: Bus | None = None, id_key: bytes | None = None) -> web.Application:
    """The API and the pages serving ``service``; the caller opens and closes its database (and runs the bus).

    ``id_key`` hashes ID numbers (``onewindow serve`` reads it from its key file); without one, a
    key made for this application only: bookings made under it are found by ID number only while
    it runs, by their codes always."""
    app = api_application()
    app[SERVICE] = service
    app[DATABASE] = service.db
    app[ID_KEY] = id_key if id_key is not None else secrets.token_bytes(KEY_BYTES)
    if bus is not None:
        app[BUS] = bus
    add_pages(app)
    return app


def build_app(database_url: str, public_base_url: str, clock: Clock | None = None) -> web.Application:
    """The API and the pages with their own database and service, opened when the application starts.

    The URL is checked now (a typo fails before the server binds its port); connections open on
    the first request. A database that is not reachable at start is no reason to refuse to start:
    the API answers 503 until it is. A database at an older schema is: run ``onewindow init``.
    """
    database = Database(database_url)
    app = api_application()
    app[ID_KEY] = secrets.token_bytes(KEY_BYTES)  # for this application only (see create_app)

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
