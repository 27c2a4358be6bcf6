"""The HTTP API fuzzed from its own OpenAPI document: no answer is a 5xx, every error is problem+json.

schemathesis makes requests for every operation from the document the app serves: valid ones
(positive) and ones that break the schema on purpose (negative: wrong types, missing fields,
strings where numbers go, odd path values). Each request goes out with the token of a role the
route allows (most of the time, so it gets past the door and into the handler), or with any other
token of the hall, or none. The app runs in process over real HTTP on a SQLite file, its clock at
a Monday morning when the hall is open, with windows signed on and tickets waiting.

``ONEWINDOW_FUZZ_EXAMPLES`` sets the examples per operation and mode (default 8) for a long run:
``ONEWINDOW_FUZZ_EXAMPLES=500 .venv/bin/python -m pytest -q tests/test_fuzz_http.py``.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from queue_server.auth.accounts import ACTION_ROLES
from queue_server.web.openapi import document
from queue_server.web.route_table import all_routes
from queue_server.web.routes import Route
from tests.api_support import PROBLEM_JSON, TOKEN_SPECS
from tests.served_app import ServedApp

EXAMPLES = int(os.environ.get("ONEWINDOW_FUZZ_EXAMPLES", "8"))
"""Examples per operation and generation mode; raise it for a soak run."""

SCHEMA = schemathesis.openapi.from_dict(document(list(all_routes())))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
ROUTES: dict[str, Route] = {f"{route.method} {route.full_path}": route for route in all_routes()}
HALL_TOKENS = [name for name, (_, centre, _) in TOKEN_SPECS.items() if centre == "test"]
"""One token of each role at centre ``test`` (and a second and third staff member)."""
TOKEN_OF_ROLE = {role: name for name, (role, centre, _) in reversed(TOKEN_SPECS.items()) if centre == "test"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    with ServedApp(tmp_path_factory.mktemp("fuzz-http")) as app:
        yield app


ANSWERS: Counter[int] = Counter()
"""Every fuzzed answer's status, printed when the module ends (``-s``): a soak run's counts."""


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
    print(f"HTTP fuzz, answers by status: {dict(sorted(ANSWERS.items()))}, {sum(ANSWERS.values())} in all")


def allowed_tokens(route: Route) -> list[str]:
    """Tokens (by name) of the roles the route admits; every hall token for a public route."""
    if route.access is None:
        return HALL_TOKENS
    roles = ACTION_ROLES[route.access.group] - route.access.deny
    return [TOKEN_OF_ROLE[role] for role in sorted(roles) if role in TOKEN_OF_ROLE]


def callers(route: Route) -> st.SearchStrategy[str | None]:
    """Mostly a token the route admits (to reach the handler); sometimes any other, or none."""
    return st.one_of(
        st.sampled_from(allowed_tokens(route)),
        st.sampled_from(allowed_tokens(route)),
        st.sampled_from([*HALL_TOKENS, None]),
    )


def check_answer(case: schemathesis.Case, response: schemathesis.Response) -> None:
    """No server error; an error says what went wrong as problem+json."""
    where = f"{case.method} {case.formatted_path}: {response.status_code} {response.content[:500]!r}"
    assert response.status_code < 500, where
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.split(";")[0] == PROBLEM_JSON, where
        body = json.loads(response.content)
        assert body["status"] == response.status_code, where
        assert isinstance(body["type"], str) and isinstance(body["title"], str), where


def breakable(route: Route) -> bool:
    """Whether a request can break the route's schema at all: it takes parameters or a body."""
    return bool(route.params or route.query or route.body)


FUZZED = [
    pytest.param(operation, mode, id=f"{operation.label}-{mode.value}")
    for operation in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or breakable(ROUTES[operation.label])
]


@pytest.mark.parametrize(("operation", "mode"), FUZZED)
def test_every_answer_is_no_server_error_and_errors_are_problems(
    served: ServedApp,
    http: requests.Session,
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = ROUTES[operation.label]
    in_the_hall = operation.as_strategy(generation_mode=mode, path_parameters={"centre": "test"})
    anywhere = operation.as_strategy(generation_mode=mode)
    cases = st.one_of(in_the_hall, in_the_hall, anywhere) if "centre" in route.params else anywhere

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(case=cases, who=callers(route))
    def fuzz(case: schemathesis.Case, who: str | None) -> None:
        headers = {"Authorization": f"Bearer {served.tokens[who]}"} if who is not None else {}
        response = case.call(base_url=served.base_url, session=http, headers=headers, timeout=30)
        ANSWERS[response.status_code] += 1
        check_answer(case, response)

    with caplog.at_level(logging.ERROR):
        fuzz()
    incidents = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert not incidents, incidents


HOSTILE_BODIES = {
    "deep-array": b"[" * 100_000 + b"]" * 100_000,
    "deep-object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "not-utf8": b'{"request_id": "\xff\xfe", "matter": "pension"}',
    "huge-number": b'{"request_id": "n1", "matter": "pension", "serial": 1' + b"0" * 5000 + b"}",
    "infinity": b'{"request_id": "n2", "minutes": 1e400}',
    "nan": b'{"request_id": "n3", "minutes": NaN}',
    "huge-string": b'{"request_id": "' + b"x" * 3_000_000 + b'"}',
    "empty": b"",
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/api/v1/centres/test/tickets", "kiosk"),
        ("/api/v1/centres/test/windows/1/pause", "s1"),
        ("/api/v1/centres/test/windows/1/call", "s1"),
        ("/api/v1/centres/test/rectifications", "manager"),
    ],
)
def test_hostile_bodies_are_refused_as_problems(
    served: ServedApp, http: requests.Session, path: str, who: str, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Authorization": f"Bearer {served.tokens[who]}", "Content-Type": "application/json"}
    with caplog.at_level(logging.ERROR):
        response = http.post(served.base_url + path, data=body, headers=headers, timeout=30)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].split(";")[0] == PROBLEM_JSON
    assert response.json()["status"] == response.status_code
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "query",
    ["date=0001-01-01", "date=9999-12-31&period=week", "date=9999-12-31&period=month", "date=1969-12-31"],
)
def test_a_report_at_the_ends_of_the_calendar_is_refused_as_a_problem(
    served: ServedApp, http: requests.Session, query: str
) -> None:
    """The soak run found these as 500s (a period that cannot be turned into UTC instants)."""
    headers = {"Authorization": f"Bearer {served.tokens['manager']}"}
    response = http.get(f"{served.base_url}/api/v1/centres/test/reports?{query}", headers=headers, timeout=30)
    assert response.status_code == 422, response.text[:300]
    assert response.headers["Content-Type"].split(";")[0] == PROBLEM_JSON
    assert response.json()["errors"][0]["field"] == "date"
