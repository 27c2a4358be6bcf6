"""Group commit, on SQLite and PostgreSQL: actions queued behind a running transaction share the
next one, and each still behaves as if it ran alone (answers, request ids, outbox order, errors)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.app.answers import Answer
from queue_server.app.commands import CallNext, Finish, IssueTicket, Recall, SignOn, Transfer
from queue_server.app.projections import recent_calls
from queue_server.app.refusals import RefusalKind
from queue_server.app.service import HallService
from queue_server.domain.changes import Change
from queue_server.domain.clock import ManualClock
from queue_server.domain.hall import Hall
from queue_server.domain.tickets import Outcome
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.repository import load_hall
from queue_server.store.seed import create_centre
from tests.factories import make_centre, shanghai

KIOSK = "kiosk:k1"


@pytest.fixture
async def service(db: Database) -> AsyncIterator[HallService]:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    async with db.write() as conn:
        await create_centre(conn, make_centre(), clock.now())
    async with HallService(db, clock) as hall_service:
        for window, staff in ((1, "s1"), (2, "s2")):
            answer = await hall_service.act(
                "test", SignOn(window=window, staff=staff), actor=f"staff:{staff}", request_id=f"on-{window}"
            )
            assert answer.ok, answer.body
        yield hall_service


def transactions(db: Database) -> list[int]:
    """A list that grows by one at every write transaction begun from now on."""
    begun: list[int] = []
    event.listen(db.writer.sync_engine, "begin", lambda _conn: begun.append(1))
    return begun


async def held(
    service: HallService,
    queue: Callable[[], list[asyncio.Task[Answer]]],
    before_release: Callable[[], None] | None = None,
) -> list[Answer]:
    """Queue ``queue``'s actions while the centre is busy with another transaction, then let it end."""
    release = asyncio.Event()

    async def work(_conn: AsyncConnection, _hall: Hall, _now: dt.datetime) -> Answer:
        await release.wait()
        return Answer({"held": True})

    holder = asyncio.create_task(service.locked("test", actor="system", request_id="hold", name="hold", work=work))
    await asyncio.sleep(0)  # the holder takes the centre's lock at its first step
    tasks = queue()
    for _ in range(3):
        await asyncio.sleep(0)  # every action is queued
    if before_release is not None:
        before_release()
    release.set()
    assert (await holder).ok
    return list(await asyncio.gather(*tasks))


def issue(service: HallService, request_id: str, also: Any = None) -> asyncio.Task[Answer]:
    return asyncio.create_task(
        service.act("test", IssueTicket(matter="pension"), actor=KIOSK, request_id=request_id, also=also)
    )


async def test_queued_actions_share_a_transaction_and_answer_as_if_alone(service: HallService) -> None:
    begun = transactions(service.db)
    answers = await held(service, lambda: [issue(service, f"i-{n}") for n in range(6)])
    assert len(begun) == 2, "the holder's transaction, then one for all six actions"
    assert [a.body["ticket"]["number"] for a in answers] == [f"A00{n}" for n in range(1, 7)]
    assert [a.body["ticket"]["position"]["people_ahead"] for a in answers] == [0, 0, 2, 2, 4, 4]
    for n, answer in enumerate(answers):
        again = await service.act("test", IssueTicket(matter="pension"), actor=KIOSK, request_id=f"i-{n}")
        assert again.replayed and again.body == answer.body
    async with service.db.read() as conn:
        o = schema.outbox.c
        query = select(o.seq, o.payload).where(o.subject == "hall/summary").order_by(o.id)
        summaries = (await conn.execute(query)).all()
        stored = await load_hall(conn, "test", service.clock)
    assert [row.seq for row in summaries] == list(range(1, len(summaries) + 1)), "the sequence has no gap"
    waiting = [row.payload["waiting"][0]["waiting"] for row in summaries]
    assert waiting[-2:] == [0, 6], "the batch of six wrote one summary, the hall as the batch left it"
    live = await service.hall("test")
    assert stored.waiting() == live.waiting()
    called = await service.act("test", CallNext(window=1), actor="staff:s1", request_id="call-1")
    assert called.body["ticket"]["number"] == "A001"


async def test_a_failing_action_fails_alone_and_the_others_commit(service: HallService) -> None:
    async def broken(conn: AsyncConnection, _hall: Hall, _change: Change, _now: dt.datetime) -> None:
        await conn.execute(text("SELECT no_such_column FROM tickets"))

    tasks: list[asyncio.Task[Answer]] = []

    def queue() -> list[asyncio.Task[Answer]]:
        tasks.extend([issue(service, "a"), issue(service, "b", also=broken), issue(service, "c")])
        return [tasks[0], tasks[2]]

    first, third = await held(service, queue)
    with pytest.raises(DBAPIError):
        await tasks[1]
    assert (first.body["ticket"]["number"], third.body["ticket"]["number"]) == ("A001", "A002")
    retry = await service.act("test", IssueTicket(matter="pension"), actor=KIOSK, request_id="b")
    assert not retry.replayed and retry.body["ticket"]["number"] == "A003", "the failed action left nothing"
    async with service.db.read() as conn:
        numbers = (await conn.execute(select(schema.tickets.c.number).order_by(schema.tickets.c.serial))).scalars()
        assert list(numbers) == ["A001", "A002", "A003"]


async def test_a_request_id_repeated_within_one_transaction_is_answered_once(service: HallService) -> None:
    def queue() -> list[asyncio.Task[Answer]]:
        call = service.act("test", CallNext(window=1), actor="staff:s1", request_id="twice")
        return [issue(service, "twice"), issue(service, "twice"), asyncio.create_task(call)]

    first, second, reused = await held(service, queue)
    assert first.created and not first.replayed
    assert second.replayed and second.body == first.body
    assert reused.refusal is not None and reused.refusal.kind is RefusalKind.REQUEST_ID_REUSED


async def test_an_action_cancelled_before_its_turn_never_happens(service: HallService) -> None:
    gone: list[asyncio.Task[Answer]] = []

    def queue() -> list[asyncio.Task[Answer]]:
        gone.append(issue(service, "gone"))
        return [issue(service, "stays")]

    def cancel() -> None:
        gone[0].cancel()

    (stays,) = await held(service, queue, before_release=cancel)
    with pytest.raises(asyncio.CancelledError):
        await gone[0]
    assert stays.body["ticket"]["number"] == "A001"
    async with service.db.read() as conn:
        ids = (await conn.execute(select(schema.requests.c.request_id))).scalars()
        assert "gone" not in set(ids)


async def test_the_configuration_read_without_a_hall_follows_other_processes(service: HallService) -> None:
    issued = await service.act("test", IssueTicket(matter="pension"), actor=KIOSK, request_id="before")
    assert issued.ok
    assert await service.centre("test") == (await service.hall("test")).centre
    changed = make_centre(policy={"max_passed_over": 3, "stop_issuing_before_close": 30})
    other = HallService(service.db, service.clock)  # another instance on the same database
    applied = await other.configure("test", changed, actor="manager:m", request_id="cfg", dry_run=False)
    assert applied.ok and applied.body["applied"], applied.body
    assert await service.centre("test") == changed


async def test_a_read_during_running_actions_gets_their_committed_hall(service: HallService) -> None:
    await service.act("test", IssueTicket(matter="pension"), actor=KIOSK, request_id="first")
    reads: list[asyncio.Task[Hall]] = []

    def queue() -> list[asyncio.Task[Answer]]:
        tasks = [issue(service, f"r-{n}") for n in range(3)]
        reads.append(asyncio.create_task(service.hall("test")))
        return tasks

    answers = await held(service, queue)
    hall = await reads[0]
    assert [t.number for t in hall.waiting()] == ["A001", *(a.body["ticket"]["number"] for a in answers)]


async def test_the_hall_calls_list_the_calls_the_logs_hold(service: HallService) -> None:
    """The latest calls come from memory between actions; they must be what the logs say."""
    steps: list[Any] = [IssueTicket(matter="pension") for _ in range(14)]
    for _ in range(6):
        steps += [CallNext(window=1), Recall(window=1), Transfer(window=1, to_matter="medical")]
        steps += [CallNext(window=2), Finish(window=2, outcome=Outcome.ON_THE_SPOT)]
    steps += [CallNext(window=1), Transfer(window=1, to_matter="medical")]  # a listed call's ticket changes
    for n, command in enumerate(steps):
        actor = KIOSK if isinstance(command, IssueTicket) else f"staff:s{getattr(command, 'window', 1)}"
        answer = await service.act("test", command, actor=actor, request_id=f"feed-{n}")
        assert answer.ok, answer.body
    hall = await service.hall("test")  # before the read: the hall takes a connection of its own
    async with service.db.read() as conn:
        o = schema.outbox.c
        query = select(o.payload).where(o.subject == "hall/calls").order_by(o.id.desc()).limit(1)
        latest = (await conn.execute(query)).scalar_one()
        logged = await recent_calls(conn, hall)
    assert len(logged) == 10
    assert latest["calls"] == logged
