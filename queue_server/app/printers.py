"""Which printer prints a kiosk's ticket: its own while it can, else the first spare that can.

Printers say what they can do on the bus: their retained ``printer/<id>/state`` and their
availability (``online``, or the last will ``offline``). The latest of each is kept here, one
board per centre, in memory: both are retained, so a server that starts or reconnects hears them
again at once, and every instance of the server hears them all.

The service keeps the boards (queue_server.app.service: the bus tells it, the API reads them).

A printer nobody has heard from is trusted to be the kiosk's own (its job waits at the broker
until it comes), but is never chosen as a spare: a spare must be known online and ready.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from queue_server.domain.centre import Device
from queue_server.protocol.payloads import PrinterStatus

CANNOT_PRINT = frozenset({PrinterStatus.PAPER_OUT, PrinterStatus.COVER_OPEN, PrinterStatus.OFFLINE})
CAN_PRINT = frozenset({PrinterStatus.READY, PrinterStatus.PAPER_LOW})


@dataclass(frozen=True, slots=True)
class PrinterHealth:
    """The latest a printer said: its state and its availability (None: not heard yet)."""

    state: PrinterStatus | None = None
    online: bool | None = None

    @property
    def cannot_print(self) -> bool:
        """Known not to print now: its job would fail or wait."""
        return self.online is False or self.state in CANNOT_PRINT

    @property
    def can_print(self) -> bool:
        """Known online and ready (or low on paper)."""
        return self.online is True and self.state in CAN_PRINT


class PrinterReadings(Protocol):
    """A centre's board as its readers see it: they read health, only the service writes it."""

    def health(self, printer: str) -> PrinterHealth: ...


class PrinterBoard:
    """The latest state and availability of each printer of one centre."""

    def __init__(self) -> None:
        self._health: dict[str, PrinterHealth] = {}

    def saw_state(self, printer: str, state: PrinterStatus) -> None:
        self._health[printer] = replace(self.health(printer), state=state)

    def saw_availability(self, printer: str, online: bool) -> None:
        self._health[printer] = replace(self.health(printer), online=online)

    def health(self, printer: str) -> PrinterHealth:
        return self._health.get(printer, PrinterHealth())

    def first_ready(self, printers: Iterable[str], *, besides: Iterable[str] = ()) -> str | None:
        """The first of ``printers`` that can print, leaving out ``besides``."""
        left_out = set(besides)
        return next((p for p in printers if p not in left_out and self.health(p).can_print), None)


def ticket_printer(kiosk: Device, board: PrinterBoard) -> str | None:
    """Where a new ticket of ``kiosk`` goes: its own printer unless that is known unable and a
    spare is ready; with no spare ready the job goes to its own printer anyway, to fail or wait there."""
    if kiosk.printer is None:
        return None
    if board.health(kiosk.printer).cannot_print:
        return board.first_ready(kiosk.spare_printers) or kiosk.printer
    return kiosk.printer


def reroute_printer(kiosk: Device, board: PrinterBoard, tried: Iterable[str]) -> str | None:
    """Where a ticket goes after a printer failed it: the kiosk's own printer or a spare, in that
    order, that can print and was not tried for this ticket; None leaves the job failed."""
    if kiosk.printer is None:
        return None
    return board.first_ready((kiosk.printer, *kiosk.spare_printers), besides=tried)
