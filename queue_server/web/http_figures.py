"""How long each HTTP request took, by route, for Prometheus; and each request's log context.

:func:`figures_middleware` is the outermost middleware: it sees every request, the API's and the
pages', with the status it finally went out with (the problems middleware inside it has turned
errors into answers; an error that reaches it is a 500). A request is counted under its route's
declared path template (``/api/v1/centres/{centre}/windows/{number}/call-next``), never under its
raw path, so ids and tokens do not make series of their own; a path no route matches counts as
``unmatched``. Live feeds (server-sent events, WebSockets) stay open as long as a page does and
are left out: their length says nothing of the server's speed.

It also sets the log context (queue_server.app.log_context) of everything logged while the request
is handled: a request id (the ``X-Request-Id`` the client or a proxy sent, when it is a short token,
else a new one), the centre and the window the path names.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid

from aiohttp import web
from prometheus_client import Histogram

from queue_server.app.instruments import REGISTRY
from queue_server.app.log_context import acting
from queue_server.web.routes import Handler

CLIENT_GONE = 499
"""The status counted for a request whose client hung up before it was answered (nginx's habit)."""

UNMATCHED = "unmatched"
"""The route label of a request no route matched (a 404 or 405 of the router)."""

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""From a cached read (a few ms) to an action that waited for the database's lock (seconds)."""

HTTP_DURATION = Histogram(
    "onewindow_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status class (2xx, 3xx, 4xx, 5xx)",
    ["method", "route", "status_class"],
    buckets=DURATION_BUCKETS,
    registry=REGISTRY,
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_STREAMS = ("text/event-stream",)


def route_of(request: web.Request) -> str:
    """The request's route as declared (its path template), or ``unmatched``."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def _request_id(request: web.Request) -> str:
    given = request.headers.get("X-Request-Id", "")
    return given if _CLIENT_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]


def _number(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() and len(text) <= 9 else None


@web.middleware
async def figures_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Time the request under its route; log lines written meanwhile carry its request id and place."""
    started = time.perf_counter()
    status = 500
    streamed = False
    match = request.match_info
    with acting(request_id=_request_id(request), centre=match.get("centre"), window=_number(match.get("number"))):
        try:
            response = await handler(request)
            status = response.status
            streamed = isinstance(response, web.WebSocketResponse) or response.content_type in _STREAMS
            return response
        except web.HTTPException as answered:  # the pages' redirects and refusals
            status = answered.status
            raise
        except asyncio.CancelledError:  # the client went away before its answer: no fault of the server's
            status = CLIENT_GONE
            raise
        finally:
            if not streamed:
                method = request.method if request.method in _METHODS else "other"
                HTTP_DURATION.labels(method, route_of(request), status_class(status)).observe(
                    time.perf_counter() - started
                )
