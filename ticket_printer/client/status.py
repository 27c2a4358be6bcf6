"""What a printer says about itself: the DLE EOT real-time status bytes, decoded.

``DLE EOT n`` (0x10 0x04 n) asks an ESC/POS printer for one status byte, answered at once even
while it is busy or offline (Epson's ESC/POS reference, "DLE EOT"). Each answer has bits 1 and 4
set and bits 0 and 7 clear, which tells a status byte from noise. The bits read here:

- n=1 printer status: bit 3 the printer is offline;
- n=2 offline cause: bit 2 the cover is open, bit 5 printing stopped at the paper end, bit 6 an error;
- n=3 error cause: bit 3 an autocutter error, bit 5 an unrecoverable error, bit 6 an auto-recoverable one;
- n=4 roll paper sensor: bits 2-3 paper near its end, bits 5-6 paper out.

This module is pure: the connections ask, it decodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.protocol.payloads import FAULT_REASONS, PrinterStatus

DLE, EOT = 0x10, 0x04
QUERIES = (1, 2, 3, 4)
"""The four status bytes asked for, in order."""


def query(n: int) -> bytes:
    """The ``DLE EOT n`` command."""
    return bytes([DLE, EOT, n])


def is_status_byte(value: int) -> bool:
    """Bits 1 and 4 set, bits 0 and 7 clear: the fixed bits of every DLE EOT answer."""
    return value & 0b1001_0011 == 0b0001_0010


@dataclass(frozen=True, slots=True)
class Reading:
    """What a printer's status bytes say, and the one state they amount to."""

    state: PrinterStatus
    detail: str = ""


READY = Reading(PrinterStatus.READY)


def decode(answers: dict[int, int]) -> Reading:
    """The state for the answers to ``DLE EOT 1..4`` (missing ones are taken as fine).

    The worst condition wins: paper out, then cover open, then an error, then offline, then paper low.
    """
    for n, value in answers.items():
        if not is_status_byte(value):
            return Reading(PrinterStatus.OFFLINE, f"the printer answered DLE EOT {n} with {value:#04x}, not a status")
    printer, cause, error, paper = (answers.get(n, 0b0001_0010) for n in QUERIES)
    if paper & 0b0110_0000 or cause & 0b0010_0000:
        return Reading(PrinterStatus.PAPER_OUT, FAULT_REASONS[PrinterStatus.PAPER_OUT])
    if cause & 0b0000_0100:
        return Reading(PrinterStatus.COVER_OPEN, FAULT_REASONS[PrinterStatus.COVER_OPEN])
    if error & 0b0110_1000 or cause & 0b0100_0000:
        kind = "unrecoverable error" if error & 0b0010_0000 else "autocutter error" if error & 0b1000 else "error"
        return Reading(PrinterStatus.OFFLINE, f"printer {kind}")
    if printer & 0b0000_1000:
        return Reading(PrinterStatus.OFFLINE, "the printer says it is offline")
    if paper & 0b0000_1100:
        return Reading(PrinterStatus.PAPER_LOW, "paper near its end")
    return READY


def encode(state: PrinterStatus) -> dict[int, int]:
    """The status bytes a printer in ``state`` answers: the inverse of :func:`decode`, for emulators."""
    base = 0b0001_0010
    answers = dict.fromkeys(QUERIES, base)
    if state is PrinterStatus.PAPER_OUT:
        answers[1] |= 0b1000
        answers[2] |= 0b0010_0000
        answers[4] |= 0b0110_1100
    elif state is PrinterStatus.COVER_OPEN:
        answers[1] |= 0b1000
        answers[2] |= 0b0000_0100
    elif state is PrinterStatus.PAPER_LOW:
        answers[4] |= 0b0000_1100
    elif state is PrinterStatus.OFFLINE:
        answers[1] |= 0b1000
    return answers
