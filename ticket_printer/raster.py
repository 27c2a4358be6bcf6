"""Drawing a laid-out slip onto a 1-bit image with a CJK TrueType font.

Used by the raster renderer (for printers without a Chinese font, or with a poor one) and by the
PNG preview, so what the manager page shows is exactly what such a printer prints. The grid
follows the printer's built-in font (24 dots a line at size 1), so the column wrapping of the
layout holds: a WenQuanYi Micro Hei ideograph at 24 px is as wide as two ASCII columns. Its Latin
letters and digits are a little wider than the printer's half-width cells, so a line that would
overflow the dots is drawn slightly smaller rather than cut off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from PIL import Image, ImageChops, ImageDraw, ImageFont

from ticket_printer.layout import Align, Block, FeedBlock, Paper, QrBlock, RuleBlock, TextBlock

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
"""Debian's fonts-wqy-microhei (in scripts/debian-packages-run.txt)."""
LINE_DOTS = 24
LINE_GAP = 6
EDGE_DOTS = 2
"""White kept at each side: print heads do not reach the paper's very edge."""
QR_QUIET_MODULES = 4
"""The quiet zone QR readers need around the symbol."""


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a text block landed on the image: (left, top, right, bottom)."""

    text: str
    box: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Drawing:
    image: Image.Image
    """Mode "1", the paper's width in dots."""
    placed: tuple[Placed, ...]


@lru_cache(maxsize=16)
def _font(path: Path, pixels: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(path), pixels, index=0)
    except OSError as error:
        raise FileNotFoundError(
            f"Cannot draw a raster slip: the CJK font {path} is missing or unreadable "
            f"(Debian package fonts-wqy-microhei): {error}"
        ) from error


def draw(blocks: Sequence[Block], paper: Paper, module_dots: int, font_path: Path = FONT_PATH) -> Drawing:
    """Draw the blocks top to bottom and return the image, cropped to what was drawn."""
    pieces: list[Image.Image] = []
    placed: list[Placed] = []
    top = 0
    for block in blocks:
        piece = _piece(block, paper, module_dots, font_path)
        if isinstance(block, TextBlock):
            placed.append(Placed(block.text, (0, top, paper.dots, top + piece.height)))
        pieces.append(piece)
        top += piece.height
    image = Image.new("1", (paper.dots, max(top, 1)), 1)
    top = 0
    for piece in pieces:
        image.paste(piece, (0, top))
        top += piece.height
    return Drawing(image, tuple(placed))


def _piece(block: Block, paper: Paper, module_dots: int, font_path: Path) -> Image.Image:
    if isinstance(block, FeedBlock):
        return Image.new("1", (paper.dots, block.lines * (LINE_DOTS + LINE_GAP)), 1)
    if isinstance(block, RuleBlock):
        piece = Image.new("1", (paper.dots, LINE_DOTS), 1)
        pen = ImageDraw.Draw(piece)
        for x in range(0, paper.dots, 12):
            pen.line([(x, LINE_DOTS // 2), (x + 6, LINE_DOTS // 2)], fill=0, width=2)
        return piece
    if isinstance(block, QrBlock):
        return _qr(block.data, paper, module_dots)
    return _text(block, paper, font_path)


def _text(block: TextBlock, paper: Paper, font_path: Path) -> Image.Image:
    """One line, aligned by its ink (the font's advance box overstates Latin text by some dots)."""
    height = LINE_DOTS * block.size + LINE_GAP
    room = paper.dots - 2 * EDGE_DOTS
    pixels = LINE_DOTS * block.size
    ink, box = _ink(block, font_path, pixels, height)
    if box is not None and box[2] - box[0] > room:
        # The font's digits and Latin letters are wider than the printer's half-width cells, so
        # a line that fits the columns can still overflow the dots: draw it a little smaller.
        ink, box = _ink(block, font_path, pixels * room // (box[2] - box[0]), height)
    line = Image.new("1", (paper.dots, height), 1)
    if box is None:
        return line
    width = box[2] - box[0]
    if block.align is Align.CENTER:
        x = EDGE_DOTS + (room - width) // 2
    elif block.align is Align.RIGHT:
        x = EDGE_DOTS + room - width
    else:
        x = EDGE_DOTS
    line.paste(ink.crop((box[0], 0, box[2], height)), (x, 0))
    return line


def _ink(
    block: TextBlock, font_path: Path, pixels: int, height: int
) -> tuple[Image.Image, tuple[int, int, int, int] | None]:
    """The line drawn on a scratch canvas wide enough for it, and the box of its ink."""
    font = _font(font_path, pixels)
    # Bold: a stroke for large text; at size 1 a stroke fills the counters of 口 and 目, so the
    # text is drawn twice a dot apart instead.
    stroke = block.size // 2 if block.bold else 0
    shifts = (0, 1) if block.bold and block.size == 1 else (0,)
    scratch = Image.new("L", (int(font.getlength(block.text)) + pixels + 2 * stroke + 2, height), 255)
    pen = ImageDraw.Draw(scratch)
    for shift in shifts:
        position = (pixels // 2 + shift, LINE_GAP // 2)
        pen.text(position, block.text, font=font, fill=0, stroke_width=stroke, stroke_fill=0)
    bilevel = scratch.point(lambda value: 255 if value >= 128 else 0).convert("1", dither=Image.Dither.NONE)
    box = ImageChops.invert(bilevel.convert("L")).getbbox()
    return bilevel, box


def _qr(data: str, paper: Paper, module_dots: int) -> Image.Image:
    matrix = segno.make_qr(data, error="m").matrix
    modules = len(matrix) + 2 * QR_QUIET_MODULES
    scale = max(1, min(module_dots, paper.dots // modules))
    side = modules * scale
    piece = Image.new("1", (paper.dots, side), 1)
    pen = ImageDraw.Draw(piece)
    left = (paper.dots - side) // 2 + QR_QUIET_MODULES * scale
    top = QR_QUIET_MODULES * scale
    for row, bits in enumerate(matrix):
        for column, bit in enumerate(bits):
            if bit:
                x = left + column * scale
                y = top + row * scale
                pen.rectangle([x, y, x + scale - 1, y + scale - 1], fill=0)
    return piece
