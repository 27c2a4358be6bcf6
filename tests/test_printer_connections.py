"""USB and serial printers through python-escpos, checked at the byte level.

Serial: a real pseudo-terminal. python-escpos opens its slave end as the printer's port (pyserial
sets it raw); the test's printer reads the master end, answers ``DLE EOT`` and parses each job with
the repo's ESC/POS parser (tests.printer_emulator).

USB: no device can exist here, so pyusb is faked at its own surface: ``usb.core.find`` finds a fake
device by the ids python-escpos asks for, and the device takes bulk-OUT ``write(endpoint, data,
timeout)`` and answers bulk-IN ``read(endpoint, size)`` as a printer would.
"""

from __future__ import annotations

import array
import asyncio
import os
import select
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import usb.core  # type: ignore[import-untyped]
import usb.util  # type: ignore[import-untyped]

from queue_server.protocol.broker import Broker
from queue_server.protocol.payloads import PrinterStatus, PrintJob
from tests.brokers import Mosquitto
from tests.printer_emulator import EmulatedPrinter
from tests.test_ticket_printer_client import PlayServer, eventually, make_client, make_job
from ticket_printer.client import PrinterUnreachable, connect
from ticket_printer.client.connections import USB_WRITE_TIMEOUT_MS
from ticket_printer.client.slips import slip_for
from ticket_printer.client.status import READY
from ticket_printer.layout import PAPER_80, Mode, PrinterProfile
from ticket_printer.render import render

PROFILE = PrinterProfile(paper=PAPER_80, mode=Mode.TEXT)


def ticket_bytes(job: PrintJob) -> bytes:
    return render(slip_for(job), PROFILE)


# --- Serial, on a pseudo-terminal ----------------------------------------------------------------


class PtyPrinter:
    """An ESC/POS printer on the master end of a pseudo-terminal; ``path`` is the port to open.

    ``mute`` makes it a printer whose return line is not wired: it prints, and never answers.
    """

    def __init__(self, printer: EmulatedPrinter, *, mute: bool = False) -> None:
        self.printer = printer
        self.mute = mute
        self.received = bytearray()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"pty printer {self.path}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        stream = self.printer.stream()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self._master, 65536)
            except OSError:
                continue  # no process has the port open just now
            self.received += data
            answers = stream.feed(data)
            if answers and not self.mute:
                os.write(self._master, answers)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self._master)
        os.close(self._slave)


@pytest.fixture
def pty_printer() -> Iterator[PtyPrinter]:
    printer = PtyPrinter(EmulatedPrinter())
    yield printer
    printer.close()


async def test_a_ticket_sent_to_a_serial_printer_arrives_as_its_escpos_bytes(pty_printer: PtyPrinter) -> None:
    job = make_job("job-1", "C105")
    connection = connect(f"serial://{pty_printer.path}?baudrate=9600")
    await connection.open()
    try:
        assert await connection.read_status() == READY
        await connection.send(ticket_bytes(job))
    finally:
        await connection.close()
    await eventually(lambda: len(pty_printer.printer.jobs) == 1)
    assert "C105" in pty_printer.printer.texts(0)
    assert pty_printer.printer.qr_data(0) == ["https://onewindow.example/t/job-1"]
    assert pty_printer.printer.queries == 4, "DLE EOT 1 to 4"
    queries = b"".join(bytes([0x10, 0x04, n]) for n in (1, 2, 3, 4))
    assert bytes(pty_printer.received) == queries + ticket_bytes(job), "byte for byte what was rendered"


@pytest.mark.parametrize("state", [PrinterStatus.PAPER_OUT, PrinterStatus.COVER_OPEN, PrinterStatus.PAPER_LOW])
async def test_a_serial_printer_says_its_state(pty_printer: PtyPrinter, state: PrinterStatus) -> None:
    pty_printer.printer.state = state
    connection = connect(f"serial://{pty_printer.path}")
    await connection.open()
    try:
        assert (await connection.read_status()).state is state
    finally:
        await connection.close()


async def test_a_serial_printer_that_never_answers_counts_as_ready_and_still_prints() -> None:
    printer = PtyPrinter(EmulatedPrinter(PrinterStatus.PAPER_OUT), mute=True)
    try:
        connection = connect(f"serial://{printer.path}?baudrate=19200")
        await connection.open()
        started = time.monotonic()
        try:
            reading = await connection.read_status()
            asked = time.monotonic() - started
            await connection.send(ticket_bytes(make_job("job-1", "A777")))
        finally:
            await connection.close()
        await eventually(lambda: len(printer.printer.jobs) == 1)
    finally:
        printer.close()
    assert reading.state is PrinterStatus.READY, "it cannot tell"
    assert asked < 1.9, "one query waited for, not four"
    assert "A777" in printer.printer.texts(0)


async def test_a_missing_serial_port_is_unreachable_when_opened(tmp_path: Path) -> None:
    connection = connect(f"serial://{tmp_path}/ttyUSB9")
    with pytest.raises(PrinterUnreachable, match=rf"Cannot open the printer at serial://{tmp_path}/ttyUSB9: .*ttyUSB9"):
        await connection.open()


async def test_the_printer_client_prints_a_job_once_on_a_serial_printer(
    mosquitto: Mosquitto, pty_printer: PtyPrinter, tmp_path: Path
) -> None:
    broker = Broker.from_url(mosquitto.url)
    async with (
        PlayServer(broker) as server,
        make_client(broker, f"serial://{pty_printer.path}?baudrate=9600", tmp_path / "spool"),
    ):
        await server.publish(make_job("job-1", "B042"))
        await eventually(lambda: bool(server.final("job-1")))
        await server.publish(make_job("job-1", "B042"))  # the relay delivers at least once
        await asyncio.sleep(0.5)
    assert server.final("job-1") == [("done", "")]
    assert len(pty_printer.printer.jobs) == 1 and "B042" in pty_printer.printer.texts(0)


async def test_a_serial_printer_out_of_paper_fails_the_job_with_the_reason(
    mosquitto: Mosquitto, pty_printer: PtyPrinter, tmp_path: Path
) -> None:
    pty_printer.printer.state = PrinterStatus.PAPER_OUT
    broker = Broker.from_url(mosquitto.url)
    async with (
        PlayServer(broker) as server,
        make_client(broker, f"serial://{pty_printer.path}", tmp_path / "spool"),
    ):
        await server.publish(make_job("job-1"))
        await eventually(lambda: bool(server.final("job-1")))
        await eventually(lambda: bool(server.states) and server.states[-1].state is PrinterStatus.PAPER_OUT)
    assert server.final("job-1") == [("failed", "paper out")]
    assert pty_printer.printer.jobs == []


# --- USB, with pyusb faked at its surface ---------------------------------------------------------


class _Backend:
    """Not libusb1: python-escpos then leaves the kernel driver alone."""


class FakeUsbDevice:
    """What python-escpos uses of a pyusb device: configuration, reset, bulk write and read."""

    def __init__(self, printer: EmulatedPrinter, vendor: int, product: int, out_ep: int, in_ep: int) -> None:
        self.printer = printer
        self.idVendor, self.idProduct = vendor, product
        self.out_ep, self.in_ep = out_ep, in_ep
        self.backend = _Backend()
        self.writes: list[tuple[int, bytes, int | None]] = []
        self.configured = False
        self.unplugged = False
        self._stream = printer.stream()
        self._answers = bytearray()

    def set_configuration(self) -> None:
        self.configured = True

    def reset(self) -> None:
        self._answers.clear()

    def write(self, endpoint: int, data: bytes, timeout: int | None = None) -> int:
        if self.unplugged:
            raise usb.core.USBError("No such device (it may have been disconnected)", errno=19)
        if endpoint != self.out_ep:
            raise usb.core.USBError("Pipe error", errno=32)
        self.writes.append((endpoint, bytes(data), timeout))
        self._answers += self._stream.feed(bytes(data))
        return len(data)

    def read(self, endpoint: int, size: int, timeout: int | None = None) -> array.array[int]:
        if endpoint != self.in_ep:
            raise usb.core.USBError("Pipe error", errno=32)
        if not self._answers:
            raise usb.core.USBTimeoutError("Operation timed out", errno=110)
        answer, self._answers[:size] = self._answers[:size], b""
        return array.array("B", answer)

    @property
    def sent(self) -> bytes:
        return b"".join(data for _, data, _ in self.writes)


class FakeUsb:
    """The USB bus: the devices ``usb.core.find`` can find, and the ones released after use."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.devices: list[FakeUsbDevice] = []
        self.finds: list[dict[str, Any]] = []
        self.released: list[FakeUsbDevice] = []
        monkeypatch.setattr(usb.core, "find", self.find)
        monkeypatch.setattr(usb.util, "dispose_resources", self.released.append)

    def plug(
        self,
        printer: EmulatedPrinter,
        vendor: int = 0x0416,
        product: int = 0x5011,
        out_ep: int = 0x01,
        in_ep: int = 0x82,
    ) -> FakeUsbDevice:
        device = FakeUsbDevice(printer, vendor, product, out_ep, in_ep)
        self.devices.append(device)
        return device

    def find(self, **match: Any) -> FakeUsbDevice | None:
        self.finds.append(match)
        return next(
            (d for d in self.devices if all(getattr(d, key) == value for key, value in match.items())),
            None,
        )


@pytest.fixture
def fake_usb(monkeypatch: pytest.MonkeyPatch) -> FakeUsb:
    return FakeUsb(monkeypatch)


async def test_a_ticket_sent_to_a_usb_printer_is_written_to_its_bulk_out_endpoint(fake_usb: FakeUsb) -> None:
    device = fake_usb.plug(EmulatedPrinter())
    job = make_job("job-1", "D009")
    connection = connect("usb://0416:5011")
    await connection.open()
    try:
        assert (await connection.read_status()).state is PrinterStatus.READY
        await connection.send(ticket_bytes(job))
    finally:
        await connection.close()
    assert fake_usb.finds == [{"idVendor": 0x0416, "idProduct": 0x5011}]
    assert device.configured and fake_usb.released == [device]
    assert {endpoint for endpoint, _, _ in device.writes} == {0x01}
    assert {timeout for _, _, timeout in device.writes} == {USB_WRITE_TIMEOUT_MS}, "never a write without end"
    queries = b"".join(bytes([0x10, 0x04, n]) for n in (1, 2, 3, 4))
    assert device.sent == queries + ticket_bytes(job)
    assert len(device.printer.jobs) == 1 and "D009" in device.printer.texts(0)
    assert device.printer.qr_data(0) == ["https://onewindow.example/t/job-1"]


async def test_a_usb_printer_with_other_endpoints_names_them_in_its_url(fake_usb: FakeUsb) -> None:
    device = fake_usb.plug(
        EmulatedPrinter(PrinterStatus.PAPER_OUT), vendor=0x0FE6, product=0x811E, out_ep=0x03, in_ep=0x81
    )
    connection = connect("usb://0fe6:811e?out_ep=0x03&in_ep=0x81")
    await connection.open()
    try:
        reading = await connection.read_status()
    finally:
        await connection.close()
    assert reading.state is PrinterStatus.PAPER_OUT
    assert {endpoint for endpoint, _, _ in device.writes} == {0x03}


async def test_a_usb_printer_that_is_not_plugged_in_is_unreachable_with_a_clear_message(fake_usb: FakeUsb) -> None:
    fake_usb.plug(EmulatedPrinter(), product=0x5012)  # another printer
    connection = connect("usb://0416:5011")
    with pytest.raises(PrinterUnreachable) as caught:
        await connection.open()
    message = str(caught.value)
    assert message.startswith("Cannot open the printer at usb://0416:5011: ")
    assert "not found" in message and "\n" not in message
    with pytest.raises(PrinterUnreachable, match="it is not open"):
        await connection.send(b"\x1b@")


async def test_a_usb_printer_pulled_out_while_printing_is_unreachable(fake_usb: FakeUsb) -> None:
    device = fake_usb.plug(EmulatedPrinter())
    connection = connect("usb://0416:5011")
    await connection.open()
    device.unplugged = True
    try:
        with pytest.raises(
            PrinterUnreachable, match=r"Cannot send to the printer at usb://0416:5011: .*No such device"
        ):
            await connection.send(ticket_bytes(make_job("job-1")))
    finally:
        await connection.close()


async def test_the_printer_client_prints_a_job_once_on_a_usb_printer(
    mosquitto: Mosquitto, fake_usb: FakeUsb, tmp_path: Path
) -> None:
    device = fake_usb.plug(EmulatedPrinter())
    broker = Broker.from_url(mosquitto.url)
    async with PlayServer(broker) as server, make_client(broker, "usb://0416:5011", tmp_path / "spool"):
        await server.publish(make_job("job-1", "E321"))
        await eventually(lambda: bool(server.final("job-1")))
        await server.publish(make_job("job-1", "E321"))
        await asyncio.sleep(0.5)
    assert server.final("job-1") == [("done", "")]
    assert len(device.printer.jobs) == 1 and "E321" in device.printer.texts(0)
