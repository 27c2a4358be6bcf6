"""Actions as transactions, on SQLite and PostgreSQL: state, logs, outbox and request ids."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from queue_server.app.answers import Answer
from queue_server.app.commands import (
    CallNext,
    Cancel,
    ExpireRatings,
    Finish,
    IssueTicket,
    Pause,
    RateTicket,
    Recall,
    SignOn,
    Transfer,
)
from queue_server.app.refusals import RefusalKind
from queue_server.app.service import HallService
from queue_server.domain.clock import ManualClock
from queue_server.domain.events import replay
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import Category, Outcome, TicketStatus
from queue_server.domain.windows import PauseReason
from queue_server.reports.periods import Period, PeriodKind
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.report_data import period_tickets
from queue_server.store.repository import load_hall, ticket_log, window_log
from queue_server.store.seed import create_centre
from tests.factories import make_centre, shanghai

KIOSK = "kiosk:k1"
ids = iter(range(1, 1_000_000))


def rid() -> str:
    return f"req-{next(ids)}"


@pytest.fixture
async def service(db: Database) -> AsyncIterator[HallService]:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    async with db.write() as conn:
        await create_centre(conn, make_centre(), clock.now())
    async with HallService(db, clock, public_base_url="http://hall.example") as hall_service:
        for window, staff in ((1, "s1"), (2, "s2"), (3, "s3")):
            answer = await hall_service.act(
                "test", SignOn(window=window, staff=staff), actor=f"staff:{staff}", request_id=rid()
            )
            assert answer.ok, answer.body
        yield hall_service


async def issue(service: HallService, matter: str = "pension", **kw: Any) -> dict[str, Any]:
    answer = await service.act("test", IssueTicket(matter=matter, **kw), actor=KIOSK, request_id=rid())
    assert answer.created, answer.refusal
    return answer.body["ticket"]  # type: ignore[no-any-return]


async def test_issue_is_stored_with_a_status_token_and_position(service: HallService) -> None:
    ticket = await issue(service)
    assert ticket["number"] == "A001"
    assert ticket["status_url"] == f"http://hall.example/ticket/{ticket['status_token']}"
    assert len(ticket["status_token"]) >= 24
    assert ticket["position"]["people_ahead"] == 0
    async with service.db.read() as conn:
        row = (await conn.execute(select(schema.tickets).where(schema.tickets.c.serial == ticket["serial"]))).one()
    assert row.number == "A001"
    assert row.status_token == ticket["status_token"]


async def test_a_stored_hall_equals_the_live_one(service: HallService) -> None:
    for matter in ("pension", "medical", "id_card", "pension"):
        await issue(service, matter, category=Category.ELDERLY if matter == "medical" else None)
    for window in (1, 2, 3):
        await service.act("test", CallNext(window=window), actor="system", request_id=rid())
    service.clock.advance(minutes=6)  # type: ignore[attr-defined]
    await service.act("test", Finish(window=1, outcome=Outcome.ON_THE_SPOT), actor="staff:s1", request_id=rid())
    await service.act("test", Transfer(window=2, to_window=1), actor="staff:s2", request_id=rid())
    await service.act("test", Pause(window=2, reason=PauseReason.BREAK, minutes=10), actor="staff:s2", request_id=rid())
    live = await service.hall("test")
    async with service.db.read() as conn:
        stored = await load_hall(conn, "test", service.clock)
        for ticket in stored.tickets():
            assert replay(await ticket_log(conn, "test", ticket.serial)) == ticket
        for window in stored.windows():
            log = await window_log(conn, "test", window.number)
            assert len(log) == window.version
    assert {t.serial: t for t in stored.tickets()} == {t.serial: t for t in live.tickets()}
    assert stored.windows() == live.windows()
    assert stored.last_serial == live.last_serial == 4
    assert stored.stats.matter_minutes == live.stats.matter_minutes != {}
    assert stored.stats.matter_spread == live.stats.matter_spread != {}
    assert stored.stats.staff_factor == live.stats.staff_factor != {}
    assert stored.positions() == live.positions()


async def test_numbering_continues_after_a_restart(service: HallService, db: Database) -> None:
    await issue(service)
    await issue(service)
    fresh = HallService(db, service.clock)
    answer = await fresh.act("test", IssueTicket(matter="pension"), actor=KIOSK, request_id=rid())
    assert answer.body["ticket"]["number"] == "A003"
    assert answer.body["ticket"]["serial"] == 3


async def test_two_services_on_one_database_see_each_others_actions(service: HallService, db: Database) -> None:
    other = HallService(db, service.clock)
    first = await issue(service)
    called = await other.act("test", CallNext(window=1), actor="staff:s1", request_id=rid())
    assert called.body["ticket"]["serial"] == first["serial"]
    again = await service.act("test", CallNext(window=2), actor="staff:s2", request_id=rid())
    assert again.body["ticket"] is None, "the first service's cached hall must not hand the ticket out again"


async def test_a_hall_caught_up_for_a_read_after_another_process_wrote_is_kept(
    service: HallService, db: Database
) -> None:
    """The kept hall a read catches up (another process wrote since) serves the next reads and the
    next action here without a build, and it is the hall the rows give."""
    other = HallService(db, service.clock)
    await issue(service)
    await issue(other)  # the state version moves on without this process
    builds = service.hall_builds().get("test", 0)
    read = await service.hall("test")
    assert service.hall_builds().get("test", 0) == builds, "not built from the rows again"
    assert service.hall_catch_ups()["test"] == 1
    assert [t.serial for t in read.waiting()] == [1, 2]
    assert await service.hall("test") is read, "the next read keeps it"
    called = await service.act("test", CallNext(window=1), actor="staff:s1", request_id=rid())
    assert called.body["ticket"]["serial"] == 1
    assert service.hall_catch_ups()["test"] == 1, "the action at that version used it too"
    async with db.read() as conn:
        stored = await load_hall(conn, "test", service.clock)
    assert stored.positions() == (await service.hall("test")).positions()


async def test_a_repeated_request_id_returns_the_first_answer(service: HallService) -> None:
    await issue(service)
    await issue(service)
    first, second = await asyncio.gather(
        service.act("test", CallNext(window=1), actor="staff:s1", request_id="double-click"),
        service.act("test", CallNext(window=1), actor="staff:s1", request_id="double-click"),
    )
    assert first.record() == second.record()
    assert first.replayed != second.replayed
    async with service.db.read() as conn:
        called = (await conn.execute(select(schema.tickets.c.serial).where(schema.tickets.c.status == "called"))).all()
    assert len(called) == 1


async def test_a_refusal_is_an_answer_and_is_replayed(service: HallService) -> None:
    answer = await service.act("test", Recall(window=1), actor="staff:s1", request_id="r-refused")
    assert answer.refusal is not None and answer.refusal.kind is RefusalKind.CONFLICT
    assert "no ticket is at the window" in answer.refusal.detail
    await issue(service)
    await service.act("test", CallNext(window=1), actor="staff:s1", request_id=rid())
    repeat = await service.act("test", Recall(window=1), actor="staff:s1", request_id="r-refused")
    assert repeat.record() == answer.record(), "the first answer stands"


async def test_request_id_reused_for_another_action_is_refused(service: HallService) -> None:
    await issue(service)
    await service.act("test", CallNext(window=1), actor="staff:s1", request_id="same")
    reused = await service.act("test", Recall(window=1), actor="staff:s1", request_id="same")
    assert reused.refusal is not None and reused.refusal.kind is RefusalKind.REQUEST_ID_REUSED


async def test_refusals_name_the_reason(service: HallService) -> None:
    for _ in range(3):
        await issue(service, "medical")
    refused = await service.act("test", IssueTicket(matter="medical"), actor=KIOSK, request_id=rid())
    assert refused.refusal is not None and refused.refusal.kind is RefusalKind.ISSUE_REFUSED
    assert refused.refusal.extra["reason"] == "quota_used_up"
    assert "今日号源已取完" in refused.refusal.extra["message"]
    missing = await service.act("nowhere", IssueTicket(matter="medical"), actor=KIOSK, request_id=rid())
    assert missing.refusal is not None and missing.refusal.kind is RefusalKind.NOT_FOUND


async def test_cancel_a_finished_ticket_says_why(service: HallService) -> None:
    ticket = await issue(service)
    await service.act("test", CallNext(window=1), actor="staff:s1", request_id=rid())
    await service.act("test", Finish(window=1, outcome=Outcome.ON_THE_SPOT), actor="staff:s1", request_id=rid())
    answer = await service.act("test", Cancel(serial=ticket["serial"]), actor="guide:g1", request_id=rid())
    assert answer.refusal is not None and answer.refusal.kind is RefusalKind.CONFLICT
    assert "it is already finished" in answer.refusal.detail


async def test_outbox_sequences_per_subject_without_gaps(service: HallService) -> None:
    for _ in range(3):
        await issue(service)
    for _ in range(3):
        await service.act("test", CallNext(window=1), actor="staff:s1", request_id=rid())
        await service.act("test", Recall(window=1), actor="staff:s1", request_id=rid())
        await service.act("test", Finish(window=1, outcome=Outcome.ON_THE_SPOT), actor="staff:s1", request_id=rid())
    async with service.db.read() as conn:
        rows = (await conn.execute(select(schema.outbox).order_by(schema.outbox.c.id))).all()
    by_subject: dict[str, list[int]] = {}
    for row in rows:
        by_subject.setdefault(row.subject, []).append(row.seq)
    for subject, seqs in by_subject.items():
        assert seqs == list(range(1, len(seqs) + 1)), subject
    calls = [r.payload for r in rows if r.subject == "window/1/call"]
    assert [c["recall"] for c in calls] == [False, True] * 3
    assert len({c["call_id"] for c in calls}) == 6
    assert not [r for r in rows if r.subject == "hall/feed"], "the old feed is no outbox row (legacy_feed)"
    latest = [r.payload for r in rows if r.subject == "hall/calls"][-1]
    assert latest["calls"][0]["number"] == "A003"
    summary = [r.payload for r in rows if r.subject == "hall/summary"][-1]
    assert "windows" not in summary, "the summary never holds the windows: each has its own state"
    state = [r.payload for r in rows if r.subject == "window/1/state"][-1]
    assert state["ticket"] is None


async def test_finished_tickets_leave_the_cached_hall_once_rated_or_expired(service: HallService) -> None:
    await issue(service)
    await issue(service)
    for _ in (1, 2):
        await service.act("test", CallNext(window=1), actor="staff:s1", request_id=rid())
        await service.act("test", Finish(window=1, outcome=Outcome.ON_THE_SPOT), actor="staff:s1", request_id=rid())
    hall = await service.hall("test")
    assert {t.serial for t in hall.tickets() if t.status is TicketStatus.FINISHED} == {1, 2}, "awaiting ratings"
    rated = await service.act(
        "test", RateTicket(serial=1, level=RatingLevel.SATISFIED), actor="citizen", request_id=rid()
    )
    assert rated.ok, rated.body
    service.clock.advance(minutes=10)  # type: ignore[attr-defined]
    expired = await service.act("test", ExpireRatings(), actor="system", request_id=rid())
    assert expired.body["ticket"]["serial"] == 2
    hall = await service.hall("test")
    assert all(t.status is not TicketStatus.FINISHED for t in hall.tickets())
    async with service.db.read() as conn:
        rows = (
            await conn.execute(select(schema.tickets.c.serial, schema.tickets.c.rating_status, schema.tickets.c.rating))
        ).all()
    assert sorted((r.serial, r.rating_status, r.rating) for r in rows) == [(1, "rated", 4), (2, "expired", None)]
    async with service.db.read() as conn:
        pad = [r.payload for r in (await conn.execute(select(schema.outbox))).all() if r.subject.startswith("pad/")]
    assert pad == [], "the test centre has no pads: no pad messages"


async def test_sent_outbox_rows_are_pruned_after_their_retention_and_unsent_ones_never(service: HallService) -> None:
    await issue(service)
    o = schema.outbox.c
    async with service.db.write() as conn:
        first = (await conn.execute(select(o.id).order_by(o.id))).scalars().first()
        await conn.execute(schema.outbox.update().where(o.id == first).values(sent_at=service.clock.now()))
    service.clock.advance(dt.timedelta(days=3))  # type: ignore[attr-defined]
    assert await service.prune_outbox(2) == 1
    async with service.db.read() as conn:
        left = (await conn.execute(select(o.sent_at))).scalars().all()
    assert left and all(sent is None for sent in left), "what the broker never acknowledged stays"


async def test_subscribers_are_told_once_per_commit_until_they_unsubscribe(
    service: HallService, caplog: pytest.LogCaptureFixture
) -> None:
    told: list[str] = []

    def broken(centre: str) -> None:
        raise RuntimeError(f"cannot take {centre}")

    unsubscribe = service.subscribe(told.append)
    unsubscribe_broken = service.subscribe(broken)
    answers = await asyncio.gather(*(issue(service) for _ in range(3)))
    assert len(answers) == 3, "a subscriber that raises breaks no action"
    assert 1 <= len(told) <= 3 and set(told) == {"test"}, "once per committed batch"
    assert "a subscriber failed when told of a commit at test" in caplog.text
    count = len(told)
    refused = await service.act("test", CallNext(window=9), actor="staff:s1", request_id=rid())
    assert not refused.ok and len(told) == count, "a refusal changes nothing: nobody is told"
    unsubscribe()
    unsubscribe()
    unsubscribe_broken()
    await issue(service)
    assert len(told) == count


async def test_a_closed_service_runs_no_action(db: Database, service: HallService) -> None:
    async with HallService(db, service.clock) as other:
        await other.act("test", IssueTicket(matter="pension"), actor=KIOSK, request_id=rid())
    with pytest.raises(RuntimeError, match="Cannot run issue at centre test: the hall service is closed"):
        await other.act("test", IssueTicket(matter="pension"), actor=KIOSK, request_id=rid())
    with pytest.raises(RuntimeError, match="Cannot open a hall service that is closed"):
        await other.__aenter__()


async def test_a_hall_read_inside_the_centres_own_transaction_does_not_wait_for_itself(service: HallService) -> None:
    await issue(service)

    async def work(_conn: Any, _hall: Any, _now: dt.datetime) -> Answer:
        async with asyncio.timeout(10):  # in this task: asyncio.wait_for would read in another
            read = await service.hall("test")
        return Answer({"waiting": len(read.waiting())})

    answer = await service.locked("test", actor="system", request_id=rid(), name="peek", work=work)
    assert answer.ok and answer.body == {"waiting": 1}, answer.refusal


async def test_the_wait_told_at_issue_is_kept_with_the_ticket(service: HallService) -> None:
    """The single estimate and the range told in the issue's answer, written in its transaction;
    the round after the issues works the ranges out once and overwrites no range told."""
    tickets = [await issue(service) for _ in range(5)]
    await service.ranges_kept("test")
    assert service.wait_ranges.computations == 1, "the five issues shared one round"
    t = schema.tickets.c
    async with service.db.read() as conn:
        rows = {r.serial: r for r in (await conn.execute(select(schema.tickets).order_by(t.serial))).all()}
    for ticket in tickets:
        row = rows[ticket["serial"]]
        assert row.estimate_minutes == ticket["position"]["estimated_wait_minutes"]
        assert [row.estimate_low, row.estimate_high] == ticket["position"]["wait_range_minutes"]
    assert [(rows[s["serial"]].estimate_low, rows[s["serial"]].estimate_high) for s in tickets[:2]] == [(0, 0)] * 2
    assert 0 <= rows[tickets[4]["serial"]].estimate_low < rows[tickets[4]["serial"]].estimate_high

    service.clock.advance(minutes=7)  # type: ignore[attr-defined]
    await service.act("test", CallNext(window=1), actor="staff:s1", request_id=rid())
    later = await issue(service)
    later_day = dt.date.fromisoformat(later["service_day"])
    await service.ranges_kept("test")
    async with service.db.read() as conn:
        again = {r.serial: r for r in (await conn.execute(select(schema.tickets))).all()}
    assert [again[later["serial"]].estimate_low, again[later["serial"]].estimate_high] == later["position"][
        "wait_range_minutes"
    ]
    async with service.db.read() as conn:  # what the reports read
        handled = {h.serial: h for h in await period_tickets(conn, "test", Period.holding(PeriodKind.DAY, later_day))}
    row = again[later["serial"]]
    assert (handled[later["serial"]].estimate_low, handled[later["serial"]].estimate_high) == (
        row.estimate_low,
        row.estimate_high,
    )
    assert handled[later["serial"]].estimate_minutes == later["position"]["estimated_wait_minutes"]
    for ticket in tickets:
        before, after = rows[ticket["serial"]], again[ticket["serial"]]
        assert (after.estimate_low, after.estimate_high) == (before.estimate_low, before.estimate_high)
