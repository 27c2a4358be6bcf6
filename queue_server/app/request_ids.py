"""A request id is answered once: its first answer is kept, and a repeat gets it again.

The answer is kept in the transaction of the action it answers, so a repeat can never see an
action without its answer or an answer without its action. An id reused for another action or by
another actor is refused rather than answered with someone else's answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable

from queue_server.app.answers import Answer
from queue_server.app.halls import Halls
from queue_server.app.refusals import Refusal, RefusalKind, from_domain
from queue_server.domain.errors import DomainError, NotFound
from queue_server.domain.hall import Hall
from queue_server.store.database import Connection
from queue_server.store.repository import Writes
from queue_server.store.requests import Recorded, keep_answer, recorded_answer

Work = Callable[[Connection, Hall, dt.datetime], Awaitable[Answer]]
"""An action beside the hall's own state, in the centre's transaction: the connection, the hall, the instant."""


def replay(row: Recorded, request_id: str, actor: str, action: str) -> Answer:
    """The recorded answer to a repeated request id, or a refusal if another action used it."""
    if (row.actor, row.action) != (actor, action):
        detail = f"Request id {request_id!r} was used for {row.action} by {row.actor}; make a new id per action"
        return Answer.refused(Refusal(RefusalKind.REQUEST_ID_REUSED, detail))
    return Answer.from_record(row.answer)


async def prior_answer(conn: Connection, centre: str, request_id: str, actor: str, action: str) -> Answer | None:
    """The answer a repeat of ``request_id`` gets, or None when the id is new."""
    row = await recorded_answer(conn, centre, request_id)
    return replay(row, request_id, actor, action) if row is not None else None


def keep(writes: Writes, request_id: str, actor: str, action: str, answer: Answer, now: dt.datetime) -> None:
    """Keep ``answer`` for ``request_id`` when ``writes`` is flushed, in the action's transaction."""
    keep_answer(writes, request_id, actor, action, answer.record(), now)


async def record(
    conn: Connection, centre: str, request_id: str, actor: str, action: str, answer: Answer, now: dt.datetime
) -> None:
    """Keep ``answer`` for ``request_id`` now, in ``conn``'s transaction."""
    writes = Writes(centre)
    keep(writes, request_id, actor, action, answer, now)
    await writes.flush(conn)


async def answer_once(halls: Halls, centre: str, *, actor: str, request_id: str, name: str, work: Work) -> Answer:
    """Run ``work`` once for ``request_id`` under the centre's lock, in one transaction with its
    recorded answer (``name`` is the action a reused id is checked against); a domain refusal is
    recorded as the answer."""
    try:
        async with halls.locked(centre) as locked:
            prior = await prior_answer(locked.conn, centre, request_id, actor, name)
            if prior is not None:
                return prior
            hall = await locked.hall()
            try:
                answer = await work(locked.conn, hall, halls.clock.now())
            except DomainError as refused:
                answer = Answer.refused(from_domain(refused, hall.centre))
            await record(locked.conn, centre, request_id, actor, name, answer, halls.clock.now())
    except NotFound as missing:  # no such centre
        return Answer.refused(from_domain(missing))
    return answer


def citizen_request_id(serial: int, request_id: str) -> str:
    """The stored request id of a citizen's cancel or rating, scoped to the ticket.

    Every citizen acts as ``citizen``, so without the scope one citizen's request id could replay
    another's answer. An id too long for the column once prefixed is stored as its digest.
    """
    scoped = f"citizen:{serial}:{request_id}"
    if len(scoped) <= 128:
        return scoped
    return f"citizen:{serial}:sha256:{hashlib.sha256(request_id.encode()).hexdigest()}"
