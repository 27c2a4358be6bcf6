"""What the bus counts for Prometheus: device requests and their answers, the relay's publishes and
the publishes that failed. Increments in memory, in the process's registry
(queue_server.app.instruments); the relay's lag is read from the outbox at scrape time instead
(queue_server.web.api_metrics).

Labels take few values: a centre, a device kind, a request the protocol defines (any other is
``other``), an outcome that is ``ok`` or one of the protocol's error types.
"""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import Counter

from queue_server.app.instruments import REGISTRY
from queue_server.protocol.payloads import REQUESTS

DEVICE_REQUESTS = Counter(
    "onewindow_device_requests",
    "Device requests taken from the bus, by centre, device kind, request and outcome (ok or the error answered)",
    ["centre", "kind", "request", "outcome"],
    registry=REGISTRY,
)
DEVICE_ANSWERS = Counter(
    "onewindow_device_answers",
    "Answers to device requests the broker acknowledged, by centre, device kind and whether ok",
    ["centre", "kind", "ok"],
    registry=REGISTRY,
)
OUTBOX_PUBLISHED = Counter(
    "onewindow_outbox_published",
    "Outbox messages the relay published and the broker acknowledged, by centre",
    ["centre"],
    registry=REGISTRY,
)
PUBLISH_FAILURES = Counter(
    "onewindow_mqtt_publish_failures",
    "Publishes that failed (the broker gone or not answering), by centre and what was published",
    ["centre", "what"],
    registry=REGISTRY,
)

_KNOWN_REQUESTS = frozenset(what for _, what in REQUESTS)


class Published(StrEnum):
    OUTBOX = "outbox"
    """The relay's messages: states, calls, print jobs (each published again after a failure)."""
    SNAPSHOT = "snapshot"
    """The retained state published on each connection (published again on the next one)."""
    ANSWER = "answer"
    """An answer to a device (lost with the connection; the device asks again)."""


def request_label(what: str) -> str:
    """The request's name as counted: one the protocol defines, else ``other``."""
    return what if what in _KNOWN_REQUESTS else "other"
