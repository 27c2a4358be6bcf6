"""One interface to every printer connection, chosen by a URL.

    tcp://HOST[:9100]                   a network printer's raw socket; status read with DLE EOT
    usb://VID:PID[?out_ep=0x01&in_ep=0x82]  through python-escpos's ``Usb`` (hex ids, e.g. usb://0416:5011;
                                        the bulk endpoints default to python-escpos's 0x01 out, 0x82 in)
    serial:///dev/ttyUSB0[?baudrate=N]  through python-escpos's ``Serial`` (default 9600 baud)
    file:///PATH                        appends each job's bytes to a file (a spool, or /dev/usb/lp0)
    capture://                          keeps the jobs in memory, for tests

The client holds the policy (when to print, retry, give up); a connection only opens, reads the
status, sends bytes and closes. Every failure to reach the printer is a :class:`PrinterUnreachable`
with a message that names the printer and says why, so the client handles one exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from queue_server.protocol.payloads import PrinterStatus
from ticket_printer.client import status
from ticket_printer.client.status import Reading
from ticket_printer.escpos_parser import ParseError, parse, raster_image

DEFAULT_TCP_PORT = 9100
DEFAULT_BAUDRATE = 9600
CONNECT_TIMEOUT = 5.0
"""Seconds to reach a network printer before it counts as offline."""
STATUS_TIMEOUT = 2.0
"""Seconds a printer may take to answer one DLE EOT."""
USB_WRITE_TIMEOUT_MS = 30_000
"""How long one job's bytes may take to reach a USB printer; python-escpos's default 0 waits forever."""


class PrinterUrlError(ValueError):
    """A printer URL that cannot be used."""


class PrinterUnreachable(Exception):
    """The printer cannot be reached now (socket refused or closed, device missing); try again later."""


class Connection(Protocol):
    """A printer, reached one way; opened for each job or status poll and closed after."""

    description: str

    async def open(self) -> None: ...

    async def read_status(self) -> Reading:
        """The printer's state now; READY when the connection cannot tell."""
        ...

    async def send(self, data: bytes) -> None: ...

    async def close(self) -> None: ...


class TcpConnection:
    """A network printer's raw port (JetDirect, 9100): bytes in, DLE EOT answers out."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.description = f"tcp://{host}:{port}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError) as error:
            raise PrinterUnreachable(f"Cannot reach the printer at {self.description}: {_why(error)}") from None

    async def read_status(self) -> Reading:
        reader, writer = self._streams()
        answers: dict[int, int] = {}
        try:
            for n in status.QUERIES:
                writer.write(status.query(n))
                await writer.drain()
                async with asyncio.timeout(STATUS_TIMEOUT):
                    answer = await reader.read(1)
                if not answer:
                    raise PrinterUnreachable(f"The printer at {self.description} closed the connection")
                answers[n] = answer[0]
        except TimeoutError:
            raise PrinterUnreachable(
                f"The printer at {self.description} did not answer DLE EOT in {STATUS_TIMEOUT:g} s"
            ) from None
        except OSError as error:
            raise PrinterUnreachable(f"Cannot read the status of {self.description}: {_why(error)}") from None
        return status.decode(answers)

    async def send(self, data: bytes) -> None:
        _, writer = self._streams()
        try:
            writer.write(data)
            await writer.drain()
        except OSError as error:
            raise PrinterUnreachable(f"Cannot send to the printer at {self.description}: {_why(error)}") from None

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):  # the printer went away first; nothing left to close
                await writer.wait_closed()

    def _streams(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            raise PrinterUnreachable(f"Cannot use {self.description}: it is not open")
        return self._reader, self._writer


class FileConnection:
    """Appends each job to a file and syncs it; a file has no status, so it is always ready."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"file://{path}"

    async def open(self) -> None:
        if not self.path.parent.is_dir():
            raise PrinterUnreachable(f"Cannot print to {self.description}: {self.path.parent} is not a directory")

    async def read_status(self) -> Reading:
        return status.READY

    async def send(self, data: bytes) -> None:
        try:
            await asyncio.to_thread(self._append, data)
        except OSError as error:
            raise PrinterUnreachable(f"Cannot write to {self.description}: {_why(error)}") from None

    def _append(self, data: bytes) -> None:
        with self.path.open("ab") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())

    async def close(self) -> None:
        return None


@dataclass
class CaptureConnection:
    """Keeps each job's bytes in ``jobs``; ``state`` is what it reports, ``reachable`` whether it opens."""

    jobs: list[bytes] = field(default_factory=list)
    state: PrinterStatus = PrinterStatus.READY
    reachable: bool = True
    description: str = "capture://"

    async def open(self) -> None:
        if not self.reachable:
            raise PrinterUnreachable("Cannot reach the capture printer: it is set unreachable")

    async def read_status(self) -> Reading:
        return status.READY if self.state is PrinterStatus.READY else Reading(self.state, self.state.value)

    async def send(self, data: bytes) -> None:
        self.jobs.append(data)

    async def close(self) -> None:
        return None


class EscposConnection:
    """A USB or serial printer through python-escpos: bytes out with ``_raw``, DLE EOT answers in.

    python-escpos 3 opens a device lazily, at its first byte; ``open`` opens it at once, so that a
    printer that is not connected is unreachable (the job waits) rather than a failed send (the
    job's fate unknown). A printer that answers no DLE EOT (a serial cable without its return
    line) cannot tell its state: it counts as ready, as a file does.
    """

    def __init__(self, description: str, class_name: str, **options: Any) -> None:
        self.description = description
        self._class_name = class_name
        self._options = options
        self._printer: Any = None

    async def open(self) -> None:
        try:
            module = importlib.import_module("escpos.printer")
        except ImportError:
            raise PrinterUrlError(
                f"Cannot use {self.description}: USB and serial printers need python-escpos"
                " (pip install 'python-escpos>=3.1')"
            ) from None
        try:
            self._printer = await asyncio.to_thread(self._open, getattr(module, self._class_name))
        except PrinterUnreachable:
            raise
        except Exception as error:  # python-escpos raises its own tree and the USB/serial libraries' errors
            raise PrinterUnreachable(f"Cannot open the printer at {self.description}: {_why(error)}") from None

    def _open(self, printer_class: Any) -> Any:
        printer = printer_class(**self._options)
        printer.open()  # raises DeviceNotFoundError for a device that is not there
        if not printer.device:  # python-escpos checks with assert, which ``python -O`` leaves out
            raise PrinterUnreachable(f"Cannot open the printer at {self.description}: it is not connected")
        return printer

    async def read_status(self) -> Reading:
        printer = self._opened()
        try:
            return await asyncio.to_thread(self._ask, printer)
        except PrinterUnreachable:
            raise
        except Exception as error:  # as in open(): a foreign exception tree, translated here only
            raise PrinterUnreachable(f"Cannot read the status of {self.description}: {_why(error)}") from None

    def _ask(self, printer: Any) -> Reading:
        """``DLE EOT 1..4``, one answer byte each; no answer to the first: the printer cannot tell."""
        if self._class_name == "Serial":
            printer.device.reset_input_buffer()  # a late answer to an earlier query is no answer to this one
        answers: dict[int, int] = {}
        for n in status.QUERIES:
            printer._raw(status.query(n))
            answer = self._answer(printer)
            if not answer:
                if not answers:
                    return status.READY
                raise PrinterUnreachable(f"The printer at {self.description} stopped answering DLE EOT")
            answers[n] = answer[-1]
        return status.decode(answers)

    def _answer(self, printer: Any) -> bytes:
        if self._class_name == "Serial":
            return bytes(printer.device.read(1))  # python-escpos's _read waits for 16 bytes or its timeout
        try:
            return bytes(printer._read())
        except Exception as error:
            if type(error).__name__ == "USBTimeoutError":  # pyusb's: nothing came back in time
                return b""
            raise

    async def send(self, data: bytes) -> None:
        printer = self._opened()
        try:
            await asyncio.to_thread(printer._raw, data)
        except Exception as error:  # as in open(): a foreign exception tree, translated here only
            raise PrinterUnreachable(f"Cannot send to the printer at {self.description}: {_why(error)}") from None

    async def close(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            with contextlib.suppress(Exception):  # closing a device that already went away
                await asyncio.to_thread(printer.close)

    def _opened(self) -> Any:
        if self._printer is None:
            raise PrinterUnreachable(f"Cannot use {self.description}: it is not open")
        return self._printer


class FolderConnection:
    """Writes each job to a folder as ``NNNN.escpos``, and as ``NNNN.png`` when it is a raster.

    For the demo and for halls trying OneWindow without a printer: every ticket can be opened
    and looked at. A folder has no status, so it is always ready.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"folder://{path}"

    async def open(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise PrinterUnreachable(f"Cannot print to {self.description}: {_why(error)}") from None

    async def read_status(self) -> Reading:
        return status.READY

    async def send(self, data: bytes) -> None:
        try:
            await asyncio.to_thread(self._write, data)
        except OSError as error:
            raise PrinterUnreachable(f"Cannot write to {self.description}: {_why(error)}") from None

    def _write(self, data: bytes) -> None:
        number = 1 + max((int(p.stem) for p in self.path.glob("*.escpos") if p.stem.isdigit()), default=0)
        stem = self.path / f"{number:04d}"
        with stem.with_suffix(".escpos").open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        try:
            image = raster_image(parse(data))
        except ParseError:
            image = None
        if image is not None:
            image.save(stem.with_suffix(".png"))

    async def close(self) -> None:
        return None


def connect(url: str) -> Connection:
    """The connection a printer URL names; raises PrinterUrlError for one that cannot be used."""
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "tcp":
        if not parts.hostname:
            raise PrinterUrlError(f"Cannot use {url!r} as a printer: give tcp://HOST[:PORT]")
        try:
            port = parts.port or DEFAULT_TCP_PORT
        except ValueError:
            raise PrinterUrlError(
                f"Cannot use {url!r} as a printer: its port is not a number from 1 to 65535"
            ) from None
        return TcpConnection(parts.hostname, port)
    if parts.scheme == "file":
        if not parts.path:
            raise PrinterUrlError(f"Cannot use {url!r} as a printer: give file:///PATH")
        return FileConnection(Path(unquote(parts.path)))
    if parts.scheme == "folder":
        if not parts.path:
            raise PrinterUrlError(f"Cannot use {url!r} as a printer: give folder:///PATH")
        return FolderConnection(Path(unquote(parts.path)))
    if parts.scheme == "capture":
        return CaptureConnection()
    if parts.scheme == "usb":
        ids = parts.netloc.split(":")
        try:
            vendor, product = (int(part, 16) for part in ids)
        except ValueError:
            raise PrinterUrlError(
                f"Cannot use {url!r} as a printer: give usb://VID:PID in hex, e.g. usb://0416:5011"
            ) from None
        try:
            endpoints = {key: int(query[key], 16) for key in ("in_ep", "out_ep") if key in query}
        except ValueError:
            raise PrinterUrlError(f"Cannot use {url!r} as a printer: in_ep and out_ep are hex, e.g. 0x03") from None
        return EscposConnection(
            url, "Usb", idVendor=vendor, idProduct=product, timeout=USB_WRITE_TIMEOUT_MS, **endpoints
        )
    if parts.scheme == "serial":
        if not parts.path:
            raise PrinterUrlError(f"Cannot use {url!r} as a printer: give serial:///dev/ttyUSB0[?baudrate=9600]")
        try:
            baudrate = int(query.get("baudrate", DEFAULT_BAUDRATE))
        except ValueError:
            raise PrinterUrlError(f"Cannot use {url!r} as a printer: baudrate is a number") from None
        return EscposConnection(url, "Serial", devfile=unquote(parts.path), baudrate=baudrate)
    raise PrinterUrlError(
        f"Cannot use {url!r} as a printer: give tcp://HOST:9100, usb://VID:PID, serial:///DEVICE,"
        " file:///PATH or capture://"
    )


def _why(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer in time"
    return " ".join(str(error).split()) or type(error).__name__  # python-escpos's messages span lines
