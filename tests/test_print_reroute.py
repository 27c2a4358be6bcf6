"""A kiosk's ticket goes to a spare printer when its own cannot print: the server, a real Mosquitto,
real printer clients on loopback ESC/POS printer emulators, SQLite and PostgreSQL.

The kiosk ``k-1`` prints on ``p-1`` and names ``p-2`` then ``p-3`` as spares. Where a test needs a
printer to give an answer the client would not (``unknown``, or the same answer twice), a plain
MQTT client plays that printer on its request topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
from sqlalchemy import select

from queue_server.app.commands import IssueTicket, SignOn
from queue_server.app.printers import PrinterBoard, PrinterReadings, reroute_printer, ticket_printer
from queue_server.app.service import HallService
from queue_server.bus.connection import BrokerAddress
from queue_server.bus.runner import Bus
from queue_server.domain.clock import ManualClock
from queue_server.protocol.broker import Broker
from queue_server.protocol.payloads import DeviceResponse, PrinterStatus, fault_in
from queue_server.protocol.topics import DEVICE_REQUEST, DEVICE_RESPONSE, OFFLINE, PRINTER_JOB
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.brokers import Mosquitto
from tests.factories import make_centre, shanghai
from tests.printer_emulator import PrinterEmulator
from ticket_printer.client import PrinterClient, connect
from ticket_printer.layout import PAPER_80, Mode, PrinterProfile

CENTRE = "test"
DEVICES = [
    {"id": "k-1", "kind": "kiosk", "printer": "p-1", "spare_printers": ["p-2", "p-3"]},
    {"id": "p-1", "kind": "printer"},
    {"id": "p-2", "kind": "printer"},
    {"id": "p-3", "kind": "printer"},
]
WAIT = 15.0
SLOW_POLL = 600.0
"""A printer client that reads its printer's status only when it has a job: its state on the bus
stays ``ready`` after the paper ran out, as a real one does between two polls."""


@dataclass
class Hall:
    service: HallService
    broker: Broker
    address: BrokerAddress
    folder: Path

    @property
    def board(self) -> PrinterReadings:
        return self.service.printers(CENTRE)

    def printer(self, device: str, emulator: PrinterEmulator, *, poll: float = 0.3) -> PrinterClient:
        return PrinterClient(
            CENTRE,
            device,
            self.broker,
            printer=connect(emulator.url),
            spool=self.folder / f"spool-{device}",
            profile=PrinterProfile(paper=PAPER_80, mode=Mode.TEXT),
            poll_interval=poll,
            retry_delays=(0.1, 0.3),
            retry_interval=0.3,
        )

    async def issue(self, request_id: str) -> dict[str, Any]:
        """A ticket from the kiosk, as its button would ask for one."""
        answer = await self.service.act(
            CENTRE, IssueTicket(matter="pension"), actor="device:k-1", request_id=request_id
        )
        assert answer.ok, answer.body
        ticket: dict[str, Any] = answer.body["ticket"]
        return ticket


@contextlib.asynccontextmanager
async def hall_on(db: Database, mosquitto: Mosquitto, folder: Path) -> AsyncIterator[Hall]:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    centre = make_centre(devices=DEVICES)
    async with db.write() as conn:
        await create_centre(conn, centre, clock.now())
    async with HallService(db, clock, public_base_url="http://hall.example") as service:
        await service.act(CENTRE, SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")
        address = BrokerAddress.from_url(mosquitto.url)
        bus = Bus(service, [centre], address)
        task = asyncio.create_task(bus.run())
        try:
            await asyncio.wait_for(bus.centres[CENTRE].connected.wait(), 10)
            yield Hall(service, Broker.from_url(mosquitto.url), address, folder)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def jobs(db: Database) -> list[tuple[str, str, str, str, str | None]]:
    """Every print job: id, printer, status, reason, the job it replaces."""
    p = schema.print_jobs.c
    async with db.read() as conn:
        rows = await conn.execute(select(p.job_id, p.printer, p.status, p.reason, p.rerouted_from).order_by(p.job_id))
        return [(row.job_id, row.printer, row.status, row.reason, row.rerouted_from) for row in rows.all()]


async def jobs_sent(db: Database) -> list[tuple[str, str]]:
    """Every job the outbox holds: subject and job id, in order."""
    o = schema.outbox.c
    async with db.read() as conn:
        rows = await conn.execute(select(o.subject, o.payload).where(o.event_type == "job").order_by(o.id))
        return [(row.subject, row.payload["job_id"]) for row in rows.all()]


async def settle(db: Database, expected: int) -> list[tuple[str, str, str, str, str | None]]:
    """The jobs once ``expected`` of them exist and none is still queued."""
    found: list[tuple[str, str, str, str, str | None]] = []
    async with asyncio.timeout(WAIT):
        while len(found) != expected or any(status == "queued" for _, _, status, _, _ in found):
            await asyncio.sleep(0.05)
            found = await jobs(db)
    return found


def printed_number(emulator: PrinterEmulator, number: str) -> int:
    """How many of the emulator's decoded jobs are the ticket ``number``."""
    return sum(number in emulator.texts(index) for index in range(len(emulator.jobs)))


class PlayedPrinter:
    """A plain MQTT client on a printer's topics: it sends result requests and reads the answers."""

    def __init__(self, address: BrokerAddress, device: str) -> None:
        self.device = device
        self.client = aiomqtt.Client(
            address.host, address.port, identifier=f"played-{device}", protocol=aiomqtt.ProtocolVersion.V311
        )

    async def __aenter__(self) -> PlayedPrinter:
        await self.client.__aenter__()
        await self.client.subscribe(DEVICE_RESPONSE.build(CENTRE, kind="printer", device=self.device, what="result"))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.__aexit__(None, None, None)

    async def result(self, request_id: str, job_id: str, status: str, reason: str = "") -> DeviceResponse:
        body = {"request_id": request_id, "job_id": job_id, "status": status, "reason": reason}
        topic = DEVICE_REQUEST.build(CENTRE, kind="printer", device=self.device, what="result")
        await self.client.publish(topic, json.dumps(body), qos=1)
        async with asyncio.timeout(WAIT):
            async for message in self.client.messages:
                assert isinstance(message.payload, bytes)
                answer = DeviceResponse.model_validate_json(message.payload)
                if answer.request_id == request_id:
                    return answer
        raise AssertionError("no answer")


# --- Over the bus --------------------------------------------------------------------------------


async def test_a_ticket_failed_for_want_of_paper_is_printed_once_on_the_spare(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    async with (
        hall_on(db, mosquitto, tmp_path) as hall,
        PrinterEmulator() as own,
        PrinterEmulator() as spare,
        hall.printer("p-1", own, poll=SLOW_POLL),
        hall.printer("p-2", spare),
    ):
        await eventually(lambda: hall.board.health("p-1").can_print and hall.board.health("p-2").can_print)
        own.state = PrinterStatus.PAPER_OUT  # ran out since its last status read
        ticket = await hall.issue("t1")
        serial, number = ticket["serial"], ticket["number"]
        found = await settle(db, 2)
        await eventually(lambda: len(spare.jobs) == 1)
        await asyncio.sleep(0.5)  # time enough for a wrong second print to show
    assert found == [
        (f"{serial}-ticket-1", "p-1", "failed", "paper out", None),
        (f"{serial}-ticket-2", "p-2", "done", "", f"{serial}-ticket-1"),
    ]
    assert own.jobs == [], "the printer out of paper printed nothing"
    assert len(spare.jobs) == 1 and printed_number(spare, number) == 1
    assert spare.qr_data(0) == [ticket["status_url"]], "the same ticket, the same status page"
    assert await jobs_sent(db) == [
        (PRINTER_JOB.subject(device="p-1"), f"{serial}-ticket-1"),
        (PRINTER_JOB.subject(device="p-2"), f"{serial}-ticket-2"),
    ]


async def test_a_ticket_goes_straight_to_the_spare_while_the_kiosks_printer_says_paper_out(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    async with (
        hall_on(db, mosquitto, tmp_path) as hall,
        PrinterEmulator(PrinterStatus.PAPER_OUT) as own,
        PrinterEmulator(PrinterStatus.COVER_OPEN) as first_spare,
        PrinterEmulator(PrinterStatus.PAPER_LOW) as second_spare,
        hall.printer("p-1", own),
        hall.printer("p-2", first_spare),
        hall.printer("p-3", second_spare),
    ):
        await eventually(
            lambda: (
                hall.board.health("p-1").state is PrinterStatus.PAPER_OUT
                and hall.board.health("p-2").state is PrinterStatus.COVER_OPEN
                and hall.board.health("p-3").can_print
            )
        )
        ticket = await hall.issue("t1")
        found = await settle(db, 1)
        await eventually(lambda: len(second_spare.jobs) == 1)
    serial = ticket["serial"]
    assert found == [(f"{serial}-ticket-1", "p-3", "done", "", None)], "the first spare that can print"
    assert own.jobs == [] and first_spare.jobs == []
    assert printed_number(second_spare, ticket["number"]) == 1


async def test_a_ticket_goes_straight_to_the_spare_while_the_kiosks_printer_is_offline(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    async with (
        hall_on(db, mosquitto, tmp_path) as hall,
        PrinterEmulator() as spare,
        hall.printer("p-2", spare),
        aiomqtt.Client(hall.address.host, hall.address.port, identifier="p-1-will") as will,
    ):
        await will.publish(f"onewindow/{CENTRE}/printer/p-1/availability", OFFLINE, qos=1, retain=True)
        await eventually(lambda: hall.board.health("p-1").online is False and hall.board.health("p-2").can_print)
        ticket = await hall.issue("t1")
        found = await settle(db, 1)
        await eventually(lambda: len(spare.jobs) == 1)
    assert found == [(f"{ticket['serial']}-ticket-1", "p-2", "done", "", None)]
    assert printed_number(spare, ticket["number"]) == 1


async def test_with_no_spare_able_to_print_the_job_stays_failed(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    async with (
        hall_on(db, mosquitto, tmp_path) as hall,
        PrinterEmulator() as own,
        PrinterEmulator(PrinterStatus.COVER_OPEN) as spare,
        hall.printer("p-1", own, poll=SLOW_POLL),
        hall.printer("p-2", spare),
    ):
        await eventually(
            lambda: hall.board.health("p-1").can_print and hall.board.health("p-2").state is PrinterStatus.COVER_OPEN
        )
        own.state = PrinterStatus.PAPER_OUT
        ticket = await hall.issue("t1")
        found = await settle(db, 1)
        await asyncio.sleep(0.5)
        assert await jobs(db) == found
    assert found == [(f"{ticket['serial']}-ticket-1", "p-1", "failed", "paper out", None)]
    assert own.jobs == [] and spare.jobs == []
    assert len(await jobs_sent(db)) == 1


async def test_an_unknown_result_is_never_rerouted(db: Database, mosquitto: Mosquitto, tmp_path: Path) -> None:
    async with (
        hall_on(db, mosquitto, tmp_path) as hall,
        PrinterEmulator() as spare,
        hall.printer("p-2", spare),
        PlayedPrinter(hall.address, "p-1") as own,
    ):
        await eventually(lambda: hall.board.health("p-2").can_print)
        ticket = await hall.issue("t1")
        job_id = f"{ticket['serial']}-ticket-1"
        answer = await own.result("r-1", job_id, "unknown", "paper out")
        assert answer.ok, answer.error
        await asyncio.sleep(0.5)
    assert await jobs(db) == [(job_id, "p-1", "unknown", "paper out", None)]
    assert spare.jobs == [], "some of it may be on paper: a person decides"


async def test_a_repeated_failed_answer_reroutes_once(db: Database, mosquitto: Mosquitto, tmp_path: Path) -> None:
    async with (
        hall_on(db, mosquitto, tmp_path) as hall,
        PrinterEmulator() as spare,
        hall.printer("p-2", spare),
        PlayedPrinter(hall.address, "p-1") as own,
    ):
        await eventually(lambda: hall.board.health("p-2").can_print)
        ticket = await hall.issue("t1")
        job_id = f"{ticket['serial']}-ticket-1"
        for request_id in ("r-1", "r-1", "r-2"):  # a repeat, then the same answer under a new id
            answer = await own.result(request_id, job_id, "failed", "paper out")
            assert answer.ok, answer.error
        found = await settle(db, 2)
        await eventually(lambda: len(spare.jobs) == 1)
        await asyncio.sleep(0.5)
    assert found == [
        (job_id, "p-1", "failed", "paper out", None),
        (f"{ticket['serial']}-ticket-2", "p-2", "done", "", job_id),
    ]
    assert printed_number(spare, ticket["number"]) == 1
    assert len(await jobs_sent(db)) == 2


async def test_a_job_the_printer_could_not_render_is_not_rerouted(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    async with (
        hall_on(db, mosquitto, tmp_path) as hall,
        PrinterEmulator() as spare,
        hall.printer("p-2", spare),
        PlayedPrinter(hall.address, "p-1") as own,
    ):
        await eventually(lambda: hall.board.health("p-2").can_print)
        ticket = await hall.issue("t1")
        job_id = f"{ticket['serial']}-ticket-1"
        assert (await own.result("r-1", job_id, "failed", "cannot render the job: too wide")).ok
        await asyncio.sleep(0.5)
    assert [row[:3] for row in await jobs(db)] == [(job_id, "p-1", "failed")]
    assert spare.jobs == []


# --- The choice itself ---------------------------------------------------------------------------


def kiosk() -> Any:
    return make_centre(devices=DEVICES).devices_by_id["k-1"]


def test_a_printer_not_heard_from_is_trusted_as_the_kiosks_own_but_never_chosen_as_a_spare() -> None:
    board = PrinterBoard()
    assert ticket_printer(kiosk(), board) == "p-1"
    board.saw_state("p-1", PrinterStatus.PAPER_OUT)
    assert ticket_printer(kiosk(), board) == "p-1", "no spare known ready: its own, to fail there"
    board.saw_state("p-2", PrinterStatus.READY)
    assert ticket_printer(kiosk(), board) == "p-1", "ready, but not known online"
    board.saw_availability("p-2", True)
    assert ticket_printer(kiosk(), board) == "p-2"
    assert reroute_printer(kiosk(), board, ["p-1", "p-2"]) is None, "never a printer that had it"
    board.saw_state("p-1", PrinterStatus.READY)
    board.saw_availability("p-1", True)
    assert reroute_printer(kiosk(), board, ["p-2"]) == "p-1", "its own, refilled, before the other spares"


@pytest.mark.parametrize(
    ("reason", "state"),
    [
        ("paper out", PrinterStatus.PAPER_OUT),
        ("Cover open", PrinterStatus.COVER_OPEN),
        ("offline", PrinterStatus.OFFLINE),
        ("cannot render the job: too wide", None),
        ("", None),
    ],
)
def test_the_reasons_that_send_a_ticket_elsewhere(reason: str, state: PrinterStatus | None) -> None:
    assert fault_in(reason) is state
