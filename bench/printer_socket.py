"""A network printer's raw port on loopback that records when each job's bytes arrive.

It answers the printer client's ``DLE EOT n`` status queries as a ready printer does, and reads
everything else as print jobs, each running from its first byte to its cut (parsed with
ticket_printer.escpos_parser). For each job it keeps when its first and its last byte arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from queue_server.protocol.payloads import PrinterStatus
from ticket_printer.client import status
from ticket_printer.escpos_parser import Cut, ParseError, parse

READY = status.encode(PrinterStatus.READY)
QUERY = bytes([status.DLE, status.EOT])


@dataclass(frozen=True, slots=True)
class Arrival:
    first_byte: float
    last_byte: float
    """perf_counter values."""
    size: int


class RecordingPrinter:
    """``async with RecordingPrinter() as printer:`` listens on ``printer.port`` of 127.0.0.1."""

    def __init__(self) -> None:
        self.port = 0
        self.jobs: list[Arrival] = []
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def wait_jobs(self, count: int, timeout: float) -> None:
        """Wait until ``count`` jobs arrived whole."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.jobs) >= count)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = bytearray()
        first = 0.0
        try:
            while data := await reader.read(65536):
                at = time.perf_counter()
                if not buffer:
                    first = at
                buffer += data
                while buffer:
                    if buffer[:2] == QUERY:  # between jobs: a status query, answered at once
                        if len(buffer) < 3:
                            break
                        writer.write(bytes([READY[buffer[2]]]))
                        del buffer[:3]
                        first = at
                        continue
                    end = self._job_end(buffer)
                    if end is None:
                        break  # the job is not all here yet
                    async with self._changed:
                        self.jobs.append(Arrival(first, at, end))
                        self._changed.notify_all()
                    del buffer[:end]
                    first = at
                await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    @staticmethod
    def _job_end(buffer: bytearray) -> int | None:
        """Where the job at the start of ``buffer`` ends (after its cut), if it is all there.

        A status query may follow the job in the same read, so the job may end before any
        ``DLE EOT`` in the buffer as well as at its end.
        """
        ends = [i for i in range(len(buffer)) if buffer[i : i + 2] == QUERY] + [len(buffer)]
        for end in ends:
            try:
                events = parse(bytes(buffer[:end]))
            except ParseError:
                continue
            if events and isinstance(events[-1], Cut):
                return end
        return None
