"""`onewindow serve`: the web server and the hall's daily jobs, until told to stop.

The daily closing (waiting tickets cancelled or carried, per the centre's policy) runs as an
ordinary action with a request id made of the centre and the day, so when several instances
run it at once exactly one applies it and the others get its answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import faulthandler
import gc
import io
import logging
import signal
import ssl
import sys
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from device_client.stopping import stop_tasks
from queue_server.app.bookings import sweep as booking_sweep
from queue_server.app.checkpoints import run_checkpoints
from queue_server.app.commands import CloseDay, ExpireRatings
from queue_server.app.public_bookings import send_reminders
from queue_server.app.service import HallService
from queue_server.app.sms_sender import SmsSender
from queue_server.app.sms_settings import SmsSettings
from queue_server.app.stalls import timed_job, watch_garbage_collector, watch_loop
from queue_server.auth.sessions import prune_sessions
from queue_server.bus.connection import BrokerAddress
from queue_server.bus.runner import Bus
from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.clock import Clock, SystemClock
from queue_server.http_common.id_key import DEFAULT_ID_KEY_FILE, load_id_key
from queue_server.store.database import Database
from queue_server.store.migrate import require_current
from queue_server.store.printing import centres_with_unanswered_jobs
from queue_server.store.seed import StoredCentres, centre_codes, stored_centre

log = logging.getLogger(__name__)

CLOSING_CHECK_SECONDS = 5
PRUNE_SECONDS = 60.0
"""How often the daily jobs forget what is past its period (see :func:`daily_jobs`)."""
REQUEST_RETENTION_DAYS = 7
OUTBOX_RETENTION_DAYS = 2
SMS_STOP_SECONDS = 12.0
"""How long stopping waits for the SMS notice being sent to be answered and recorded."""


@dataclass(frozen=True, slots=True)
class ServerSettings:
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    mqtt_url: str = ""
    """An external broker; empty runs the hall's own (queue_server.bus.broker)."""
    mqtt_port: int = 1883
    """The hall's own broker's port."""
    mqtt_host: str = "127.0.0.1"
    """Where the hall's broker listens: localhost, or the hall network with the devices' passwords."""
    tls_cert: Path | None = None
    tls_key: Path | None = None
    """Serve HTTPS with this certificate (chain) and key; otherwise plain HTTP (behind a proxy, or on localhost)."""
    id_key_file: Path = DEFAULT_ID_KEY_FILE
    """The key ID numbers are hashed with (queue_server.http_common.id_key), made there on first start."""
    sms_config: Path | None = None
    """The SMS provider and each centre's templates (queue_server.app.sms_settings); none: no SMS is sent."""

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls_cert else "http"
        return self.public_url or f"{scheme}://{self.host}:{self.port}"

    def ssl_context(self) -> ssl.SSLContext | None:
        """The server's TLS context, or None for plain HTTP; a certificate without its key is refused."""
        if self.tls_cert is None and self.tls_key is None:
            return None
        if self.tls_cert is None or self.tls_key is None:
            raise TlsError("Cannot serve HTTPS: give both --tls-cert and --tls-key")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(self.tls_cert, self.tls_key)
        except (OSError, ssl.SSLError) as error:
            raise TlsError(f"Cannot serve HTTPS with {self.tls_cert} and {self.tls_key}: {error}") from None
        return context


class TlsError(ValueError):
    """The certificate or key cannot be used."""


class PortTaken(OSError):
    pass


async def close_due_days(service: HallService, stored: StoredCentres | None = None) -> list[str]:
    """Run the closing of every centre whose day has ended; returns the centres closed now.

    ``stored`` keeps the configurations parsed from one round to the next."""
    closed = []
    async with service.db.read() as conn:
        centres = await (stored or StoredCentres()).read(conn)
    now = service.clock.now()
    for code, centre in centres.items():
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


async def expire_ratings(service: HallService) -> None:
    """Close rating requests nobody answered in time, so pads go idle and tickets stay unrated."""
    async with service.db.read() as conn:
        codes = await centre_codes(conn)
    now = service.clock.now()
    for code in codes:
        hall = await service.hall(code)
        due = any(  # the open requests only (the hall's index), not every ticket it keeps
            (expires := hall.ticket(serial).rating_expires_at) is not None and expires <= now
            for serial in hall.ratings.requested
        )
        if due:
            await service.act(
                code, ExpireRatings(), actor="system", request_id=f"expire-ratings:{code}:{now.isoformat()}"
            )


async def resend_print_jobs(service: HallService) -> None:
    async with service.db.read() as conn:  # one look for every centre: the usual answer is none
        codes = sorted(await centres_with_unanswered_jobs(conn, service.clock.now()))
    for code in codes:
        if await service.resend_print_jobs(code):
            log.info("sent unanswered print jobs again at centre %s", code)


async def daily_jobs(service: HallService) -> None:
    """Closing, expiry and pruning, checked every few seconds; a failure is logged and tried again.

    What must happen on time (a day's closing and the retention it starts, rating requests that
    expire, print jobs to send again, bookings' sweep and reminders) is checked every
    ``CLOSING_CHECK_SECONDS``; forgetting what is past its period (old request ids, outbox rows
    and sessions, and the retention policy's ``purge_after``) only every ``PRUNE_SECONDS``: each is
    a write transaction whose statements run on the event loop, and every call waited for them
    when they ran every few seconds. Each step's time is in ``onewindow_background_job_seconds``."""
    stored = StoredCentres()
    loop = asyncio.get_running_loop()
    pruned_at = -PRUNE_SECONDS
    while True:
        try:
            with timed_job("expire_ratings"):
                await expire_ratings(service)
            with timed_job("resend_print_jobs"):
                await resend_print_jobs(service)
            with timed_job("close_days"):
                closed = await close_due_days(service, stored)
            prune = loop.time() - pruned_at >= PRUNE_SECONDS
            if closed or prune:
                # The retention policy: data past its purge_after at every centre, and once a day per
                # centre at closing the kinds counted from its days (maintenance.apply_retention).
                with timed_job("retention"):
                    await service.apply_retention(closed)
            if prune:
                with timed_job("prune"):
                    await service.prune_requests(REQUEST_RETENTION_DAYS)
                    await service.prune_outbox(OUTBOX_RETENTION_DAYS)
                    async with service.db.write() as conn:
                        await prune_sessions(conn, service.clock.now())
                pruned_at = loop.time()
            with timed_job("bookings"):
                async with service.db.read() as conn:
                    codes = await centre_codes(conn)
                await booking_sweep(service, codes)  # bookings never checked in are no-shows; people deleted in time
                await send_reminders(service, codes)  # the day before a booking, once each
        except Exception:
            log.exception("the daily jobs failed; trying again in %s s", CLOSING_CHECK_SECONDS)
        await asyncio.sleep(CLOSING_CHECK_SECONDS)


async def start_site(
    app: web.Application, host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
    except OSError as error:
        await runner.cleanup()
        if error.errno == errno.EADDRINUSE:
            raise PortTaken(
                error.errno, f"Cannot listen on {host}:{port}: the port is taken; choose another with --port"
            ) from None
        raise
    return runner


MEMORY_SITES = 30
"""How many of the lines that hold the most memory SIGUSR1 writes, when tracemalloc traces."""


def write_task_stacks() -> None:
    """SIGUSR1: write where every task of the server waits to standard error, for a server that hangs;
    and, when the server was started with tracemalloc on (``PYTHONTRACEMALLOC=1``), the lines of code
    that hold the most memory now, for a server whose memory grows."""
    out = io.StringIO()
    tasks = asyncio.all_tasks()
    out.write(f"---- {len(tasks)} tasks of the server (SIGUSR1)\n")
    for task in tasks:
        task.print_stack(limit=12, file=out)
    if tracemalloc.is_tracing():
        current, peak = tracemalloc.get_traced_memory()
        out.write(f"---- memory traced: {current / 2**20:.1f} MB now, {peak / 2**20:.1f} MB at the peak (SIGUSR1)\n")
        for stat in tracemalloc.take_snapshot().statistics("lineno")[:MEMORY_SITES]:
            out.write(f"{stat}\n")
    sys.stderr.write(out.getvalue())
    sys.stderr.flush()


GC_THRESHOLDS = (10_000, 20, 20)
"""Objects allocated (less freed) before the youngest generation is collected, and how many of
each generation's collections before the next one's (CPython's defaults are 700, 10, 10). An action
allocates thousands of short-lived objects and frees them without cycles: the defaults ran a
collection every few requests, each a walk of the young objects."""


def settle_garbage_collector() -> None:
    """After start-up: move what start-up made (modules, the halls, compiled statements) out of the
    garbage collector's sight, so a full collection no longer walks it while a call waits, and collect
    the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


BUS_READY_SECONDS = 10.0
"""How long start-up waits for the bus before saying it is ready (the API serves meanwhile)."""


async def serve(
    settings: ServerSettings,
    *,
    clock: Clock | None = None,
    ready: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
    on_bus: Callable[[Bus], Awaitable[None]] | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM (or ``stop``); the database must be initialised.

    ``on_bus`` runs once the bus is connected (or did not connect in time), before ``ready``:
    the demo starts its device clients there.
    """
    from queue_server.assembly import create_app

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGUSR1, write_task_stacks)
    # SIGUSR2: every thread's stack, written by the interpreter itself, so even a loop stuck in a
    # blocking call says where.
    with contextlib.suppress(AttributeError, ValueError, io.UnsupportedOperation):  # no real stderr (a test)
        faulthandler.register(signal.SIGUSR2, all_threads=True)
    tls = settings.ssl_context()
    sms = SmsSettings.load(settings.sms_config) if settings.sms_config is not None else None
    async with Database(settings.database_url, background_checkpoints=True) as db, contextlib.AsyncExitStack() as stack:
        await require_current(db)
        service = await stack.enter_async_context(
            HallService(db, clock or SystemClock(), public_base_url=settings.base_url, sms=sms)
        )
        broker = await _broker(settings, stack, db)
        async with db.read() as conn:
            centres = [c for code in await centre_codes(conn) if (c := await stored_centre(conn, code)) is not None]
        bus = Bus(service, centres, broker)
        app = create_app(service, bus=bus, id_key=load_id_key(settings.id_key_file))
        runner = await start_site(app, settings.host, settings.port, tls)
        tasks = [asyncio.create_task(daily_jobs(service)), asyncio.create_task(bus.run())]
        tasks += [asyncio.create_task(watch_loop()), asyncio.create_task(run_checkpoints(db))]
        watch_garbage_collector()
        sender = SmsSender(db, sms, service.clock) if sms is not None else None
        sending = asyncio.create_task(sender.run()) if sender is not None else None
        try:
            with contextlib.suppress(TimeoutError):
                connected = (centre.connected.wait() for centre in bus.centres.values())
                async with asyncio.timeout(BUS_READY_SECONDS):
                    await asyncio.gather(*connected)
            if on_bus is not None:
                await on_bus(bus)
            settle_garbage_collector()
            if ready is not None:
                ready(settings.base_url)
            await stop.wait()
        finally:
            if sender is not None and sending is not None:  # the notice being sent is recorded first
                await sender.stop(sending, SMS_STOP_SECONDS)
                tasks.append(sending)
            await stop_tasks(tasks)
            await runner.cleanup()


async def _broker(settings: ServerSettings, stack: contextlib.AsyncExitStack, db: Database) -> BrokerAddress:
    """The broker to use: the one the URL names, or the hall's own started here as a child process.

    On localhost the hall's broker lets local clients in. On the hall network it takes only the
    devices' passwords made by `onewindow mqtt-config`, enforces their access rules, and gives
    the server an account with a password that lives only as long as this process.
    """
    if settings.mqtt_url:
        return BrokerAddress.from_url(settings.mqtt_url)
    from queue_server.bus.broker import HallBroker, is_loopback

    host, port = settings.mqtt_host, settings.mqtt_port
    if is_loopback(host):
        broker = await stack.enter_async_context(HallBroker(host=host, port=port))
        return BrokerAddress(host, broker.port)
    from queue_server.bus.mqtt_config import server_account, stored_accounts
    from queue_server.bus.passwords import new_password

    async with db.read() as conn:
        accounts = await stored_accounts(conn)
    password = new_password()
    accounts.append(server_account(password))
    passwords = {a.username: a.password_hash for a in accounts} if len(accounts) > 1 else None
    grants = {a.username: a.grants for a in accounts} if passwords else None
    hall = HallBroker(host=host, port=port, passwords=passwords, grants=grants)
    broker = await stack.enter_async_context(hall)
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return BrokerAddress(local, broker.port, username=accounts[-1].username, password=password)
