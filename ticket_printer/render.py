"""Slips to ESC/POS bytes, through one interface with two renderers.

``TextMode`` uses the printer's own GB18030 font: a ticket is well under a kilobyte and prints at
once, but it needs a printer that has the font. ``RasterMode`` draws everything with Pillow and
sends the image, so any ESC/POS printer prints Chinese; a ticket is 30-90 kB. The
``PrinterProfile`` says which one a printer gets; ``render(slip, profile)`` is what callers use.
Both return the whole job (init to cut) as bytes, so the spool and the tests see the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ticket_printer import escpos
from ticket_printer.layout import Align, Block, FeedBlock, Mode, PrinterProfile, QrBlock, RuleBlock, TextBlock, layout
from ticket_printer.raster import FONT_PATH, draw
from ticket_printer.slips import Slip

FEED_BEFORE_CUT = 4
"""Lines fed before the cut, so the last line clears the cutter."""
RASTER_BAND_ROWS = 256
"""Rows per GS v 0 command: some printers' buffers take no more at once."""


class Renderer(Protocol):
    def render(self, blocks: Sequence[Block], profile: PrinterProfile) -> bytes:
        """The whole print job for laid-out blocks: init, content, feed and cut."""
        ...


class TextMode:
    """The printer's Chinese mode: FS &, text as GB18030, GS ! sizes, native QR."""

    def render(self, blocks: Sequence[Block], profile: PrinterProfile) -> bytes:
        out = bytearray(escpos.INIT + escpos.CHINESE_ON)
        for block in blocks:
            if isinstance(block, TextBlock):
                out += escpos.align(block.align) + escpos.size(block.size, block.size) + escpos.bold(block.bold)
                out += block.text.encode("gb18030") + bytes([escpos.LF])
            elif isinstance(block, QrBlock):
                out += escpos.align(Align.CENTER) + escpos.qr(block.data, profile.module_dots) + bytes([escpos.LF])
            elif isinstance(block, RuleBlock):
                out += escpos.align(Align.LEFT) + escpos.size(1, 1) + escpos.bold(False)
                out += b"-" * profile.paper.columns + bytes([escpos.LF])
            elif isinstance(block, FeedBlock):
                out += escpos.feed(block.lines)
        out += escpos.size(1, 1) + escpos.bold(False) + escpos.align(Align.LEFT)
        out += escpos.feed(FEED_BEFORE_CUT) + escpos.CUT
        return bytes(out)


class RasterMode:
    """Everything drawn as one 1-bit image with a CJK TrueType font, sent as GS v 0 bands."""

    def __init__(self, font_path: Path = FONT_PATH) -> None:
        self.font_path = font_path

    def render(self, blocks: Sequence[Block], profile: PrinterProfile) -> bytes:
        image = draw(blocks, profile.paper, profile.module_dots, self.font_path).image
        width_bytes = (image.width + 7) // 8
        # Pillow packs mode "1" with 1 for white; ESC/POS wants 1 for black.
        packed = bytes(byte ^ 0xFF for byte in image.tobytes())
        out = bytearray(escpos.INIT + escpos.align(Align.LEFT))
        for top in range(0, image.height, RASTER_BAND_ROWS):
            rows = min(RASTER_BAND_ROWS, image.height - top)
            out += escpos.raster(packed[top * width_bytes : (top + rows) * width_bytes], width_bytes, rows)
        out += escpos.feed(FEED_BEFORE_CUT) + escpos.CUT
        return bytes(out)


def renderer_for(profile: PrinterProfile) -> Renderer:
    return TextMode() if profile.mode is Mode.TEXT else RasterMode()


def render(slip: Slip, profile: PrinterProfile) -> bytes:
    """The print job for a slip on a printer with this profile."""
    return renderer_for(profile).render(layout(slip, profile), profile)
