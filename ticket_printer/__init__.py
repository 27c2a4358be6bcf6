"""Prints tickets and one-time notices on ESC/POS thermal printers.

The rendering core: a slip (``TicketSlip``, ``NoticeSlip``) is laid out from a small template for
the profile's paper (58 or 80 mm) and rendered to ESC/POS bytes by ``render``, in the printer's
GB18030 text mode or as a raster image; ``render_png`` gives the same slip as a PNG preview and
``escpos_parser.parse`` reads a job back. Connections (network, spool, MQTT) are not here.
"""

from ticket_printer.layout import PAPER_58, PAPER_80, Mode, Paper, PrinterProfile
from ticket_printer.preview import render_png
from ticket_printer.render import RasterMode, Renderer, TextMode, render
from ticket_printer.slips import NoticeSlip, Slip, TicketSlip

__all__ = [
    "PAPER_58",
    "PAPER_80",
    "Mode",
    "NoticeSlip",
    "Paper",
    "PrinterProfile",
    "RasterMode",
    "Renderer",
    "Slip",
    "TextMode",
    "TicketSlip",
    "render",
    "render_png",
]
