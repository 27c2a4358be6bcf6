"""Device requests in, answers out: validated, applied once per request id, never a crash.

A request arrives on ``<kind>/<id>/request/<what>``. It is answered on the same device's
``<kind>/<id>/response/<what>`` with its request id: the command's result, or an error saying
what was wrong. The device's binding comes from the registry, never from the payload: a keypad
acts at its own window whatever it sends. Request ids are kept per device, so two devices can
never replay each other's answers.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from pydantic import ValidationError

from queue_server.app.commands import (
    CallNext,
    Command,
    Finish,
    IssueTicket,
    NoShow,
    Pause,
    RateTicket,
    Recall,
    Resume,
    StartServing,
)
from queue_server.app.log_context import acting
from queue_server.app.refusals import RefusalKind
from queue_server.app.service import HallService
from queue_server.bus.figures import DEVICE_REQUESTS, request_label
from queue_server.domain.centre import Centre, Device
from queue_server.domain.devices import DeviceKind
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import Channel
from queue_server.protocol.payloads import (
    REQUESTS,
    DeviceRequest,
    DeviceResponse,
    KeypadFinish,
    KeypadNext,
    KeypadNoShow,
    KeypadPause,
    KeypadRecall,
    KeypadResume,
    KeypadStart,
    KioskTicket,
    PadRating,
    PrintResult,
    ResponseError,
)
from queue_server.protocol.topics import DEVICE_REQUEST, DEVICE_RESPONSE, MAX_PAYLOAD_BYTES

log = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Reply:
    topic: str
    response: DeviceResponse
    kind: str = ""
    """The kind of device answered, to count the answer under."""

    def payload(self) -> str:
        return self.response.model_dump_json(exclude_none=True)


DEVICE_ERRORS: dict[RefusalKind, str] = {
    RefusalKind.NOT_FOUND: "not-found",
    RefusalKind.NOT_ALLOWED: "not-allowed",
    RefusalKind.CONFLICT: "invalid-transition",
    RefusalKind.INVALID: "invalid",
    RefusalKind.REFUSED: "refused",
    RefusalKind.ISSUE_REFUSED: "issue-refused",
    RefusalKind.CHANGE_REFUSED: "centre-change-refused",
    RefusalKind.REQUEST_ID_REUSED: "request-id-reused",
}
"""The error type a device is answered with for each kind of refusal (protocol.md lists them)."""


def refuse(
    request_id: str, kind: str, detail: str, code: str | None = None, message: str | None = None
) -> DeviceResponse:
    """An error answer; ``code`` and ``message`` (Chinese) when the hall refused with a code of its own."""
    error = ResponseError(type=kind, detail=detail, code=code, message=message)
    return DeviceResponse(request_id=request_id, ok=False, error=error)


def command_for(request: DeviceRequest, device: Device) -> Command | None:
    """The command a device's request stands for, at the device's own window."""
    window = device.window or 0
    match request:
        case KeypadNext():
            return CallNext(window=window)
        case KeypadRecall():
            return Recall(window=window)
        case KeypadNoShow():
            return NoShow(window=window)
        case KeypadStart():
            return StartServing(window=window)
        case KeypadFinish(outcome=outcome):
            return Finish(window=window, outcome=outcome)
        case KeypadPause(reason=reason, minutes=minutes):
            return Pause(window=window, reason=reason, minutes=minutes)
        case KeypadResume():
            return Resume(window=window)
        case KioskTicket(matter=matter, category=category):
            return IssueTicket(matter=matter, category=category, channel=Channel.DEVICE)
        case PadRating(serial=serial, level=level, items=items):
            rated = {item: RatingLevel(value) for item, value in (items or {}).items()}
            return RateTicket(
                serial=serial, level=RatingLevel(level), window=window, source=f"pad:{device.id}", items=rated
            )
    return None


def _request_id_of(raw: object) -> str:
    """The request id, if the payload has a usable one, so even a refusal can be matched."""
    if isinstance(raw, dict):
        value = raw.get("request_id")
        if isinstance(value, str) and _REQUEST_ID.fullmatch(value):
            return value
    return ""


class DeviceRequests:
    """Turns one centre's device requests into service actions and their answers."""

    def __init__(self, service: HallService, centre: Centre) -> None:
        self.service = service
        self.centre = centre

    async def handle(self, topic: str, payload: bytes) -> Reply | None:
        """The reply to a message on a request topic; None when the topic is not a request."""
        parts = DEVICE_REQUEST.parse(topic)
        if parts is None or parts["centre"] != self.centre.code:
            log.warning("dropped a message on %s: not a request topic of centre %s", topic, self.centre.code)
            return None
        kind, device_id, what = parts["kind"], parts["device"], parts["what"]
        reply_to = DEVICE_RESPONSE.build(self.centre.code, kind=kind, device=device_id, what=what)
        device = self.centre.devices_by_id.get(device_id)
        window = device.window if device is not None else None
        with acting(centre=self.centre.code, actor=f"device:{device_id}", window=window):
            try:
                response = await self._answer(DeviceKind(kind), device_id, what, payload)
            except Exception:
                DEVICE_REQUESTS.labels(self.centre.code, kind, request_label(what), "failed").inc()
                raise
            outcome = "ok" if response.ok or response.error is None else response.error.type
            DEVICE_REQUESTS.labels(self.centre.code, kind, request_label(what), outcome).inc()
            if not response.ok:
                with acting(request_id=f"device:{device_id}:{response.request_id}" if response.request_id else None):
                    log.warning("refused a request on %s: %s", topic, response.error.detail if response.error else "")
        return Reply(reply_to, response, kind)

    async def _answer(self, kind: DeviceKind, device_id: str, what: str, payload: bytes) -> DeviceResponse:
        if len(payload) > MAX_PAYLOAD_BYTES:
            return refuse(
                "", "too-large", f"Cannot read a request of {len(payload)} bytes: at most {MAX_PAYLOAD_BYTES}"
            )
        try:
            raw = json.loads(payload)
        except (UnicodeDecodeError, ValueError) as error:
            return refuse("", "malformed", f"Cannot read the request: it is not JSON ({error})")
        except RecursionError:  # JSON nested thousands deep (found by tests/test_fuzz_mqtt.py)
            return refuse("", "malformed", "Cannot read the request: its JSON is nested too deep")
        request_id = _request_id_of(raw)
        model = REQUESTS.get((kind, what))
        if model is None:
            known = sorted(w for k, w in REQUESTS if k is kind)
            return refuse(request_id, "unknown-request", f"A {kind.value} has no request {what!r}; it has {known}")
        try:
            request = model.model_validate_json(payload)
        except ValidationError as error:
            fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in error.errors())
            return refuse(request_id, "invalid", f"Cannot accept the {what} request: {fields}")
        device = self.centre.devices_by_id.get(device_id)
        if device is None or device.kind is not kind:
            return refuse(request_id, "unknown-device", f"No {kind.value} {device_id!r} is registered at this centre")
        if isinstance(request, PrintResult):
            return await self._print_result(device, request)
        try:
            command = command_for(request, device)
        except ValidationError as error:  # a value the protocol lets through and the command does not,
            # e.g. a pad's serial beyond any ticket's (found by tests/test_fuzz_mqtt.py)
            fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in error.errors())
            return refuse(request.request_id, "invalid", f"Cannot accept the {what} request: {fields}")
        if command is None:
            return refuse(request.request_id, "not-supported", f"The server does not take {kind.value} {what} yet")
        if isinstance(command, IssueTicket):
            flooded = self.service.ticket_limits.take(
                self.centre, kiosk=device.id, request_id=f"{device.id}:{request.request_id}"
            )
            if flooded is not None:
                return refuse(request.request_id, "rate-limited", flooded.detail)
        answer = await self.service.act(
            self.centre.code,
            command,
            actor=f"device:{device.id}",
            request_id=f"device:{device.id}:{request.request_id}",
        )
        if answer.refusal is not None:
            refused = answer.refusal
            code = refused.code.value if refused.code is not None else None
            return refuse(request.request_id, DEVICE_ERRORS[refused.kind], refused.detail, code, refused.message)
        return DeviceResponse(request_id=request.request_id, ok=True, result=answer.body)

    async def _print_result(self, device: Device, result: PrintResult) -> DeviceResponse:
        """Keep how a job ended (a ticket the printer could not print goes to a spare); a repeat of
        the same answer changes nothing more."""
        known = await self.service.print_result(
            self.centre.code, device.id, result.job_id, result.status, result.reason
        )
        if not known:
            return refuse(result.request_id, "unknown-job", f"Printer {device.id} was sent no job {result.job_id!r}")
        return DeviceResponse(
            request_id=result.request_id, ok=True, result={"job_id": result.job_id, "status": result.status}
        )
