"""The OpenAPI document: valid, the same routes as the router, and the shapes the server really sends."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from pytest_aiohttp import AiohttpClient

from queue_server.app.views import PRIVATE_TICKET_FIELDS
from queue_server.assembly import create_app
from queue_server.store.database import Database
from queue_server.web.openapi import document
from queue_server.web.route_table import all_routes
from queue_server.web.routes import API_PREFIX
from tests.api_support import API, Api, hall_service, rid, seed

PUBLIC_OPERATIONS = {
    "health",
    "openapi",
    "get_status",
    "cancel_by_status_token",
    "rate_by_status_token",
    "give_sms_phone_by_status_token",
    "get_staff_photo",
    "list_public_booking_slots",
    "ask_booking_code",
    "book_public",
    "cancel_public_booking",
    "move_public_booking",
}
METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return document(list(all_routes()))


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, *parts = node["$ref"].split("/")
        target: Any = spec
        for part in parts:
            target = target[part]
        node = target
    return node


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_every_declared_route_is_documented_and_nothing_else(spec: dict[str, Any]) -> None:
    documented = {(method, path) for method, path, _ in operations(spec)}
    declared = {(route.method, route.full_path) for route in all_routes()}
    assert documented == declared


async def test_the_served_document_matches_the_router(db: Database, aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(create_app(hall_service(db)))
    async with client.get(f"{API}/openapi.json") as response:
        assert response.status == 200
        served = await response.json()
    routed = {
        (route.method, route.resource.canonical)
        for route in client.app.router.routes()
        if route.resource and route.resource.canonical.startswith(API_PREFIX)
    }
    documented = {(method, path) for method, path, _ in operations(served)}
    assert routed == documented
    assert served == document(list(all_routes()))


def test_every_operation_documents_its_problems_and_its_security(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        where = f"{method} {path}"
        responses = op["responses"]
        public = op["operationId"] in PUBLIC_OPERATIONS
        expected = {"500", "503"}
        if not public:
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        if method == "POST":
            expected |= {"400", "409", "422"}
        assert expected <= set(responses), f"{where} lacks problem responses {expected - set(responses)}"
        for status in expected:
            response = resolve(spec, responses[status])
            schema = response["content"]["application/problem+json"]["schema"]
            assert resolve(spec, schema) is spec["components"]["schemas"]["Problem"], where
        assert op["security"] == ([] if public else [{"bearer": []}]), where
        if not public:
            assert op["x-roles"], where
        success = [status for status in responses if status.startswith("2")]
        assert len(success) == 1, where
        params = {p["name"] for p in (resolve(spec, p) for p in op.get("parameters", [])) if p["in"] == "path"}
        assert params == set(re.findall(r"\{(\w+)\}", path)), where
        if method == "POST":
            assert {"$ref": "#/components/parameters/IdempotencyKey"} in op["parameters"], where
            assert (
                "request_id" in resolve(spec, op["requestBody"]["content"]["application/json"]["schema"])["properties"]
            )


def test_operation_ids_are_unique(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(spec)]
    assert len(ids) == len(set(ids))


# --- The document says what the server sends ----------------------------------------------------------


def conforms(spec: dict[str, Any], name: str, instance: Any) -> None:
    """Validate ``instance`` against ``components/schemas/<name>`` of ``spec``."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, f"{name}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


async def test_answers_match_their_documented_schemas(
    spec: dict[str, Any], db: Database, aiohttp_client: AiohttpClient
) -> None:
    api = Api(await aiohttp_client(create_app(hall_service(db))), await seed(db))
    await api.sign_on(("s1", 1))
    conforms(spec, "Health", (await api.get("/health")).body)
    issued = await api.act("/centres/test/tickets", "kiosk", matter="pension")
    conforms(spec, "ActionAnswer", issued)
    ticket = issued["ticket"]
    await api.issue()
    called = await api.act("/centres/test/windows/1/call-next", "s1")
    conforms(spec, "ActionAnswer", called)
    paused_window = await api.act("/centres/test/windows/2/sign-on", "manager", staff="s2")
    conforms(spec, "ActionAnswer", paused_window)
    paused = await api.act("/centres/test/windows/2/pause", "s2", reason="break", minutes=10)
    conforms(spec, "WindowView", paused["window"])

    reads = {
        "CentreList": "/centres",
        "CentreView": "/centres/test",
        "QueueView": "/centres/test/queue",
        "WindowList": "/centres/test/windows",
        "WindowView": "/centres/test/windows/1",
        "TicketView": f"/centres/test/tickets/{ticket['serial']}",
        "TicketEvents": f"/centres/test/tickets/{ticket['serial']}/events",
    }
    for name, path in reads.items():
        reply = await api.get(path, "manager")
        assert reply.status == 200, (path, reply.body)
        conforms(spec, name, reply.body)

    status = (await api.get(f"/status/{ticket['status_token']}")).body
    conforms(spec, "StatusPage", status)
    documented = set(spec["components"]["schemas"]["PublicTicketView"]["properties"])
    assert set(status["ticket"]) == documented
    assert not documented & set(PRIVATE_TICKET_FIELDS)
    viewed = (await api.get(f"/centres/test/tickets/{ticket['serial']}", "manager")).body
    ticket_properties = set(spec["components"]["schemas"]["TicketView"]["properties"])
    assert set(viewed) == ticket_properties - {"status_token", "status_url"}
    assert set(ticket) == ticket_properties

    waiting = (await api.get("/centres/test/queue", "kiosk")).body["waiting"]
    assert waiting and all("status_token" not in t for t in waiting), "only the ticket's holder has its status token"
    cancelled = await api.post(f"/status/{ticket['status_token']}/cancel", None, {"request_id": rid()})
    conforms(spec, "StatusAnswer", cancelled.body)
    refused = await api.post("/centres/test/tickets", "kiosk", {"matter": "nope", "request_id": rid()})
    conforms(spec, "Problem", refused.body)
    invalid = await api.post("/centres/test/windows/1/finish", "s1", {"outcome": "x", "request_id": rid()})
    conforms(spec, "Problem", invalid.body)
