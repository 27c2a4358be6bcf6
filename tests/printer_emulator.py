"""A network ESC/POS printer on a loopback TCP port, for the printer client's tests.

It reads the stream as a printer does: outside a job, ``DLE EOT n`` is a status query answered at
once from :attr:`state` (through ticket_printer.client.status.encode, the inverse of what the client
decodes); a job runs from its first byte to its cut and is parsed by ticket_printer.escpos_parser.
It can be stopped and started again on the same port, as a printer switched off and on. Faults
for the next jobs: :attr:`EmulatedPrinter.drop_jobs` drops the connection part way into a job (a
cable pulled), :attr:`EmulatedPrinter.paper_out_jobs` runs out of paper part way into one; either
way the job is kept in :attr:`EmulatedPrinter.partial`, never in :attr:`EmulatedPrinter.jobs`.
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
        """Every job printed whole, decoded."""
        self.partial: list[bytes] = []
        """The bytes of every job cut short by a fault: what is on paper is only part of it."""
        self.queries = 0
        self.drop_jobs = 0
        """How many of the next jobs lose the connection part way (FAULT_AT bytes in)."""
        self.paper_out_jobs = 0
        """How many of the next jobs run out of paper part way; the state then stays ``paper_out``."""

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
        self._short = False
        """The job under way was cut short by a fault: its bytes go to ``partial``."""
        self.dropped = False
        """A fault dropped the connection: the socket must close now."""

    def feed(self, data: bytes) -> bytes:
        """Take bytes from the host; returns the answers to send back."""
        answers = bytearray()
        buffer = self._buffer
        buffer += data
        while buffer and not self.dropped:
            if not self._in_job and buffer[:2] == STATUS_QUERY:
                if len(buffer) < 3:
                    break
                self.printer.queries += 1
                answers.append(status.encode(self.printer.state)[buffer[2]])
                del buffer[:3]
                continue
            if not self._in_job:
                self._in_job = True
                self._fault()
                if self.dropped:
                    self.printer.partial.append(bytes(buffer[:FAULT_AT]))
                    buffer.clear()
                    break
            end = job_end(buffer)
            if end is None:
                break
            if self._short:
                self.printer.partial.append(bytes(buffer[:FAULT_AT]))
            else:
                self.printer.jobs.append(parse(bytes(buffer[:end])))
            del buffer[:end]
            self._in_job = self._short = False
        return bytes(answers)

    def _fault(self) -> None:
        """At the start of a job: the fault the printer was told to have on it, if any."""
        if self.printer.drop_jobs > 0:
            self.printer.drop_jobs -= 1
            self.dropped = True
        elif self.printer.paper_out_jobs > 0:
            self.printer.paper_out_jobs -= 1
            self.printer.state = PrinterStatus.PAPER_OUT
            self._short = True


STATUS_QUERY = bytes([status.DLE, status.EOT])
FAULT_AT = 64
"""How many bytes of a job reach the paper before a fault cuts it short."""


def job_end(buffer: bytearray) -> int | None:
    """Where the job at the start of ``buffer`` ends (after its cut), or None while it is not all here.

    The host's status query may follow the job's bytes in the same read: the job may end before
    any ``DLE EOT`` in the buffer, tried from the first.
    """
    ends = [i for i in range(1, len(buffer)) if buffer[i : i + 2] == STATUS_QUERY] + [len(buffer)]
    for end in ends:
        try:
            events = parse(bytes(buffer[:end]))
        except ValueError:
            continue  # not all here yet, or the query sits inside the job's data
        if events and isinstance(events[-1], Cut):
            return end
    return None


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
                if stream.dropped:  # the cable pulled mid-job: a reset, nothing more answered
                    writer.transport.abort()
                    return
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # the client went away
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
