"""The contract with devices: every MQTT topic and payload, defined once.

The server, the display and printer clients, the firmware configurations, the tests and
docs/protocol.md all use this package; the clients import it (and ``device_client``, built on
it) and nothing else of the server. It builds on the ground-floor ``queue_server.vocabulary``
alone, never on the domain, and hands on the vocabularies its payloads carry.
"""

from queue_server.protocol.payloads import PROTOCOL, REQUESTS, DeviceRequest, DeviceResponse
from queue_server.protocol.topics import OFFLINE, ONLINE, TOPICS, TopicPattern, match_topic
from queue_server.vocabulary import Category, DeviceKind, Outcome, PauseReason

__all__ = [
    "OFFLINE",
    "ONLINE",
    "PROTOCOL",
    "REQUESTS",
    "TOPICS",
    "Category",
    "DeviceKind",
    "DeviceRequest",
    "DeviceResponse",
    "Outcome",
    "PauseReason",
    "TopicPattern",
    "match_topic",
]
