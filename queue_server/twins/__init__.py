"""Software twins of the hall's devices: caller keypads, rating pads and button kiosks over MQTT.

They speak the device contract (queue_server.protocol, docs/protocol.md) as the ESP32 firmware
does, so the server can be tested and demonstrated without hardware, and ``onewindow devices
simulate`` can run a hall's devices against any broker. Like the display and printer clients they
are built on ``device_client`` and the protocol module alone (and aiomqtt and pydantic), never on
the server::

    async with Keypad("demo", "keypad-1", window=1, broker="mqtt://127.0.0.1:1883") as keypad:
        answer = await keypad.next()
        print(answer.ok, answer.result, keypad.window_state)
"""

from device_client import (
    DEFAULT_RETRY_INTERVAL,
    DEFAULT_TIMEOUT,
    Twin,
    TwinConnectError,
    TwinError,
    TwinOptions,
    TwinTimeout,
)
from queue_server.protocol.broker import LOCAL_BROKER, Broker, BrokerUrlError
from queue_server.twins.devices import ButtonKiosk, Keypad, Pad
from queue_server.twins.script import DeviceSpec, describe, make_twin, simulate

__all__ = [
    "DEFAULT_RETRY_INTERVAL",
    "DEFAULT_TIMEOUT",
    "LOCAL_BROKER",
    "Broker",
    "BrokerUrlError",
    "ButtonKiosk",
    "DeviceSpec",
    "Keypad",
    "Pad",
    "Twin",
    "TwinConnectError",
    "TwinError",
    "TwinOptions",
    "TwinTimeout",
    "describe",
    "make_twin",
    "simulate",
]
