"""The printer client against a real Mosquitto and a printer emulator on a loopback socket.

The test plays the server: it publishes jobs on ``printer/<id>/job`` and answers each ``result``
request with ok, as the server does. One test runs the client as a subprocess to SIGKILL it
between sending a job's bytes and recording it done.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest

from queue_server import cli
from queue_server.protocol.broker import Broker
from queue_server.protocol.payloads import (
    DeviceResponse,
    PrinterState,
    PrinterStatus,
    PrintJob,
    PrintKind,
    PrintResult,
    TicketPrint,
)
from queue_server.protocol.topics import DEVICE_REQUEST, DEVICE_RESPONSE, PRINTER_JOB, PRINTER_STATE
from tests.brokers import Mosquitto
from tests.printer_emulator import PrinterEmulator
from ticket_printer.client import (
    CaptureConnection,
    JobState,
    PrinterClient,
    PrinterUrlError,
    Spool,
    TcpConnection,
    connect,
)
from ticket_printer.client import status as printer_status
from ticket_printer.client.command import TEST_PAUSE_VARIABLE
from ticket_printer.layout import PAPER_80, Mode, PrinterProfile

CENTRE = "test"
PRINTER = "printer-1"
ROOT = Path(__file__).resolve().parent.parent
WAIT = 10.0


def make_job(job_id: str, number: str = "A012") -> PrintJob:
    return PrintJob(
        seq=1,
        job_id=job_id,
        kind=PrintKind.TICKET,
        ticket=TicketPrint(
            centre_name="示范镇便民服务中心",
            number=number,
            matter_name="居住证申领",
            people_ahead=3,
            issued_at="2026-11-29 09:05",
            status_url=f"https://onewindow.example/t/{job_id}",
        ),
    )


class PlayServer:
    """Answers the printer's result requests with ok and records them, and what state it published."""

    def __init__(self, broker: Broker) -> None:
        self.client = broker.client("test-server")
        self.results: list[PrintResult] = []
        self.states: list[PrinterState] = []
        self._listener: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        await self.client.__aenter__()
        await self.client.subscribe(DEVICE_REQUEST.build(CENTRE, kind="printer", device=PRINTER, what="result"), qos=1)
        await self.client.subscribe(PRINTER_STATE.build(CENTRE, device=PRINTER), qos=1)
        self._listener = asyncio.create_task(self._listen())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await self.client.__aexit__(exc_type, exc, tb)

    async def _listen(self) -> None:
        async for message in self.client.messages:
            assert isinstance(message.payload, bytes)
            if message.topic.matches(PRINTER_STATE.build(CENTRE, device=PRINTER)):
                self.states.append(PrinterState.model_validate_json(message.payload))
                continue
            result = PrintResult.model_validate_json(message.payload)
            self.results.append(result)
            answer = DeviceResponse(request_id=result.request_id, ok=True)
            topic = DEVICE_RESPONSE.build(CENTRE, kind="printer", device=PRINTER, what="result")
            await self.client.publish(topic, answer.model_dump_json(), qos=1)

    async def publish(self, job: PrintJob) -> None:
        await self.client.publish(PRINTER_JOB.build(CENTRE, device=PRINTER), job.model_dump_json(), qos=1)

    def final(self, job_id: str) -> list[tuple[str, str]]:
        """The distinct (status, reason) reported for a job."""
        return sorted({(r.status, r.reason) for r in self.results if r.job_id == job_id})


async def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


def make_client(broker: Broker, printer_url: str, spool: Path) -> PrinterClient:
    return PrinterClient(
        CENTRE,
        PRINTER,
        broker,
        printer=connect(printer_url),
        spool=spool,
        profile=PrinterProfile(paper=PAPER_80, mode=Mode.TEXT),
        poll_interval=0.3,
        retry_delays=(0.1, 0.3),
        retry_interval=0.3,
    )


@pytest.fixture
async def emulator() -> AsyncIterator[PrinterEmulator]:
    async with PrinterEmulator() as printer:
        yield printer


@pytest.fixture
async def server(mosquitto: Mosquitto) -> AsyncIterator[PlayServer]:
    async with PlayServer(Broker.from_url(mosquitto.url)) as play:
        yield play


# --- Over the bus, with the emulator -------------------------------------------------------------


async def test_a_job_is_printed_and_answered_done(
    mosquitto: Mosquitto, server: PlayServer, emulator: PrinterEmulator, tmp_path: Path
) -> None:
    async with make_client(Broker.from_url(mosquitto.url), emulator.url, tmp_path / "spool"):
        await server.publish(make_job("job-1", "B007"))
        await eventually(lambda: bool(server.final("job-1")))
    assert server.final("job-1") == [("done", "")]
    assert len(emulator.jobs) == 1
    assert "B007" in emulator.texts(0)
    assert emulator.qr_data(0) == ["https://onewindow.example/t/job-1"]
    assert server.states[-1].state is PrinterStatus.READY


async def test_a_duplicate_job_is_printed_once(
    mosquitto: Mosquitto, server: PlayServer, emulator: PrinterEmulator, tmp_path: Path
) -> None:
    async with make_client(Broker.from_url(mosquitto.url), emulator.url, tmp_path / "spool"):
        await server.publish(make_job("job-1"))
        await eventually(lambda: bool(server.final("job-1")))
        await server.publish(make_job("job-1"))
        await server.publish(make_job("job-2", "A013"))
        await eventually(lambda: bool(server.final("job-2")))
        await asyncio.sleep(0.5)
    assert [("A012" in emulator.texts(0)), ("A013" in emulator.texts(1))] == [True, True]
    assert len(emulator.jobs) == 2


async def test_a_job_waits_while_the_printer_is_off_and_prints_once_it_is_back(
    mosquitto: Mosquitto, server: PlayServer, emulator: PrinterEmulator, tmp_path: Path
) -> None:
    await emulator.stop()
    async with make_client(Broker.from_url(mosquitto.url), emulator.url, tmp_path / "spool") as client:
        await eventually(lambda: any(s.state is PrinterStatus.OFFLINE for s in server.states))
        await server.publish(make_job("job-1"))
        await eventually(lambda: client.spool.pending == 1)
        await asyncio.sleep(0.5)
        assert emulator.jobs == [] and server.results == []
        await emulator.start()
        await eventually(lambda: bool(server.final("job-1")))
        await eventually(lambda: server.states[-1].state is PrinterStatus.READY)
    assert server.final("job-1") == [("done", "")]
    assert len(emulator.jobs) == 1


async def test_a_job_published_while_the_client_is_down_is_printed_once_after_its_restart(
    mosquitto: Mosquitto, server: PlayServer, emulator: PrinterEmulator, tmp_path: Path
) -> None:
    broker = Broker.from_url(mosquitto.url)
    async with make_client(broker, emulator.url, tmp_path / "spool"):
        pass  # its persistent session now holds the job subscription
    await server.publish(make_job("job-1"))
    await asyncio.sleep(0.3)
    assert emulator.jobs == []
    async with make_client(broker, emulator.url, tmp_path / "spool"):
        await eventually(lambda: bool(server.final("job-1")))
        await asyncio.sleep(0.5)
    async with make_client(broker, emulator.url, tmp_path / "spool"):
        await asyncio.sleep(0.5)
    assert server.final("job-1") == [("done", "")]
    assert len(emulator.jobs) == 1


async def test_out_of_paper_fails_the_job_and_says_paper_out_retained(
    mosquitto: Mosquitto, server: PlayServer, emulator: PrinterEmulator, tmp_path: Path
) -> None:
    emulator.state = PrinterStatus.PAPER_OUT
    broker = Broker.from_url(mosquitto.url)
    async with make_client(broker, emulator.url, tmp_path / "spool"):
        await server.publish(make_job("job-1"))
        await eventually(lambda: bool(server.final("job-1")))
        async with broker.client("late-reader") as reader:
            await reader.subscribe(PRINTER_STATE.build(CENTRE, device=PRINTER), qos=1)
            async with asyncio.timeout(WAIT):
                message = await anext(aiter(reader.messages))
    assert server.final("job-1") == [("failed", "paper out")]
    assert emulator.jobs == []
    assert message.retain
    assert isinstance(message.payload, bytes)
    assert PrinterState.model_validate_json(message.payload).state is PrinterStatus.PAPER_OUT


async def test_a_client_killed_after_sending_reports_unknown_and_prints_nothing_more(
    mosquitto: Mosquitto, server: PlayServer, emulator: PrinterEmulator, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    argv = [sys.executable, "-m", "queue_server", "printer", "run", "--id", PRINTER, "--centre-code", CENTRE]
    argv += ["--printer", emulator.url, "--mqtt-url", mosquitto.url, "--spool", str(spool), "--mode", "text"]
    env = {**os.environ, TEST_PAUSE_VARIABLE: "60", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        await eventually(lambda: any(s.state is PrinterStatus.READY for s in server.states))
        await server.publish(make_job("job-1"))
        await eventually(lambda: len(emulator.jobs) == 1)
        assert Spool(spool).get("job-1") is not None
        assert Spool(spool).jobs(JobState.SENDING)[0].job_id == "job-1"
    finally:
        process.send_signal(signal.SIGKILL)
        output = process.communicate(timeout=WAIT)[0]
    assert server.results == [], output.decode(errors="replace")
    async with make_client(Broker.from_url(mosquitto.url), emulator.url, spool):
        await eventually(lambda: bool(server.final("job-1")))
        await server.publish(make_job("job-1"))  # the relay delivers again: still not printed
        await asyncio.sleep(0.8)
    assert server.final("job-1") == [("unknown", "the client stopped while sending it")]
    assert len(emulator.jobs) == 1
    assert Spool(spool).get("job-1") is not None


# --- Without the bus -----------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(PrinterStatus))
def test_status_bytes_decode_to_the_state_they_encode(state: PrinterStatus) -> None:
    assert printer_status.decode(printer_status.encode(state)).state is state


def test_a_byte_that_is_no_status_reads_as_offline() -> None:
    reading = printer_status.decode({1: 0xFF})
    assert reading.state is PrinterStatus.OFFLINE
    assert "not a status" in reading.detail


def test_the_spool_marks_a_job_caught_sending_unknown(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.take("a", {"x": 1}, time.time())
    spool.take("b", {"x": 2}, time.time())
    spool.mark("a", JobState.SENDING)
    reopened = Spool(tmp_path)
    assert [job.job_id for job in reopened.recover()] == ["a"]
    assert Spool(tmp_path).get("a") is not None
    assert [(job.job_id, job.state) for job in Spool(tmp_path).jobs()] == [
        ("a", JobState.UNKNOWN),
        ("b", JobState.TAKEN),
    ]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("tcp://printer.local", TcpConnection),
        ("capture://", CaptureConnection),
    ],
)
def test_printer_urls_choose_their_connection(url: str, kind: type[object]) -> None:
    assert isinstance(connect(url), kind)


@pytest.mark.parametrize("url", ["lpt://x", "tcp://", "usb://zz", "serial:///dev/ttyS0?baudrate=fast", "file://"])
def test_a_printer_url_that_cannot_be_used_says_why(url: str) -> None:
    with pytest.raises(PrinterUrlError, match="Cannot use"):
        connect(url)


async def test_a_usb_printer_without_python_escpos_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # A module set to None in sys.modules cannot be imported: a machine without the printer extra.
    monkeypatch.setitem(sys.modules, "escpos", None)
    monkeypatch.setitem(sys.modules, "escpos.printer", None)
    with pytest.raises(PrinterUrlError, match="python-escpos"):
        await connect("usb://0416:5011").open()


async def test_a_file_printer_appends_each_job(tmp_path: Path) -> None:
    target = tmp_path / "out.prn"
    printer = connect(f"file://{target}")
    for data in (b"one", b"two"):
        await printer.open()
        await printer.send(data)
        await printer.close()
    assert target.read_bytes() == b"onetwo"


def test_preview_writes_a_png_of_the_ticket(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "t.png"
    assert cli.main(["printer", "preview", "--output", str(output), "--number", "C301", "--profile", "58"]) == 0
    assert output.read_bytes().startswith(b"\x89PNG")
    assert str(output) in capsys.readouterr().out


def test_run_with_a_bad_printer_url_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["printer", "run", "--printer", "lpt://1", "--spool", str(tmp_path), "--mqtt-url", "mqtt://127.0.0.1:1"]
    assert cli.main(argv) == 1
    assert "Cannot use 'lpt://1' as a printer" in capsys.readouterr().err


async def test_a_folder_printer_keeps_each_job_as_escpos_and_as_a_picture(tmp_path: Path) -> None:
    from ticket_printer.client.connections import FolderConnection
    from ticket_printer.demo import DEMO_TICKET
    from ticket_printer.escpos_parser import parse, raster_image
    from ticket_printer.layout import PAPER_80, Mode, PrinterProfile
    from ticket_printer.render import render

    folder = connect(f"folder://{tmp_path / 'printed'}")
    assert isinstance(folder, FolderConnection)
    await folder.open()
    for _ in range(2):
        await folder.send(render(DEMO_TICKET, PrinterProfile(paper=PAPER_80, mode=Mode.RASTER)))
    await folder.close()
    files = sorted(p.name for p in (tmp_path / "printed").iterdir())
    assert files == ["0001.escpos", "0001.png", "0002.escpos", "0002.png"]
    image = raster_image(parse((tmp_path / "printed" / "0002.escpos").read_bytes()))
    assert image is not None and image.width == 576
