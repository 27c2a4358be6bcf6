"""Live updates: Server-Sent Events that say "the centre changed, read again".

A page keeps one stream open: ``/live/centres/{centre}`` (for a session that may read the centre)
or ``/live/ticket/{token}`` (public, for a ticket's status page). Each event carries only the
centre's state version in the database; the page then reads what it shows through the API, with
its own rights. A rectification case changes without an action of the hall: the feed watches the
cases' own version beside the state version. A device lost or back is no committed action, but
the pages warn of it: the feed also watches the count of the devices' changes of availability,
and an event for one of those (or a case) repeats the state version. One watcher per centre wakes every
stream: at once after a change this process committed or a device it heard (the feed subscribes
to the service while it is open), and within :data:`POLL_SECONDS` after one another server
instance committed, by reading the centre's version from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Self

from aiohttp import web

from queue_server.app.service import HallService
from queue_server.store.lookup import find_ticket_by_token, live_version

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
HEARTBEAT_SECONDS = 15.0

Version = tuple[int, int, int]
"""A centre's state version and its rectification cases' version in the database, and how often
its devices' availability changed."""


def _nothing() -> None:
    """Unsubscribe before subscribing: nothing to do."""


class ChangeFeed:
    """The latest state version of each watched centre, and a wake-up for whoever waits on it.

    ``async with ChangeFeed(service) as feed:`` it is told of the service's commits; on exit it
    unsubscribes and ends its tasks.
    """

    def __init__(self, service: HallService) -> None:
        self.service = service
        self._versions: dict[str, Version] = {}
        self._changed: dict[str, asyncio.Event] = {}
        self._watchers: dict[str, int] = {}
        self._pollers: dict[str, asyncio.Task[None]] = {}
        self._nudged: dict[str, asyncio.Task[None]] = {}
        """Per centre, the one read a commit asked for, while it is pending or running."""
        self._again: set[str] = set()
        """Centres committed to while their read ran: it reads once more."""
        self._unsubscribe: Callable[[], None] = _nothing
        self.ending = False
        """The server is stopping: every stream ends at once."""

    async def __aenter__(self) -> Self:
        self._unsubscribe = self.service.subscribe(self.nudge)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    def nudge(self, centre: str) -> None:
        """Something committed at ``centre``: read its version now.

        Nudges coalesce: while a read is pending the next nudge only asks it to read once more
        when done, since the read under way may have looked before this commit.
        """
        if centre not in self._pollers:
            return
        if centre in self._nudged:
            self._again.add(centre)
        else:
            self._nudged[centre] = asyncio.get_running_loop().create_task(self._read_nudged(centre))

    async def _read_nudged(self, centre: str) -> None:
        try:
            while True:
                self._again.discard(centre)  # a nudge before this read started is covered by it
                await self._read(centre)
                if centre not in self._again:
                    return
        finally:
            self._nudged.pop(centre, None)

    async def _read(self, centre: str) -> None:
        try:
            async with self.service.db.read() as conn:
                state, cases = await live_version(conn, centre)
        except Exception as error:  # the database is away: the streams stay, the pages keep what they show
            log.debug("could not read the version of %s: %s", centre, error)
            return
        version = (state, cases, self.service.devices(centre).changes)
        if self._versions.get(centre) != version:
            self._versions[centre] = version
            event = self._changed.setdefault(centre, asyncio.Event())
            event.set()
            self._changed[centre] = asyncio.Event()

    async def _poll(self, centre: str) -> None:
        while True:
            await self._read(centre)
            await asyncio.sleep(POLL_SECONDS)

    @contextlib.asynccontextmanager
    async def watching(self, centre: str) -> AsyncIterator[None]:
        self._watchers[centre] = self._watchers.get(centre, 0) + 1
        if centre not in self._pollers:
            self._pollers[centre] = asyncio.get_running_loop().create_task(self._poll(centre))
        try:
            yield
        finally:
            self._watchers[centre] = self._watchers.get(centre, 1) - 1
            if self._watchers[centre] <= 0:
                del self._watchers[centre]
                task = self._pollers.pop(centre, None)
                if task is not None:
                    task.cancel()

    async def next_version(self, centre: str, seen: Version | None, timeout: float) -> Version | None:
        """The centre's version once it differs from ``seen`` (None if it did not within ``timeout``)."""
        if centre not in self._versions:
            await self._read(centre)
        version = self._versions.get(centre)
        if version is not None and version != seen:
            return version
        if self.ending:
            return None
        event = self._changed.setdefault(centre, asyncio.Event())
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return None
        return self._versions.get(centre)

    def end_streams(self) -> None:
        """The server is stopping: wake every stream so that it ends now. A stream whose page closed
        waits for its next heartbeat to find out, and the server's stop waited for it (its shutdown
        timeout) before cancelling it."""
        self.ending = True
        for event in self._changed.values():
            event.set()

    async def close(self) -> None:
        """Hear of no more commits; end the polls and the pending reads."""
        self._unsubscribe()
        tasks = [*self._pollers.values(), *self._nudged.values()]
        for task in tasks:
            task.cancel()
        self._pollers.clear()
        await asyncio.gather(*tasks, return_exceptions=True)


FEED = web.AppKey("change_feed", ChangeFeed)


async def stream(request: web.Request, centre: str) -> web.StreamResponse:
    """Send ``event: change`` with the centre's version whenever it changes, and a heartbeat."""
    feed = request.app[FEED]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    seen: Version | None = None
    try:
        async with feed.watching(centre):
            await response.write(b"retry: 2000\n\n")
            while not feed.ending:
                version = await feed.next_version(centre, seen, HEARTBEAT_SECONDS)
                if feed.ending:
                    break
                if version is None:
                    await response.write(b": still here\n\n")
                    continue
                seen = version
                await response.write(f"event: change\ndata: {version[0]}\n\n".encode())
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def centre_stream(request: web.Request) -> web.StreamResponse:
    return await stream(request, request.match_info["centre"])


async def ticket_stream(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    async with request.app[FEED].service.db.read() as conn:
        found = await find_ticket_by_token(conn, token)
    if found is None:
        raise web.HTTPNotFound(text="No ticket has this status token")
    return await stream(request, found[0])
