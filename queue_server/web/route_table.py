"""Every API route, listed: the core table (queue_server.web.api) and each screen's own routes.

A screen that needs API routes of its own (the desk's reprint, the manager's centre editing)
declares them in ``queue_server/web/api_<screen>.py`` as a ``ROUTES`` list and is named below, so
the router, the OpenAPI document and the access tests read one table, and a reader finds every
route from here without running anything.
"""

from __future__ import annotations

from functools import cache

from queue_server.web import (
    api,
    api_advice,
    api_appeal_evidence,
    api_audit,
    api_bookings,
    api_city,
    api_desk,
    api_kiosk,
    api_manager,
    api_metrics,
    api_pad,
    api_prints,
    api_promised,
    api_public_bookings,
    api_ranking,
    api_rectification,
    api_reports,
    api_results,
    api_sms,
    api_staff_photos,
    api_status,
)
from queue_server.web.routes import Route

ROUTE_LISTS: tuple[list[Route], ...] = (
    api.ROUTES,
    api_audit.ROUTES,
    api_bookings.ROUTES,
    api_city.ROUTES,
    api_desk.ROUTES,
    api_kiosk.ROUTES,
    api_manager.ROUTES,
    api_advice.ROUTES,
    api_metrics.ROUTES,
    api_pad.ROUTES,
    api_prints.ROUTES,
    api_promised.ROUTES,
    api_public_bookings.ROUTES,
    api_ranking.ROUTES,
    api_rectification.ROUTES,
    api_reports.ROUTES,
    api_results.ROUTES,
    api_sms.ROUTES,
    api_staff_photos.ROUTES,
    api_appeal_evidence.ROUTES,
    api_status.ROUTES,
)
"""The core table first, then each screen's routes."""


@cache
def all_routes() -> tuple[Route, ...]:
    """Every route once; a method and path declared twice is refused at start."""
    routes = tuple(route for routes in ROUTE_LISTS for route in routes)
    seen: set[tuple[str, str]] = set()
    for route in routes:
        key = (route.method, route.path)
        if key in seen:
            raise ValueError(f"Cannot serve the API: {route.method} {route.full_path} is declared twice")
        seen.add(key)
    return routes
