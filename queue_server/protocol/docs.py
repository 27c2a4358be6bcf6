"""The reference part of docs/protocol.md, generated from this package so it cannot drift from it.

``render_markdown()`` builds the topic table, the request table, the vocabularies and one section
per payload (its fields from the pydantic model, and an example that the model itself validated).
docs/protocol.md keeps it between two marker lines; the prose around them is written by hand.
tests/test_protocol.py fails when the two differ. To regenerate::

    python -m queue_server.protocol.docs --write      # rewrite the section in docs/protocol.md
    python -m queue_server.protocol.docs --check      # exit 1 if it is out of date
    python -m queue_server.protocol.docs              # print the section
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from queue_server.protocol import payloads
from queue_server.protocol.payloads import (
    PROTOCOL,
    PROTOCOL_REVISION,
    REQUESTS,
    Call,
    DeviceRequest,
    DeviceResponse,
    HallCalls,
    HallFeed,
    HallSummary,
    Inbound,
    Outbound,
    PadState,
    PrinterState,
    PrintJob,
    Sequenced,
    ServerProtocol,
    WindowState,
)
from queue_server.protocol.topics import (
    DEVICE_AVAILABILITY,
    DEVICE_REQUEST,
    DEVICE_RESPONSE,
    HALL_CALLS,
    HALL_FEED,
    HALL_SUMMARY,
    MAX_PAYLOAD_BYTES,
    OFFLINE,
    ONLINE,
    PAD_STATE,
    PRINTER_JOB,
    PRINTER_STATE,
    ROOT,
    SEGMENT,
    SERVER_AVAILABILITY,
    SERVER_INSTANCE,
    SERVER_PROTOCOL,
    TOPICS,
    WINDOW_CALL,
    WINDOW_STATE,
    TopicPattern,
)
from queue_server.vocabulary import DeviceKind

BEGIN = "<!-- BEGIN GENERATED REFERENCE: python -m queue_server.protocol.docs --write -->"
END = "<!-- END GENERATED REFERENCE -->"
DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
"""docs/protocol.md of the source tree this module belongs to."""

BASES: tuple[type[BaseModel], ...] = (Inbound, Outbound, Sequenced, DeviceRequest)
"""Models that only lend their fields and rules to others; the reference names them in its preamble."""

TOPIC_PAYLOADS: dict[str, type[BaseModel]] = {
    WINDOW_STATE.name: WindowState,
    WINDOW_CALL.name: Call,
    HALL_SUMMARY.name: HallSummary,
    HALL_CALLS.name: HallCalls,
    HALL_FEED.name: HallFeed,
    PAD_STATE.name: PadState,
    DEVICE_RESPONSE.name: DeviceResponse,
    PRINTER_JOB.name: PrintJob,
    PRINTER_STATE.name: PrinterState,
    SERVER_PROTOCOL.name: ServerProtocol,
}
"""The JSON model of each topic that has one; requests have one per ``what`` (``REQUESTS``)."""

TEXT_TOPICS = {SERVER_AVAILABILITY.name, SERVER_INSTANCE.name, DEVICE_AVAILABILITY.name}
"""Topics whose payload is the plain word ``online`` or ``offline``."""

_ID = "5f1c9a0e27b3"
"""The boot nonce of the examples' device."""


def _examples() -> dict[type[BaseModel], BaseModel]:
    """One example per topic payload and per request, each validated by its own model."""
    ticket = {
        "serial": 118,
        "number": "A023",
        "matter": "residence",
        "matter_name": "居住证申领",
        "green_channel": False,
        "booked": True,
        "status": "serving",
        "called_at": "2025-03-04T01:41:07Z",
        "serving_at": "2025-03-04T01:41:52Z",
        "calls": 1,
    }
    window = {
        "number": 3,
        "name": "3号窗口",
        "name_en": "Window 3",
        "kinds": ["general"],
        "green_channel": False,
        "status": "open",
        "staff": "王芳",
        "since": "2025-03-04T00:30:00Z",
        "ticket": ticket,
        "version": 57,
    }
    call = {
        "call_id": "118-2",
        "serial": 118,
        "number": "A023",
        "matter": "residence",
        "matter_name": "居住证申领",
        "matter_name_en": "Residence permit",
        "window": 3,
        "window_name": "3号窗口",
        "window_name_en": "Window 3",
        "recall": False,
        "at": "2025-03-04T01:41:07Z",
    }
    samples: list[BaseModel] = [
        WindowState.model_validate({"seq": 42, "protocol": PROTOCOL, **window}),
        Call.model_validate({"seq": 41, "protocol": PROTOCOL, **call}),
        HallSummary.model_validate(
            {
                "seq": 305,
                "protocol": PROTOCOL,
                "centre": "demo",
                "name": "示范街道便民服务中心",
                "name_en": "Demo Street Convenience Service Centre",
                "at": "2025-03-04T01:41:08Z",
                "waiting": [
                    {
                        "prefix": "A",
                        "name": "综合业务",
                        "name_en": "General",
                        "waiting": 7,
                        "wait_range_minutes": [45, 70],
                    }
                ],
            }
        ),
        HallCalls.model_validate({"seq": 96, "protocol": PROTOCOL, "at": "2025-03-04T01:41:08Z", "calls": [call]}),
        HallFeed.model_validate(
            {
                "seq": 310,
                "protocol": PROTOCOL,
                "centre": "demo",
                "name": "示范街道便民服务中心",
                "name_en": "Demo Street Convenience Service Centre",
                "at": "2025-03-04T01:41:08Z",
                "windows": [window],
                "waiting": [{"prefix": "A", "name": "综合业务", "name_en": "General", "waiting": 7}],
                "last_calls": [call],
            }
        ),
        PadState.model_validate(
            {
                "seq": 12,
                "protocol": PROTOCOL,
                "state": "open",
                "serial": 118,
                "number": "A023",
                "window": 3,
                "expires_at": "2025-03-04T01:52:00Z",
            }
        ),
        PrintJob.model_validate(
            {
                "seq": 31,
                "protocol": PROTOCOL,
                "job_id": "demo-118-ticket",
                "kind": "ticket",
                "english": True,
                "ticket": {
                    "centre_name": "示范镇便民服务中心",
                    "centre_name_en": "Shifan Town Convenience Service Centre",
                    "number": "A023",
                    "matter_name": "居住证申领",
                    "matter_name_en": "Residence permit application",
                    "green_channel": True,
                    "category_name": "老年人",
                    "people_ahead": 4,
                    "estimated_wait_minutes": 15,
                    "wait_range_minutes": [9, 24],
                    "issued_at": "2025-03-04 09:41",
                    "status_url": "http://hall.example/ticket/Jk3Lq9xW2mPaT7vB0sYc4dNe",
                },
            }
        ),
        ServerProtocol(protocol=PROTOCOL, revision=PROTOCOL_REVISION),
        PrinterState.model_validate(
            {"state": "paper_low", "detail": "paper near end", "at": "2025-03-04T01:41:09Z", "pending": 0}
        ),
        DeviceResponse.model_validate(
            {
                "request_id": f"{_ID}-17",
                "ok": False,
                "error": {
                    "type": "invalid-transition",
                    "detail": "Cannot call next at window 3: the window is paused",
                    "code": "window_paused",
                    "message": "3号窗口（综合受理）处于暂停服务，请先恢复服务",
                },
            }
        ),
    ]
    fields: dict[str, dict[str, object]] = {
        "finish": {"outcome": "on_the_spot"},
        "pause": {"reason": "meeting", "minutes": 30},
        "ticket": {"matter": "residence", "category": "elderly"},
        "rating": {"serial": 118, "level": 5},
        "result": {"job_id": "118-ticket", "status": "failed", "reason": "paper out"},
    }
    for number, ((_kind, what), model) in enumerate(REQUESTS.items(), start=17):
        samples.append(model.model_validate({"request_id": f"{_ID}-{number}", **fields.get(what, {})}))
    return {type(sample): sample for sample in samples}


# --- Rendering ---------------------------------------------------------------------------------


def render_markdown() -> str:
    """The generated reference: topics, requests, vocabularies and payloads, in Markdown."""
    examples = _examples()
    models = _payload_models()
    parts = [
        "## Reference",
        "",
        "_Generated from `queue_server.protocol` by `python -m queue_server.protocol.docs --write`;"
        " edit the protocol module, not this section._",
        "",
        *_topics_section(),
        *_requests_section(),
        *_payloads_preamble(),
    ]
    for model in models:
        parts += _model_section(model, examples.get(model), _topic_of(model))
    parts += _vocabularies_section(models)
    return "\n".join(parts).rstrip("\n") + "\n"


def _payload_models() -> list[type[BaseModel]]:
    """Every model of the payloads module but the bases: the server's messages, their parts, the requests."""
    defined = [
        value
        for value in vars(payloads).values()
        if inspect.isclass(value)
        and issubclass(value, BaseModel)
        and value.__module__ == payloads.__name__
        and value not in BASES
    ]
    messages = [m for m in TOPIC_PAYLOADS.values() if m in defined]
    parts = [m for m in defined if issubclass(m, Outbound) and m not in messages]
    requests = [m for m in REQUESTS.values() if m in defined]
    return messages + parts + requests + [m for m in defined if m not in (*messages, *parts, *requests)]


def _topic_of(model: type[BaseModel]) -> str | None:
    for name, payload in TOPIC_PAYLOADS.items():
        if payload is model:
            return next(pattern.template for pattern in TOPICS if pattern.name == name)
    for (kind, what), request in REQUESTS.items():
        if request is model:
            return _request_topic(kind, what)
    return None


def _request_topic(kind: DeviceKind, what: str) -> str:
    return DEVICE_REQUEST.template.replace("{kind}", kind.value).replace("{what}", what)


def _response_topic(kind: DeviceKind, what: str) -> str:
    return DEVICE_RESPONSE.template.replace("{kind}", kind.value).replace("{what}", what)


def _topics_section() -> list[str]:
    lines = [
        "### Topics",
        "",
        f"Every topic is below `{ROOT}/<centre>/`, where `<centre>` is the centre's code. A `{{device}}`, a"
        f" `{{what}}` and the centre's code are lowercase segments matching `{SEGMENT}` (no MQTT wildcards,"
        f" no `/`); `{{number}}` is a window number from 1 to 9999; `{{kind}}` is one of"
        f" {_or_list(kind.value for kind in DeviceKind)}.",
        "",
        "| topic | retained | QoS | publisher | payload | what it carries |",
        "|---|---|---|---|---|---|",
    ]
    for pattern in TOPICS:
        lines.append(
            f"| `{pattern.template}` | {'yes' if pattern.retained else 'no'} | {pattern.qos} |"
            f" {pattern.publisher.value} | {_payload_cell(pattern)} | {_cell(pattern.description)} |"
        )
    return [*lines, ""]


def _payload_cell(pattern: TopicPattern) -> str:
    if pattern.name in TEXT_TOPICS:
        return f"text: `{ONLINE}` or `{OFFLINE}`"
    model = TOPIC_PAYLOADS.get(pattern.name)
    if model is not None:
        return f"JSON: {_link(model)}"
    if pattern.name == DEVICE_REQUEST.name:
        return "JSON: one of the [requests](#requests)"
    return f"{pattern.payload.upper() if pattern.payload == 'json' else pattern.payload}: not specified yet"


def _requests_section() -> list[str]:
    lines = [
        "### Requests",
        "",
        "Each request a device may send, with the topic its answer (a "
        f"{_link(DeviceResponse)}) comes back on. A request of more than {MAX_PAYLOAD_BYTES:,} bytes"
        " is refused unread.",
        "",
        "| device | request topic | answer topic | payload |",
        "|---|---|---|---|",
    ]
    for (kind, what), model in REQUESTS.items():
        lines.append(
            f"| {kind.value} | `{_request_topic(kind, what)}` | `{_response_topic(kind, what)}` | {_link(model)} |"
        )
    return [*lines, ""]


def _payloads_preamble() -> list[str]:
    return [
        "### Payloads",
        "",
        "Every payload is a UTF-8 JSON object. What the server sends (`Outbound`) is read tolerantly: a"
        " reader ignores fields it does not know, so a newer server can add fields. What a device sends"
        " (`Inbound`, every `DeviceRequest`) is read strictly: an unknown field, a wrong type or an"
        " oversized value is refused with an error answer. Messages that carry `seq` (`Sequenced`) are"
        " numbered per topic. Times are ISO 8601 in UTC.",
        "",
    ]


def _model_section(model: type[BaseModel], example: BaseModel | None, topic: str | None) -> list[str]:
    lines = [f"#### {model.__name__}", ""]
    doc = inspect.cleandoc(model.__doc__ or "").split("\n\n")[0].replace("\n", " ").replace("``", "`")
    if doc:
        lines += [doc, ""]
    where = f"Topic `{topic}`. " if topic else "Part of other payloads. "
    rule = "Unknown fields are refused." if issubclass(model, Inbound) else "Unknown fields are ignored."
    lines += [where + rule, "", "| field | type | required | description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        lines.append(f"| `{name}` | {_type_cell(field)} | {_required_cell(field)} | {_cell(field.description or '')} |")
    lines.append("")
    if example is not None:
        text = json.dumps(example.model_dump(mode="json"), ensure_ascii=False, indent=2)
        lines += ["Example:", "", "```json", text, "```", ""]
    return lines


def _vocabularies_section(models: list[type[BaseModel]]) -> list[str]:
    enums: dict[str, type[Enum]] = {}
    for model in models:
        for field in model.model_fields.values():
            for enum in _enums_in(field.annotation):
                enums[enum.__name__] = enum
    lines = ["### Vocabularies", "", "The closed sets of words some fields take.", ""]
    for name, enum in sorted(enums.items()):
        values = ", ".join(f"`{member.value}`" for member in enum)
        lines += [f"#### {name}", "", values, ""]
    return lines


# --- Cells -------------------------------------------------------------------------------------


def _type_cell(field: FieldInfo) -> str:
    text = _type_text(field.annotation)
    limits = list(_limits(field))
    return text + (f" ({', '.join(limits)})" if limits else "")


def _type_text(annotation: Any) -> str:
    if annotation is None or annotation is type(None):
        return "null"
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:  # e.g. StrictInt: the same type, checked strictly
        return _type_text(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_text(arg) for arg in typing.get_args(annotation))
    if origin is list:
        (item,) = typing.get_args(annotation)
        return f"list of {_type_text(item)}"
    if origin is dict:
        return "object"
    if inspect.isclass(annotation):
        if issubclass(annotation, Enum):
            return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
        if issubclass(annotation, BaseModel):
            return _link(annotation)
        simple = {bool: "boolean", int: "integer", float: "number", str: "string"}
        if annotation in simple:
            return simple[annotation]
    raise TypeError(f"Cannot document the type {annotation!r}: teach queue_server.protocol.docs._type_text it")


def _limits(field: FieldInfo) -> Iterator[str]:
    unit = "items" if "list" in str(field.annotation) else "characters"
    for item in field.metadata:
        if isinstance(item, annotated_types.Ge):
            yield f"≥ {item.ge}"
        elif isinstance(item, annotated_types.Le):
            yield f"≤ {item.le}"
        elif isinstance(item, annotated_types.MinLen):
            yield f"at least {item.min_length} {unit}"
        elif isinstance(item, annotated_types.MaxLen):
            yield f"at most {item.max_length} {unit}"
        elif (pattern := getattr(item, "pattern", None)) is not None:
            yield f"matches `{pattern}`"


def _required_cell(field: FieldInfo) -> str:
    if field.is_required():
        return "yes"
    default = field.get_default(call_default_factory=True)
    if isinstance(default, Enum):
        default = default.value
    return f"no, default `{json.dumps(default, ensure_ascii=False)}`"


def _enums_in(annotation: Any) -> Iterator[type[Enum]]:
    if inspect.isclass(annotation) and issubclass(annotation, Enum):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _enums_in(arg)


def _link(model: type[BaseModel]) -> str:
    return f"[{model.__name__}](#{model.__name__.lower()})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _or_list(words: Iterator[str]) -> str:
    quoted = [f"`{word}`" for word in words]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}"


# --- The document ------------------------------------------------------------------------------


class MarkersMissing(ValueError):
    """The document lacks the marker lines that hold the generated section."""


def generated_section(document: str) -> str:
    """What stands between the markers of ``document``."""
    pattern = re.compile(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), re.DOTALL)
    match = pattern.search(document)
    if match is None:
        raise MarkersMissing(f"Cannot find the generated reference: the lines {BEGIN!r} and {END!r} are missing")
    return match.group(1)


def with_section(document: str, section: str) -> str:
    """``document`` with ``section`` between its markers; the prose around them is kept."""
    old = generated_section(document)
    start = document.index(BEGIN) + len(BEGIN) + 1
    return document[:start] + section + document[start + len(old) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m queue_server.protocol.docs",
        description="Print, write or check the generated reference of docs/protocol.md.",
    )
    parser.add_argument("--write", action="store_true", help="rewrite the section in the document")
    parser.add_argument("--check", action="store_true", help="exit 1 if the document's section is out of date")
    parser.add_argument("--document", type=Path, default=DOCUMENT, help=f"the document (default: {DOCUMENT})")
    args = parser.parse_args(argv)
    section = render_markdown()
    if not (args.write or args.check):
        sys.stdout.write(section)
        return 0
    document = args.document.read_text(encoding="utf-8")
    try:
        current = generated_section(document)
    except MarkersMissing as error:
        print(f"{args.document}: {error}", file=sys.stderr)
        return 1
    if current == section:
        print(f"{args.document}: the generated reference is up to date")
        return 0
    if args.check:
        print(f"{args.document}: the generated reference is out of date; run {parser.prog} --write", file=sys.stderr)
        return 1
    args.document.write_text(with_section(document, section), encoding="utf-8")
    print(f"{args.document}: rewrote the generated reference")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
