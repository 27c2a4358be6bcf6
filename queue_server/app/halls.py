"""Each centre's lock and cached hall, the reads of a hall, and the one way to act under the lock.

Each process keeps the last hall it built per centre, valid while the centre's state version in
the database is the one it was built or written at; any other process's action bumps the version
and the hall is built again from the rows, by the next read or action, which keeps it. A failed
transaction drops the cached hall (:meth:`Halls.locked` does it for everyone).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from queue_server.domain.centre import Centre
from queue_server.domain.clock import Clock
from queue_server.domain.hall import Hall
from queue_server.store.database import Connection, Database
from queue_server.store.outbox import RecentCalls
from queue_server.store.repository import Writes, load_centre_config, load_hall, lock_centre, state_version

if TYPE_CHECKING:
    from queue_server.app.group_commit import QueuedAction


class CentreLock:
    """An ``asyncio.Lock`` that knows the task holding it, so that task never waits for itself."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None

    async def __aenter__(self) -> None:
        await self._lock.acquire()
        self._holder = asyncio.current_task()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._holder = None
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def held_here(self) -> bool:
        """Whether the running task holds the lock (waiting for it would wait forever)."""
        return self._holder is not None and self._holder is asyncio.current_task()


@dataclass
class CentreSlot:
    """What this process keeps of one centre: its lock, its cached hall and its queued actions."""

    lock: CentreLock = field(default_factory=CentreLock)
    version: int | None = None
    hall: Hall | None = None
    queue: list[QueuedAction] = field(default_factory=list)
    """Actions waiting for the next transaction of this centre."""
    committed: int | None = None
    """The state version of this process's last commit of an action."""
    recent: RecentCalls | None = None
    """The hall board's latest calls, valid with ``hall``."""
    runner: asyncio.Task[None] | None = None
    """The task running this centre's queued actions, while there are any."""

    def forget(self) -> None:
        """Drop the cached hall: a transaction failed, or the configuration changed."""
        self.hall = self.version = self.recent = None


@dataclass(frozen=True, slots=True)
class Locked:
    """A centre's write transaction under its lock (:meth:`Halls.locked`)."""

    halls: Halls
    conn: Connection
    slot: CentreSlot
    centre: str
    version: int

    async def hall(self) -> Hall:
        """The centre's hall at this transaction's version: the cached one, or one built now."""
        return await self.halls.current(self.conn, self.slot, self.centre, self.version)


class Halls:
    """The centres' locks and cached halls in this process, and reads of a hall or a centre."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._slots: dict[str, CentreSlot] = defaultdict(CentreSlot)
        self.builds: Counter[str] = Counter()
        """Halls built from every row of a centre, per centre: the cost a cache miss pays (``/metrics``)."""

    async def _build(self, conn: Connection, centre: str) -> Hall:
        """The centre's hall read from its rows (the whole queue), counted."""
        self.builds[centre] += 1
        return await load_hall(conn, centre, self.clock)

    def slot(self, centre: str) -> CentreSlot:
        return self._slots[centre]

    def slots(self) -> list[CentreSlot]:
        return list(self._slots.values())

    @asynccontextmanager
    async def locked(self, centre: str) -> AsyncIterator[Locked]:
        """A write transaction under the centre's lock, the centre's row locked in it; the cached
        hall is dropped if it fails. Raises NotFound when there is no such centre."""
        slot = self._slots[centre]
        async with slot.lock:
            try:
                async with self.db.write() as conn:
                    version = await lock_centre(conn, centre)
                    yield Locked(self, conn, slot, centre, version)
            except BaseException:
                slot.forget()
                raise

    async def current(
        self,
        conn: Connection,
        slot: CentreSlot,
        centre: str,
        version: int,
        writes: Writes | None = None,
    ) -> Hall:
        """The hall at ``version``, read in ``conn`` (after ``writes`` so far) unless the cached one is it."""
        if slot.hall is None or slot.version != version:
            if writes is not None:
                await writes.flush(conn)
            slot.hall = await self._build(conn, centre)
            slot.version = version
            slot.recent = None
        slot.hall.clock = self.clock  # the service's, which a test may have set since
        return slot.hall

    async def read(self, centre: str) -> Hall:
        """A hall to read from, never to act on: the cached one when current, else a fresh one.

        Build views from it before the next ``await``: an action may change the cached hall then.
        While only this process's actions run (nobody else committed since its last commit), it
        waits for them to commit and takes their hall rather than rebuilding one from the rows,
        which costs the whole queue. Inside the centre's own transaction (the task holding its
        lock) it builds a fresh hall instead of waiting for itself.
        """
        slot = self._slots[centre]
        async with self.db.read() as conn:
            version = await state_version(conn, centre)
            if slot.hall is not None and slot.version == version and not slot.lock.locked():
                return slot.hall
            running = slot.lock.locked() and not slot.lock.held_here()
            if slot.hall is None or slot.committed != version or not running:
                return await self._build_for_read(conn, slot, centre, version)
        # the running actions end first (the lock is first come, first served)
        async with slot.lock, self.db.read() as conn:
            version = await state_version(conn, centre)
            hall = slot.hall
            if hall is not None and slot.version == version:
                return hall
            return self._keep(slot, version, await self._build(conn, centre))

    async def _build_for_read(self, conn: Connection, slot: CentreSlot, centre: str, version: int) -> Hall:
        """A hall built for a read outside the lock, kept as the cached one unless an action of this
        process started or ended meanwhile (the cache is then the action's): the next read, and the
        next action at this version, use it instead of building it again."""
        before = slot.version
        hall = await self._build(conn, centre)
        if not slot.lock.locked() and slot.version == before:
            self._keep(slot, version, hall)
        return hall

    @staticmethod
    def _keep(slot: CentreSlot, version: int, hall: Hall) -> Hall:
        slot.hall, slot.version, slot.recent = hall, version, None
        return hall

    async def centre(self, code: str) -> Centre:
        """The centre's configuration as committed, without building a hall.

        The cached hall's, when no other process committed anything since this one's last commit
        (an action never changes the configuration, and ``configure`` drops the hall); else read
        from its row. Cheaper than ``read(code).centre``, which rebuilds the whole hall while an
        action runs.
        """
        slot = self._slots[code]
        async with self.db.read() as conn:
            version = await state_version(conn, code)
            hall = slot.hall
            if hall is not None and slot.committed == version:
                return hall.centre
            return await load_centre_config(conn, code)
