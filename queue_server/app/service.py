"""Actions as transactions: the one door through which HTTP, the bus and the pages change a hall.

``HallService.act`` runs a command inside one database transaction under the centre's lock:
it answers a repeated request id with the first answer, runs the command on the centre's hall,
writes the state, the event logs and the outbox, records the answer with the request id, and
commits before anyone is told. A domain refusal is an answer too (recorded, so a repeat gets the
same refusal), never an exception at this edge.

Each process keeps the last hall it built per centre, valid while the centre's state version in
the database is the one it wrote; any other process's action bumps the version and the hall is
rebuilt. A failed transaction drops the cached hall.

The other floors reach the service through calls only: they :meth:`HallService.subscribe` to be
told of commits (and unsubscribe when they stop), tell it what printers said
(:meth:`HallService.printer_seen`, :meth:`HallService.printer_state`) and read its
:attr:`HallService.ticket_limits`. It is an ``async with`` resource: on exit it cancels and awaits
the tasks it started, and it runs no action after that.

For speed, actions of one centre that queue behind a running transaction share the
next one (group commit, ``HallService.act``): one lock, one read of their request ids, one
multi-row statement per table (``store.repository.Writes``) and one commit for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import functools
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from queue_server.app.answers import Answer
from queue_server.app.commands import Command
from queue_server.app.printers import PrinterBoard, PrinterReadings
from queue_server.app.refusals import Refusal, RefusalKind, from_domain
from queue_server.app.ticket_limits import TicketLimits
from queue_server.app.views import View, ticket_view, window_view
from queue_server.config.centre_change import change_refusal
from queue_server.domain.centre import Centre
from queue_server.domain.clock import Clock, SystemClock
from queue_server.domain.errors import DomainError, NotFound
from queue_server.domain.events import TicketRated
from queue_server.domain.hall import Change, Hall
from queue_server.protocol.payloads import PrinterStatus, fault_in
from queue_server.protocol.topics import HALL_FEED
from queue_server.store.database import Connection, Database
from queue_server.store.outbox import Message, RecentCalls, build_messages, hall_feed, prune_sent, write_outbox
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
from queue_server.store.repository import (
    Writes,
    adopt_tickets,
    load_centre_config,
    load_hall,
    lock_centre,
    save_change,
    state_version,
)
from queue_server.store.requests import Recorded, keep_answer, prune_requests, recorded_answer, recorded_answers
from queue_server.store.seed import CentreChangeRefused, apply_centre, describe_difference

log = logging.getLogger(__name__)


def _replay(row: Recorded, request_id: str, actor: str, action: str) -> Answer:
    """The recorded answer to a repeated request id, or a refusal if another action used it."""
    if (row.actor, row.action) != (actor, action):
        detail = f"Request id {request_id!r} was used for {row.action} by {row.actor}; make a new id per action"
        return Answer.refused(Refusal(RefusalKind.REQUEST_ID_REUSED, detail))
    return Answer.from_record(row.answer)


class _Instant:
    """A clock stopped at one instant: the time of every action in one transaction."""

    def __init__(self, at: dt.datetime) -> None:
        self._at = at

    def now(self) -> dt.datetime:
        return self._at


def _consume(future: asyncio.Future[Any]) -> None:
    """Read a queued action's outcome so one whose caller went away is not reported as lost."""
    if not future.cancelled():
        future.exception()


AlsoWrite = Callable[[Connection, Hall, Change, dt.datetime], Awaitable[None]]
"""Something written with an action's change, in its transaction (see :meth:`HallService.act`)."""


BATCH_LIMIT = 200
"""At most this many queued actions of one centre share one transaction (group commit)."""


@dataclass(eq=False)
class _Request:
    """One queued action and the future its caller waits on."""

    command: Command
    actor: str
    request_id: str
    also: AlsoWrite | None
    answer: asyncio.Future[Answer]


@dataclass
class _CentreSlot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    version: int | None = None
    hall: Hall | None = None
    queue: list[_Request] = field(default_factory=list)
    """Actions waiting for the next transaction of this centre."""
    committed: int | None = None
    """The state version of this process's last commit of an action."""
    recent: RecentCalls | None = None
    """The hall board's latest calls, valid with ``hall``."""
    runner: asyncio.Task[None] | None = None
    """The task running this centre's queued actions, while there are any."""


Subscriber = Callable[[str], None]
"""Told the centre's code after a commit there (the bus relay wakes, the live pages read again)."""


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPENED = "opened"
    CLOSED = "closed"


class HallService:
    """Runs commands and reads halls for every centre of one database.

    Use it as ``async with HallService(db, clock) as service:``. Built without ``async with`` (as
    many tests do) it works the same, and nobody ends its tasks: each ends when its queue is empty.
    """

    def __init__(self, db: Database, clock: Clock | None = None, *, public_base_url: str = "") -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.public_base_url = public_base_url.rstrip("/")
        self._slots: dict[str, _CentreSlot] = defaultdict(_CentreSlot)
        self._printers: dict[str, PrinterBoard] = defaultdict(PrinterBoard)
        """Per centre, what its printers last said on the bus; print jobs are routed by it."""
        self._subscribers: list[Subscriber] = []
        self._ticket_limits = TicketLimits(lambda: self.clock.now().timestamp())
        self._state = _State.UNOPENED

    async def __aenter__(self) -> Self:
        if self._state is not _State.UNOPENED:
            raise RuntimeError(f"Cannot open a hall service that is {self._state.value}: make a new one")
        self._state = _State.OPENED
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Run no action from now on; cancel the centres' running actions and wait until they ended."""
        self._state = _State.CLOSED
        runners = [slot.runner for slot in self._slots.values() if slot.runner is not None and not slot.runner.done()]
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Tell ``subscriber`` of each commit at a centre, until the returned function is called.

        It is told once per committed batch of actions and after the writes the bus relays
        (reprints, print results that reroute a job, resent jobs, an applied configuration). It
        runs inside the service: it must be quick and must not await (set an event, wake a task);
        one that raises is logged and the others are told all the same.
        """
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(subscriber)

        return unsubscribe

    def _tell(self, centre: str) -> None:
        for subscriber in tuple(self._subscribers):  # one may unsubscribe while told
            try:
                subscriber(centre)
            except Exception:
                log.exception("a subscriber failed when told of a commit at %s; the service goes on", centre)

    def printer_seen(self, centre: str, printer: str, *, online: bool) -> None:
        """A printer's availability as it said on the bus (``online``, or its last will)."""
        self._printers[centre].saw_availability(printer, online)

    def printer_state(self, centre: str, printer: str, state: PrinterStatus) -> None:
        """What a printer said it can do; its kiosk's tickets go to a spare while it cannot print."""
        self._printers[centre].saw_state(printer, state)

    def printers(self, centre: str) -> PrinterReadings:
        """What the centre's printers last said on the bus, to read."""
        return self._printers[centre]

    @property
    def ticket_limits(self) -> TicketLimits:
        """The tickets each kiosk and address may take: one count for the HTTP API and the bus."""
        return self._ticket_limits

    async def act(
        self, centre: str, command: Command, *, actor: str, request_id: str, also: AlsoWrite | None = None
    ) -> Answer:
        """Run ``command`` once for ``request_id``; a repeat returns the first answer unchanged.

        ``also`` writes what belongs with a successful change but not in the hall (a citizen's
        follow-up phone number with their rating) in the same transaction.

        Group commit: actions of one centre that arrive while its transaction runs queue up, and
        the next transaction runs them all in order, at one instant, writes their rows together
        and commits once (one sync to disk); every caller is answered after that commit. An error
        in one action undoes only that action (see ``_run_batch``): its caller gets the error. A
        caller cancelled before its action started takes the action out of the queue; once
        started, the action completes (a retry with the same request id gets its answer).
        """
        if self._state is _State.CLOSED:
            raise RuntimeError(f"Cannot run {command.name} at centre {centre}: the hall service is closed")
        slot = self._slots[centre]
        request = _Request(command, actor, request_id, also, asyncio.get_running_loop().create_future())
        request.answer.add_done_callback(_consume)
        slot.queue.append(request)
        if slot.runner is None or slot.runner.done():
            slot.runner = asyncio.create_task(self._drain(centre, slot), name=f"actions of {centre}")
        try:
            return await asyncio.shield(request.answer)
        except asyncio.CancelledError:
            if request in slot.queue:
                slot.queue.remove(request)
            raise

    async def _drain(self, centre: str, slot: _CentreSlot) -> None:
        """Run the centre's queued actions, a transaction at a time, until none is left."""
        try:
            while slot.queue:
                async with slot.lock:
                    batch = slot.queue[:BATCH_LIMIT]
                    del slot.queue[:BATCH_LIMIT]
                    if batch:  # empty when every caller went away while the lock was busy
                        await self._run_batch(centre, slot, batch)
        except BaseException:
            for request in slot.queue:
                request.answer.cancel()
            slot.queue.clear()
            raise

    async def _run_batch(self, centre: str, slot: _CentreSlot, batch: list[_Request]) -> None:
        """Run ``batch`` in one transaction with its rows written together, then answer everyone.

        If anything fails with more than one action in the batch, the transaction is rolled back
        and the batch runs again with each action under its own savepoint, so only the action
        that failed fails (nobody was answered yet, and the hall is rebuilt for the rerun).
        """
        try:
            outcomes = await self._transaction(centre, slot, batch, separately=False)
        except Exception as error:
            slot.hall = slot.version = slot.recent = None
            if len(batch) == 1:
                batch[0].answer.set_exception(error)
                return
            log.warning("Actions of %s failed together (%s); running them one by one", centre, error)
            try:
                outcomes = await self._transaction(centre, slot, batch, separately=True)
            except Exception as again:
                slot.hall = slot.version = slot.recent = None
                for request in batch:
                    request.answer.set_exception(again)
                return
        except BaseException:
            slot.hall = slot.version = slot.recent = None
            for request in batch:
                request.answer.cancel()
            raise
        slot.committed = slot.version
        if any(committed for _, _, committed in outcomes):
            self._tell(centre)
        for request, outcome, _ in outcomes:
            if isinstance(outcome, Exception):
                request.answer.set_exception(outcome)
            else:
                request.answer.set_result(outcome)

    async def _transaction(
        self, centre: str, slot: _CentreSlot, batch: list[_Request], *, separately: bool
    ) -> list[tuple[_Request, Answer | Exception, bool]]:
        outcomes: list[tuple[_Request, Answer | Exception, bool]] = []
        async with self.db.write() as conn:
            try:
                version = await lock_centre(conn, centre)
            except NotFound as missing:
                return [(request, Answer.refused(from_domain(missing)), False) for request in batch]
            writes = Writes(centre)
            priors = await recorded_answers(conn, centre, (request.request_id for request in batch))
            instant = _Instant(self.clock.now())  # the batch's actions happen at the instant it starts
            try:
                for request in batch:
                    if not separately:
                        answer, committed = await self._act(conn, slot, version, request, writes, priors, instant)
                    else:
                        try:
                            async with conn.begin_nested():
                                answer, committed = await self._act(
                                    conn, slot, version, request, writes, priors, instant
                                )
                                await writes.flush(conn)
                        except Exception as error:  # only this action is undone
                            slot.hall = slot.version = slot.recent = None
                            writes = Writes(centre)
                            outcomes.append((request, error, False))
                            continue
                    if committed:
                        version += 1
                        slot.version = version
                    outcomes.append((request, answer, committed))
            finally:
                if slot.hall is not None:
                    slot.hall.clock = self.clock
            await writes.flush(conn)
        return outcomes

    async def _act(
        self,
        conn: Connection,
        slot: _CentreSlot,
        version: int,
        request: _Request,
        writes: Writes,
        priors: dict[str, Recorded],
        instant: Clock,
    ) -> tuple[Answer, bool]:
        command, actor, request_id = request.command, request.actor, request.request_id
        centre = writes.code
        prior = None
        if request_id in priors:
            prior = _replay(priors[request_id], request_id, actor, command.name)
        elif request_id in writes.recorded:  # a repeat inside this batch: read its answer back
            await writes.flush(conn)
            prior = await self._prior_answer(conn, centre, request_id, actor, command.name)
        if prior is not None:
            return prior, False
        hall = await self._hall(conn, slot, centre, version, writes, instant)
        serials = command.serials()
        if not all(hall.has_ticket(serial) for serial in serials):
            await writes.flush(conn)  # an ended ticket is read from its row
            await adopt_tickets(conn, hall, serials)
        try:
            change = command.run(hall, actor)
        except DomainError as refused:
            answer = Answer.refused(from_domain(refused))
        else:
            answer = await self._commit_change(conn, slot, hall, change, command, writes)
            if request.also is not None and answer.ok:
                await writes.flush(conn)
                await request.also(conn, hall, change, instant.now())
        keep_answer(writes, request_id, actor, command.name, answer.record(), instant.now())
        hall.compact()
        return answer, answer.ok

    async def _commit_change(
        self, conn: Connection, slot: _CentreSlot, hall: Hall, change: Change, command: Command, writes: Writes
    ) -> Answer:
        code = hall.centre.centre.code
        tokens = await save_change(conn, hall, change, writes)
        now = hall.clock.now()
        messages: list[Message] = []
        if not change.empty:
            if slot.recent is None:
                await writes.flush(conn)
                slot.recent = await RecentCalls.load(conn, code)
            else:
                slot.recent.note(change)
            recent = slot.recent
            messages = build_messages(hall, change, [], feed=False)
            writes.keep_latest(HALL_FEED.subject(), "feed", lambda: hall_feed(hall, recent.views(hall)), now)
        jobs = print_jobs(hall, change, tokens, self.public_base_url, self._printers[code])
        await write_outbox(conn, code, messages + [job.message for job in jobs], now, writes)
        if jobs:
            writes.later.append(functools.partial(record_jobs, centre=code, jobs=jobs, now=now))
        if any(isinstance(e, TicketRated) for e in change.ticket_events):
            await writes.flush(conn)
            await open_rating_cases(conn, hall, change, now)  # a bad rating opens its rectification case
        return Answer(self._change_view(hall, change, tokens), created=command.created)

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

    async def _hall(
        self,
        conn: Connection,
        slot: _CentreSlot,
        centre: str,
        version: int,
        writes: Writes | None = None,
        clock: Clock | None = None,
    ) -> Hall:
        if slot.hall is None or slot.version != version:
            if writes is not None:
                await writes.flush(conn)
            slot.hall = await load_hall(conn, centre, clock or self.clock)
            slot.version = version
            slot.recent = None
        slot.hall.clock = clock or self.clock
        return slot.hall

    async def _prior_answer(
        self, conn: Connection, centre: str, request_id: str, actor: str, action: str
    ) -> Answer | None:
        row = await recorded_answer(conn, centre, request_id)
        return _replay(row, request_id, actor, action) if row is not None else None

    async def _record(
        self, conn: Connection, centre: str, request_id: str, actor: str, action: str, answer: Answer
    ) -> None:
        writes = Writes(centre)
        keep_answer(writes, request_id, actor, action, answer.record(), self.clock.now())
        await writes.flush(conn)

    async def hall(self, centre: str) -> Hall:
        """A hall to read from, never to act on: the cached one when current, else a fresh one.

        Build views from it before the next ``await``: an action may change the cached hall then.
        While only this process's actions run (nobody else committed since its last commit), it
        waits for them to commit and takes their hall rather than rebuilding one from the rows,
        which costs the whole queue; so never call it from inside ``locked`` or ``configure``.
        """
        slot = self._slots[centre]
        async with self.db.read() as conn:
            version = await state_version(conn, centre)
            if slot.hall is not None and slot.version == version and not slot.lock.locked():
                return slot.hall
            if slot.hall is None or slot.committed != version or not slot.lock.locked():
                return await load_hall(conn, centre, self.clock)
        # the running actions end first (the lock is first come, first served)
        async with slot.lock, self.db.read() as conn:
            version = await state_version(conn, centre)
            hall = slot.hall
            if hall is not None and slot.version == version:
                return hall
            return await load_hall(conn, centre, self.clock)

    async def centre(self, code: str) -> Centre:
        """The centre's configuration as committed, without building a hall.

        The cached hall's, when no other process committed anything since this one's last commit
        (an action never changes the configuration, and ``configure`` drops the hall); else read
        from its row. Cheaper than ``hall(code).centre``, which rebuilds the whole hall while an
        action runs.
        """
        slot = self._slots[code]
        async with self.db.read() as conn:
            version = await state_version(conn, code)
            hall = slot.hall
            if hall is not None and slot.committed == version:
                return hall.centre
            return await load_centre_config(conn, code)

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
            self._tell(centre)
        return answer

    async def locked(
        self,
        centre: str,
        *,
        actor: str,
        request_id: str,
        name: str,
        work: Callable[[Connection, Hall, dt.datetime], Awaitable[Answer]],
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
                        return Answer.refused(from_domain(missing))
                    prior = await self._prior_answer(conn, centre, request_id, actor, name)
                    if prior is not None:
                        return prior
                    hall = await self._hall(conn, slot, centre, version)
                    try:
                        answer = await work(conn, hall, self.clock.now())
                    except DomainError as refused:
                        answer = Answer.refused(from_domain(refused))
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

        async def work(conn: Connection, hall: Hall, now: dt.datetime) -> Answer:
            await adopt_tickets(conn, hall, (serial,))
            ticket = hall.ticket(serial)
            job = await reprint_job(conn, hall.centre, self._printers[centre], ticket, printer=printer, actor=actor)
            await write_outbox(conn, centre, [job.message], now)
            await record_jobs(conn, centre, [job], now)
            hall.compact()
            return Answer(reprint_view(centre, ticket.number, job), created=True)

        answer = await self.locked(centre, actor=actor, request_id=request_id, name=REPRINT, work=work)
        if answer.ok and not answer.replayed:
            self._tell(centre)  # the relay sends the new job now
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
            self._tell(centre)
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
                    job = await reroute_job(conn, hall.centre, self._printers[centre], printer, job_id)
                    if job is not None:
                        await write_outbox(conn, centre, [job.message], now)
                        await record_jobs(conn, centre, [job], now)
            except BaseException:
                slot.hall = slot.version = None
                raise
        if job is not None:
            self._tell(centre)
        return True

    async def prune_outbox(self, older_than_days: int = 2) -> int:
        """Forget outbox rows the broker acknowledged long ago (unsent rows are never pruned)."""
        cutoff = self.clock.now() - dt.timedelta(days=older_than_days)
        async with self.db.write() as conn:
            return await prune_sent(conn, cutoff)

    async def prune_requests(self, older_than_days: int = 7) -> int:
        """Forget request ids after their retention period; a device's retry comes within seconds."""
        cutoff = self.clock.now() - dt.timedelta(days=older_than_days)
        async with self.db.write() as conn:
            return await prune_requests(conn, cutoff)


CONFIGURE = "configure"
"""The action name a centre's configuration change is recorded under with its request id."""


async def _configure(conn: Connection, hall: Hall, config: Centre, now: dt.datetime, *, dry_run: bool) -> Answer:
    code = hall.centre.centre.code
    differences = describe_difference(hall.centre, config)
    refusal = change_refusal(hall, config)
    if refusal is None and differences and not dry_run:
        try:
            await apply_centre(conn, config, now)
        except CentreChangeRefused as refused:
            refusal = str(refused)
    if refusal is not None:
        return Answer.refused(Refusal(RefusalKind.CHANGE_REFUSED, refusal, extra={"differences": differences}))
    return Answer({"centre": code, "differences": differences, "applied": bool(differences and not dry_run)})


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
