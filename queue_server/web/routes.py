"""One declaration per route: what registers it, who may use it, and what the OpenAPI document says.

The router and the OpenAPI document are both built from the same list of :class:`Route`, so a
route cannot exist without being documented, nor be documented without existing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from queue_server.auth.accounts import Action, Role

API_PREFIX = "/api/v1"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class PathParam:
    """A path parameter: the regular expression the router matches and the schema documented."""

    regex: str
    schema: dict[str, Any]
    description: str


PATH_PARAMS: dict[str, PathParam] = {
    "centre": PathParam(
        r"[a-z0-9][a-z0-9_-]{0,39}",
        {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]{0,39}$"},
        "The centre's code",
    ),
    "number": PathParam(r"[0-9]{1,9}", {"type": "integer", "minimum": 1, "maximum": 9999}, "The window's number"),
    "serial": PathParam(
        r"[0-9]{1,18}", {"type": "integer", "minimum": 1}, "The ticket's serial (its id within the centre)"
    ),
    "ticket_number": PathParam(
        r"[^/]{1,40}",
        {"type": "string", "pattern": r"^[A-Za-z]{1,2}[0-9]{1,9}$", "examples": ["A012"]},
        "A ticket's number as printed (A012); numbers start again each day, so it names today's ticket",
    ),
    "device": PathParam(
        r"[a-z0-9][a-z0-9_-]{0,39}",
        {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]{0,39}$"},
        "A device's id in the centre's registry, e.g. pad-3",
    ),
    "case": PathParam(r"[0-9]{1,9}", {"type": "integer", "minimum": 1}, "A rectification case's number at its centre"),
    "photo": PathParam(
        r"[0-9a-f]{64}",
        {"type": "string", "pattern": r"^[0-9a-f]{64}$"},
        "A staff photo's SHA-256, as a window's state names it",
    ),
    "evidence": PathParam(
        r"[0-9a-f]{64}",
        {"type": "string", "pattern": r"^[0-9a-f]{64}$"},
        "An appeal file's SHA-256, as the case's appeal lists it",
    ),
    "case_number": PathParam(
        r"[^/]{1,80}",
        {
            "type": "string",
            "pattern": r"^[A-Z0-9][A-Z0-9_-]{0,39}-[0-9]{4}-[0-9]{6,18}$",
            "examples": ["TEST-2026-000001"],
        },
        "A promised case's case number as its papers print it: the centre's code, the year, the ticket's serial",
    ),
    "code": PathParam(
        r"[A-Za-z0-9]{8}",
        {"type": "string", "pattern": r"^[A-Za-z0-9]{8}$", "examples": ["ACDE3467"]},
        "A booking's code, as its confirmation and QR give it",
    ),
    "token": PathParam(
        r"[^/]{1,200}",
        {"type": "string", "minLength": 16, "maxLength": 64},
        "The ticket's status token, from the QR code on the ticket",
    ),
}
"""Every path parameter any route uses; a route naming another one is refused at start."""

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True, slots=True)
class Access:
    """Who may use a protected route: the roles that may take the action ``group`` names
    (``accounts.ACTION_ROLES``), minus ``deny``."""

    group: Action
    deny: frozenset[Role] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """A route of the API: registered from here and documented from here."""

    method: str
    path: str
    """The path under :data:`API_PREFIX` in OpenAPI's template form, e.g. ``/centres/{centre}``."""
    operation_id: str
    summary: str
    handler: Handler = field(compare=False)
    access: Access | None
    """None for a public route (no token asked)."""
    tag: str
    response: type[Any]
    """The shape of its success answer: a view's TypedDict or a pydantic model, documented from it."""
    status: int = 200
    body: type[BaseModel] | None = None
    action: bool = False
    """An action: takes a request id, and may answer a replay or a conflict."""
    description: str = ""
    query: type[BaseModel] | None = None
    """The query parameters it reads, as a model whose fields each document one."""
    media_type: str = "application/json"
    """What its success answer is (``text/plain`` for the Prometheus figures)."""
    rate_limited: bool = False
    """Counted against the kiosk's and the address's ticket limits: may answer 429 (web/limits.py)."""

    @property
    def full_path(self) -> str:
        return API_PREFIX + self.path

    @property
    def params(self) -> list[str]:
        return _PLACEHOLDER.findall(self.path)

    @property
    def router_path(self) -> str:
        """The path as aiohttp's router matches it, each parameter with its regular expression."""

        def with_regex(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in PATH_PARAMS:
                raise ValueError(f"Cannot register route {self.full_path}: path parameter {name!r} is not declared")
            return "{" + name + ":" + PATH_PARAMS[name].regex + "}"

        return _PLACEHOLDER.sub(with_regex, self.full_path)
