"""What ``onewindow printer run`` and ``onewindow printer preview`` do, apart from parsing flags.

``run`` prints until Ctrl-C (or SIGTERM). The environment variable ``ONEWINDOW_PRINTER_TEST_PAUSE``
(seconds) makes the client wait after sending a job's bytes and before recording it done: the
crash tests kill it there. It is not a setting; leave it unset.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from device_client import TwinError, stop_on_signals
from queue_server.protocol.broker import Broker, BrokerUrlError
from queue_server.protocol.topics import TopicError
from ticket_printer.client.client import PrinterClient
from ticket_printer.client.connections import PrinterUrlError, connect
from ticket_printer.client.spool import SpoolError
from ticket_printer.demo import DEMO_TICKET
from ticket_printer.layout import PAPER_58, PAPER_80, Mode, PrinterProfile
from ticket_printer.preview import render_png

TEST_PAUSE_VARIABLE = "ONEWINDOW_PRINTER_TEST_PAUSE"
PAPERS = {"80": PAPER_80, "58": PAPER_58}


@dataclass(frozen=True, slots=True)
class RunSettings:
    centre: str
    device_id: str
    printer_url: str
    mqtt_url: str
    spool: Path
    paper: str = "80"
    mode: Mode = Mode.TEXT
    english: bool = False


def profile_for(paper: str, mode: Mode) -> PrinterProfile:
    return PrinterProfile(paper=PAPERS[paper], mode=mode)


async def run(settings: RunSettings, stop: asyncio.Event | None = None) -> None:
    """Print jobs until ``stop`` is set (or SIGINT/SIGTERM when none is given)."""
    stop = stop or stop_on_signals()
    pause = float(os.environ.get(TEST_PAUSE_VARIABLE) or 0)
    async with PrinterClient(
        settings.centre,
        settings.device_id,
        Broker.from_url(settings.mqtt_url),
        printer=connect(settings.printer_url),
        spool=settings.spool,
        profile=profile_for(settings.paper, settings.mode),
        english=settings.english,
        pause_after_send=pause,
    ) as client:
        print(
            f"Printer {client.device_id} of centre {client.centre} prints to {client.printer.description}"
            f" ({client.reading.state}); jobs from {client.broker} (Ctrl-C stops it)",
            flush=True,
        )
        await stop.wait()


def run_command(settings: RunSettings) -> int:
    """Run until stopped; 0 after a clean stop, 1 with one line saying why it could not run."""
    try:
        asyncio.run(run(settings))
    except (PrinterUrlError, BrokerUrlError, SpoolError, TwinError, TopicError) as error:
        print(f"Cannot run printer {settings.device_id}: {error}", file=sys.stderr)
        return 1
    print("Stopped: the printer client said offline.", file=sys.stderr)
    return 0


@dataclass(frozen=True, slots=True)
class PreviewSettings:
    output: Path
    paper: str = "80"
    english: bool = False
    number: str | None = None
    """Fields left None keep the demo ticket's."""
    matter_name: str | None = None
    centre_name: str | None = None
    status_url: str | None = None


def preview_command(settings: PreviewSettings) -> int:
    """Write the demo ticket, changed by the flags, as a PNG of the paper's width."""
    demo = DEMO_TICKET
    slip = replace(
        demo,
        english=settings.english,
        number=settings.number or demo.number,
        matter_name=settings.matter_name or demo.matter_name,
        centre_name=settings.centre_name or demo.centre_name,
        status_url=settings.status_url or demo.status_url,
    )
    try:
        settings.output.write_bytes(render_png(slip, profile_for(settings.paper, Mode.RASTER)))
    except OSError as error:
        print(f"Cannot write the preview to {settings.output}: {error}", file=sys.stderr)
        return 1
    print(settings.output)
    return 0
