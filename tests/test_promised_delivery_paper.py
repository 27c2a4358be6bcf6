"""The proof of delivery (送达回证) a window's printer prints as a promised case's result is collected
there: once per delivery, naming how and by whom, and only where the window has a printer."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from queue_server.app import promised
from queue_server.app.commands import CallNext, Finish, IssueTicket, SignOn, StartServing
from queue_server.app.once import Once, Presenter
from queue_server.app.service import HallService
from queue_server.domain.clock import ManualClock
from queue_server.domain.tickets import Outcome
from queue_server.protocol.payloads import PrintJob
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.printing import ticket_print_jobs
from queue_server.store.seed import create_centre
from tests.factories import make_centre, shanghai
from ticket_printer.client.slips import slip_for
from ticket_printer.escpos_parser import parse, text_lines
from ticket_printer.layout import PAPER_80, PrinterProfile
from ticket_printer.render import render

PRINTERS = [{"id": "printer-w1", "kind": "printer", "window": 1}]


@pytest.fixture
async def service(db: Database) -> HallService:
    """Two promised cases finished at window 1 (which has a printer) by s1."""
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    async with db.write() as conn:
        await create_centre(conn, make_centre(devices=PRINTERS), clock.now())
    service = HallService(db, clock, public_base_url="http://hall.example")
    steps = [(SignOn(window=1, staff="s1"), "staff:s1")]
    steps += [(IssueTicket(matter="pension"), "kiosk:k")] * 2
    steps += [
        (CallNext(window=1), "staff:s1"),
        (StartServing(window=1), "staff:s1"),
        (Finish(window=1, outcome=Outcome.PROMISED, promised_days=3), "staff:s1"),
    ] * 2
    for n, (command, actor) in enumerate(steps):
        answer = await service.act("test", command, actor=actor, request_id=f"step-{n}")
        assert answer.ok, answer.body
    return service


async def deliver(service: HallService, serial: int, request_id: str, window: int | None) -> None:
    once = Once("test", "staff:s2", request_id)
    answer = await promised.deliver(
        service, once, serial, "本人领取", Presenter(lambda seen: {"number": seen.case.number}), window=window
    )
    assert answer.ok, answer.body


async def papers(service: HallService, serial: int) -> list[str]:
    async with service.db.read() as conn:
        return [job["job_id"] for job in await ticket_print_jobs(conn, "test", serial)]


async def test_a_result_collected_at_a_window_prints_its_proof_of_delivery_there_once(service: HallService) -> None:
    assert await papers(service, 1) == ["1-notice-1"], "the 受理通知书 printed as the case was accepted"
    service.clock.advance(dt.timedelta(days=3))  # type: ignore[attr-defined]
    await deliver(service, 1, "collect-1", window=1)
    await deliver(service, 1, "collect-1", window=1)  # the same click again: one delivery, one paper
    assert sorted(await papers(service, 1)) == ["1-delivery-1", "1-notice-1"]
    async with service.db.read() as conn:
        o = schema.outbox.c
        rows = (await conn.execute(select(o.payload).where(o.subject == "printer/printer-w1/job"))).scalars().all()
    (payload,) = [
        p for p in (json.loads(r) if isinstance(r, str) else r for r in rows) if p["job_id"] == "1-delivery-1"
    ]
    slip = slip_for(PrintJob.model_validate({**payload, "seq": 1}))
    text = "".join("".join(text_lines(parse(render(slip, PrinterProfile(paper=PAPER_80))))).split())
    assert "送达回证" in text and "受理编号：TEST-2026-000001" in text
    assert "送达方式：窗口领取" in text and "送达人：" in text and "s2" in text, (
        "who handed it over, not who accepted it"
    )
    assert "受送达人签名" in text and "申请人签名" not in text
    assert "日期：2026-12-03" in text, "dated the day it was handed over"


async def test_a_result_handed_over_without_a_window_prints_nothing(service: HallService) -> None:
    await deliver(service, 2, "collect-2", window=None)
    assert await papers(service, 2) == ["2-notice-1"]
