"""Where a broker is and how to speak to it, from one URL, for the server and every client alike.

    mqtt://[USER:PASSWORD@]HOST[:PORT][?protocol=5]
    mqtts://[USER:PASSWORD@]HOST[:PORT][?ca=/path/to/ca.pem][&protocol=5]

``mqtts`` is TLS (port 8883 unless given), checked against the system's trusted certificates or
against ``ca`` (a hall's own certificate authority). ``protocol`` is 4 (MQTT 3.1.1, the device
contract) or 5.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Self, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

import aiomqtt
import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

PROTOCOLS = {
    "3": aiomqtt.ProtocolVersion.V311,
    "4": aiomqtt.ProtocolVersion.V311,
    "311": aiomqtt.ProtocolVersion.V311,
    "3.1.1": aiomqtt.ProtocolVersion.V311,
    "5": aiomqtt.ProtocolVersion.V5,
}
"""The values of a broker URL's ``protocol`` (4 is MQTT 3.1.1's protocol level)."""
OPTIONS = ("protocol", "ca")


T = TypeVar("T")
DISCONNECT_WITH_WILL = 4
"""MQTT 5's reason code of a DISCONNECT that asks the broker to publish the last will all the same."""


HOUSEKEEPING_PER_KEEPALIVE = 10
"""paho's housekeeping (a keepalive ping due, a broker that stopped answering) runs this many times
per keepalive interval, and at most once a second."""


class BrokerUrlError(ValueError):
    pass


class Client(aiomqtt.Client):
    """aiomqtt's client with Nagle's algorithm off on its socket (paho leaves it on), waits that
    never lose a cancellation, and housekeeping paced by its keepalive.

    With Nagle on, a message written while the previous one is unacknowledged waits for the peer's
    delayed ACK: about 40 ms added to a call that follows an answer or a state on the same
    connection. Every OneWindow MQTT client (server, twins, display and printer clients) is one.
    """

    async def _misc_loop(self) -> None:
        """paho's housekeeping every tenth of the keepalive (6 s for the server's 60 s), not every
        second as aiomqtt does: a server holds a connection per centre, and a city's idle server
        spent a third of its CPU waking each of them every second. A ping goes out at most a tenth
        of the keepalive late; the broker waits one and a half keepalives before it gives up."""
        while self._client.loop_misc() == paho.MQTT_ERR_SUCCESS:
            await asyncio.sleep(max(1.0, self._client.keepalive / HOUSEKEEPING_PER_KEEPALIVE))

    async def _wait_for(self, fut: Awaitable[T], timeout: float | None) -> T:
        """aiomqtt's wait for a publish, subscription or connection, with ``asyncio.timeout``.

        aiomqtt waits with ``asyncio.wait_for``, which on Python 3.11 returns the result when the
        task is cancelled in the instant the awaited future completes: the cancellation is lost,
        and a loop that publishes (a twin's "next, wait, finish") runs on after it was told to
        stop, holding up whoever awaits it (the demo that did not stop on Ctrl-C).
        """
        limit = self.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(None if limit == math.inf else limit):
                return await fut
        except TimeoutError:
            raise aiomqtt.MqttError("Operation timed out") from None

    async def leave_with_will(self, timeout: float) -> None:
        """Disconnect so that the broker publishes the last will as if the connection had been lost
        (MQTT 5 only; the will's delay still applies). The client is closed afterwards."""
        reason = ReasonCode(PacketTypes.DISCONNECT, identifier=DISCONNECT_WITH_WILL)
        if self._client.disconnect(reasoncode=reason) == paho.MQTT_ERR_SUCCESS:
            await self._wait_for(self._disconnected, timeout)

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        sock = self._client.socket()
        if isinstance(sock, socket.socket):  # not a websocket wrapper
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self


@dataclass(frozen=True, slots=True)
class Broker:
    """A broker's address and the way to speak to it: the parts of its URL."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    protocol: aiomqtt.ProtocolVersion = aiomqtt.ProtocolVersion.V311
    """MQTT 3.1.1 by default: the device contract; MQTT 5 only against a broker that speaks it."""
    ca: str | None = None
    """A certificate authority file that signed the broker's certificate (TLS only)."""

    @classmethod
    def from_url(cls, url: str) -> Broker:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise BrokerUrlError(
                f"Cannot use {url!r} as a broker: give mqtt://[USER:PASSWORD@]HOST[:PORT] (mqtts:// for TLS)"
            )
        query = parse_qs(parts.query)
        unknown = sorted(set(query) - set(OPTIONS))
        if unknown:
            raise BrokerUrlError(f"Cannot use {url!r} as a broker: unknown option {unknown[0]!r} (only protocol, ca)")
        asked = query.get("protocol", ["4"])[-1]
        if asked not in PROTOCOLS:
            raise BrokerUrlError(
                f"Cannot use {url!r} as a broker: protocol is 4 (MQTT 3.1.1, also 3, 311 or 3.1.1) or 5, not {asked!r}"
            )
        try:
            port = parts.port
        except ValueError:
            raise BrokerUrlError(f"Cannot use {url!r} as a broker: its port is not a number from 1 to 65535") from None
        tls = parts.scheme == "mqtts"
        ca = query.get("ca", [None])[-1]
        if ca is not None and not tls:
            raise BrokerUrlError(f"Cannot use {url!r} as a broker: a ca goes with mqtts:// (TLS)")
        return cls(
            host=parts.hostname,
            port=port or (8883 if tls else 1883),
            username=unquote(parts.username) if parts.username is not None else None,
            password=unquote(parts.password) if parts.password is not None else None,
            tls=tls,
            protocol=PROTOCOLS[asked],
            ca=ca,
        )

    @property
    def version(self) -> int:
        """The MQTT protocol level: 4 (3.1.1) or 5."""
        return 5 if self.protocol is aiomqtt.ProtocolVersion.V5 else 4

    def describe(self) -> str:
        """The URL without the password, for messages and logs."""
        user = f"{self.username}@" if self.username else ""
        version = "?protocol=5" if self.version == 5 else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}{version}"

    def __str__(self) -> str:
        return self.describe()

    def tls_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=self.ca)

    def client(self, identifier: str, *, will: aiomqtt.Will | None = None, clean: bool = True, **extra: Any) -> Client:
        """An aiomqtt client for this broker (not yet connected: use ``async with``).

        ``clean`` starts without a stored session: MQTT 3.1.1's clean session; MQTT 5 starts clean
        on its first connection by default.
        """
        if self.version != 5:
            extra["clean_session"] = clean
        return Client(
            self.host,
            self.port,
            identifier=identifier,
            username=self.username,
            password=self.password,
            will=will,
            protocol=self.protocol,
            tls_context=self.tls_context(),
            **extra,
        )


LOCAL_BROKER = Broker()
"""The broker a local server embeds: mqtt://127.0.0.1:1883."""
