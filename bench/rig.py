"""The parts a scenario runs against: a fresh database, a broker and a real ``onewindow serve``.

:class:`Rig` is an async context manager. It makes an empty database (a SQLite file in a
temporary folder, or a PostgreSQL database it drops afterwards), starts Mosquitto on a free port
with a temporary config (or lets the server run its own, the default), loads the benchmark's hall,
starts the server as a child process exactly as an operator would (``python -m queue_server
serve``), and returns once the server answers HTTP and has announced itself ``online`` on the bus.
Every scenario gets its own rig, so no retained message or ticket of one leaks into the next.

With ``instances`` above one (PostgreSQL and Mosquitto only) the rig starts that many servers on
one database and one broker, each on its own HTTP port, as a city deployment runs them; the
rig's requests go to them in turn (:meth:`Rig.post`). With ``centres`` above one the database
holds a city: that many centres of ``windows`` windows each (bench.hall.centre_code names them).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp
import aiomqtt
import asyncpg  # type: ignore[import-untyped]  # no stubs; it only makes and drops the database
from sqlalchemy.engine import make_url

from bench.hall import CENTRE, Tokens, bench_centre, centre_code, prepare
from bench.measure import Probe, ProbeSum, ProcessProbe
from queue_server.bus.broker import free_port as broker_free_port
from queue_server.domain.centre import Centre
from queue_server.protocol import ONLINE
from queue_server.protocol.topics import SERVER_AVAILABILITY

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
SERVES = b"OneWindow serves "
"""The line ``onewindow serve`` prints once its bus is connected (or did not connect in ten seconds)."""
POSTGRES_URL = os.environ.get("ONEWINDOW_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/")
"""The PostgreSQL server the benchmark makes its databases in (trust auth, as on this machine)."""
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


class BrokerKind(StrEnum):
    MOSQUITTO = "mosquitto"
    HALL = "hall"
    """The server's own broker (a Mosquitto child process it supervises), as a hall runs by default."""


class DatabaseKind(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class RigError(RuntimeError):
    """A part of the rig would not start."""


@dataclass(frozen=True, slots=True)
class RigSettings:
    broker: BrokerKind
    database: DatabaseKind
    windows: int
    printer: bool = False
    """Give the kiosk ``kiosk-1`` a printer (the print scenario)."""
    profile: Path | None = None
    """Run the server under cProfile, writing its profile here when it stops (``<stem>-<i>`` for instance i > 1)."""
    instances: int = 1
    """Server processes on the one database and broker."""
    mqtt5: bool = False
    """Connect the servers with MQTT 5, so they take device requests through a shared subscription."""
    centres: int = 1
    """Centres of ``windows`` windows each (a city); the first is :data:`bench.hall.CENTRE`."""
    wrapper: tuple[str, ...] = ()
    """A command the servers run under (``valgrind --tool=callgrind ...``: bench/instructions.py)."""
    start_timeout: float = START_TIMEOUT_S
    """How long a server may take to start (longer under a wrapper that slows it down)."""

    def __post_init__(self) -> None:
        if problem := instances_problem(self.instances, self.broker, self.database):
            raise RigError(problem)


def instances_problem(instances: int, broker: BrokerKind, database: DatabaseKind) -> str | None:
    """Why ``instances`` servers cannot share this broker and database, or None when they can."""
    if instances < 1:
        return f"Cannot run {instances} server instances: at least one is needed"
    if instances == 1:
        return None
    if broker is BrokerKind.HALL:
        return (
            f"Cannot run {instances} server instances on the hall's own broker: each would start a broker of its"
            " own; use --broker mosquitto"
        )
    if database is DatabaseKind.SQLITE:
        return (
            f"Cannot run {instances} server instances on SQLite: several instances share one PostgreSQL"
            " database; use --database postgresql"
        )
    return None


def free_port() -> int:
    """A free port of 127.0.0.1 below the ephemeral range (see queue_server.bus.broker.free_port)."""
    return broker_free_port("127.0.0.1")


async def wait_listening(
    process: subprocess.Popen[bytes], port: int, what: str, log: Path, timeout: float = START_TIMEOUT_S
) -> None:
    """Return once ``process`` accepts connections on ``port``; fail with its log if it dies or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RigError(f"{what} exited with {process.returncode} before listening on {port}:\n{_tail(log)}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return
    raise RigError(f"{what} did not listen on port {port} within {timeout:g} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate a child by its PID and wait for it; SIGKILL if it will not go."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT_S)


def mosquitto_config(port: int) -> str:
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", "persistence false", "log_dest stderr"]
    lines.append("log_type error")
    lines.append("log_type warning")
    lines.append("max_queued_messages 100000")
    lines.append("set_tcp_nodelay true")  # as the hall's generated config has it: no 40 ms Nagle waits
    if os.geteuid() == 0:
        # As root Mosquitto would drop to the `mosquitto` user, who cannot read the temporary folder.
        lines.append(f"user {pwd.getpwuid(os.geteuid()).pw_name}")
    return "\n".join(lines) + "\n"


class Rig:
    """A database, a broker and a server for one scenario; ``async with Rig(settings) as rig:``."""

    def __init__(self, settings: RigSettings, *, keep: Path | None = None) -> None:
        self.settings = settings
        self.centres: list[Centre] = [
            bench_centre(settings.windows, printer=settings.printer and i == 0, code=centre_code(i))
            for i in range(settings.centres)
        ]
        self.centre: Centre = self.centres[0]
        self.folder = Path(tempfile.mkdtemp(prefix="onewindow-bench-", dir=keep))
        self.ports = [free_port() for _ in range(settings.instances)]
        """Each server instance's HTTP port."""
        self.port = self.ports[0]
        self.mqtt_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_url = ""
        self.tokens: Tokens | None = None
        self.servers: list[subprocess.Popen[bytes]] = []
        self.mosquitto: subprocess.Popen[bytes] | None = None
        self._postgres_name: str | None = None
        self._turns = itertools.cycle(self.ports)

    @property
    def server(self) -> subprocess.Popen[bytes] | None:
        """The first server instance (the only one, unless the rig has several)."""
        return self.servers[0] if self.servers else None

    @property
    def broker_url(self) -> str:
        return f"mqtt://127.0.0.1:{self.mqtt_port}"

    @property
    def api(self) -> str:
        """The centre's API root at the first instance, e.g. ``http://127.0.0.1:PORT/api/v1/centres/bench``."""
        return self.apis[0]

    @property
    def apis(self) -> list[str]:
        """The centre's API root at each instance."""
        return [_api(port, CENTRE) for port in self.ports]

    @property
    def token(self) -> Tokens:
        if self.tokens is None:
            raise RigError("Cannot use the rig's tokens: it is not started")
        return self.tokens

    def server_probes(self) -> list[ProcessProbe]:
        """One probe per server instance, in the order of :attr:`ports`."""
        if not self.servers:
            raise RigError("Cannot probe the server: it is not running")
        return [ProcessProbe(server.pid) for server in self.servers]

    def server_probe(self) -> Probe:
        """The server; with several instances, their sum (memory and CPU added up)."""
        probes = self.server_probes()
        return probes[0] if len(probes) == 1 else ProbeSum(probes)

    def broker_probe(self) -> ProcessProbe | None:
        """Mosquitto's process when the rig started it; None when the server runs its own broker."""
        return ProcessProbe(self.mosquitto.pid) if self.mosquitto is not None else None

    async def __aenter__(self) -> Self:
        try:
            await self._start()
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if error is not None and not isinstance(error, asyncio.CancelledError):
            self._show_logs()  # the folder goes with the rig: what the servers said is the clue
        await self._stop()

    def _show_logs(self) -> None:
        """Print the end of each server's log to stderr."""
        for index in range(len(self.servers)):
            print(f"--- the end of {self._what(index)}'s log:", file=sys.stderr)
            print(_tail(self._log(index), 60), file=sys.stderr)

    async def _start(self) -> None:
        self.database_url = await self._make_database()
        self.tokens = await prepare(self.database_url, self.centres)
        extra: list[str]
        if self.settings.broker is BrokerKind.MOSQUITTO:
            await self._start_mosquitto()
            extra = ["--mqtt-url", self.broker_url + ("?protocol=5" if self.settings.mqtt5 else "")]
        else:
            extra = ["--mqtt-port", str(self.mqtt_port)]
        for index in range(self.settings.instances):
            await self._start_server(index, extra)
        await self._wait_online()
        if self.settings.instances > 1:
            # The retained ``online`` says only that one instance is on the bus: ask each its own port.
            timeout = aiohttp.ClientTimeout(total=self.settings.start_timeout)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                for index in range(self.settings.instances):
                    await self._wait_ready(session, index)

    async def _make_database(self) -> str:
        if self.settings.database is DatabaseKind.SQLITE:
            return f"sqlite:///{self.folder / 'onewindow.db'}"
        name = f"onewindow_bench_{secrets.token_hex(6)}"
        server = await _postgres()
        try:
            await server.execute(f'CREATE DATABASE "{name}"')
        finally:
            await server.close()
        self._postgres_name = name
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    async def _start_mosquitto(self) -> None:
        executable = shutil.which("mosquitto", path=SEARCH_PATH)
        if executable is None:
            raise RigError("Cannot run the benchmark on Mosquitto: it is not installed (apt-get install mosquitto)")
        config = self.folder / "mosquitto.conf"
        config.write_text(mosquitto_config(self.mqtt_port), encoding="utf-8")
        log = self.folder / "mosquitto.log"
        with log.open("ab") as out:
            self.mosquitto = subprocess.Popen(
                [executable, "-c", str(config)], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )
        await wait_listening(self.mosquitto, self.mqtt_port, "Mosquitto", log)

    def _log(self, index: int) -> Path:
        return self.folder / ("server.log" if index == 0 else f"server-{index + 1}.log")

    def _what(self, index: int) -> str:
        return "the server" if self.settings.instances == 1 else f"server instance {index + 1}"

    async def _start_server(self, index: int, extra: Sequence[str]) -> None:
        profile = self.settings.profile
        if profile is not None and index > 0:
            profile = profile.with_stem(f"{profile.stem}-{index + 1}")
        profiler = ["-m", "cProfile", "-o", str(profile)] if profile is not None else []
        command = [
            *self.settings.wrapper, sys.executable, *profiler, "-m", "queue_server", "serve",
            "--database-url", self.database_url,
            "--host", "127.0.0.1",
            "--port", str(self.ports[index]),
            *extra,
        ]  # fmt: skip
        log = self._log(index)
        with log.open("ab") as out:
            server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        self.servers.append(server)
        await wait_listening(server, self.ports[index], self._what(index), log, self.settings.start_timeout)

    async def _wait_ready(self, session: aiohttp.ClientSession, index: int) -> None:
        """Wait until instance ``index`` answers its own health route and says it serves (its bus is up,
        or it gave up waiting for it: ``onewindow serve`` prints the line either way)."""
        log, url = self._log(index), f"http://127.0.0.1:{self.ports[index]}/api/v1/health"
        deadline = time.monotonic() + self.settings.start_timeout
        while time.monotonic() < deadline:
            if self.servers[index].poll() is not None:
                raise RigError(f"{self._what(index)} exited with {self.servers[index].returncode}:\n{_tail(log)}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(url) as response:
                    if response.status == 200 and SERVES in log.read_bytes():
                        return
            await asyncio.sleep(0.1)
        timeout = self.settings.start_timeout
        raise RigError(f"{self._what(index)} was not ready at {url} within {timeout:g} s:\n{_tail(log)}")

    async def _wait_online(self) -> None:
        """The server listens on HTTP before its bus is up: wait for every centre's retained ``online``."""
        topics = {SERVER_AVAILABILITY.build(centre.code) for centre in self.centres}
        try:
            async with asyncio.timeout(self.settings.start_timeout):
                while True:
                    online: set[str] = set()
                    try:
                        async with aiomqtt.Client("127.0.0.1", self.mqtt_port, identifier="bench-wait") as client:
                            for topic in topics:
                                await client.subscribe(topic, qos=1)
                            async for message in client.messages:
                                if message.payload == ONLINE.encode():
                                    online.add(message.topic.value)
                                if online >= topics:
                                    return
                    except aiomqtt.MqttError:
                        await asyncio.sleep(0.1)  # the server's broker may not listen yet
        except TimeoutError:
            raise RigError(
                f"The server did not announce itself online on {self.broker_url}"
                f" within {self.settings.start_timeout:g} s:\n" + _tail(self._log(0))
            ) from None

    async def _stop(self) -> None:
        for server in self.servers:
            stop_process(server)
        stop_process(self.mosquitto)
        if self._postgres_name is not None:
            server = await _postgres()
            try:
                await server.execute(f'DROP DATABASE IF EXISTS "{self._postgres_name}" WITH (FORCE)')
            finally:
                await server.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    async def sign_on_all(
        self, session: aiohttp.ClientSession, windows: Sequence[int] | None = None, centre: str = CENTRE
    ) -> None:
        """The manager signs each window's staff member on at ``centre``: a ticket is issued only while
        a window for its matter is open."""
        numbers = list(windows) if windows is not None else [w.number for w in self.centre.windows]
        gate = asyncio.Semaphore(16)

        async def one(window: int) -> None:
            async with gate:
                body = {"staff": f"s{window}"}
                manager = self.token.managers[centre]
                await self.post(session, f"windows/{window}/sign-on", manager, body, centre=centre)

        await asyncio.gather(*(one(n) for n in numbers))

    async def post(
        self,
        session: aiohttp.ClientSession,
        route: str,
        token: str,
        body: dict[str, Any],
        expect: int = 200,
        centre: str = CENTRE,
    ) -> dict[str, Any]:
        """POST an action to ``centre``'s API with a new request id; a status other than ``expect`` fails.

        With several instances each request goes to the next one in turn (round-robin), as a
        reverse proxy in front of them would send it."""
        payload = {"request_id": secrets.token_hex(8), **body}
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{_api(next(self._turns), centre)}/{route}"
        async with session.post(url, json=payload, headers=headers) as response:
            answer: dict[str, Any] = await response.json(content_type=None)
            if response.status != expect:
                raise RigError(f"POST {route} answered {response.status}, not {expect}: {answer}")
            return answer


def _api(port: int, centre: str) -> str:
    """A centre's API root at the instance on ``port``, e.g. ``http://127.0.0.1:PORT/api/v1/centres/bench``."""
    return f"http://127.0.0.1:{port}/api/v1/centres/{centre}"


async def _postgres() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(POSTGRES_URL, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        raise RigError(
            f"Cannot reach PostgreSQL at {POSTGRES_URL} (set ONEWINDOW_BENCH_POSTGRES_URL): {error}"
        ) from None
