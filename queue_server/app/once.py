"""An action beside the hall's own state, run once per request id under the centre's lock.

The service records the first answer to a request id and gives it again to a repeat
(:meth:`queue_server.app.service.HallService.locked`), so the answer must be made inside the
transaction. A use case does its step and returns a typed result or raises a refusal; the
adapter that called it says, with a :class:`Presenter`, which JSON view the result is recorded as.
A refusal is recorded as it is; each adapter words it (the same words then come back to a repeat).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from queue_server.app.answers import Answer
from queue_server.app.refusals import Refusal, from_domain
from queue_server.app.service import HallService
from queue_server.app.views import View
from queue_server.domain.errors import DomainError
from queue_server.domain.hall import Hall
from queue_server.store.database import Connection

R = TypeVar("R")

Step = Callable[[Connection, Hall, dt.datetime], Awaitable[R]]
"""The work of an action, in the centre's transaction: the connection, the hall, the instant."""


@dataclass(frozen=True, slots=True)
class Presenter(Generic[R]):
    """How the calling adapter records a result as the answer a repeat gets again."""

    view: Callable[[R], View]
    created: bool = False
    """The result is something new (a case opened)."""


@dataclass(frozen=True, slots=True)
class Once:
    """Who asks, with which request id, at which centre: what makes an action run once."""

    centre: str
    actor: str
    request_id: str


async def run_once(service: HallService, once: Once, name: str, step: Step[R], present: Presenter[R]) -> Answer:
    """Run ``step`` once for the request id (``name`` is the action a reused id is checked against)."""

    async def work(conn: Connection, hall: Hall, now: dt.datetime) -> Answer:
        try:
            result = await step(conn, hall, now)
        except DomainError as error:
            return Answer.refused(from_domain(error, hall.centre))
        except Refusal as refusal:
            return Answer.refused(refusal)
        return Answer(present.view(result), created=present.created)

    return await service.locked(once.centre, actor=once.actor, request_id=once.request_id, name=name, work=work)
