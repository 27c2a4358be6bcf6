"""The contract with devices: every MQTT topic and payload, defined once.

The server, the display and printer clients, the firmware configurations, the tests and
docs/protocol.md all use this package; the clients import it and nothing else of the server.
"""

from queue_server.domain.devices import DeviceKind
from queue_server.protocol.payloads import REQUESTS, DeviceRequest, DeviceResponse
from queue_server.protocol.topics import OFFLINE, ONLINE, TOPICS, TopicPattern, match_topic

__all__ = [
    "OFFLINE",
    "ONLINE",
    "REQUESTS",
    "TOPICS",
    "DeviceKind",
    "DeviceRequest",
    "DeviceResponse",
    "TopicPattern",
    "match_topic",
]
