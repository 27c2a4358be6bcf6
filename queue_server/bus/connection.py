"""Where the broker is and how to speak to it, from one URL: mqtt[s]://user:password@host:port?protocol=5."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiomqtt

DEFAULT_PORT = 1883
DEFAULT_TLS_PORT = 8883


class MqttUrlError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    version: int = 4
    """4 is MQTT 3.1.1 (the device contract, and all the embedded broker speaks); 5 is MQTT 5."""

    @classmethod
    def from_url(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise MqttUrlError(f"Cannot use broker URL {url!r}: write mqtt://[USER:PASSWORD@]HOST[:PORT]")
        query = parse_qs(parts.query)
        protocol = query.get("protocol", ["4"])[0]
        if protocol not in ("3", "4", "5", "311"):
            raise MqttUrlError(f"Cannot use broker URL {url!r}: protocol is 4 (MQTT 3.1.1) or 5")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=parts.port or (DEFAULT_TLS_PORT if tls else DEFAULT_PORT),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            version=5 if protocol == "5" else 4,
        )

    def describe(self) -> str:
        """The address without the password, for logs and messages."""
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"

    def client(
        self, identifier: str, *, will: aiomqtt.Will | None = None, clean: bool = True, **extra: Any
    ) -> aiomqtt.Client:
        """An aiomqtt client for this broker (not yet connected: use ``async with``).

        ``clean`` starts without a stored session: MQTT 3.1.1's clean session; MQTT 5 always
        starts clean on the first connection (its default).
        """
        if self.version != 5:
            extra["clean_session"] = clean
        return aiomqtt.Client(
            self.host,
            self.port,
            identifier=identifier,
            username=self.username,
            password=self.password,
            will=will,
            protocol=aiomqtt.ProtocolVersion.V5 if self.version == 5 else aiomqtt.ProtocolVersion.V311,
            tls_context=ssl.create_default_context() if self.tls else None,
            **extra,
        )
