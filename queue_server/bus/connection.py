"""The server's broker address: the protocol's one definition, under the names the bus uses."""

from __future__ import annotations

from queue_server.protocol.broker import Broker as BrokerAddress
from queue_server.protocol.broker import BrokerUrlError as MqttUrlError

__all__ = ["BrokerAddress", "MqttUrlError"]
