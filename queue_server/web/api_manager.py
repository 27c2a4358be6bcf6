"""The manager's routes: the centre's configuration read, checked and changed, and the printers' paper.

A configuration comes as JSON in the shape of the centre file, or as the centre file's TOML text
(an import); either is validated whole by the centre model before anything is compared, so an
invalid edit changes nothing and every wrong field is named by its dotted path
(``windows.3.name``) or, for TOML, by its line. A valid one is compared with the stored one; a
dry run only lists the differences, otherwise they are applied in one transaction and the running
server uses them at once: the halls are rebuilt (the state version moved), the pages are told,
and the bus takes the new device registry.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, ValidationError
from typing_extensions import TypedDict

from queue_server.app.service import HallService
from queue_server.app.view_fields import documented, values_of
from queue_server.app.views import CentreChange
from queue_server.auth.accounts import ACTION_ROLES, Action, Role
from queue_server.config.centre_file import CentreFileError, centre_to_toml, parse_centre
from queue_server.domain.centre import Centre, LocatedValueError, clock_text
from queue_server.domain.devices import DeviceKind
from queue_server.protocol.payloads import PrinterStatus
from queue_server.store.printing import waiting_jobs
from queue_server.web.api import READ_HALL, _centre, _service, read_body, request_id_of
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.keys import BUS
from queue_server.web.problems import ProblemError, answer_response, field_errors, invalid_request, json_response
from queue_server.web.routes import Access, Route

READ_CONFIG = Access(Action.READ, deny=frozenset({Role.KIOSK, Role.STAFF, Role.GUIDE}))
"""The configuration is the management's: the manager and the admin, and the supervisor watching."""
EDIT_CONFIG = Access(Action.READ, deny=ACTION_ROLES[Action.READ] - {Role.MANAGER, Role.ADMIN})
"""Only the centre's manager and admin change it."""

TOML_LIMIT = 512 * 1024
"""A centre file is a few kilobytes; a much larger upload is a mistake."""
TOML_SOURCE = "centre.toml"


class ConfigBody(ActionBody):
    """A new configuration of the centre, as JSON (``config``) or as a centre file's text (``toml``)."""

    config: dict[str, Any] | None = Field(
        default=None, description="The whole configuration in the shape of the centre file (as GET .../config reads)"
    )
    toml: Annotated[str, Field(max_length=TOML_LIMIT)] | None = Field(
        default=None, description="The whole configuration as a centre file (TOML), e.g. an edited export"
    )
    dry_run: bool = Field(default=False, description="Only list the differences; change nothing")


# --- The configuration as the centre file's data ------------------------------------------------------


def config_data(centre: Centre) -> dict[str, Any]:
    """The configuration in the centre file's shape (periods as ``["08:30", "12:00"]``), as JSON types.

    It is the export read back, so the JSON and the TOML never disagree about what is written.
    """
    data: dict[str, Any] = _jsonable(tomllib.loads(centre_to_toml(centre)))
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.time):
        return clock_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def config_errors(error: ValidationError) -> list[dict[str, str]]:
    """Each wrong field by its dotted path in the configuration, with what is wrong with it."""
    found: list[tuple[str, str]] = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        cause = item.get("ctx", {}).get("error")
        given = item.get("input")
        if item["type"] == "too_short" and isinstance(given, list | tuple) and given:
            continue  # a list whose items failed also calls itself too short: the items say why
        if isinstance(cause, LocatedValueError):
            loc, message = loc + cause.loc, cause.message
        elif item["type"] in ("too_short", "string_too_short") and item.get("ctx", {}).get("min_length") == 1:
            message = "must not be empty"
        elif cause is not None:
            message = str(cause)
        else:
            message = item["msg"]
        found.append((".".join(str(part) for part in loc) or "config", message))
    return field_errors(found)


def _new_config(request: web.Request, body: ConfigBody) -> Centre:
    """The configuration the body carries, validated whole; 422 naming each wrong field or line."""
    what = f"Cannot change the configuration of centre {_centre(request)!r}"
    if (body.config is None) == (body.toml is None):
        message = "send the configuration either as config (JSON) or as toml (a centre file), one of the two"
        raise ProblemError(invalid_request(what, field_errors([("config", message)])))
    if body.toml is not None:
        try:
            centre = parse_centre(body.toml, TOML_SOURCE)
        except CentreFileError as error:
            problems = [("toml", problem.describe(TOML_SOURCE)) for problem in error.problems]
            raise ProblemError(invalid_request(what, field_errors(problems))) from None
    else:
        try:
            centre = Centre.model_validate(body.config)
        except ValidationError as error:
            raise ProblemError(invalid_request(what, config_errors(error))) from None
    if centre.code != _centre(request):
        message = f"is {centre.code!r}, but this is centre {_centre(request)!r}; a centre keeps its code"
        raise ProblemError(invalid_request(what, field_errors([("centre.code", message)])))
    return centre


@documented
class CentreConfig(TypedDict):
    """A centre's whole configuration: as JSON in the centre file's shape, and as the centre file itself"""

    centre: str
    config: dict[str, Any]
    """The centre file's data: centre, policy, hours, windows ..."""
    toml: str
    """The same configuration as a centre file (TOML), to download"""


# --- Handlers -----------------------------------------------------------------------------------------


async def _stored(service: HallService, centre: str) -> Centre:
    return (await service.hall(centre)).centre


async def get_config(request: web.Request) -> web.StreamResponse:
    centre = await _stored(_service(request), _centre(request))
    answer: CentreConfig = {"centre": centre.code, "config": config_data(centre), "toml": centre_to_toml(centre)}
    return json_response(answer)


async def put_config(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = ConfigBody.model_validate(await read_body(request))
    new = _new_config(request, body)
    request_id = None if body.dry_run else request_id_of(request, body)
    answer = await _service(request).configure(
        _centre(request), new, actor=principal.actor, request_id=request_id, dry_run=body.dry_run
    )
    bus = request.app.get(BUS)
    if bus is not None and answer.ok and not body.dry_run:
        bus.take_centre(await _stored(_service(request), _centre(request)))
    return answer_response(request, answer)


@documented
class PrinterHealthView(TypedDict):
    """A printer of the registry: its paper and cover (state) and whether it is online; null when not heard"""

    id: str
    name: str
    window: int | None
    state: Annotated[str | None, values_of(PrinterStatus, nullable=True)]
    online: bool | None
    waiting_jobs: int
    """Its jobs (tickets, notices) no printer has answered yet"""
    waiting_seconds: int | None
    """How long the oldest of them has waited; null when none waits. Past a minute the pages warn."""


@documented
class PrinterList(TypedDict):
    """A centre's printers and what each last said on the bus"""

    centre: str
    printers: list[PrinterHealthView]


async def get_printers(request: web.Request) -> web.StreamResponse:
    """Each printer of the registry with what it last said on the bus (None: not heard since start)."""
    service, code = _service(request), _centre(request)
    centre = await _stored(service, code)
    board = service.printers(code)
    async with service.db.read() as conn:
        waiting = await waiting_jobs(conn, code)
    now = service.clock.now()
    printers: list[PrinterHealthView] = []
    for device in centre.devices:
        if device.kind is not DeviceKind.PRINTER:
            continue
        health = board.health(device.id)
        count, oldest = waiting.get(device.id, (0, None))
        printers.append(
            {
                "id": device.id,
                "name": device.name,
                "window": device.window,
                "state": health.state.value if health.state is not None else None,
                "online": health.online,
                "waiting_jobs": count,
                "waiting_seconds": max(0, int((now - oldest).total_seconds())) if oldest is not None else None,
            }
        )
    answer: PrinterList = {"centre": code, "printers": printers}
    return json_response(answer)


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/centres/{centre}/config",
        operation_id="get_centre_config",
        summary="Read a centre's whole configuration",
        handler=get_config,
        access=READ_CONFIG,
        tag="centre configuration",
        response=CentreConfig,
        description="The configuration as JSON in the shape of the centre file, and as the centre file (TOML).",
    ),
    Route(
        method="PUT",
        path="/centres/{centre}/config",
        operation_id="put_centre_config",
        summary="Check or change a centre's configuration",
        handler=put_config,
        access=EDIT_CONFIG,
        tag="centre configuration",
        response=CentreChange,
        body=ConfigBody,
        action=True,
        description=(
            "The whole configuration, as JSON (config) or as a centre file (toml). An invalid one is 422 with"
            " each field by its dotted path (windows.3.name) or each line of the file, and changes nothing."
            " A dry run lists the differences; otherwise they are applied at once (request id needed)."
            " A change the running hall cannot take (removing a window with a ticket at it, a matter an open"
            " ticket is for) is 409 with the reason."
        ),
    ),
    Route(
        method="GET",
        path="/centres/{centre}/printers",
        operation_id="list_printers",
        summary="List a centre's printers with their paper and cover state",
        handler=get_printers,
        access=READ_HALL,
        tag="reads",
        response=PrinterList,
        description="What each printer last published on the bus (ready, paper low or out, cover open, offline).",
    ),
]
