"""Every MQTT topic of OneWindow, built and parsed from one pattern per kind of topic.

All topics live under ``onewindow/<centre>/``. The server publishes a window's state and calls,
the hall board's summary and latest calls (and the old whole-hall feed), pads' rating requests
and print jobs; each device publishes only under its own ``<kind>/<id>/``: its availability and
its requests, answered on its own response topics.

This module imports nothing of the server but the ground-floor vocabulary (``queue_server.vocabulary``),
so display, printer and device code can use it alone.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

from queue_server.vocabulary import DeviceKind

ROOT = "onewindow"
SEGMENT = r"[a-z0-9][a-z0-9_-]{0,39}"
"""A centre code, device id or request name: lowercase, no MQTT wildcards or separators."""
_SEGMENT_RE = re.compile(SEGMENT)


_PARTS = {
    "number": r"[1-9][0-9]{0,3}",
    "kind": "(?:" + "|".join(kind.value for kind in DeviceKind) + ")",
}
"""What a placeholder may hold, where it is narrower than a segment."""


class Publisher(StrEnum):
    SERVER = "server"
    DEVICE = "device"


class TopicError(ValueError):
    pass


def check_segment(value: str, what: str) -> str:
    if not _SEGMENT_RE.fullmatch(value):
        raise TopicError(f"Cannot use {value!r} as a {what} in a topic: use a-z, 0-9, _ and -, at most 40")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicPattern:
    """One kind of topic: its template, delivery and who publishes it."""

    name: str
    template: str
    """Relative to ``onewindow/<centre>/``, with ``{placeholders}``."""
    retained: bool
    qos: int
    publisher: Publisher
    payload: str
    """``json`` or ``text`` (availability is the plain word online or offline)."""
    description: str

    @property
    def placeholders(self) -> tuple[str, ...]:
        return _placeholders(self.template)

    def build(self, centre: str, **values: object) -> str:
        """The concrete topic, e.g. ``onewindow/demo/window/3/call``."""
        check_segment(centre, "centre code")
        return f"{ROOT}/{centre}/" + self.subject(**values)

    def subject(self, **values: object) -> str:
        """The topic below the centre's root, e.g. ``window/3/call``: the outbox's subject."""
        parts = {}
        for name in self.placeholders:
            value = str(values[name])
            if not re.fullmatch(_PARTS.get(name, SEGMENT), value):
                raise TopicError(f"Cannot use {value!r} as the {name} of a {self.name} topic")
            parts[name] = value
        if name_extra := set(values) - set(self.placeholders):
            raise TopicError(f"Cannot build {self.name}: unknown parts {sorted(name_extra)}")
        return self.template.format(**parts)

    def filter(self, centre: str = "+", **values: object) -> str:
        """The subscription that matches every topic of this kind (at one centre, or all).

        Parts given are fixed and checked as :meth:`build` checks them; the others match anything:
        ``DEVICE_REQUEST.filter("demo", kind="pad", device="pad-3")`` is
        ``onewindow/demo/pad/pad-3/request/+`` (the ACL of a device is made of such filters).
        """
        if name_extra := set(values) - set(self.placeholders):
            raise TopicError(f"Cannot filter {self.name}: unknown parts {sorted(name_extra)}")

        def part(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                return "+"
            value = str(values[name])
            if not re.fullmatch(_PARTS.get(name, SEGMENT), value):
                raise TopicError(f"Cannot use {value!r} as the {name} of a {self.name} filter")
            return value

        return f"{ROOT}/{centre}/" + re.sub(r"\{(\w+)\}", part, self.template)

    def parse(self, topic: str) -> dict[str, str] | None:
        """The parts of a topic of this kind (``centre`` included), or None if it is not one."""
        match = _topic_regex(self.template).fullmatch(topic)
        return match.groupdict() if match else None


@functools.cache
def _placeholders(template: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\{(\w+)\}", template))


@functools.cache
def _topic_regex(template: str) -> re.Pattern[str]:
    """The regular expression of a template's topics, made once (a device's every message is matched against them)."""
    body = re.escape(template)
    for name in _placeholders(template):
        part = _PARTS.get(name, SEGMENT)
        body = body.replace(re.escape("{" + name + "}"), f"(?P<{name}>{part})")
    return re.compile(f"{ROOT}/(?P<centre>{SEGMENT})/{body}")


SERVER_AVAILABILITY = TopicPattern(
    name="server_availability",
    template="server/availability",
    retained=True,
    qos=1,
    publisher=Publisher.SERVER,
    payload="text",
    description="The server's availability, `online` or `offline` (its last will).",
)
SERVER_PROTOCOL = TopicPattern(
    name="server_protocol",
    template="server/protocol",
    retained=True,
    qos=1,
    publisher=Publisher.SERVER,
    payload="json",
    description="The protocol version and revision the server speaks, published by each instance when it"
    " connects: a device that knows an older revision of that version keeps working and notes that an update"
    " is available.",
)
SERVER_INSTANCE = TopicPattern(
    name="server_instance",
    template="server/instance/{instance}",
    retained=False,
    qos=1,
    publisher=Publisher.SERVER,
    payload="text",
    description="One server instance's last will, `offline`, heard by the others where several serve the"
    " centre; devices do not read it.",
)
WINDOW_STATE = TopicPattern(
    name="window_state",
    template="window/{number}/state",
    retained=True,
    qos=1,
    publisher=Publisher.SERVER,
    payload="json",
    description="A window's state: open, paused (with the reason) or closed, its staff and its current ticket.",
)
WINDOW_CALL = TopicPattern(
    name="window_call",
    template="window/{number}/call",
    retained=False,
    qos=1,
    publisher=Publisher.SERVER,
    payload="json",
    description="A call or recall at a window: the ticket, its matter, the window's name, a call id.",
)
HALL_SUMMARY = TopicPattern(
    name="hall_summary",
    template="hall/summary",
    retained=True,
    qos=1,
    publisher=Publisher.SERVER,
    payload="json",
    description="The hall board's heading: the centre's name and time zone, waiting counts per ticket group.",
)
HALL_CALLS = TopicPattern(
    name="hall_calls",
    template="hall/calls",
    retained=True,
    qos=1,
    publisher=Publisher.SERVER,
    payload="json",
    description="The hall's latest calls and recalls, newest first.",
)
HALL_FEED = TopicPattern(
    name="hall_feed",
    template="hall/feed",
    retained=True,
    qos=1,
    publisher=Publisher.SERVER,
    payload="json",
    description="The old form of the hall board, kept for boards of the previous release: every window, the"
    " last calls and the waiting counts in one message, published at most every few seconds.",
)
DEVICE_AVAILABILITY = TopicPattern(
    name="device_availability",
    template="{kind}/{device}/availability",
    retained=True,
    qos=1,
    publisher=Publisher.DEVICE,
    payload="text",
    description="A device's availability, `online` or `offline` (its last will).",
)
DEVICE_REQUEST = TopicPattern(
    name="device_request",
    template="{kind}/{device}/request/{what}",
    retained=False,
    qos=1,
    publisher=Publisher.DEVICE,
    payload="json",
    description="A device's request (keypad actions, button-kiosk tickets, pad ratings, printer results).",
)
DEVICE_RESPONSE = TopicPattern(
    name="device_response",
    template="{kind}/{device}/response/{what}",
    retained=False,
    qos=1,
    publisher=Publisher.SERVER,
    payload="json",
    description="The answer to a request, with the same request id: done, or the error.",
)
PAD_STATE = TopicPattern(
    name="pad_state",
    template="pad/{device}/state",
    retained=True,
    qos=1,
    publisher=Publisher.SERVER,
    payload="json",
    description="A rating pad's state: idle, or the open rating request (ticket, window, expiry).",
)
PRINTER_JOB = TopicPattern(
    name="printer_job",
    template="printer/{device}/job",
    retained=False,
    qos=1,
    publisher=Publisher.SERVER,
    payload="json",
    description="A print job for a printer client: a ticket or a one-time notice (一次性告知).",
)
PRINTER_STATE = TopicPattern(
    name="printer_state",
    template="printer/{device}/state",
    retained=True,
    qos=1,
    publisher=Publisher.DEVICE,
    payload="json",
    description="A printer's state: ready, paper low or out, cover open, offline.",
)

TOPICS: tuple[TopicPattern, ...] = (
    SERVER_AVAILABILITY,
    SERVER_PROTOCOL,
    SERVER_INSTANCE,
    WINDOW_STATE,
    WINDOW_CALL,
    HALL_SUMMARY,
    HALL_CALLS,
    HALL_FEED,
    DEVICE_AVAILABILITY,
    DEVICE_REQUEST,
    DEVICE_RESPONSE,
    PAD_STATE,
    PRINTER_JOB,
    PRINTER_STATE,
)

ONLINE, OFFLINE = "online", "offline"
MAX_PAYLOAD_BYTES = 16 * 1024
"""A request larger than this is refused unread."""


def match_topic(topic: str) -> tuple[TopicPattern, dict[str, str]] | None:
    """Which kind of topic this is, and its parts; None for a topic OneWindow does not use."""
    for pattern in TOPICS:
        parts = pattern.parse(topic)
        if parts is not None:
            return pattern, parts
    return None
