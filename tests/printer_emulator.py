"""A network ESC/POS printer on a loopback TCP port, for the printer client's tests.

It reads the stream as a printer does: outside a job, ``DLE EOT n`` is a status query answered at
once from :attr:`state` (through ticket_printer.client.status.encode, the inverse of what the client
decodes); a job runs from its first byte to its cut and is parsed by ticket_printer.escpos_parser.
It can be stopped and started again on the same port, as a printer switched off and on.
:class:`EmulatedPrinter` is the printer without the socket, for the serial and USB tests.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from queue_server.protocol.payloads import PrinterStatus
from ticket_printer.client import status
from ticket_printer.escpos_parser import Cut, Event, QrCode, parse, text_lines


class EmulatedPrinter:
    """What an ESC/POS printer does with the bytes it is sent, whatever the cable (TCP, serial, USB)."""

    def __init__(self, state: PrinterStatus = PrinterStatus.READY) -> None:
        self.state = state
        self.jobs: list[list[Event]] = []
        self.queries = 0

    def texts(self, index: int) -> str:
        """The printed text of job ``index``, lines joined."""
        return "\n".join(text_lines(self.jobs[index]))

    def qr_data(self, index: int) -> list[str]:
        return [event.data for event in self.jobs[index] if isinstance(event, QrCode)]

    def stream(self) -> PrinterStream:
        """A reader for one connection's bytes."""
        return PrinterStream(self)


class PrinterStream:
    """One connection's bytes: outside a job ``DLE EOT n`` is answered at once; a job runs to its cut."""

    def __init__(self, printer: EmulatedPrinter) -> None:
        self.printer = printer
        self._buffer = bytearray()
        self._in_job = False

    def feed(self, data: bytes) -> bytes:
        """Take bytes from the host; returns the answers to send back."""
        answers = bytearray()
        buffer = self._buffer
        buffer += data
        while buffer:
            if not self._in_job and buffer[:2] == bytes([status.DLE, status.EOT]):
                if len(buffer) < 3:
                    break
                self.printer.queries += 1
                answers.append(status.encode(self.printer.state)[buffer[2]])
                del buffer[:3]
                continue
            self._in_job = True
            try:
                events = parse(bytes(buffer))
            except ValueError:
                break  # the job is not all here yet
            if not events or not isinstance(events[-1], Cut):
                break
            self.printer.jobs.append(events)
            buffer.clear()
            self._in_job = False
        return bytes(answers)


class PrinterEmulator(EmulatedPrinter):
    def __init__(self, state: PrinterStatus = PrinterStatus.READY) -> None:
        super().__init__(state)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the port and every open connection: the printer switched off."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in list(self._writers):
            writer.close()
        await server.wait_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        stream = self.stream()
        try:
            while data := await reader.read(65536):
                writer.write(stream.feed(data))
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # the client went away
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
