"""The OpenAPI 3.1 document, generated from the route table that registers the routes.

Each :class:`~queue_server.web.routes.Route` becomes one operation: its path parameters, its body
(the pydantic model's JSON schema, with nested definitions hoisted to ``components/schemas``), its
success answer, every problem it can answer, its security (none for public routes) and the roles
that may call it (``x-roles``). Nothing is written by hand per route, so the document cannot miss
a route or describe one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from queue_server.auth.accounts import ACTION_ROLES
from queue_server.web.bodies import REQUEST_ID_PATTERN
from queue_server.web.routes import PATH_PARAMS, Route
from queue_server.web.schemas import CENTRE_MODELS, VIEW_SCHEMAS, Schema, ref

BEARER = "bearer"
IDEMPOTENCY_KEY = "Idempotency-Key"
PROBLEM_JSON = "application/problem+json"

_PROBLEM_RESPONSES: dict[str, tuple[str, str]] = {
    # name: (status, description)
    "BadRequest": ("400", "The body is not a JSON object"),
    "Unauthorized": ("401", "No bearer token, or one that is invalid, revoked or of a disabled account"),
    "Forbidden": ("403", "The token's role or centre does not allow this, or the domain refuses this actor here"),
    "NotFound": ("404", "No such centre, window, ticket, matter, staff member or status token"),
    "Conflict": (
        "409",
        "Refused: no ticket can be issued (with the Chinese message), the action does not fit the state,"
        " or the request id was used for another action",
    ),
    "Unprocessable": ("422", "A field is missing or not valid; errors name each one"),
    "ServerError": ("500", "An unexpected error, logged under the incident id in the answer"),
    "Unavailable": ("503", "The database cannot be reached; the server retries by itself"),
    "TooManyRequests": (
        "429",
        "Too many tickets from this kiosk or client address (the centre's policy); try again after Retry-After",
    ),
}


def _problem_response(name: str) -> Schema:
    description = _PROBLEM_RESPONSES[name][1]
    response: Schema = {"description": description, "content": {PROBLEM_JSON: {"schema": ref("Problem")}}}
    if name == "Unauthorized":
        response["headers"] = {
            "WWW-Authenticate": {"description": "The bearer challenge (RFC 6750)", "schema": {"type": "string"}}
        }
    if name in ("Unavailable", "TooManyRequests"):
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}
        }
    return response


def problem_statuses(route: Route) -> list[str]:
    """The problem responses ``route`` documents: every status it can answer with a problem."""
    names = []
    if route.action:
        names += ["BadRequest"]
    if route.access is not None:
        names += ["Unauthorized", "Forbidden"]
    if route.params:
        names += ["NotFound"]
    if route.action:
        names += ["Conflict", "Unprocessable"]
    if route.rate_limited:
        names += ["TooManyRequests"]
    names += ["ServerError", "Unavailable"]
    return names


def _roles(route: Route) -> list[str]:
    if route.access is None:
        return []
    roles = ACTION_ROLES[route.access.group] - route.access.deny
    return sorted(role.value for role in roles)


def _parameters(route: Route) -> list[Schema]:
    parameters: list[Schema] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": PATH_PARAMS[name].description,
            "schema": PATH_PARAMS[name].schema,
        }
        for name in route.params
    ]
    if route.query is not None:
        schema = route.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, field in schema.get("properties", {}).items():
            inlined = _inline(field, schema.get("$defs", {}))
            described = {key: value for key, value in inlined.items() if key not in ("title", "description")}
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "description": field.get("description", ""),
                    "schema": described,
                }
            )
    if route.action:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    return parameters


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:
    """A query parameter's schema with pydantic's local ``$defs`` references put in place."""
    if isinstance(schema, dict):
        target = schema.get("$ref", "")
        if isinstance(target, str) and target.startswith("#/$defs/"):
            return _inline(definitions[target.removeprefix("#/$defs/")], definitions)
        return {key: _inline(value, definitions) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    return schema


def _success(route: Route) -> Schema:
    response: Schema = {
        "description": "Done; a repeated request id gets the first answer again, marked Idempotent-Replay"
        if route.action
        else "The answer",
        "content": {route.media_type: {"schema": ref(route.response_schema)}},
    }
    if route.action:
        response["headers"] = {
            "Idempotent-Replay": {
                "description": "true when this is the stored answer to an earlier request with the same id",
                "schema": {"type": "string", "enum": ["true"]},
            }
        }
    return response


def operation(route: Route) -> Schema:
    """One route's operation object."""
    roles = _roles(route)
    who = f"Roles: {', '.join(roles)}." if roles else "Public: no token."
    description = f"{route.description} {who}".strip()
    op: Schema = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "description": description,
        "tags": [route.tag],
        "security": [{BEARER: []}] if route.access is not None else [],
        "x-roles": roles,
    }
    parameters = _parameters(route)
    if parameters:
        op["parameters"] = parameters
    if route.body is not None:
        needed = any(field.is_required() for field in route.body.model_fields.values())
        op["requestBody"] = {
            "required": needed,
            "description": "JSON. The request id may come in the Idempotency-Key header instead;"
            " an action that needs nothing else may then send no body.",
            "content": {"application/json": {"schema": ref(route.body.__name__)}},
        }
    responses: Schema = {str(route.status): _success(route)}
    for name in problem_statuses(route):
        responses[_PROBLEM_RESPONSES[name][0]] = {"$ref": f"#/components/responses/{name}"}
    op["responses"] = responses
    return op


def model_schemas(models: Iterable[tuple[type[BaseModel], JsonSchemaMode]]) -> dict[str, Schema]:
    """JSON schemas of pydantic models, named by class, with every nested definition hoisted."""
    pairs = list(dict.fromkeys(models))
    if not pairs:
        return {}
    _, top = models_json_schema(pairs, ref_template="#/components/schemas/{model}")
    return dict(top.get("$defs", {}))


def _version() -> str:
    try:
        return version("onewindow")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def document(routes: Iterable[Route]) -> dict[str, Any]:
    """The OpenAPI document of ``routes``."""
    routes = list(routes)
    paths: dict[str, dict[str, Schema]] = {}
    for route in routes:
        methods = paths.setdefault(route.full_path, {})
        key = route.method.lower()
        if key in methods:
            raise ValueError(f"Cannot document {route.method} {route.full_path} twice: the route table repeats it")
        methods[key] = operation(route)
    bodies: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (route.body, "validation") for route in routes if route.body is not None
    ]
    configs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(model, "serialization") for model in CENTRE_MODELS]
    schemas = model_schemas([*bodies, *configs])
    clash = set(schemas) & set(VIEW_SCHEMAS)
    if clash:
        raise ValueError(f"Cannot name two schemas {sorted(clash)[0]!r}: rename the view schema or the model")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OneWindow API",
            "version": _version(),
            "description": (
                "Queue management for government service halls. Every action takes a request id (body"
                " request_id or the Idempotency-Key header): a repeat returns the first answer and changes"
                " nothing. Errors are RFC 9457 problems (application/problem+json)."
            ),
        },
        "tags": [{"name": tag} for tag in dict.fromkeys(route.tag for route in routes)],
        "paths": paths,
        "components": {
            "schemas": {**schemas, **VIEW_SCHEMAS},
            "responses": {name: _problem_response(name) for name in _PROBLEM_RESPONSES},
            "parameters": {
                "IdempotencyKey": {
                    "name": IDEMPOTENCY_KEY,
                    "in": "header",
                    "required": False,
                    "description": "The action's request id, instead of the body's request_id",
                    "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN},
                }
            },
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `onewindow user token`: kiosk, desk (guide), staff, manager ...",
                }
            },
        },
    }
