"""What the hall's software devices share: one connection to the broker, kept, and requests answered.

The display client, the printer client and the software twins of keypads, pads and kiosks
(``queue_server.twins``) are each a :class:`Twin`: the connection loop with reconnect backoff,
availability with a last will, requests repeated until their answer, and :func:`stop_on_signals`
for a client run from the command line. This package stands on the device contract
(``queue_server.protocol``) alone, with aiomqtt and pydantic, so a client that imports it and the
protocol loads nothing else of the server.
"""

from device_client.errors import TwinConnectError, TwinError, TwinTimeout
from device_client.signals import stop_on_signals
from device_client.twin import DEFAULT_RETRY_INTERVAL, DEFAULT_TIMEOUT, Twin, TwinOptions

__all__ = [
    "DEFAULT_RETRY_INTERVAL",
    "DEFAULT_TIMEOUT",
    "Twin",
    "TwinConnectError",
    "TwinError",
    "TwinOptions",
    "TwinTimeout",
    "stop_on_signals",
]
