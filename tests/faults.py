"""What the fault tests (tests/test_fault_*.py) share: a hall with devices, a call log, the truth.

A fault test breaks one real part (the server process, the broker, the database, a printer, a
device's link) in the middle of traffic and then checks what the hall's people would check: what
was acknowledged is there, what the displays show is what the database says, devices are back
without anyone touching them. Waiting is always "until it holds, or fail after a generous time",
never a fixed sleep that a loaded machine could outrun.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import aiomqtt
from sqlalchemy import func, select

from queue_server.auth.accounts import Role, add_token
from queue_server.domain.centre import Centre
from queue_server.protocol.broker import Broker
from queue_server.protocol.payloads import Call
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.twins import TwinOptions
from tests.brokers import Mosquitto
from tests.serverproc import PreparedHall, busy_centre, prepare_hall

CENTRE = "busy"
SETTLE_S = 60.0
"""How long a test waits for the hall to settle after a fault: far above what it takes."""
API = f"/api/v1/centres/{CENTRE}"
PATIENT: TwinOptions = {"retry_interval": 0.5, "timeout": 60.0, "connect_timeout": 20.0}
"""Device twins that repeat often but wait long: a loaded machine answers late, never never."""


def hall_with_devices(windows: int, *, keypads: tuple[int, ...] = ()) -> Centre:
    """``busy_centre(windows)`` with a rating pad at every window, a hall display and these keypads."""
    data = busy_centre(windows).model_dump(mode="json")
    devices: list[dict[str, Any]] = [{"id": f"pad-{n}", "kind": "pad", "window": n} for n in range(1, windows + 1)]
    devices += [{"id": f"keypad-{n}", "kind": "keypad", "window": n} for n in keypads]
    devices.append({"id": "display-1", "kind": "display"})
    data["devices"] = devices
    return Centre.model_validate(data)


@dataclass
class FaultHall(PreparedHall):
    pads: dict[int, str] = field(default_factory=dict)
    """The device token of each window's rating pad (for the tablet routes)."""


async def prepare_fault_hall(database_url: str, centre: Centre) -> FaultHall:
    prepared = await prepare_hall(database_url, centre)
    hall = FaultHall(prepared.centre, prepared.kiosk, prepared.staff)
    async with Database(database_url) as db, db.write() as conn:
        for device in centre.devices:
            if device.kind.value == "pad" and device.window is not None:
                hall.pads[device.window] = await add_token(
                    conn, label=device.id, role=Role.DEVICE, centres=[CENTRE], subject=device.id
                )
    return hall


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = SETTLE_S, every: float = 0.2) -> None:
    """Return once ``check()`` holds; fail saying ``what`` did not happen within ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(every)
    except TimeoutError:
        raise AssertionError(f"{what} did not happen within {timeout:g} s") from None


async def holds(value: bool) -> bool:
    """``until(lambda: holds(x > 3), ...)``: a plain condition where ``until`` takes a coroutine."""
    return value


async def is_zero(count: Awaitable[int]) -> bool:
    return await count == 0


async def get_json(session: aiohttp.ClientSession, url: str, token: str) -> tuple[int, Any]:
    async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, await response.json(content_type=None)


async def pending_outbox(database_url: str) -> int:
    """Rows of the outbox not yet acknowledged by the broker."""
    async with Database(database_url) as db, db.read() as conn:
        o = schema.outbox.c
        query = select(func.count()).where(o.centre == CENTRE, o.sent_at.is_(None))
        return int((await conn.execute(query)).scalar_one())


async def calls_in_database(database_url: str) -> dict[int, list[int]]:
    """Each window's calls as the outbox holds them: their sequence numbers, in order."""
    async with Database(database_url) as db, db.read() as conn:
        o = schema.outbox.c
        query = select(o.subject, o.seq).where(o.centre == CENTRE, o.subject.like("window/%/call")).order_by(o.id)
        rows = (await conn.execute(query)).all()
    out: dict[int, list[int]] = defaultdict(list)
    for subject, seq in rows:
        out[int(subject.split("/")[1])].append(int(seq))
    return dict(out)


class CallLog:
    """A listener on every window's call topic that survives broker restarts.

    It keeps a persistent session (``clean_session=False``, a fixed client id), so a broker with
    persistence queues the calls published while it was reconnecting; it reconnects every 0.2 s.
    ``calls[n]`` is window ``n``'s calls in arrival order, repeats included (delivery is at least once).
    """

    def __init__(self, broker_url: str, name: str = "call-log") -> None:
        self.broker = Broker.from_url(broker_url)
        self.name = name
        self.calls: dict[int, list[Call]] = defaultdict(list)
        self.connects = 0
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> CallLog:
        self._task = asyncio.create_task(self._run())
        async with asyncio.timeout(SETTLE_S):
            await self._ready.wait()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(aiomqtt.MqttError):
                async with aiomqtt.Client(
                    self.broker.host,
                    self.broker.port,
                    identifier=self.name,
                    clean_session=False,
                    protocol=aiomqtt.ProtocolVersion.V311,
                ) as client:
                    await client.subscribe(f"onewindow/{CENTRE}/window/+/call", qos=1)
                    self.connects += 1
                    self._ready.set()
                    async for message in client.messages:
                        assert isinstance(message.payload, bytes)
                        call = Call.model_validate(json.loads(message.payload))
                        self.calls[call.window].append(call)
            await asyncio.sleep(0.2)

    def first_deliveries(self, window: int) -> list[int]:
        """The window's call sequence numbers, each at its first arrival (repeats dropped)."""
        seen: set[int] = set()
        out = []
        for call in self.calls.get(window, []):
            if call.seq not in seen:
                seen.add(call.seq)
                out.append(call.seq)
        return out


async def windows_truth(session: aiohttp.ClientSession, base_url: str, token: str) -> dict[int, tuple[Any, ...]]:
    """Each window as the server reads it from the database: status, ticket number and version."""
    status, body = await get_json(session, f"{base_url}{API}/windows", token)
    assert status == 200, body
    return {w["number"]: (w["status"], (w["ticket"] or {}).get("number"), w["version"]) for w in body["windows"]}


def board_windows(windows: dict[int, Any]) -> dict[int, tuple[Any, ...]]:
    """The same three facts of each window as a display board shows them."""
    return {n: (v.status, v.ticket.number if v.ticket else None, v.version) for n, v in windows.items()}


def vm_rss_kib(pid: int) -> int:
    """The resident memory of process ``pid`` in KiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no VmRSS line")


def established_tcp(pid: int) -> int:
    """How many established TCP connections process ``pid`` holds (its sockets matched in /proc/net/tcp*)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            parts = line.split()
            if parts[3] == "01" and parts[9] in inodes:  # 01: ESTABLISHED
                count += 1
    return count


@contextlib.asynccontextmanager
async def http_session(total: float = 30.0) -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=total)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=64)) as session:
        yield session


class PersistentMosquitto(Mosquitto):
    """Mosquitto that keeps sessions, queued messages and retained ones across a restart, as a
    production broker does (Debian's own configuration turns persistence on)."""

    def config(self) -> str:
        store = self.directory / "persistence"
        store.mkdir(parents=True, exist_ok=True)
        return super().config().replace("persistence false", f"persistence true\npersistence_location {store}/")
