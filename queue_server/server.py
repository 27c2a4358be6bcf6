"""`onewindow serve`: the web server and the hall's daily jobs, until told to stop.

The daily closing (waiting tickets cancelled or carried, per the centre's policy) runs as an
ordinary action with a request id made of the centre and the day, so when several instances
run it at once exactly one applies it and the others get its answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from queue_server.commands import CloseDay
from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.clock import Clock, SystemClock
from queue_server.service import HallService
from queue_server.store.database import Database
from queue_server.store.migrate import require_current
from queue_server.store.seed import centre_codes, stored_centre

log = logging.getLogger(__name__)

CLOSING_CHECK_SECONDS = 30
REQUEST_RETENTION_DAYS = 7


@dataclass(frozen=True, slots=True)
class ServerSettings:
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


class PortTaken(OSError):
    pass


async def close_due_days(service: HallService) -> list[str]:
    """Run the closing of every centre whose day has ended; returns the centres closed now."""
    closed = []
    async with service.db.read() as conn:
        codes = await centre_codes(conn)
        centres = {code: await stored_centre(conn, code) for code in codes}
    now = service.clock.now()
    for code, centre in centres.items():
        if centre is None:
            continue
        calendar = WorkCalendar(centre)
        day = calendar.local_date(now)
        closing = calendar.closing_time(day)
        if closing is None or now < closing:
            continue
        answer = await service.act(code, CloseDay(), actor="system", request_id=f"close-day:{code}:{day.isoformat()}")
        if answer.ok and not answer.replayed:
            closed.append(code)
            log.info("closed the day %s at centre %s", day, code)
    return closed


async def daily_jobs(service: HallService) -> None:
    """Closing and pruning, checked every half minute; a failure is logged and tried again."""
    while True:
        try:
            await close_due_days(service)
            await service.prune_requests(REQUEST_RETENTION_DAYS)
        except Exception:
            log.exception("the daily jobs failed; trying again in %s s", CLOSING_CHECK_SECONDS)
        await asyncio.sleep(CLOSING_CHECK_SECONDS)


async def start_site(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        if error.errno == errno.EADDRINUSE:
            raise PortTaken(
                error.errno, f"Cannot listen on {host}:{port}: the port is taken; choose another with --port"
            ) from None
        raise
    return runner


async def serve(
    settings: ServerSettings,
    *,
    clock: Clock | None = None,
    ready: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM (or ``stop``); the database must be initialised."""
    from queue_server.web.app import create_app

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with Database(settings.database_url) as db:
        await require_current(db)
        service = HallService(db, clock or SystemClock(), public_base_url=settings.base_url)
        runner = await start_site(create_app(service), settings.host, settings.port)
        jobs = asyncio.create_task(daily_jobs(service))
        try:
            if ready is not None:
                ready(settings.base_url)
            await stop.wait()
        finally:
            jobs.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await jobs
            await runner.cleanup()
