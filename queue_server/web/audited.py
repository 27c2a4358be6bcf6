"""Who a request acts for and which request it is, as the audit trail records them."""

from __future__ import annotations

import re
import uuid

from aiohttp import web

from queue_server.domain.audit import Actor
from queue_server.web.auth import principal_of

REQUEST_ID_HEADER = "X-Request-Id"
"""A caller's own id of a request (a proxy's, a script's), kept with the entry when it is well formed."""
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,120}")


def reader_of(request: web.Request) -> Actor:
    """The request's principal as an entry names it: ``manager:li``, ``supervisor:city``."""
    principal = principal_of(request)
    return Actor(principal.actor, principal.role.value)


def request_id_for_audit(request: web.Request) -> str:
    """The caller's ``X-Request-Id`` when well formed, else a fresh one, so an entry always names its request."""
    given = request.headers.get(REQUEST_ID_HEADER, "").strip()
    return given if WELL_FORMED.fullmatch(given) else f"http-{uuid.uuid4().hex}"
