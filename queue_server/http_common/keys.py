"""Typed keys of what the application and each request carry, for the API and the pages alike."""

from __future__ import annotations

from aiohttp import web

from queue_server.app.service import HallService
from queue_server.auth.sessions import Session
from queue_server.bus.runner import Bus
from queue_server.store.database import Database

SERVICE = web.AppKey("service", HallService)
"""The hall service every action and read goes through."""

DATABASE = web.AppKey("database", Database)
"""The database of ``SERVICE``, for reads that need no hall (tokens, logs, health)."""

BUS = web.AppKey("bus", Bus)
"""The server's connection to the MQTT broker, when it has one: device availability lives there."""

SESSION = web.RequestKey("session", Session)
"""The browser session the request came with, once looked up (pages and the API from pages)."""

ID_KEY = web.AppKey("id_key", bytes)
"""The key ID numbers are hashed with (queue_server.http_common.id_key): bookings keep only that hash."""
