"""A kiosk's printer that is switched off, drops its link or runs out of paper in the middle of a job.

The server (in this process, on a real Mosquitto, SQLite and PostgreSQL), a real printer client
and a loopback ESC/POS printer emulator that can fail part way into a job (tests/printer_emulator.py).
What is checked is what the hall needs: a ticket is printed whole exactly once when the printer
comes back, or its print job ends ``unknown`` or ``failed`` with the reason (what the kiosk and
the desk read from the ticket's prints), and it is never printed a second time by itself.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from queue_server.protocol.payloads import PrinterStatus
from queue_server.store.database import Database
from tests.brokers import Mosquitto
from tests.printer_emulator import PrinterEmulator
from tests.test_print_reroute import SLOW_POLL, eventually, hall_on, printed_number, settle
from ticket_printer.client import JobState

pytestmark = pytest.mark.fault

SECOND_PRINT_WINDOW = 1.0
"""Time given to a wrong second print to show (the client polls every 0.3 s, the relay every 1 s)."""


async def test_a_printer_switched_off_prints_the_ticket_once_when_it_is_back(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    async with hall_on(db, mosquitto, tmp_path) as hall, PrinterEmulator() as printer:
        client = hall.printer("p-1", printer)
        async with client:
            await eventually(lambda: hall.board.health("p-1").can_print)
            await printer.stop()
            ticket = await hall.issue("t1")
            await eventually(lambda: bool(client.spool.jobs(JobState.TAKEN)))
            await eventually(lambda: client.reading.state is PrinterStatus.OFFLINE)
            await printer.start()  # the same port: switched on again
            found = await settle(db, 1)
            await eventually(lambda: len(printer.jobs) == 1)
            await asyncio.sleep(SECOND_PRINT_WINDOW)
    assert found == [(f"{ticket['serial']}-ticket-1", "p-1", "done", "", None)]
    assert printed_number(printer, ticket["number"]) == 1 and len(printer.jobs) == 1, "printed once"


async def test_a_printer_that_drops_its_link_mid_job_never_prints_it_again_and_says_unknown(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    async with (
        hall_on(db, mosquitto, tmp_path) as hall,
        PrinterEmulator() as printer,
        hall.printer("p-1", printer),
    ):
        await eventually(lambda: hall.board.health("p-1").can_print)
        printer.drop_jobs = 1
        first = await hall.issue("t1")
        found = await settle(db, 1)
        await eventually(lambda: hall.board.health("p-1").can_print)  # back after the next poll
        second = await hall.issue("t2")
        found = await settle(db, 2)
        await asyncio.sleep(SECOND_PRINT_WINDOW)
    (job_id, where, status, reason, rerouted), done = found
    assert (job_id, where, status, rerouted) == (f"{first['serial']}-ticket-1", "p-1", "unknown", None)
    assert "closed the connection" in reason or "Cannot" in reason, f"the kiosk is told why: {reason!r}"
    assert done[2] == "done", done
    assert len(printer.partial) == 1, "the first ticket was cut short once"
    assert printed_number(printer, first["number"]) == 0, "a ticket that may be half on paper is never sent again"
    assert printed_number(printer, second["number"]) == 1 and len(printer.jobs) == 1


async def test_a_printer_out_of_paper_mid_job_says_unknown_and_prints_the_next_once_refilled(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    async with (
        hall_on(db, mosquitto, tmp_path) as hall,
        PrinterEmulator() as printer,
        PrinterEmulator() as spare,
        hall.printer("p-1", printer),
        hall.printer("p-2", spare, poll=SLOW_POLL),
    ):
        await eventually(lambda: hall.board.health("p-1").can_print and hall.board.health("p-2").can_print)
        printer.paper_out_jobs = 1
        first = await hall.issue("t1")
        found = await settle(db, 1)
        await eventually(lambda: hall.board.health("p-1").cannot_print)
        second = await hall.issue("t2")  # meanwhile the kiosk's tickets go to the spare
        found = await settle(db, 2)
        printer.state = PrinterStatus.READY  # paper put in
        await eventually(lambda: hall.board.health("p-1").can_print)
        third = await hall.issue("t3")
        found = await settle(db, 3)
        await asyncio.sleep(SECOND_PRINT_WINDOW)
    cut_short, to_spare, refilled = found
    assert cut_short[1:3] == ("p-1", "unknown") and "paper_out" in cut_short[3], cut_short
    assert cut_short[4] is None, "a ticket cut short is never rerouted: part of it is on paper"
    assert to_spare[1:3] == ("p-2", "done") and refilled[1:3] == ("p-1", "done"), found
    assert len(printer.partial) == 1 and printed_number(printer, first["number"]) == 0
    assert printed_number(spare, second["number"]) == 1 and len(spare.jobs) == 1
    assert printed_number(printer, third["number"]) == 1 and len(printer.jobs) == 1
