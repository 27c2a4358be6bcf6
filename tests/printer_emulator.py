"""A network ESC/POS printer on a loopback TCP port, for the printer client's tests.

It reads the stream as a printer does: outside a job, ``DLE EOT n`` is a status query answered at
once from :attr:`state` (through ticket_printer.client.status.encode, the inverse of what the client
decodes); a job runs from its first byte to its cut and is parsed by ticket_printer.escpos_parser.
It can be stopped and started again on the same port, as a printer switched off and on.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from queue_server.protocol.payloads import PrinterStatus
from ticket_printer.client import status
from ticket_printer.escpos_parser import Cut, Event, QrCode, parse, text_lines


class PrinterEmulator:
    def __init__(self, state: PrinterStatus = PrinterStatus.READY) -> None:
        self.state = state
        self.port = 0
        self.jobs: list[list[Event]] = []
        self.queries = 0
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

    def texts(self, index: int) -> str:
        """The printed text of job ``index``, lines joined."""
        return "\n".join(text_lines(self.jobs[index]))

    def qr_data(self, index: int) -> list[str]:
        return [event.data for event in self.jobs[index] if isinstance(event, QrCode)]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        buffer = bytearray()
        in_job = False
        try:
            while data := await reader.read(65536):
                buffer += data
                while buffer:
                    if not in_job and buffer[:2] == bytes([status.DLE, status.EOT]):
                        if len(buffer) < 3:
                            break
                        self.queries += 1
                        writer.write(bytes([status.encode(self.state)[buffer[2]]]))
                        del buffer[:3]
                        continue
                    in_job = True
                    try:
                        events = parse(bytes(buffer))
                    except ValueError:
                        break  # the job is not all here yet
                    if not events or not isinstance(events[-1], Cut):
                        break
                    self.jobs.append(events)
                    buffer.clear()
                    in_job = False
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # the client went away
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
