"""JSON schemas of what the API answers, for the OpenAPI document.

The views are plain dicts built in ``queue_server.app.views``; their shapes are written out here once,
and the tests compare them with real answers, so the document says what the server sends.
The centre's configuration sections reuse the domain's pydantic models (serialization mode).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from queue_server.domain.centre import Domain, Matter, Policy, TicketGroup, Window, WindowKind
from queue_server.domain.devices import DeviceKind
from queue_server.domain.ratings import RatingStatus
from queue_server.domain.tickets import CancelReason, Category, Channel, Outcome, TicketStatus
from queue_server.domain.windows import PauseReason, WindowStatus

Schema = dict[str, Any]

CENTRE_MODELS: tuple[type[BaseModel], ...] = (Domain, WindowKind, TicketGroup, Matter, Window, Policy)
"""The configuration sections a centre view shows, documented from their models."""


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    if set(schema) == {"type"} and isinstance(schema["type"], str):
        return {"type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def obj(description: str, properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    """An object whose properties are all present, except ``optional`` ones."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
INSTANT: Schema = {"type": "string", "format": "date-time"}
DATE: Schema = {"type": "string", "format": "date"}
STRINGS: Schema = {"type": "array", "items": STRING}


def enum(values: Any) -> Schema:
    return {"type": "string", "enum": [v.value for v in values]}


PROBLEM = obj(
    "An RFC 9457 problem: what failed (title), which one and why (detail); branch on type",
    {
        "type": {"type": "string", "format": "uri", "examples": ["urn:onewindow:problem:not-found"]},
        "title": STRING,
        "status": INTEGER,
        "detail": STRING,
        "errors": {
            "type": "array",
            "description": "invalid-request: each field that failed, by its dotted path, with why",
            "items": obj("A field that failed", {"field": STRING, "message": STRING}),
        },
        "reason": {"type": "string", "description": "issue-refused: why no ticket can be issued"},
        "message": {"type": "string", "description": "issue-refused: the refusal in Chinese, for the citizen"},
        "message_en": {"type": "string", "description": "issue-refused: the refusal in English"},
        "incident": {"type": "string", "description": "internal-error: the id the server logged the error under"},
    },
    optional=("errors", "reason", "message", "message_en", "incident"),
)

POSITION = obj(
    "Where a waiting ticket stands",
    {"people_ahead": INTEGER, "estimated_wait_minutes": nullable(INTEGER), "expected_call": nullable(INSTANT)},
)

TICKET_PROPERTIES: dict[str, Schema] = {
    "serial": INTEGER,
    "number": {"type": "string", "description": "What the citizen sees, e.g. A001"},
    "service_day": DATE,
    "matter": STRING,
    "matter_name": STRING,
    "matter_name_en": STRING,
    "group": STRING,
    "green_channel": BOOLEAN,
    "category": nullable(enum(Category)),
    "category_name": nullable(STRING),
    "channel": enum(Channel),
    "status": enum(TicketStatus),
    "issued_at": INSTANT,
    "window": nullable(INTEGER),
    "target_window": nullable(INTEGER),
    "staff": nullable(STRING),
    "called_at": nullable(INSTANT),
    "serving_at": nullable(INSTANT),
    "ended_at": nullable(INSTANT),
    "calls": INTEGER,
    "recalls": INTEGER,
    "no_shows": INTEGER,
    "transfers": INTEGER,
    "passed_over": INTEGER,
    "outcome": nullable(enum(Outcome)),
    "outcome_name": nullable(STRING),
    "due_date": nullable(DATE),
    "reasons": STRINGS,
    "missing_materials": STRINGS,
    "cancel_reason": nullable(enum(CancelReason)),
    "rating_status": enum(RatingStatus),
    "rating_expires_at": nullable(INSTANT),
    "rating": nullable({"type": "integer", "minimum": 1, "maximum": 5, "description": "5 非常满意 … 1 非常不满意"}),
    "rating_name": nullable(STRING),
    "note": STRING,
    "version": INTEGER,
    "position": {"anyOf": [ref("Position"), {"type": "null"}], "description": "Set while the ticket waits"},
}

ISSUED_PROPERTIES: dict[str, Schema] = {
    "status_token": {"type": "string", "description": "The key of the ticket's public status page"},
    "status_url": {"type": "string", "format": "uri", "description": "The status page, for the QR code"},
}

PRIVATE_TICKET_FIELDS = ("staff", "note")
"""What a citizen's status page leaves out of a ticket: who served it and the staff's notes."""

TICKET = obj(
    "A ticket; the answer to issuing it adds its status token and status URL",
    TICKET_PROPERTIES | ISSUED_PROPERTIES,
    optional=tuple(ISSUED_PROPERTIES),
)

PUBLIC_TICKET = obj(
    "A ticket as its holder sees it: no staff names, no internal notes",
    {k: v for k, v in TICKET_PROPERTIES.items() if k not in PRIVATE_TICKET_FIELDS}
    | {"window_name": {"type": ["string", "null"], "description": "The name of the window it was called to"}},
)

WINDOW = obj(
    "A window's state and the ticket at it",
    {
        "number": INTEGER,
        "name": STRING,
        "name_en": STRING,
        "kinds": STRINGS,
        "green_channel": BOOLEAN,
        "status": enum(WindowStatus),
        "staff": nullable(STRING),
        "cover": nullable(STRING),
        "since": nullable(INSTANT),
        "pause": nullable(
            obj(
                "Why and how long the window is paused",
                {
                    "reason": nullable(enum(PauseReason)),
                    "reason_name": nullable(STRING),
                    "note": STRING,
                    "minutes": nullable(INTEGER),
                    "until": nullable(INSTANT),
                },
            )
        ),
        "ticket": nullable(
            obj(
                "The ticket called to or served at the window",
                {
                    "serial": INTEGER,
                    "number": STRING,
                    "matter": STRING,
                    "matter_name": STRING,
                    "green_channel": BOOLEAN,
                    "status": enum(TicketStatus),
                    "called_at": nullable(INSTANT),
                    "serving_at": nullable(INSTANT),
                    "calls": INTEGER,
                },
            )
        ),
        "version": INTEGER,
    },
)

CENTRE_SUMMARY = {"code": STRING, "name": STRING, "name_en": STRING, "address": STRING, "phone": STRING}

VIEW_SCHEMAS: dict[str, Schema] = {
    "Problem": PROBLEM,
    "Position": POSITION,
    "TicketView": TICKET,
    "PublicTicketView": PUBLIC_TICKET,
    "WindowView": WINDOW,
    "Health": obj("The server and its database answer", {"status": {"const": "ok"}, "database": {"const": "ok"}}),
    "OpenApiDocument": {"type": "object", "description": "This document"},
    "CentreList": obj(
        "The centres the token may see",
        {"centres": {"type": "array", "items": obj("A centre", {"code": STRING, "name": STRING})}},
    ),
    "CentreView": obj(
        "A centre's configuration: matters, windows, staff and policy",
        {
            "code": STRING,
            "name": STRING,
            "name_en": STRING,
            "time_zone": STRING,
            "address": STRING,
            "phone": STRING,
            "domains": {"type": "array", "items": ref("Domain")},
            "window_kinds": {"type": "array", "items": ref("WindowKind")},
            "ticket_groups": {"type": "array", "items": ref("TicketGroup")},
            "matters": {"type": "array", "items": ref("Matter")},
            "windows": {"type": "array", "items": ref("Window")},
            "staff": {
                "type": "array",
                "items": obj(
                    "A staff member", {"code": STRING, "name": STRING, "windows": {"type": "array", "items": INTEGER}}
                ),
            },
            "policy": ref("Policy"),
        },
    ),
    "QueueView": obj(
        "The waiting tickets in order, each with its position",
        {
            "centre": STRING,
            "at": INSTANT,
            "waiting": {"type": "array", "items": ref("TicketView")},
            "groups": {
                "type": "array",
                "items": obj(
                    "Waiting tickets of a ticket group",
                    {"prefix": STRING, "name": STRING, "name_en": STRING, "waiting": INTEGER},
                ),
            },
            "longest_wait_minutes": nullable(INTEGER),
        },
    ),
    "WindowList": obj(
        "A centre's windows", {"centre": STRING, "windows": {"type": "array", "items": ref("WindowView")}}
    ),
    "DeviceList": obj(
        "A centre's registered devices and whether each is online now",
        {
            "centre": STRING,
            "devices": {
                "type": "array",
                "items": obj(
                    "A device of the registry",
                    {
                        "id": STRING,
                        "kind": enum(DeviceKind),
                        "name": STRING,
                        "window": nullable(INTEGER),
                        "printer": nullable(STRING),
                        "online": nullable({"type": "boolean"}),
                    },
                ),
            },
        },
    ),
    "TicketEvents": obj(
        "A ticket's event log, in order",
        {
            "centre": STRING,
            "serial": INTEGER,
            "events": {
                "type": "array",
                "items": {
                    **obj(
                        "One event: its place in the log, kind, time and actor, then the kind's own fields",
                        {"seq": INTEGER, "kind": STRING, "serial": INTEGER, "at": INSTANT, "actor": STRING},
                    ),
                    "additionalProperties": True,
                },
            },
        },
    ),
    "ActionAnswer": obj(
        "What an action did: the ticket and the window it concerned",
        {
            "changed": {"type": "boolean", "description": "False when the action had nothing to do"},
            "ticket": {"anyOf": [ref("TicketView"), {"type": "null"}]},
            "window": {"anyOf": [ref("WindowView"), {"type": "null"}]},
            "tickets": {
                "type": "array",
                "items": ref("TicketView"),
                "description": "Every ticket the action changed, when it changed several (closing the day)",
            },
        },
        optional=("tickets",),
    ),
    "StatusPage": obj(
        "What a ticket's holder sees on its status page",
        {"centre": obj("The centre", CENTRE_SUMMARY), "ticket": ref("PublicTicketView")},
    ),
    "StatusAnswer": obj(
        "What the citizen's cancel did",
        {"changed": BOOLEAN, "ticket": {"anyOf": [ref("PublicTicketView"), {"type": "null"}]}},
    ),
}
"""Every response schema by its name under ``components/schemas``."""
