"""Typed keys of what the application and each request carry.

They live apart from ``app`` so the handlers and middlewares can import them without importing
the module that assembles the application from them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from queue_server.app.service import HallService
from queue_server.auth.accounts import Principal
from queue_server.auth.sessions import Session
from queue_server.bus.runner import Bus
from queue_server.store.database import Database
from queue_server.web.routes import Route

SERVICE = web.AppKey("service", HallService)
"""The hall service every action and read goes through."""

DATABASE = web.AppKey("database", Database)
"""The database of ``SERVICE``, for reads that need no hall (tokens, logs, health)."""

ROUTE_INDEX = web.AppKey("route_index", dict[web.AbstractRoute, Route])
"""The declaration behind each registered aiohttp route: its access rule and its summary."""

OPENAPI = web.AppKey("openapi", dict[str, Any])
"""The OpenAPI document, built once from the route table."""

BUS = web.AppKey("bus", Bus)
"""The server's connection to the MQTT broker, when it has one: device availability lives there."""

PRINCIPAL = web.RequestKey("principal", Principal)
"""Who the request acts for, once its bearer token was checked (protected routes only)."""

SESSION = web.RequestKey("session", Session)
"""The browser session the request came with, once looked up (pages and the API from pages)."""
