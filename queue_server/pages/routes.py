"""One declaration per page route: its path, its handler, and who may open it.

The route-walk test reads :data:`queue_server.pages.app.PAGE_ROUTES`: every route that is not
public must refuse an anonymous request and a role it does not name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from queue_server.auth.accounts import LOGIN_ROLES, Role

PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PEOPLE = LOGIN_ROLES
"""Anyone who logs in with a password."""
COUNTER = frozenset({Role.STAFF, Role.MANAGER, Role.ADMIN})
DESK = frozenset({Role.GUIDE, Role.MANAGER, Role.ADMIN})
MANAGEMENT = frozenset({Role.MANAGER, Role.ADMIN, Role.SUPERVISOR})
KIOSK = frozenset({Role.KIOSK})
PAD = frozenset({Role.DEVICE})
"""A rating tablet (a browser rating pad), enrolled with its pad's device token."""
ENROLLED = KIOSK | PAD
"""Screens enrolled once with a device token at /kiosk/enrol rather than logged in."""
READERS = LOGIN_ROLES | KIOSK
LISTENERS = READERS | PAD
"""Who may hold a centre's live stream open."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRoute:
    method: str
    path: str
    """aiohttp's form, e.g. ``/ticket/{token}``."""
    name: str
    handler: PageHandler
    roles: frozenset[Role] | None
    """Who may use it; None for a public route (the login page, the kiosk's enrolment, a ticket's status)."""
    html: bool = True
    """An HTML page (an anonymous visitor is sent to log in) rather than a stream or a form's target."""
