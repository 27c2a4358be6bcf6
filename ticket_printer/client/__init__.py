"""The ticket printer client: takes print jobs from the bus and prints each exactly once.

Built on the device protocol (queue_server.protocol), the twins' connection loop and the
rendering core (ticket_printer), never on the server, so it runs beside a kiosk::

    async with PrinterClient(
        "demo", "printer-1", "mqtt://127.0.0.1:1883",
        printer=connect("tcp://192.168.1.50:9100"), spool=Path("spool"), profile=PrinterProfile(paper=PAPER_80),
    ) as client:
        await asyncio.Event().wait()
"""

from ticket_printer.client.client import DEFAULT_POLL_INTERVAL, RETRY_DELAYS, PrinterClient
from ticket_printer.client.connections import (
    CaptureConnection,
    Connection,
    FileConnection,
    PrinterUnreachable,
    PrinterUrlError,
    TcpConnection,
    connect,
)
from ticket_printer.client.spool import JobState, Spool, SpooledJob, SpoolError
from ticket_printer.client.status import Reading

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "RETRY_DELAYS",
    "CaptureConnection",
    "Connection",
    "FileConnection",
    "JobState",
    "PrinterClient",
    "PrinterUnreachable",
    "PrinterUrlError",
    "Reading",
    "Spool",
    "SpoolError",
    "SpooledJob",
    "TcpConnection",
    "connect",
]
