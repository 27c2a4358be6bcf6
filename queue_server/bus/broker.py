"""The embedded MQTT broker: amqtt in the server's own event loop, so a laptop needs no Mosquitto.

It keeps retained messages, QoS 1 and last wills, which is all the device contract needs, but it
speaks MQTT 3.1.1 only and runs in the same event loop as the server: any blocking call there
freezes the broker too, which is why the demo's printer and display clients are child processes.

Safe by default: it listens on localhost. Listening on any other address (the hall network)
needs device passwords, and then an anonymous or wrong login is refused. The passwords are the
Mosquitto ``$7$`` hashes ``onewindow mqtt-config`` stores (``device_credentials``), so a device
has the same password whichever broker the hall runs. Given the accounts' grants as well (see
``queue_server.bus.acl`` and ``mqtt_config.stored_accounts``), it enforces the same rules as the
ACL file Mosquitto gets: a device publishes only under its own id and reads only what it shows.

A port already in use (usually by a Mosquitto) is reported as :class:`BrokerStartError` whose
message says how to use that broker instead; nothing of amqtt's own errors reaches the caller.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from queue_server.bus.acl import Grant, readable, writable
from queue_server.bus.passwords import PasswordHashError, parse_hash

if TYPE_CHECKING:
    from amqtt.broker import Broker

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1883
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class BrokerStartError(RuntimeError):
    """The embedded broker cannot start; the message says why and what to do instead."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class EmbeddedBroker:
    """An in-process MQTT 3.1.1 broker, as an async context manager::

        async with EmbeddedBroker(port=1883) as broker:
            ...  # clients connect to broker.host:broker.port

    ``passwords`` maps usernames to Mosquitto ``$7$`` hashes; without it only localhost is allowed
    and every client is let in. ``grants`` maps usernames to what each may publish and read;
    without it every client that logged in may do anything. ``port=0`` takes a free port, then
    read :attr:`port`.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        passwords: Mapping[str, str] | None = None,
        grants: Mapping[str, Sequence[Grant]] | None = None,
    ) -> None:
        if not passwords and not is_loopback(host):
            raise BrokerStartError(
                f"Cannot bind the embedded broker to {host} without device passwords: run onewindow mqtt-config first"
            )
        if grants is not None and not passwords:
            raise BrokerStartError("Cannot enforce MQTT grants on the embedded broker without passwords: give both")
        for username, password_hash in (passwords or {}).items():
            try:
                parse_hash(password_hash)
            except PasswordHashError as error:
                raise BrokerStartError(f"Cannot use the password of MQTT user {username!r}: {error}") from None
        self.host = host
        self.port = port
        self.passwords = dict(passwords or {})
        self.grants = None if grants is None else {username: tuple(granted) for username, granted in grants.items()}
        self._broker: Broker | None = None

    @property
    def url(self) -> str:
        """Where clients find it, e.g. ``mqtt://127.0.0.1:1883``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"mqtt://{host}:{self.port}"

    def _config(self) -> dict[str, Any]:
        plugins: dict[str, dict[str, Any]] = {}
        if not self.passwords:
            plugins["amqtt.plugins.authentication.AnonymousAuthPlugin"] = {"allow_anonymous": True}
        else:
            from queue_server.bus.broker_plugins import GrantsTopicPlugin, PasswordHashAuthPlugin

            writes = reads = None
            if self.grants is not None:
                writes = {user: list(writable(granted)) for user, granted in self.grants.items()}
                reads = {user: list(readable(granted)) for user, granted in self.grants.items()}
                plugins[_path(GrantsTopicPlugin)] = {"writes": writes, "reads": reads}
            plugins[_path(PasswordHashAuthPlugin)] = {"passwords": self.passwords, "writes": writes}
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            # Only the plugins named here load: no $SYS publisher, no packet logger.
            "plugins": plugins,
        }

    async def start(self) -> None:
        if self._broker is not None:
            raise BrokerStartError(f"Cannot start the embedded MQTT broker on {self._where()}: it is running")
        self._check_port_free()
        from amqtt.broker import Broker
        from amqtt.errors import BrokerError

        broker = Broker(self._config())
        try:
            await broker.start()
        except BrokerError as error:
            cause = error.__cause__
            if isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE:
                raise BrokerStartError(self._port_taken()) from None
            raise BrokerStartError(
                f"Cannot start the embedded MQTT broker on {self._where()}: {cause or error}"
            ) from None
        self._broker = broker
        if self.port == 0:
            self.port = _bound_port(broker)
        log.info("The embedded MQTT broker listens on %s", self._where())

    async def stop(self) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            await broker.shutdown()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def _port_taken(self) -> str:
        return (
            f"Cannot start the embedded MQTT broker on {self._where()}: the port is taken (is Mosquitto running?)."
            f" Use that broker with --mqtt-url {self.url}, or choose another port with --mqtt-port."
        )

    def _check_port_free(self) -> None:
        """Fail with a clear message before amqtt logs a traceback for a taken port.

        Binds each address the host resolves to as asyncio will (SO_REUSEADDR), then lets go;
        amqtt binding the port next is still checked, for the rare race.
        """
        if self.port == 0:
            return
        try:
            addresses = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except socket.gaierror as error:
            raise BrokerStartError(f"Cannot start the embedded MQTT broker on {self._where()}: {error}") from None
        for family, kind, proto, _name, address in addresses:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(address)
                except OSError as error:
                    if error.errno == errno.EADDRINUSE:
                        raise BrokerStartError(self._port_taken()) from None
                    raise BrokerStartError(
                        f"Cannot start the embedded MQTT broker on {self._where()}: {error.strerror or error}"
                    ) from None


def _path(plugin: type) -> str:
    """The dotted path amqtt loads a plugin by."""
    return f"{plugin.__module__}.{plugin.__qualname__}"


def _bound_port(broker: Broker) -> int:
    server: Any = broker._servers["default"].instance
    sockets: tuple[socket.socket, ...] = server.sockets
    return int(sockets[0].getsockname()[1])
