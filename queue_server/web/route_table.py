"""Every API route: the core table (queue_server.web.api) and the routes the pages added.

A page that needs an API route of its own (the desk's reprint, the manager's centre editing)
declares it in a module ``queue_server/web/api_<page>.py`` with a ``ROUTES`` list (and, for its
answers' shapes, a ``SCHEMAS`` dict); every such module is found here, so the router, the OpenAPI
document and the access tests see one table.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import queue_server.web
from queue_server.web.api import ROUTES
from queue_server.web.routes import Route
from queue_server.web.schemas import VIEW_SCHEMAS, Schema


@cache
def all_routes() -> tuple[Route, ...]:
    routes = list(ROUTES)
    for module in sorted(m.name for m in pkgutil.iter_modules(queue_server.web.__path__) if m.name.startswith("api_")):
        loaded = importlib.import_module(f"queue_server.web.{module}")
        routes.extend(loaded.ROUTES)
        schemas: dict[str, Schema] = getattr(loaded, "SCHEMAS", {})
        if clash := set(schemas) & set(VIEW_SCHEMAS):
            raise ValueError(f"Cannot serve the API: {module} declares schemas already declared: {sorted(clash)}")
        VIEW_SCHEMAS.update(schemas)
    seen: set[tuple[str, str]] = set()
    for route in routes:
        key = (route.method, route.path)
        if key in seen:
            raise ValueError(f"Cannot serve the API: {route.method} {route.full_path} is declared twice")
        seen.add(key)
    return tuple(routes)
