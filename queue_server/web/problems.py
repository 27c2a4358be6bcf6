"""Every error the API answers, as RFC 9457 problem+json, and the one place foreign errors are translated.

Handlers raise; :func:`problem_middleware` answers. The translation:

- :class:`ProblemError` (the web layer's own 401, 403, 422): its problem, as given;
- ``DomainError`` (e.g. reading a ticket that is not there): as the application's refusal of it;
- the application's ``Refusal``, raised or in an action's answer: its problem (404, 403, 409 ...), or
  422 naming each field (:func:`refusal_problem`, the one table of refusal kinds to problem types);
- ``pydantic.ValidationError``: 422 with ``errors: [{field, message}]`` naming each field;
- ``json.JSONDecodeError``: 400;
- aiohttp's own refusals (no such route, wrong method, body too large): 404 / 405 (with ``Allow``) ...;
- the database cannot be reached (``queue_server.store.errors.unreachable``): 503 with ``Retry-After``;
- the client hung up (a ``ConnectionError`` not raised by the database's driver, e.g. while its body
  was read): logged at DEBUG, nobody is left to answer (the problem goes nowhere);
- anything else: 500, logged with an incident id; the client never sees a traceback.

The 503 needs nothing to recover: the next request takes a fresh connection from the pool
(PostgreSQL's pool pings a connection before handing it out), so the API answers again as soon as
the database does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from queue_server.app.answers import Answer
from queue_server.app.refusals import Refusal, RefusalKind, from_domain
from queue_server.app.views import View
from queue_server.domain.errors import DomainError
from queue_server.store import json_text
from queue_server.store.errors import unreachable
from queue_server.web.http_figures import route_of
from queue_server.web.keys import ROUTE_INDEX
from queue_server.web.routes import API_PREFIX, Handler

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:onewindow:problem:"
RETRY_AFTER_SECONDS = 2

dumps = json_text.encode
"""UTF-8 JSON with Chinese kept readable (names and refusals are written for people), by orjson."""


@dataclass(frozen=True, slots=True)
class Problem:
    """An RFC 9457 problem and the status it goes out with."""

    status: int
    body: View


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Problem:
    """An RFC 9457 problem: what failed and why, with a stable type to branch on."""
    return Problem(status, {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail, **extra})


class ProblemError(Exception):
    """Raised by handlers and middlewares to answer with a problem; headers go with it (e.g. WWW-Authenticate)."""

    def __init__(self, problem: Problem, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(problem.body.get("detail", ""))
        self.problem = problem
        self.headers = dict(headers or {})


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON answer; a problem (status >= 400) goes out as ``application/problem+json``."""
    content_type = PROBLEM_JSON if status >= 400 else "application/json"
    return web.Response(body=dumps(body), status=status, content_type=content_type, charset="utf-8", headers=headers)


def answer_response(request: web.Request, answer: Answer, headers: Mapping[str, str] | None = None) -> web.Response:
    """An action's answer: its result (201 when it made something), or its refusal as a problem; a
    replayed one says so in ``Idempotent-Replay``."""
    extra = dict(headers or {})
    if answer.replayed:
        extra["Idempotent-Replay"] = "true"
    if answer.refusal is not None:
        refused = refusal_problem(answer.refusal, what_failed(request))
        return json_response(refused.body, refused.status, extra)
    return json_response(answer.body, 201 if answer.created else 200, extra)


def with_body(answer: Answer, body: View) -> Answer:
    """The answer with its result shown otherwise (a citizen sees less of a ticket than staff)."""
    return replace(answer, body=body)


# --- Problems the web layer itself raises ----------------------------------------------------------


def what_failed(request: web.Request) -> str:
    """The start of an error message: the route's action in words, and the request it was."""
    route = request.app[ROUTE_INDEX].get(request.match_info.route) if ROUTE_INDEX in request.app else None
    action = route.summary[:1].lower() + route.summary[1:] if route is not None else "answer"
    return f"Cannot {action} ({request.method} {request.path})"


def field_errors(errors: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"field": name, "message": message} for name, message in errors]


def invalid_request(what: str, errors: list[dict[str, str]]) -> Problem:
    """422: ``what`` failed because of these fields, each named with its own message."""
    listed = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "invalid-request", "The request is not valid", f"{what}: {listed}", errors=errors)


def unauthorized(detail: str, *, invalid_token: bool = False) -> ProblemError:
    """401 with the RFC 6750 challenge; ``invalid_token`` when a token came but does not work."""
    challenge = 'Bearer realm="onewindow"'
    if invalid_token:
        challenge += ', error="invalid_token"'
    return ProblemError(
        problem(401, "unauthorized", "A valid bearer token is needed", detail), {"WWW-Authenticate": challenge}
    )


def forbidden(detail: str) -> ProblemError:
    return ProblemError(problem(403, "forbidden", "Not allowed", detail))


def validation_errors(error: ValidationError) -> list[dict[str, str]]:
    """Each failed field by its dotted path (``reasons.0``), with pydantic's message."""
    return field_errors((".".join(str(part) for part in item["loc"]) or "body", item["msg"]) for item in error.errors())


# --- The application's refusals ----------------------------------------------------------------------

REFUSED: dict[RefusalKind, tuple[int, str, str]] = {
    RefusalKind.NOT_FOUND: (404, "not-found", "Not found"),
    RefusalKind.NOT_ALLOWED: (403, "not-allowed", "Not allowed"),
    RefusalKind.CONFLICT: (409, "invalid-transition", "The action does not fit the current state"),
    RefusalKind.REFUSED: (400, "refused", "Refused"),
    RefusalKind.ISSUE_REFUSED: (409, "issue-refused", "No ticket can be issued"),
    RefusalKind.CHANGE_REFUSED: (409, "centre-change-refused", "The change does not fit the hall now"),
    RefusalKind.REQUEST_ID_REUSED: (409, "request-id-reused", "Request id already used"),
}
"""Status, problem type and title of each kind of refusal but INVALID (a 422 naming its fields)."""


def refusal_problem(refusal: Refusal, what: str) -> Problem:
    """A use case's refusal as a problem, its extra as members; bad input is a 422 whose detail
    starts with ``what``. Its ``code`` and ``args`` (the facts it names) let a page say it its own
    way; ``message`` and ``message_en`` say it already, in Chinese and English, for the page's language."""
    said: dict[str, Any] = {}
    if refusal.code is not None:  # a refusal kept by an older release has neither code nor words
        said = {"code": refusal.code.value, "args": refusal.facts, "message": refusal.message}
        said["message_en"] = refusal.message_en
    if refusal.kind is RefusalKind.INVALID:
        invalid = invalid_request(what, field_errors((p.field, p.message) for p in refusal.fields))
        return Problem(invalid.status, {**invalid.body, **said})
    status, slug, title = REFUSED[refusal.kind]
    return problem(status, slug, title, refusal.detail, **{**said, **refusal.extra})


# --- The database cannot be reached ------------------------------------------------------------------


def database_unavailable() -> web.Response:
    body = problem(
        503,
        "database-unavailable",
        "The database cannot be reached",
        "The database cannot be reached; the server retries by itself, try again in a moment",
    ).body
    return json_response(body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def client_hung_up(error: BaseException) -> bool:
    """Whether ``error`` is the client's connection ending (it hung up while its body was read or its
    answer written), rather than the database's: aiohttp raises ``ConnectionResetError`` then."""
    return isinstance(error, ConnectionError) and not unreachable(error)


# --- The middleware ----------------------------------------------------------------------------------


def _route_problem(request: web.Request, error: web.HTTPException) -> web.Response:
    """aiohttp's own refusals (no route, wrong method, body too large) as problems."""
    where = f"{request.method} {request.path}"
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        body = problem(
            405,
            "method-not-allowed",
            "Method not allowed",
            f"Cannot {request.method} {request.path}: the route takes {allowed}",
        ).body
        return json_response(body, 405, {"Allow": allowed})
    if isinstance(error, web.HTTPNotFound):
        body = problem(
            404,
            "no-such-route",
            "No such route",
            f"There is no route {where}; the routes are listed in {API_PREFIX}/openapi.json",
        ).body
        return json_response(body, 404)
    body = problem(error.status, "http-error", error.reason, f"Cannot answer {where}: {error.reason}").body
    return json_response(body, error.status)


async def _translate(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ProblemError as raised:
        return json_response(raised.problem.body, raised.problem.status, raised.headers)
    except DomainError as error:
        refused = refusal_problem(from_domain(error), what_failed(request))
        return json_response(refused.body, refused.status)
    except Refusal as refusal:
        refused = refusal_problem(refusal, what_failed(request))
        return json_response(refused.body, refused.status)
    except ValidationError as error:
        invalid = invalid_request(what_failed(request), validation_errors(error))
        return json_response(invalid.body, invalid.status)
    except json.JSONDecodeError as error:
        body = problem(
            400,
            "bad-json",
            "The body is not JSON",
            f"{what_failed(request)}: the body is not valid JSON ({error.msg} at line {error.lineno},"
            f" column {error.colno})",
        ).body
        return json_response(body, 400)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return _route_problem(request, error)
    except asyncio.CancelledError:
        raise
    except Exception as error:
        if client_hung_up(error):
            log.debug("The client hung up while %s %s was answered: %r", request.method, route_of(request), error)
            body = problem(
                400, "client-closed", "The client closed the connection", f"{what_failed(request)}: the client hung up"
            ).body
            return json_response(body, 400)
        if unreachable(error):
            log.warning("Database unreachable while answering %s %s: %r", request.method, route_of(request), error)
            return database_unavailable()
        incident = uuid.uuid4().hex[:12]
        log.exception("Unexpected error %s while answering %s %s", incident, request.method, route_of(request))
        body = problem(
            500,
            "internal-error",
            "Internal server error",
            f"The server failed to answer {request.method} {request.path}; the error was logged as incident"
            f" {incident}: quote it when reporting the problem",
            incident=incident,
        ).body
        return json_response(body, 500)


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every error under the API prefix as problem+json; other paths (pages) keep aiohttp's own."""
    if not request.path.startswith(API_PREFIX):
        return await handler(request)
    return await _translate(request, handler)
