"""Actions as transactions: the one door through which HTTP, the bus and the pages change a hall.

``HallService.act`` runs a command inside one database transaction under the centre's lock:
it answers a repeated request id with the first answer, runs the command on the centre's hall,
writes the state, the event logs and the outbox, records the answer with the request id, and
commits before anyone is told. A domain refusal is an answer too (recorded, so a repeat gets the
same refusal), never an exception at this edge.

Each process keeps the last hall it built per centre, valid while the centre's state version in
the database is the one it wrote; any other process's action bumps the version and the hall is
rebuilt. A failed transaction drops the cached hall.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.centre_change import change_refusal
from queue_server.commands import Command
from queue_server.domain.centre import Centre
from queue_server.domain.clock import Clock, SystemClock
from queue_server.domain.errors import DomainError, InvalidTransition, IssueRefused, NotAllowed, NotFound
from queue_server.domain.hall import Change, Hall
from queue_server.printers import PrinterBoard
from queue_server.protocol.payloads import fault_in
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.outbox import build_messages, recent_calls, write_outbox
from queue_server.store.printing import (
    Job,
    mark_resent,
    print_jobs,
    record_jobs,
    record_result,
    reprint_job,
    reroute_job,
    unanswered_jobs,
)
from queue_server.store.rectification import open_rating_cases
from queue_server.store.repository import adopt_tickets, load_hall, lock_centre, save_change, state_version
from queue_server.store.seed import CentreChangeRefused, apply_centre, describe_difference
from queue_server.views import View, ticket_view, window_view

log = logging.getLogger(__name__)

PROBLEM_BASE = "urn:onewindow:problem:"


AlsoWrite = Callable[[AsyncConnection, Hall, Change, dt.datetime], Awaitable[None]]
"""Something written with an action's change, in its transaction (see :meth:`HallService.act`)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP-shaped answer: status and JSON body (a problem when status >= 400)."""

    status: int
    body: View
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.status < 400


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Answer:
    """An RFC 9457 problem: what failed and why, with a stable type to branch on."""
    body: View = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail, **extra}
    return Answer(status, body)


def domain_problem(error: DomainError) -> Answer:
    match error:
        case IssueRefused():
            return problem(
                409,
                "issue-refused",
                "No ticket can be issued",
                error.message_en,
                reason=error.reason.value,
                message=error.message,
                message_en=error.message_en,
            )
        case NotFound():
            return problem(404, "not-found", "Not found", error.message)
        case NotAllowed():
            return problem(403, "not-allowed", "Not allowed", error.message)
        case InvalidTransition():
            return problem(409, "invalid-transition", "The action does not fit the current state", error.message)
    return problem(400, "refused", "Refused", error.message)


@dataclass
class _CentreSlot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    version: int | None = None
    hall: Hall | None = None


class HallService:
    """Runs commands and reads halls for every centre of one database."""

    def __init__(self, db: Database, clock: Clock | None = None, *, public_base_url: str = "") -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.public_base_url = public_base_url.rstrip("/")
        self._slots: dict[str, _CentreSlot] = defaultdict(_CentreSlot)
        self.printers: dict[str, PrinterBoard] = defaultdict(PrinterBoard)
        """Per centre, what its printers last said on the bus; the bus fills it, print jobs are routed by it."""
        self.after_commit: list[Any] = []
        """Callbacks ``(centre) -> None`` told after each committed change (the bus relay wakes)."""

    async def act(
        self, centre: str, command: Command, *, actor: str, request_id: str, also: AlsoWrite | None = None
    ) -> Answer:
        """Run ``command`` once for ``request_id``; a repeat returns the first answer unchanged.

        ``also`` writes what belongs with a successful change but not in the hall (a citizen's
        follow-up phone number with their rating) in the same transaction.
        """
        slot = self._slots[centre]
        async with slot.lock:
            try:
                async with self.db.write() as conn:
                    answer, committed = await self._act(conn, slot, centre, command, actor, request_id, also)
            except BaseException:
                slot.hall = slot.version = None
                raise
            if committed is not None:
                slot.version = committed
        if committed is not None:
            for callback in self.after_commit:
                callback(centre)
        return answer

    async def _act(
        self,
        conn: AsyncConnection,
        slot: _CentreSlot,
        centre: str,
        command: Command,
        actor: str,
        request_id: str,
        also: AlsoWrite | None = None,
    ) -> tuple[Answer, int | None]:
        try:
            version = await lock_centre(conn, centre)
        except NotFound as missing:
            return domain_problem(missing), None
        prior = await self._prior_answer(conn, centre, request_id, actor, command.name)
        if prior is not None:
            return prior, None
        hall = await self._hall(conn, slot, centre, version)
        await adopt_tickets(conn, hall, command.serials())
        try:
            change = command.run(hall, actor)
        except DomainError as refused:
            answer = domain_problem(refused)
        else:
            answer = await self._commit_change(conn, hall, change, command)
            if also is not None and answer.ok:
                await also(conn, hall, change, self.clock.now())
        await self._record(conn, centre, request_id, actor, command.name, answer)
        hall.compact()
        if answer.ok:
            return answer, version + 1
        return answer, None

    async def _commit_change(self, conn: AsyncConnection, hall: Hall, change: Change, command: Command) -> Answer:
        tokens = await save_change(conn, hall, change)
        now = self.clock.now()
        messages = build_messages(hall, change, await recent_calls(conn, hall)) if not change.empty else []
        jobs = print_jobs(hall, change, tokens, self.public_base_url, self.printers[hall.centre.centre.code])
        await write_outbox(conn, hall.centre.centre.code, messages + [job.message for job in jobs], now)
        await record_jobs(conn, hall.centre.centre.code, jobs, now)
        await open_rating_cases(conn, hall, change, now)  # a bad rating opens its rectification case
        return Answer(201 if command.created else 200, self._change_view(hall, change, tokens))

    def _change_view(self, hall: Hall, change: Change, tokens: dict[int, str]) -> View:
        ticket = change.ticket
        body: View = {"changed": not change.empty, "ticket": None, "window": None}
        if ticket is not None:
            body["ticket"] = ticket_view(hall.centre, ticket, change.position)
            token = tokens.get(ticket.serial)
            if token is not None:
                body["ticket"]["status_token"] = token
                body["ticket"]["status_url"] = f"{self.public_base_url}/ticket/{token}"
        window = change.windows[-1] if change.windows else None
        if window is None and ticket is not None and ticket.window is not None:
            window = hall.window(ticket.window)
        if window is not None:
            body["window"] = window_view(hall.centre, window, hall.holding(window.number))
        if len(change.tickets) > 1:
            body["tickets"] = [ticket_view(hall.centre, t) for t in change.tickets]
        return body

    async def _hall(self, conn: AsyncConnection, slot: _CentreSlot, centre: str, version: int) -> Hall:
        if slot.hall is None or slot.version != version:
            slot.hall = await load_hall(conn, centre, self.clock)
            slot.version = version
        slot.hall.clock = self.clock
        return slot.hall

    async def _prior_answer(
        self, conn: AsyncConnection, centre: str, request_id: str, actor: str, action: str
    ) -> Answer | None:
        r = schema.requests.c
        row = (
            await conn.execute(
                select(r.actor, r.action, r.status, r.response).where(r.centre == centre, r.request_id == request_id)
            )
        ).one_or_none()
        if row is None:
            return None
        if (row.actor, row.action) != (actor, action):
            return problem(
                409,
                "request-id-reused",
                "Request id already used",
                f"Request id {request_id!r} was used for {row.action} by {row.actor}; make a new id per action",
            )
        return Answer(row.status, row.response, replayed=True)

    async def _record(
        self, conn: AsyncConnection, centre: str, request_id: str, actor: str, action: str, answer: Answer
    ) -> None:
        await conn.execute(
            insert(schema.requests).values(
                centre=centre,
                request_id=request_id,
                actor=actor,
                action=action,
                status=answer.status,
                response=answer.body,
                created_at=self.clock.now(),
            )
        )

    async def hall(self, centre: str) -> Hall:
        """A hall to read from, never to act on: the cached one when current, else a fresh one.

        Build views from it before the next ``await``: an action may change the cached hall then.
        """
        slot = self._slots[centre]
        async with self.db.read() as conn:
            version = await state_version(conn, centre)
            if slot.hall is not None and slot.version == version and not slot.lock.locked():
                return slot.hall
            return await load_hall(conn, centre, self.clock)

    async def configure(
        self, centre: str, config: Centre, *, actor: str, request_id: str | None, dry_run: bool
    ) -> Answer:
        """What ``config`` would change at ``centre``, applied in one transaction unless ``dry_run``.

        It runs under the centre's lock like an action, so no call slips in between the check and
        the change; a change the running hall cannot take (a window with a ticket at it) is refused
        (409). Applying bumps the state version: every process then rebuilds its hall from the new
        configuration. A repeated request id of an applied change gets the first answer.
        """
        slot = self._slots[centre]
        async with slot.lock:
            try:
                async with self.db.write() as conn:
                    version = await lock_centre(conn, centre)
                    if request_id is not None:
                        prior = await self._prior_answer(conn, centre, request_id, actor, CONFIGURE)
                        if prior is not None:
                            return prior
                    hall = await self._hall(conn, slot, centre, version)
                    answer = await _configure(conn, hall, config, self.clock.now(), dry_run=dry_run)
                    if request_id is not None:
                        await self._record(conn, centre, request_id, actor, CONFIGURE, answer)
            except BaseException:
                slot.hall = slot.version = None
                raise
            applied = bool(answer.ok and answer.body["applied"])
            if applied:
                slot.hall = slot.version = None
        if applied:
            for callback in self.after_commit:
                callback(centre)
        return answer

    async def locked(
        self,
        centre: str,
        *,
        actor: str,
        request_id: str,
        name: str,
        work: Callable[[AsyncConnection, Hall, dt.datetime], Awaitable[Answer]],
    ) -> Answer:
        """Run ``work`` once for ``request_id`` under the centre's lock, in one transaction with
        its recorded answer: for changes beside the hall's own state (rectification cases)."""
        slot = self._slots[centre]
        async with slot.lock:
            try:
                async with self.db.write() as conn:
                    try:
                        version = await lock_centre(conn, centre)
                    except NotFound as missing:
                        return domain_problem(missing)
                    prior = await self._prior_answer(conn, centre, request_id, actor, name)
                    if prior is not None:
                        return prior
                    hall = await self._hall(conn, slot, centre, version)
                    try:
                        answer = await work(conn, hall, self.clock.now())
                    except DomainError as refused:
                        answer = domain_problem(refused)
                    await self._record(conn, centre, request_id, actor, name, answer)
            except BaseException:
                slot.hall = slot.version = None
                raise
        return answer

    async def reprint(self, centre: str, serial: int, *, printer: str | None, actor: str, request_id: str) -> Answer:
        """Print a ticket again as a new job, once for ``request_id``: its last job failed or ended
        unknown and a person at the desk decided (queue_server.store.printing.reprint_job).

        Like an action it runs under the centre's lock with the job, its outbox row and the answer
        in one transaction, and a refusal is recorded too; the hall's state does not change, so its
        version stays and the live pages are not told.
        """

        async def work(conn: AsyncConnection, hall: Hall, now: dt.datetime) -> Answer:
            await adopt_tickets(conn, hall, (serial,))
            ticket = hall.ticket(serial)
            job = await reprint_job(conn, hall.centre, self.printers[centre], ticket, printer=printer, actor=actor)
            await write_outbox(conn, centre, [job.message], now)
            await record_jobs(conn, centre, [job], now)
            hall.compact()
            return Answer(201, reprint_view(centre, ticket.number, job))

        answer = await self.locked(centre, actor=actor, request_id=request_id, name=REPRINT, work=work)
        if answer.ok and not answer.replayed:
            for callback in self.after_commit:  # the relay sends the new job now
                callback(centre)
        return answer

    async def resend_print_jobs(self, centre: str) -> int:
        """Send again the print jobs no printer answered in time; returns how many.

        A printer acknowledges a job to the broker before it has it safely in its spool, so one
        that dies in that moment never answers. It prints a job id only once, so a repeat is free.
        """
        async with self.db.read() as conn:  # the usual answer is none: no write lock for that
            if not await unanswered_jobs(conn, centre, self.clock.now()):
                return 0
        slot = self._slots[centre]
        async with slot.lock, self.db.write() as conn:
            await lock_centre(conn, centre)
            now = self.clock.now()
            jobs = await unanswered_jobs(conn, centre, now)
            await write_outbox(conn, centre, [job.message for job in jobs], now)
            await mark_resent(conn, centre, jobs, now)
        if jobs:
            for callback in self.after_commit:
                callback(centre)
        return len(jobs)

    async def print_result(self, centre: str, printer: str, job_id: str, status: str, reason: str) -> bool:
        """Keep a printer's answer to a job; False when that printer had no such job.

        A ticket it failed because it cannot print (paper out, cover open) gets one new job on
        another printer of its kiosk that can print, sent through the outbox like any job; a repeat
        of the answer changes nothing more. An ``unknown`` result is never rerouted: some of the
        ticket may be on paper, so a person decides.
        """
        if status != "failed" or fault_in(reason) is None:
            async with self.db.write() as conn:
                return await record_result(conn, centre, printer, job_id, status, reason, self.clock.now())
        slot = self._slots[centre]
        job = None
        async with slot.lock:
            try:
                async with self.db.write() as conn:
                    version = await lock_centre(conn, centre)
                    now = self.clock.now()
                    if not await record_result(conn, centre, printer, job_id, status, reason, now):
                        return False
                    hall = await self._hall(conn, slot, centre, version)
                    job = await reroute_job(conn, hall.centre, self.printers[centre], printer, job_id)
                    if job is not None:
                        await write_outbox(conn, centre, [job.message], now)
                        await record_jobs(conn, centre, [job], now)
            except BaseException:
                slot.hall = slot.version = None
                raise
        if job is not None:
            for callback in self.after_commit:
                callback(centre)
        return True

    async def prune_outbox(self, older_than_days: int = 2) -> int:
        """Forget outbox rows the broker acknowledged long ago (unsent rows are never pruned)."""
        cutoff = self.clock.now() - dt.timedelta(days=older_than_days)
        o = schema.outbox.c
        async with self.db.write() as conn:
            result = await conn.execute(delete(schema.outbox).where(o.sent_at.is_not(None), o.sent_at < cutoff))
        return int(result.rowcount or 0)

    async def prune_requests(self, older_than_days: int = 7) -> int:
        """Forget request ids after their retention period; a device's retry comes within seconds."""
        cutoff = self.clock.now() - dt.timedelta(days=older_than_days)
        async with self.db.write() as conn:
            result = await conn.execute(delete(schema.requests).where(schema.requests.c.created_at < cutoff))
        return int(result.rowcount or 0)


CONFIGURE = "configure"
"""The action name a centre's configuration change is recorded under with its request id."""


async def _configure(conn: AsyncConnection, hall: Hall, config: Centre, now: dt.datetime, *, dry_run: bool) -> Answer:
    code = hall.centre.centre.code
    differences = describe_difference(hall.centre, config)
    refusal = change_refusal(hall, config)
    if refusal is None and differences and not dry_run:
        try:
            await apply_centre(conn, config, now)
        except CentreChangeRefused as refused:
            refusal = str(refused)
    if refusal is not None:
        title = "The change does not fit the hall now"
        return problem(409, "centre-change-refused", title, refusal, differences=differences)
    return Answer(200, {"centre": code, "differences": differences, "applied": bool(differences and not dry_run)})


REPRINT = "reprint"
"""The action name a reprint is recorded under with its request id."""


def reprint_view(centre: str, number: str, job: Job) -> View:
    """The answer to a reprint: the new job, where it goes, and the job it replaces."""
    return {
        "centre": centre,
        "serial": job.serial,
        "number": number,
        "job_id": job.job_id,
        "printer": job.printer,
        "replaces": job.rerouted_from,
        "reprinted_by": job.reprinted_by,
    }
