"""Each centre's lock and cached hall, the reads of a hall, and the one way to act under the lock.

Each process keeps the last hall it built per centre, valid while the centre's state version in
the database is the one it was built or written at. Any other process's action bumps the version:
the next read or action then catches the kept hall up with the tickets that changed since
(``store.hall_catch_up``), under the centre's lock as actions change it; only a new configuration,
or a hall never built, costs a build from every row. A failed transaction drops the cached hall
(:meth:`Halls.locked` does it for everyone).
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
from queue_server.store.hall_catch_up import Mark, changed_since, mark
from queue_server.store.outbox import RecentCalls
from queue_server.store.repository import (
    Writes,
    handling_stats,
    load_centre_config,
    load_hall,
    lock_centre,
    state_version,
)

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
    mark: Mark | None = None
    """How far ``hall`` has seen the centre's events and configuration: where a catch-up starts."""
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
        self.hall = self.version = self.recent = self.mark = None


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
        self.catch_ups: Counter[str] = Counter()
        """Kept halls brought up to date with another process's actions, per centre (``/metrics``)."""

    async def _build(self, conn: Connection, centre: str) -> tuple[Hall, Mark]:
        """The centre's hall read from its rows (the whole queue), counted, and its mark."""
        self.builds[centre] += 1
        seen = await mark(conn, centre)
        return await load_hall(conn, centre, self.clock), seen

    async def _caught_up(self, conn: Connection, slot: CentreSlot, centre: str, version: int) -> Hall:
        """The kept hall caught up to ``version`` (held under the centre's lock), else one built
        now; either is kept."""
        hall, seen = slot.hall, slot.mark
        if hall is not None and seen is not None:
            now = await mark(conn, centre)
            today = hall.calendar.local_date(self.clock.now())
            real_name = any(m.real_name for m in hall.centre.matters)
            changed = await changed_since(conn, centre, seen, now, today, real_name=real_name)
            if changed is not None:
                hall.catch_up(changed, await handling_stats(conn, hall.centre))
                hall.compact()  # tickets that ended elsewhere leave it, as after an action here
                self.catch_ups[centre] += 1
                return self._keep(slot, version, hall, now)
        return self._keep(slot, version, *await self._build(conn, centre))

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
        hall = slot.hall
        if hall is None or slot.version != version:
            if writes is not None:
                await writes.flush(conn)
            hall = await self._caught_up(conn, slot, centre, version)
        hall.clock = self.clock  # the service's, which a test may have set since
        return hall

    async def read(self, centre: str, version: int | None = None) -> Hall:
        """A hall to read from, never to act on: the cached one when current, else one caught up.

        ``version``: the centre's state version the caller has just read (with others' at once,
        ``store.repository.state_versions``); the cached hall at that version is then returned
        without reading it again, and any other case goes the usual way.

        Build views from it before the next ``await``: an action may change the cached hall then.
        A kept hall that is not current is caught up under the centre's lock, after the actions of
        this process under way, as an action would. Inside the centre's own transaction (the task
        holding its lock) it builds a fresh hall instead of waiting for itself.
        """
        slot = self._slots[centre]
        if version is not None and slot.hall is not None and slot.version == version and not slot.lock.locked():
            return slot.hall
        async with self.db.read() as conn:
            version = await state_version(conn, centre)
            if slot.hall is not None and slot.version == version and not slot.lock.locked():
                return slot.hall
            if slot.lock.held_here():
                fresh, _ = await self._build(conn, centre)
                return fresh
            if slot.hall is None and not slot.lock.locked():
                return await self._build_for_read(conn, slot, centre, version)
        async with slot.lock, self.db.read() as conn:
            version = await state_version(conn, centre)
            hall = slot.hall
            if hall is not None and slot.version == version:
                return hall
            return await self._caught_up(conn, slot, centre, version)

    async def _build_for_read(self, conn: Connection, slot: CentreSlot, centre: str, version: int) -> Hall:
        """A hall built for a read outside the lock, kept as the cached one unless an action of this
        process started or ended meanwhile (the cache is then the action's): the next read, and the
        next action at this version, use it instead of building it again."""
        before = slot.version
        hall, seen = await self._build(conn, centre)
        if not slot.lock.locked() and slot.version == before and slot.hall is None:
            self._keep(slot, version, hall, seen)
        return hall

    @staticmethod
    def _keep(slot: CentreSlot, version: int, hall: Hall, seen: Mark) -> Hall:
        slot.hall, slot.version, slot.recent, slot.mark = hall, version, None, seen
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
