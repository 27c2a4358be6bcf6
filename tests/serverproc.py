"""Real `onewindow serve` processes for system tests, and a hall prepared for them.

Each server is a child process started with the installed command line, on a free port, and
found ready by its health route; tests stop it politely or kill it with SIGKILL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from queue_server.auth.accounts import Role, add_token
from queue_server.bus.broker import free_port as broker_free_port
from queue_server.domain.centre import WEEKDAYS, Centre
from queue_server.store.database import Database, utcnow
from queue_server.store.migrate import upgrade
from queue_server.store.seed import create_centre

START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A free port of 127.0.0.1 below the ephemeral range (see queue_server.bus.broker.free_port)."""
    return broker_free_port("127.0.0.1")


def wait_listening(process: subprocess.Popen[bytes], host: str, port: int, what: str, log: Callable[[], str]) -> None:
    """Return once ``process`` accepts connections on ``port``; fail with its log if it dies or stalls."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} on port {port}:\n{log()}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} did not listen on port {port} within {START_TIMEOUT_S} s:\n{log()}")


def other_version_env(source: Path) -> dict[str, str]:
    """The environment of a child that runs the ``queue_server`` package in ``source`` (started in
    ``source``: ``python -m`` looks in its working folder first, then PYTHONPATH). Coverage is left
    out: it would measure files that are gone when the report is made."""
    env = {k: v for k, v in os.environ.items() if k not in ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG")}
    env["PYTHONPATH"] = str(source)
    return env


class ServerProcess:
    """One `onewindow serve` child process; its output goes to a log file for post-mortems."""

    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        name: str = "server",
        extra_args: Sequence[str] = (),
        scheme: str = "http",
        source: Path | None = None,
    ) -> None:
        self.database_url = database_url
        self.extra_args = list(extra_args)
        self.source = source
        """A folder holding another ``queue_server`` package to run instead of the installed one
        (another version of the server, as a rolling upgrade has), or None."""
        self.port = free_port()
        self.mqtt_port = free_port()
        """Each server runs its own embedded broker here (the tests of the bus give brokers of their own)."""
        self.base_url = f"{scheme}://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "queue_server", "serve",
            "--database-url", self.database_url,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--mqtt-port", str(self.mqtt_port),
            *self.extra_args,
        ]  # fmt: skip
        env, cwd = {**os.environ}, None
        if self.source is not None:
            env, cwd = other_version_env(self.source), self.source
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        try:
            self._wait_ready()
        except BaseException:  # a server that did not come up in time is no one's to stop later
            self.kill()
            raise

    def _wait_ready(self) -> None:
        assert self.process is not None
        wait_listening(self.process, "127.0.0.1", self.port, "the server", self.log)

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, as a power cut would do to the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def busy_centre(windows: int) -> Centre:
    """A centre open around the clock with ``windows`` general windows and a staff member each."""
    return Centre.model_validate(
        {
            "centre": {"code": "busy", "name": "压力测试中心"},
            "policy": {  # a load test floods on purpose: no ticket limits
                "stop_issuing_before_close": 0,
                "kiosk_tickets_per_minute": 0,
                "address_tickets_per_minute": 0,
            },
            "hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS},
            "domains": [{"code": "general", "name": "综合"}],
            "window_kinds": [{"code": "general", "name": "综合受理"}],
            "ticket_groups": [{"prefix": "A", "name": "综合"}],
            "matters": [
                {
                    "code": "pension",
                    "name": "养老保险待遇领取",
                    "domain": "general",
                    "window_kinds": ["general"],
                    "expected_minutes": 5,
                    "prefix": "A",
                }
            ],
            "windows": [{"number": n, "name": f"{n}号窗口", "kinds": ["general"]} for n in range(1, windows + 1)],
            "staff": [{"code": f"s{n}", "name": f"员工{n}", "windows": [n]} for n in range(1, windows + 1)],
        }
    )


@dataclass
class PreparedHall:
    centre: Centre
    kiosk: str
    staff: dict[int, str] = field(default_factory=dict)
    """Bearer token of each window's staff member."""


async def prepare_hall(database_url: str, centre: Centre) -> PreparedHall:
    """Migrate, load the centre, and make a kiosk token and one staff token per window."""
    code = centre.centre.code
    async with Database(database_url) as db:
        await upgrade(db)
        async with db.write() as conn:
            await create_centre(conn, centre, utcnow())
            kiosk = await add_token(conn, label="kiosk", role=Role.KIOSK, centres=[code], subject="kiosk1")
            prepared = PreparedHall(centre, kiosk)
            for person in centre.staff:
                window = person.windows[0]
                prepared.staff[window] = await add_token(
                    conn, label=person.code, role=Role.STAFF, centres=[code], subject=person.code
                )
    return prepared


async def post(session: aiohttp.ClientSession, url: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with session.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, await response.json(content_type=None)


async def retry_post(
    session: aiohttp.ClientSession, url: str, token: str, body: dict[str, Any], attempts: int = 50
) -> tuple[int, Any]:
    """POST, retrying on connection errors with the same request id, as a device would."""
    for _ in range(attempts - 1):
        try:
            return await post(session, url, token, body)
        except (TimeoutError, aiohttp.ClientConnectionError):
            await asyncio.sleep(0.1)
    return await post(session, url, token, body)
