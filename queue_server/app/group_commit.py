"""The per-centre action runner: each action in a transaction, queued actions sharing one (group commit).

Actions of one centre that queue behind a running transaction share the next one: one lock, one
read of their request ids, one multi-row statement per table (``store.repository.Writes``) and one
commit for all of them. Each action runs the pure domain on the centre's hall; its change, event
log rows, outbox messages, print jobs, rating cases and its request id's answer are written in
that transaction, and nobody is answered or told before it commits. A domain refusal is an answer
too (recorded, so a repeat gets the same refusal), never an exception at this edge.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from queue_server.app import request_ids
from queue_server.app.answers import Answer
from queue_server.app.commands import Command
from queue_server.app.halls import CentreSlot, Halls
from queue_server.app.log_context import LogContext, acting
from queue_server.app.notices import Notifier
from queue_server.app.print_jobs import print_jobs
from queue_server.app.printers import PrinterBoard
from queue_server.app.projections import build_messages, hall_messages, opens_cases, rating_cases, recent_call_views
from queue_server.app.refusals import from_domain
from queue_server.app.views import View, ticket_view, window_view
from queue_server.domain.changes import Change
from queue_server.domain.errors import DomainError, NotFound
from queue_server.domain.hall import Hall
from queue_server.store.database import Connection
from queue_server.store.outbox import Message, OutboxRow, RecentCalls, write_outbox
from queue_server.store.printing import record_jobs
from queue_server.store.rectification import insert_case, next_case_id
from queue_server.store.repository import Writes, adopt_tickets, lock_centre, save_change
from queue_server.store.requests import Recorded, recorded_answers

log = logging.getLogger(__name__)

BATCH_LIMIT = 200
"""At most this many queued actions of one centre share one transaction (group commit)."""

AlsoWrite = Callable[[Connection, Hall, Change, dt.datetime], Awaitable[None]]
"""Something written with an action's change, in its transaction (see :meth:`ActionRunner.act`)."""


def acting_for(centre: str, request: QueuedAction) -> AbstractContextManager[LogContext]:
    """The log context of one queued action: the lines of its part of the batch name it."""
    window = getattr(request.command, "window", None)
    return acting(
        centre=centre,
        actor=request.actor,
        request_id=request.request_id,
        window=window if isinstance(window, int) else None,
    )


def _consume(future: asyncio.Future[Any]) -> None:
    """Read a queued action's outcome so one whose caller went away is not reported as lost."""
    if not future.cancelled():
        future.exception()


@dataclass(eq=False)
class QueuedAction:
    """One queued action and the future its caller waits on."""

    command: Command
    actor: str
    request_id: str
    also: AlsoWrite | None
    answer: asyncio.Future[Answer]


Outcome = tuple[QueuedAction, Answer | Exception, bool]
"""An action of a batch, what its caller gets, and whether it changed the hall."""


class ActionRunner:
    """Runs every centre's actions, a transaction at a time per centre, in the order they came."""

    def __init__(
        self,
        halls: Halls,
        printers: Callable[[str], PrinterBoard],
        tell: Callable[[str, Sequence[OutboxRow] | None], None],
        public_base_url: str,
        notifier: Notifier | None = None,
    ) -> None:
        self.halls = halls
        self.notifier = notifier or Notifier(None)
        self.printers = printers
        self.tell = tell
        """Told the centre after each commit, with the outbox rows it wrote (None: not known here)."""
        self.public_base_url = public_base_url

    async def act(
        self, centre: str, command: Command, *, actor: str, request_id: str, also: AlsoWrite | None
    ) -> Answer:
        """Queue the action and wait for its answer, given after its transaction commits
        (:meth:`queue_server.app.service.HallService.act` says how)."""
        slot = self.halls.slot(centre)
        request = QueuedAction(command, actor, request_id, also, asyncio.get_running_loop().create_future())
        request.answer.add_done_callback(_consume)
        slot.queue.append(request)
        if slot.runner is None or slot.runner.done():
            # in a context of its own: its lines name each action they run, not the first caller's
            slot.runner = asyncio.create_task(
                self._drain(centre, slot), name=f"actions of {centre}", context=contextvars.Context()
            )
        try:
            return await asyncio.shield(request.answer)
        except asyncio.CancelledError:
            if request in slot.queue:
                slot.queue.remove(request)
            raise

    async def _drain(self, centre: str, slot: CentreSlot) -> None:
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

    async def _run_batch(self, centre: str, slot: CentreSlot, batch: list[QueuedAction]) -> None:
        """Run ``batch`` in one transaction with its rows written together, then answer everyone.

        If anything fails with more than one action in the batch, the transaction is rolled back
        and the batch runs again with each action under its own savepoint, so only the action
        that failed fails (nobody was answered yet, and the hall is rebuilt for the rerun).
        """
        written: list[OutboxRow] | None = []
        try:
            outcomes = await self._transaction(centre, slot, batch, separately=False, written=written)
        except Exception as error:
            slot.forget()
            if len(batch) == 1:
                batch[0].answer.set_exception(error)
                return
            log.warning("Actions of %s failed together (%s); running them one by one", centre, error)
            written = None  # savepoints undo some rows: the bus reads what was committed
            try:
                outcomes = await self._transaction(centre, slot, batch, separately=True)
            except Exception as again:
                slot.forget()
                for request in batch:
                    request.answer.set_exception(again)
                return
        except BaseException:
            slot.forget()
            for request in batch:
                request.answer.cancel()
            raise
        slot.committed = slot.version
        if any(committed for _, _, committed in outcomes):
            self.tell(centre, written)
        for request, outcome, _ in outcomes:
            if isinstance(outcome, Exception):
                request.answer.set_exception(outcome)
            else:
                request.answer.set_result(outcome)

    async def _transaction(
        self,
        centre: str,
        slot: CentreSlot,
        batch: list[QueuedAction],
        *,
        separately: bool,
        written: list[OutboxRow] | None = None,
    ) -> list[Outcome]:
        """Run ``batch`` in one transaction; ``written`` gets the outbox rows it wrote once it committed."""
        outcomes: list[Outcome] = []
        async with self.halls.db.write() as conn:
            try:
                version = await lock_centre(conn, centre)
            except NotFound as missing:
                return [(request, Answer.refused(from_domain(missing)), False) for request in batch]
            writes = Writes(centre)
            priors = await recorded_answers(conn, centre, (request.request_id for request in batch))
            now = self.halls.clock.now()  # the batch's actions happen at the instant it starts
            for request in batch:
                if not separately:
                    with acting_for(centre, request):
                        answer, committed = await self._act(conn, slot, version, request, writes, priors, now)
                else:
                    try:
                        with acting_for(centre, request):
                            async with conn.begin_nested():
                                answer, committed = await self._act(conn, slot, version, request, writes, priors, now)
                                await writes.flush(conn)
                    except Exception as error:  # only this action is undone
                        slot.forget()
                        writes = Writes(centre)
                        outcomes.append((request, error, False))
                        continue
                if committed:
                    version += 1
                    slot.version = version
                outcomes.append((request, answer, committed))
            await writes.flush(conn)
        if written is not None:  # committed: the block above ended without an exception
            written.extend(writes.written_outbox)
        return outcomes

    async def _act(
        self,
        conn: Connection,
        slot: CentreSlot,
        version: int,
        request: QueuedAction,
        writes: Writes,
        priors: dict[str, Recorded],
        now: dt.datetime,
    ) -> tuple[Answer, bool]:
        command, actor, request_id = request.command, request.actor, request.request_id
        centre = writes.code
        prior = None
        if request_id in priors:
            prior = request_ids.replay(priors[request_id], request_id, actor, command.name)
        elif request_id in writes.recorded:  # a repeat inside this batch: read its answer back
            await writes.flush(conn)
            prior = await request_ids.prior_answer(conn, centre, request_id, actor, command.name)
        if prior is not None:
            return prior, False
        hall = await self.halls.current(conn, slot, centre, version, writes)
        serials = command.serials()
        if not all(hall.has_ticket(serial) for serial in serials):
            await writes.flush(conn)  # an ended ticket is read from its row
            await adopt_tickets(conn, hall, serials)
        try:
            change = command.run(hall, actor, now)
        except DomainError as refused:
            answer = Answer.refused(from_domain(refused, hall.centre))
        else:
            answer = await self._commit_change(conn, slot, hall, change, command, writes, now)
            if request.also is not None and answer.ok:
                await writes.flush(conn)
                await request.also(conn, hall, change, now)
        request_ids.keep(writes, request_id, actor, command.name, answer, now)
        hall.compact(now=now)
        if answer.refusal is None:
            log.info("%s done", command.name)
        else:
            log.info("%s refused: %s", command.name, answer.refusal.code or answer.refusal.kind)
        return answer, answer.ok

    async def _commit_change(
        self,
        conn: Connection,
        slot: CentreSlot,
        hall: Hall,
        change: Change,
        command: Command,
        writes: Writes,
        now: dt.datetime,
    ) -> Answer:
        code = hall.centre.code
        tokens = await save_change(conn, hall, change, writes, now)
        messages: list[Message] = []
        if not change.empty:
            if slot.recent is None:
                await writes.flush(conn)
                slot.recent = await RecentCalls.load(conn, code)
            else:
                slot.recent.note(change)
            recent = slot.recent
            messages = build_messages(hall, change, [], hall_board=False)
            board = hall_messages(hall, change, lambda: recent_call_views(hall, recent.calls()), recent.listed)
            for subject, kind, build in board:
                writes.keep_latest(subject, kind, build, now)
        jobs = print_jobs(hall, change, tokens, self.public_base_url, self.printers(code))
        outgoing = messages + [job.message for job in jobs]
        if writes.latest:  # read the hall board's sequences with the others: one query, not a second at the flush
            await writes.next_seqs(conn, [*writes.latest, *(message.subject for message in outgoing)])
        await write_outbox(conn, code, outgoing, now, writes)
        await self.notifier.after_change(conn, hall, change, now)  # SMS notices: a row, sent after the commit
        if jobs:
            writes.later.append(functools.partial(record_jobs, centre=code, jobs=jobs, now=now))
        if opens_cases(change):  # a bad rating opens its rectification case
            await writes.flush(conn)
            first = await next_case_id(conn, code)
            for case in rating_cases(hall, change, now, first):
                await insert_case(conn, code, case)
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
