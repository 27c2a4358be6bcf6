"""The SMS sender: the notices' outbox to the provider, each notice sent once, its answer recorded.

It looks for due notices about every ``POLL_SECONDS`` (one indexed query). On PostgreSQL, where
several instances share the outbox, a centre's notices are read, sent and recorded inside one
transaction that holds the centre's SMS lease (an advisory lock like the bus relay's,
queue_server.store.relay_lease): one instance sends them, and a row is marked in the transaction
that read it, so another instance never sends it again; an instance killed in between leaves its
rows pending and its lease ends with its connection. On SQLite (one instance) the rows are read,
then each is sent and recorded in a short write transaction of its own, so sending never holds
the database's write lock that actions need.

Policy, here and not in the adapter: a number gets at most the centre's ``daily_limit`` notices in
any 24 hours (the next is recorded failed, "daily limit"); an error that may pass (throttling, the
provider's 5xx, the network) is tried again after a growing pause (``backoff``), up to
``MAX_ATTEMPTS``; any other error is recorded failed with the provider's code and message.

A sent notice's delivery receipt is read from the provider (``RECEIPT_FIRST`` after sending, then
every ``RECEIPT_AGAIN``, for ``RECEIPT_WINDOW``) under the same lease: ``delivered``, or ``failed``
with the network's code; without word it stays ``sent``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from queue_server.app.log_context import acting
from queue_server.app.sms_provider import AliyunSms, Receipt, SendOutcome, SmsProvider
from queue_server.app.sms_settings import SmsSettings
from queue_server.domain.clock import Clock
from queue_server.store.database import Connection, Database
from queue_server.store.errors import DatabaseError
from queue_server.store.relay_lease import SMS_LOCK_CLASS, try_relay_lease
from queue_server.store.sms import (
    DueNotice,
    NoticeStatus,
    SentNotice,
    due_notices,
    due_receipts,
    record_failed,
    record_receipt,
    record_retry,
    record_sent,
    sent_today,
)

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
BATCH = 20
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 300.0
LIMIT_WINDOW = dt.timedelta(hours=24)
RECEIPT_FIRST = dt.timedelta(seconds=30)
"""A sent notice's delivery receipt is first read this long after it was sent ..."""
RECEIPT_AGAIN = dt.timedelta(minutes=2)
"""... and again this often while the network has not reported it ..."""
RECEIPT_WINDOW = dt.timedelta(days=2)
"""... for at most this long (the provider keeps the details for some days); then it stays sent."""
PROVIDER_ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
"""The provider dates messages (QuerySendDetails' SendDate) in China's time."""
T = TypeVar("T")


def backoff(attempts: int, base: float = BACKOFF_SECONDS) -> dt.timedelta:
    """The pause before attempt ``attempts + 1``: doubling from ``base``, at most five minutes."""
    return dt.timedelta(seconds=min(base * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS))


class SmsSender:
    """Sends the notices of every centre the settings name; ``run`` until cancelled."""

    def __init__(
        self,
        db: Database,
        settings: SmsSettings,
        clock: Clock,
        providers: Mapping[str, SmsProvider] | None = None,
        *,
        backoff_base: float = BACKOFF_SECONDS,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.providers: dict[str, SmsProvider] = dict(providers or {})
        for code in settings.centres:
            if code not in self.providers:
                self.providers[code] = AliyunSms(settings.provider, settings.credentials(code))
        self.backoff_base = backoff_base
        self.stopping = asyncio.Event()
        """Set: the sender records the notice it is sending and stops (:meth:`stop`)."""

    async def run(self, poll: float = POLL_SECONDS) -> None:
        """Send what is due every ``poll`` seconds until :attr:`stopping` is set (or cancelled)."""
        while not self.stopping.is_set():
            try:
                await self.send_due()
                await self.check_receipts()
            except (DatabaseError, OSError) as error:  # the database is away: the notices wait for it
                log.warning("could not send SMS notices: %s; trying again", error)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await self.stopping.wait()

    async def stop(self, task: asyncio.Task[None], grace: float) -> None:
        """End ``task`` (running :meth:`run`) after the notice being sent is recorded, within ``grace`` seconds.

        A cancellation between the provider's answer and the commit would send that notice again."""
        self.stopping.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await asyncio.shield(task)

    async def send_due(self) -> int:
        """Send every centre's due notices; returns how many were sent (accepted by the provider)."""
        sent = 0
        for code in self.settings.centres:
            sent += await self._batches(code, self._due, self._send_one)
        return sent

    async def check_receipts(self) -> int:
        """Read the delivery receipts that are due; returns how many notices are now delivered or failed."""
        settled = 0
        for code in self.settings.centres:
            settled += await self._batches(code, self._receipts_due, self._check_one)
        return settled

    async def _due(self, conn: Connection, code: str) -> list[DueNotice]:
        return await due_notices(conn, [code], self.clock.now(), BATCH)

    async def _receipts_due(self, conn: Connection, code: str) -> list[SentNotice]:
        now = self.clock.now()
        return await due_receipts(conn, [code], now, now - RECEIPT_WINDOW, BATCH)

    async def _batches(
        self,
        code: str,
        read: Callable[[Connection, str], Awaitable[Sequence[T]]],
        handle: Callable[[Connection | None, T], Awaitable[int]],
    ) -> int:
        """Read the centre's rows a batch at a time and ``handle`` each, under the centre's SMS lease.

        PostgreSQL: each batch in one transaction holding the lease. SQLite: read, then each row
        handled with short transactions of its own (``conn`` None)."""
        done = 0
        with acting(centre=code, actor="system:sms"):  # its log lines name the centre
            while True:
                if self.db.sqlite:
                    async with self.db.read() as read_conn:
                        rows = await read(read_conn, code)
                    for row in rows:
                        if self.stopping.is_set():
                            return done
                        done += await handle(None, row)
                else:
                    async with self.db.write() as conn:
                        if not await try_relay_lease(conn, code, SMS_LOCK_CLASS):
                            return done  # another instance sends this centre's notices now
                        rows = await read(conn, code)
                        for row in rows:
                            if self.stopping.is_set():
                                return done  # what was done is recorded as the transaction commits
                            done += await handle(conn, row)
                if len(rows) < BATCH:
                    return done

    async def _check_one(self, conn: Connection | None, notice: SentNotice) -> int:
        provider = self.providers[notice.centre]
        sent_on = notice.sent_at.astimezone(PROVIDER_ZONE).date()
        found = await provider.receipt(notice.phone, notice.biz_id, sent_on)
        status = {Receipt.DELIVERED: NoticeStatus.DELIVERED, Receipt.FAILED: NoticeStatus.FAILED}.get(found.receipt)
        later = self.clock.now() + RECEIPT_AGAIN
        reason = found.reason if status is NoticeStatus.FAILED else ""
        await self._record(conn, lambda c: record_receipt(c, notice.id, status, reason, later))
        return 1 if status is not None else 0

    async def _send_one(self, conn: Connection | None, notice: DueNotice) -> int:
        sms = self.settings.centres[notice.centre]
        now = self.clock.now()
        attempts = notice.attempts + 1
        if not notice.phone:
            gone = "the number was deleted before it could be sent"
            await self._record(conn, lambda c: record_failed(c, notice.id, gone, attempts))
            return 0
        if await self._count(conn, notice.phone, now - LIMIT_WINDOW) >= sms.daily_limit:
            reason = f"daily limit: {sms.daily_limit} notices to this number in 24 hours"
            await self._record(conn, lambda c: record_failed(c, notice.id, reason, attempts))
            return 0
        provider = self.providers[notice.centre]
        outcome = await provider.send(notice.phone, sms.sign_name, notice.template, notice.params, str(notice.id))
        if outcome.ok:
            biz_id, at = outcome.biz_id or "", self.clock.now()
            await self._record(conn, lambda c: record_sent(c, notice.id, biz_id, at, attempts, at + RECEIPT_FIRST))
            return 1
        self._log(notice, outcome, attempts)
        if outcome.retry and attempts < MAX_ATTEMPTS:
            at = self.clock.now() + backoff(attempts, self.backoff_base)
            await self._record(conn, lambda c: record_retry(c, notice.id, outcome.reason, attempts, at))
        else:
            await self._record(conn, lambda c: record_failed(c, notice.id, outcome.reason, attempts))
        return 0

    def _log(self, notice: DueNotice, outcome: SendOutcome, attempts: int) -> None:
        again = "will try again" if outcome.retry else "gave up"
        log.warning(
            "SMS notice %s (%s) of %s not sent, attempt %d: %s; %s",
            notice.id, notice.kind, notice.centre, attempts, outcome.reason, again,
        )  # fmt: skip

    async def _count(self, conn: Connection | None, phone: str, since: dt.datetime) -> int:
        if conn is None:
            async with self.db.read() as read:
                return await sent_today(read, phone, since)
        return await sent_today(conn, phone, since)

    async def _record(self, conn: Connection | None, statement: Callable[[Connection], Awaitable[None]]) -> None:
        """Record in the lease's transaction (PostgreSQL) or a short write transaction (SQLite: None)."""
        if conn is None:
            async with self.db.write() as own:
                await statement(own)
            return
        await statement(conn)
