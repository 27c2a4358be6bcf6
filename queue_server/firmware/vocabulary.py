"""What the firmware templates may say, taken from the protocol module at render time.

A template never spells a topic, a JSON key or a protocol word: it names them through the
mappings here, built from ``queue_server.protocol``, and rendering fails (StrictUndefined) when
one it names is gone. Topics keep ESPHome's ``${centre}``, ``${device_id}`` and ``${window}``
substitutions, so one rendered file serves every device of its kind.

The only C++ here is :data:`REQUEST_SOURCES`: where each field of each request takes its value
on the device. A field the protocol adds without a source here fails the render, so the firmware
cannot silently send a request the server would refuse.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from pydantic import BaseModel

from queue_server.domain.devices import DeviceKind
from queue_server.domain.ratings import RatingItem
from queue_server.domain.tickets import Category, Outcome, TicketStatus
from queue_server.domain.windows import PauseReason, WindowStatus
from queue_server.protocol import OFFLINE, ONLINE, PROTOCOL, REQUESTS
from queue_server.protocol.payloads import (
    PROTOCOL_REVISION,
    CurrentTicket,
    DeviceResponse,
    PadRating,
    PadState,
    PadStatus,
    ResponseError,
    ServerProtocol,
    WindowState,
)
from queue_server.protocol.topics import (
    DEVICE_AVAILABILITY,
    DEVICE_REQUEST,
    DEVICE_RESPONSE,
    PAD_STATE,
    ROOT,
    SERVER_PROTOCOL,
    WINDOW_STATE,
    TopicPattern,
)

FIRMWARE_KINDS: tuple[DeviceKind, ...] = (DeviceKind.DISPLAY, DeviceKind.PAD, DeviceKind.KEYPAD, DeviceKind.KIOSK)
"""The ESP32 devices; printers and the hall board run the Python clients instead."""

SUBSTITUTED = {"centre": "${centre}", "device": "${device_id}", "number": "${window}", "kind": "${kind}"}
"""How a topic's placeholders appear in a configuration: as ESPHome substitutions."""

REQUEST_SOURCES: Mapping[tuple[DeviceKind, str], Mapping[str, str]] = {
    (DeviceKind.KEYPAD, "next"): {},
    (DeviceKind.KEYPAD, "recall"): {},
    (DeviceKind.KEYPAD, "no_show"): {},
    (DeviceKind.KEYPAD, "start"): {},
    (DeviceKind.KEYPAD, "finish"): {"outcome": 'root["{key}"] = "${{finish_outcome}}";'},
    (DeviceKind.KEYPAD, "pause"): {
        "reason": 'root["{key}"] = "${{pause_reason}}";',
        "minutes": 'if (${{pause_minutes}} > 0) root["{key}"] = ${{pause_minutes}};',
    },
    (DeviceKind.KEYPAD, "resume"): {},
    (DeviceKind.KIOSK, "ticket"): {
        "matter": 'root["{key}"] = id(ow_matter);',
        "category": 'if (id(ow_green)) root["{key}"] = "${{green_category}}";',
    },
    (DeviceKind.PAD, "rating"): {
        "serial": 'root["{key}"] = id(ow_rating_serial);',
        "level": 'root["{key}"] = id(ow_rating_level);',
        "items": " ".join(
            f'if (id(ow_sent_{item.value}) > 0) root["{{key}}"]["{item.value}"] = id(ow_sent_{item.value});'
            for item in RatingItem
        ),
    },
}
"""Each request field's C++ statement on the device (``{key}`` is the field's JSON key).

Values fixed at request time live in globals, so a repeat sends the very same request."""
REQUEST_ID_SOURCE = 'root["{key}"] = id(ow_pending_id);'


class VocabularyError(ValueError):
    """The protocol and the firmware's request sources disagree."""


def topic(pattern: TopicPattern, **fixed: str) -> str:
    """A full topic with ESPHome substitutions, e.g. ``onewindow/${centre}/window/${window}/state``."""
    parts = {name: fixed[name] if name in fixed else SUBSTITUTED[name] for name in pattern.placeholders}
    return f"{ROOT}/{SUBSTITUTED['centre']}/" + pattern.template.format(**parts)


def keys(model: type[BaseModel]) -> dict[str, str]:
    """A model's JSON keys by name: the template writes ``F.window_state.status`` and gets ``status``."""
    return {name: name for name in model.model_fields}


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """One request a device sends: its name, topic, and a C++ statement per JSON key."""

    what: str
    topic: str
    statements: tuple[str, ...]


def requests(kind: DeviceKind) -> list[Request]:
    """Every request the protocol gives ``kind``, each field filled from :data:`REQUEST_SOURCES`."""
    made = []
    for (request_kind, what), model in REQUESTS.items():
        if request_kind is not kind:
            continue
        sources = REQUEST_SOURCES.get((kind, what))
        if sources is None:
            raise VocabularyError(f"Cannot render the {kind.value} firmware: request {what!r} has no sources")
        fields = [name for name in model.model_fields if name != "request_id"]
        if missing := sorted(set(fields) - set(sources)):
            raise VocabularyError(f"Cannot render {kind.value} request {what!r}: no source for {missing}")
        if unknown := sorted(set(sources) - set(fields)):
            raise VocabularyError(f"Cannot render {kind.value} request {what!r}: {unknown} are not its fields")
        statements = [REQUEST_ID_SOURCE.format(key="request_id")]
        statements += [sources[name].format(key=name) for name in fields]
        made.append(Request(what, topic(DEVICE_REQUEST, kind=kind.value, what=what), tuple(statements)))
    return made


def _levels() -> list[int]:
    """The rating levels, from PadRating's bounds (5 非常满意 ... 1 非常不满意)."""
    low = high = None
    for rule in PadRating.model_fields["level"].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    if not isinstance(low, int) or not isinstance(high, int):
        raise VocabularyError("Cannot render the pad firmware: PadRating.level has no bounds")
    return list(range(high, low - 1, -1))


def context(kind: DeviceKind) -> dict[str, object]:
    """Everything a template of ``kind`` may name: topics ``T``, keys ``F``, words ``V``, requests."""
    return {
        "kind": kind.value,
        "T": {
            "availability": topic(DEVICE_AVAILABILITY),
            "responses": topic(DEVICE_RESPONSE, what="+"),
            "window_state": topic(WINDOW_STATE),
            "pad_state": topic(PAD_STATE),
            "server_protocol": topic(SERVER_PROTOCOL),
        },
        "F": {
            "window_state": keys(WindowState),
            "ticket": keys(CurrentTicket),
            "pad_state": keys(PadState),
            "response": keys(DeviceResponse),
            "error": keys(ResponseError),
            "server_protocol": keys(ServerProtocol),
        },
        "V": {
            "online": ONLINE,
            "offline": OFFLINE,
            "pad": {status.name.lower(): status.value for status in PadStatus},
            "window": {status.name.lower(): status.value for status in WindowStatus},
            "ticket": {status.name.lower(): status.value for status in TicketStatus if status.at_window},
            "default_outcome": Outcome.ON_THE_SPOT.value,
            "default_pause_reason": PauseReason.BREAK.value,
            "default_green_category": Category.ELDERLY.value,
            "levels": _levels(),
            "rating_items": [item.value for item in RatingItem],
            "protocol": PROTOCOL,
            "revision": PROTOCOL_REVISION,
        },
        "requests": requests(kind),
    }
