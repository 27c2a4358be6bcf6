"""The hall's own MQTT broker: a supervised child process, never in the server's event loop.

``onewindow serve`` and ``demo`` run one when no ``--mqtt-url`` names a broker. It is a process of
its own so that nothing the server does (a slow action, a rush of 2,000 tickets, a blocking call)
delays device traffic, and so that all the devices of a hall reconnecting at once after a power cut
meet a broker built for it.

It is Mosquitto (Debian's ``mosquitto``, which ``scripts/bootstrap`` installs), the broker the
deployment guide recommends for a hall: MQTT 5, and 300 devices connecting in one second get their
state every time. It runs with a configuration written here (its own port, no persistence, no
system files): the system broker Debian's package starts is neither used nor touched.
docs/deployment.md says why there is no in-process fallback.

Safe by default: it listens on localhost. Listening on any other address (the hall network) needs
device passwords (the Mosquitto ``$7$`` hashes ``onewindow mqtt-config`` stores), and with their
grants it enforces the same ACL as the files ``mqtt-config`` writes for a Mosquitto of your own.

The child is supervised: if it dies it is started again on the same port (clients reconnect and
the server republishes the retained state), and it dies with the server, even a SIGKILLed one
(``setpriv --pdeathsig``), so no orphan holds the port at the next start. A port already in use
(usually by a system Mosquitto) is a :class:`BrokerStartError` whose message says what to do.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import ipaddress
import logging
import os
import pwd
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from queue_server.bus.acl import Account, Grant, render_acl, render_password_file
from queue_server.bus.passwords import PasswordHashError, parse_hash

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1883
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
READY_SECONDS = 15.0
"""How long a start waits for the child to accept connections."""
STOP_SECONDS = 5.0
RESTART_FIRST, RESTART_MAX = 0.2, 5.0
AS_ROOT = "should not be run as root/administrator."
"""Mosquitto's warning when started as root: it runs as root on purpose (see mosquitto_config)."""
LOG_LINES = 40
"""The child's last lines kept for an error message."""


class BrokerStartError(RuntimeError):
    """The hall's broker cannot start; the message says why and what to do instead."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def find_mosquitto() -> str | None:
    """The mosquitto executable (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("mosquitto", path=SEARCH_PATH)


def require_mosquitto() -> str:
    """The mosquitto executable, or a message that says how to get it."""
    found = find_mosquitto()
    if found is None:
        raise BrokerStartError(
            "Cannot run the hall's MQTT broker: Mosquitto is not installed (Debian: apt-get install mosquitto;"
            " scripts/bootstrap does it), or give the address of another broker with --mqtt-url"
        )
    return found


def check_settings(
    host: str, passwords: Mapping[str, str] | None, grants: Mapping[str, Sequence[Grant]] | None
) -> None:
    """Refuse what would leave the hall network open or a password that no broker can check."""
    if not passwords and not is_loopback(host):
        raise BrokerStartError(
            f"Cannot bind the hall's broker to {host} without device passwords: run onewindow mqtt-config first"
        )
    if grants is not None and not passwords:
        raise BrokerStartError("Cannot enforce MQTT grants on the hall's broker without passwords: give both")
    for username, password_hash in (passwords or {}).items():
        try:
            parse_hash(password_hash)
        except PasswordHashError as error:
            raise BrokerStartError(f"Cannot use the password of MQTT user {username!r}: {error}") from None


def url_of(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"mqtt://{shown}:{port}"


def port_taken_message(host: str, port: int) -> str:
    return (
        f"Cannot start the hall's MQTT broker on {host}:{port}: the port is taken (is Mosquitto running?)."
        f" Use that broker with --mqtt-url {url_of(host, port)}, or choose another port with --mqtt-port."
    )


def check_port_free(host: str, port: int) -> None:
    """Fail with a clear message when ``host:port`` cannot be listened on.

    Binds each address the host resolves to as a broker will (SO_REUSEADDR), then lets go.
    """
    if port == 0:
        return
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise BrokerStartError(f"Cannot start the hall's MQTT broker on {host}:{port}: {error}") from None
    for family, kind, proto, _name, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise BrokerStartError(port_taken_message(host, port)) from None
                raise BrokerStartError(
                    f"Cannot start the hall's MQTT broker on {host}:{port}: {error.strerror or error}"
                ) from None


def port_is_free(host: str, port: int) -> bool:
    try:
        check_port_free(host, port)
    except BrokerStartError:
        return False
    return True


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_PICKED = 10000


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port free now to listen on, chosen below the kernel's ephemeral range.

    A port the kernel handed out (bind to port 0) lies in the range it also takes outgoing
    connections' own ports from: between choosing it and a child process listening on it, a
    client's connection elsewhere may take it (and a client retrying that very port while nothing
    listens may connect to itself and hold it). Below the range only a listener takes a port.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        lowest_ephemeral = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        lowest_ephemeral = LOWEST_PICKED
    candidates = range(LOWEST_PICKED, lowest_ephemeral)
    for port in random.sample(candidates, min(len(candidates), 100)):
        with socket.socket(family) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(family) as probe:  # no such range here: let the kernel choose
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def mosquitto_config(host: str, port: int, *, password_file: Path | None = None, acl_file: Path | None = None) -> str:
    """The child Mosquitto's whole configuration: one listener, nothing kept on disk, no system files."""
    lines = [
        "# Written by OneWindow for the hall's broker; gone when the server stops.",
        f"listener {port} {host}",
        # Retained state lives in the server's database and is republished on every reconnection.
        "persistence false",
        # A call must not wait for a delayed ACK behind the one before it (docs/performance.md).
        "set_tcp_nodelay true",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_timestamp false",
    ]
    if os.geteuid() == 0:
        # As root Mosquitto would become the `mosquitto` user, who cannot read this process's files.
        lines.append(f"user {pwd.getpwuid(os.geteuid()).pw_name}")
    if password_file is None:
        lines.append("allow_anonymous true")
    else:
        lines += ["allow_anonymous false", f"password_file {password_file}"]
    if acl_file is not None:
        lines.append(f"acl_file {acl_file}")
    return "\n".join(lines) + "\n"


class HallBroker:
    """The hall's broker as a supervised child process, used as an async context manager::

        async with HallBroker(port=1883) as broker:
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
        check_settings(host, passwords, grants)
        self.host = host
        self.port = port
        self.passwords = dict(passwords or {})
        self.grants = None if grants is None else {username: tuple(granted) for username, granted in grants.items()}
        self.executable = require_mosquitto()
        self.restarts = 0
        """How often the child died and was started again."""
        self._folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._lines: collections.deque[str] = collections.deque(maxlen=LOG_LINES)

    @property
    def url(self) -> str:
        """Where clients find it, e.g. ``mqtt://127.0.0.1:1883``."""
        return url_of(self.host, self.port)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        if self._process is not None:
            raise BrokerStartError(f"Cannot start the hall's MQTT broker on {self._where()}: it is running")
        check_port_free(self.host, self.port)
        if self.port == 0:
            self.port = free_port(self._local_host())
        self._folder = Path(tempfile.mkdtemp(prefix="onewindow-broker-"))
        try:
            command = self._write_files(self._folder)
            await self._launch(command)
        except BaseException:
            self._remove_files()
            raise
        self._supervisor = asyncio.create_task(self._supervise(command), name=f"broker-{self.port}")
        log.info("The hall's MQTT broker (Mosquitto, pid %s) listens on %s", self.pid, self._where())

    async def stop(self) -> None:
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        process, self._process = self._process, None
        if process is not None:
            await asyncio.to_thread(_end, process)
        self._remove_files()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    # --- the child process -----------------------------------------------------------------

    def _write_files(self, folder: Path) -> list[str]:
        """Mosquitto's configuration in ``folder`` (readable by this user only); returns its command."""
        accounts = [Account(username, password_hash, ()) for username, password_hash in self.passwords.items()]
        password_file = acl_file = None
        if accounts:
            password_file = _private(folder / "passwords", render_password_file(accounts))
        if self.grants is not None:
            granted = [Account(a.username, a.password_hash, self.grants.get(a.username, ())) for a in accounts]
            acl_file = _private(folder / "acl", render_acl(granted))
        config = mosquitto_config(self.host, self.port, password_file=password_file, acl_file=acl_file)
        return dies_with_parent([self.executable, "-c", str(_private(folder / "mosquitto.conf", config))])

    async def _launch(self, command: list[str]) -> None:
        """Start the child and wait until it accepts connections; its output goes to the log."""
        self._lines.clear()
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._process = process
        assert process.stdout is not None
        threading.Thread(
            target=self._forward, args=(process.stdout,), name=f"broker-log-{process.pid}", daemon=True
        ).start()
        deadline = time.monotonic() + READY_SECONDS
        while not await asyncio.to_thread(_accepts, self._local_host(), self.port):
            if process.poll() is not None:
                self._process = None
                raise BrokerStartError(self._exit_message(process.returncode))
            if time.monotonic() > deadline:
                self._process = None
                await asyncio.to_thread(_end, process)
                raise BrokerStartError(
                    f"Cannot start the hall's MQTT broker on {self._where()}: it did not listen within"
                    f" {READY_SECONDS:.0f} s{self._tail()}"
                )
            await asyncio.sleep(0.05)

    async def _supervise(self, command: list[str]) -> None:
        """Start Mosquitto again whenever it dies, with a growing pause; the port stays the same."""
        pause = RESTART_FIRST
        while True:
            process = self._process
            assert process is not None
            code = await asyncio.to_thread(process.wait)
            started = time.monotonic()
            log.error("the hall's MQTT broker exited with %s; starting it again%s", code, self._tail())
            while True:
                await asyncio.sleep(pause)
                try:
                    await self._launch(command)
                except BrokerStartError as error:
                    pause = min(pause * 2, RESTART_MAX)
                    log.error("%s; again in %.1f s", error, pause)
                    continue
                break
            self.restarts += 1
            log.warning("the hall's MQTT broker runs again (pid %s)", self.pid)
            if time.monotonic() - started > 60:
                pause = RESTART_FIRST

    def _forward(self, output: IO[bytes]) -> None:
        """Pass the child's lines to the log (a thread: the pipe never fills while the loop is busy)."""
        for raw in output:
            line = raw.decode("utf-8", "replace").rstrip()
            if line and not line.endswith(AS_ROOT):
                self._lines.append(line)
                log.warning("broker: %s", line)
        output.close()

    def _exit_message(self, code: int) -> str:
        text = "\n".join(self._lines)
        if any(sign in text for sign in ("Address already in use", "EADDRINUSE", "the port is taken")):
            return port_taken_message(self.host, self.port)
        return f"Cannot start the hall's MQTT broker on {self._where()}: it exited with {code}{self._tail()}"

    def _tail(self) -> str:
        return (":\n  " + "\n  ".join(self._lines)) if self._lines else ""

    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def _local_host(self) -> str:
        """Where this process reaches the broker: a wildcard listener is reached on loopback."""
        if self.host in ("0.0.0.0", ""):
            return "127.0.0.1"
        if self.host == "::":
            return "::1"
        return self.host.strip("[]")

    def _remove_files(self) -> None:
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _private(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def dies_with_parent(command: list[str], signal: str = "KILL") -> list[str]:
    """Prefix ``setpriv --pdeathsig`` (util-linux) so a SIGKILLed server leaves no child behind."""
    setpriv = shutil.which("setpriv", path=SEARCH_PATH)
    return [setpriv, "--pdeathsig", signal, *command] if setpriv else command


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _end(process: subprocess.Popen[bytes]) -> None:
    """Terminate the child and wait for it; kill it when it will not go."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
