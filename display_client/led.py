"""A window's LED matrix sign: each frame drawn from the window's state, handed to an output.

The small monochrome matrix above a window (64x32, 128x32 ...) shows the window and the ticket
called to it, 暂停服务 and its reason, or 已关闭. A frame is pure 1 bit, as the LEDs are: text is
drawn anti-aliased and cut at half intensity, which keeps more of the strokes of a CJK glyph at
16 px than FreeType's monochrome hinting does. Each line picks the longest of its texts that fits
the width at 16 px (3号窗口, else 3号), and only the last is shrunk and then cut with "…".

Outputs take a finished frame: ``PngDirOutput`` writes files, ``MemoryOutput`` keeps them for
tests, and a real controller's driver shifts out ``LedFrame.to_bytes()``.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageDraw, ImageFont

from queue_server.protocol import PauseReason
from queue_server.protocol.payloads import WindowView

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
"""Debian's fonts-wqy-microhei, the font the ticket printer's raster slips use too."""
WIDTHS = range(16, 513)
HEIGHTS = range(8, 257)
LINE_PIXELS = 16
"""The height of a line beside the main one: the smallest at which a CJK glyph stays legible."""
MIN_PIXELS = 12
"""Below this a CJK glyph turns to noise: a line that still does not fit is cut instead."""
THRESHOLD = 128
"""Half intensity: where an anti-aliased pixel becomes a lit LED."""
LIT = (255, 40, 24)
"""The red of the usual window sign, for the scaled PNG."""
UNLIT = (36, 8, 8)
MAX_SCALE = 64

PAUSE_REASONS_EN = {
    PauseReason.BREAK: "Break",
    PauseReason.MEETING: "Meeting",
    PauseReason.SYSTEM_FAULT: "System fault",
    PauseReason.TRAINING: "Training",
    PauseReason.OTHER: "Other",
}
"""The domain names its pause reasons in Chinese only (PAUSE_REASON_NAMES_ZH)."""

_SIZE = re.compile(r"^\s*(\d{1,4})\s*[xX×]\s*(\d{1,4})\s*$")


@dataclass(frozen=True, slots=True)
class MatrixSize:
    """The matrix in LEDs; the width is whole bytes, since controllers shift rows out 8 at a time."""

    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width not in WIDTHS or self.width % 8:
            raise ValueError(
                f"Cannot use an LED matrix {self.width} wide: the width must be a multiple of 8 "
                f"from {WIDTHS.start} to {WIDTHS.stop - 1}"
            )
        if self.height not in HEIGHTS:
            raise ValueError(
                f"Cannot use an LED matrix {self.height} high: the height must be from "
                f"{HEIGHTS.start} to {HEIGHTS.stop - 1}"
            )

    @classmethod
    def parse(cls, text: str) -> MatrixSize:
        """Read ``--led 64x32``."""
        match = _SIZE.match(text)
        if match is None:
            raise ValueError(f"Cannot read the LED matrix size {text!r}: expected WIDTHxHEIGHT, e.g. 64x32")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True, slots=True)
class LedFrame:
    size: MatrixSize
    image: Image.Image
    """Mode "1", ``size`` exactly; a lit LED is 1 (white)."""
    text: tuple[str, ...]
    """The lines shown, top to bottom, as drawn (after any cut): for logs and tests."""
    boxes: tuple[tuple[int, int, int, int], ...] = field(default=())
    """Each line's band on the matrix, (left, top, right, bottom), in the order of ``text``."""

    def to_bytes(self) -> bytes:
        """Rows top to bottom, 8 LEDs a byte, the leftmost in the high bit, 1 lit: what a driver shifts out."""
        return self.image.tobytes()

    def to_png(self, scale: int = 1, *, lit: tuple[int, int, int] = LIT) -> bytes:
        """The frame as a PNG: 1-bit at scale 1; larger, each LED a round dot on black, for people."""
        if not 1 <= scale <= MAX_SCALE:
            raise ValueError(f"Cannot draw an LED frame at scale {scale}: the scale must be from 1 to {MAX_SCALE}")
        image = self.image if scale == 1 else _dots(self.image, scale, lit)
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()


def _dots(image: Image.Image, scale: int, lit: tuple[int, int, int]) -> Image.Image:
    """Every LED as a dot, lit or dim, built from one tile rather than one ellipse per LED."""
    width, height = image.width * scale, image.height * scale
    tile = Image.new("L", (scale, scale), 0)
    inset = max(1, scale // 8) if scale >= 3 else 0
    ImageDraw.Draw(tile).ellipse((inset, inset, scale - 1 - inset, scale - 1 - inset), fill=255)
    row = Image.new("L", (width, scale), 0)
    for x in range(0, width, scale):
        row.paste(tile, (x, 0))
    grid = Image.new("L", (width, height), 0)
    for y in range(0, height, scale):
        grid.paste(row, (0, y))
    on = image.convert("L").resize((width, height), Image.Resampling.NEAREST)
    colours = Image.composite(Image.new("RGB", (width, height), lit), Image.new("RGB", (width, height), UNLIT), on)
    return Image.composite(colours, Image.new("RGB", (width, height), (0, 0, 0)), grid)


# --- What a frame says -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    """One line's texts, longest first; the main line takes the height the others leave."""

    texts: tuple[str, ...]
    keep: int = 0
    """When the matrix has too few lines, the lowest ``keep`` goes first."""
    main: bool = False
    whole: bool = False
    """Shrunk as far as it takes, never cut: the status and the ticket number."""


def _texts(*texts: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.strip() for t in texts if t.strip()))


def _labels(window: WindowView | None, number: int | None, english: bool) -> tuple[str, ...]:
    """The window's name, then shorter ones for a narrow matrix."""
    if window is None and number is None:
        return ()
    n = window.number if window is not None else number
    if english:
        return _texts(window.name_en if window is not None else "", f"Window {n}", f"No. {n}", f"{n}")
    return _texts(window.name if window is not None else "", f"{n}号窗口", f"{n}号")


def _lines(window: WindowView | None, number: int | None, english: bool) -> tuple[tuple[_Line, ...], _Line]:
    """The lines when there is room for several, and the one line shown when there is not."""
    labels = _labels(window, number, english)
    label = _Line(labels, keep=1)
    if window is None or window.status not in {"open", "paused", "closed"}:
        # Not known yet, or a status newer than this client: say nothing it cannot stand behind.
        if window is not None:
            return (_Line(labels, main=True),), _Line(labels, main=True)
        waiting = _Line(_texts("Connecting…", "Connecting") if english else _texts("连接中…", "连接中"), 2, True)
        lines: tuple[_Line, ...] = (label, waiting) if labels else (waiting,)
        return lines, _Line(waiting.texts + labels[-1:], main=True)
    if window.status == "closed":
        closed = _Line(("Closed",) if english else ("已关闭",), 2, True, True)
        return (label, closed), closed
    if window.status == "paused":
        paused = _Line(("Paused",) if english else ("暂停服务",), 2, True, True)
        why = _reason(window, english)
        lines = (label, paused, _Line((why,), keep=1)) if why else (label, paused)
        return lines, _Line(_texts(f"{paused.texts[0]} {why}", paused.texts[0]), main=True, whole=True)
    staff = _staff(window, english)
    ticket = window.ticket
    if ticket is None:
        welcome = _Line(_texts("Welcome") if english else _texts("欢迎光临", "欢迎"), 2, True)
        return (label, welcome, *staff), welcome
    short = labels[-1]
    if ticket.green_channel:
        marks = (" Green channel", " Green") if english else (" 绿色通道", " 绿")
        # The full mark beside a short name before a short mark, but never the bare number with the full mark.
        named = (f"{name}{mark}" for mark in marks for name in labels[:-1])
        label = _Line(_texts(*named, f"{short}{marks[-1]}"), keep=1)
        single = _texts(f"{short}{marks[-1]} {ticket.number}", f"{ticket.number}{marks[-1]}", ticket.number)
    else:
        single = _texts(f"{short} {ticket.number}", ticket.number)
    return (label, _Line((ticket.number,), 2, True, True), *staff), _Line(single, main=True, whole=True)


def _staff(window: WindowView, english: bool) -> tuple[_Line, ...]:
    """Who serves there, on a matrix with a line to spare (the first line to go when there is none)."""
    shown = window.shown_staff
    if shown is None:
        return ()
    number = f"No. {shown.number}" if english else f"工号 {shown.number}"
    named = f"{shown.name} {number}" if shown.name else ""
    return (_Line(_texts(named, number, shown.number), keep=0),)


def _reason(window: WindowView, english: bool) -> str:
    pause = window.pause
    if pause is None:
        return ""
    if english:
        return PAUSE_REASONS_EN.get(pause.reason, "") if pause.reason else pause.note.strip()
    return (pause.reason_name or pause.note).strip()


# --- Drawing -----------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _font(pixels: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(FONT_PATH), pixels, index=0)
    except OSError as error:
        raise FileNotFoundError(
            f"Cannot draw an LED frame: the CJK font {FONT_PATH} is missing or unreadable "
            f"(Debian package fonts-wqy-microhei): {error}"
        ) from error


def _largest(text: str, width: int, height: int, most: int, bold: bool) -> int:
    """The largest size up to ``most`` at which the text's ink fits; 0 if none does."""
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        w, h = _ink(text, middle, bold).size
        if w <= width and h <= height:
            low = middle
        else:
            high = middle - 1
    return low


def _bold(text: str, main: bool) -> bool:
    """The main line in bold when it is Latin letters and digits (a ticket number): one-LED strokes
    fade from across the hall. Never CJK, whose counters fill at these sizes."""
    return main and text.isascii()


def _fit(texts: Sequence[str], width: int, height: int, main: bool, whole: bool) -> tuple[str, int]:
    """The first text that fits at a line's full height, drawn as large as it fits; else the last
    one shrunk, then (unless whole) cut with "…"."""
    most = 2 * height if main else height  # the main line's Latin letters may grow to fill it
    full = min(height, LINE_PIXELS) * 15 // 16
    least = min(MIN_PIXELS, height)
    for text in texts:
        pixels = _largest(text, width, height, most, _bold(text, main))
        if pixels >= full:
            return text, pixels
    text = texts[-1]
    pixels = _largest(text, width, height, most, _bold(text, main))
    if pixels >= least or whole:
        return text, max(1, pixels)
    while len(text) > 1 and _largest(text[:-1] + "…", width, height, least, False) < least:
        text = text[:-1]
    cut = text[:-1] + "…" if len(text) > 1 else text
    return cut, max(1, _largest(cut, width, height, least, False))


@lru_cache(maxsize=512)
def _ink(text: str, pixels: int, bold: bool) -> Image.Image:
    """The text anti-aliased, cut at half intensity, cropped to its ink: mode "1", shared (paste, never draw on it)."""
    if pixels < 1:
        return Image.new("1", (0, 0), 0)
    font = _font(pixels)
    left, top, right, bottom = font.getbbox(text)
    scratch = Image.new("L", (int(right - left) + 3, int(bottom - top) + 2), 0)
    pen = ImageDraw.Draw(scratch)
    for shift in (0, 1) if bold else (0,):
        pen.text((1 - left + shift, 1 - top), text, font=font, fill=255)
    bilevel = scratch.point(lambda value: 255 if value >= THRESHOLD else 0).convert("1", dither=Image.Dither.NONE)
    box = bilevel.getbbox()
    return bilevel.crop(box) if box is not None else Image.new("1", (0, 0), 0)


def _bands(lines: Sequence[_Line], height: int) -> list[int]:
    """Each line's height: LINE_PIXELS, and the rest to the main line."""
    rest = height - LINE_PIXELS * (len(lines) - 1)
    return [rest if line.main else LINE_PIXELS for line in lines]


def render_window(
    window: WindowView | None, size: MatrixSize, *, english: bool = False, number: int | None = None
) -> LedFrame:
    """The frame for the window's state; ``number`` names the window while its state is unknown."""
    lines, single = _lines(window, number, english)
    room = max(1, size.height // LINE_PIXELS)
    if room == 1:
        lines = (single,)
    while len(lines) > room:
        lowest = min(lines, key=lambda line: line.keep)
        lines = tuple(line for line in lines if line is not lowest)
    image = Image.new("1", (size.width, size.height), 0)
    shown: list[str] = []
    boxes: list[tuple[int, int, int, int]] = []
    top = 0
    for line, band in zip(lines, _bands(lines, size.height), strict=True):
        text, pixels = _fit(line.texts, size.width, band, line.main, line.whole)
        ink = _ink(text, pixels, _bold(text, line.main))
        image.paste(ink, ((size.width - ink.width) // 2, top + (band - ink.height) // 2))
        shown.append(text)
        boxes.append((0, top, size.width, top + band))
        top += band
    return LedFrame(size, image, tuple(shown), tuple(boxes))


# --- Outputs -----------------------------------------------------------------------------------


class LedOutput(Protocol):
    """Where frames go: a file, a controller; called from the display loop, so it should be quick."""

    def show(self, frame: LedFrame) -> None: ...


class NullOutput(LedOutput):
    """No matrix: the display page alone."""

    def show(self, frame: LedFrame) -> None:
        pass


class MemoryOutput(LedOutput):
    """Keeps every frame shown, for tests."""

    def __init__(self) -> None:
        self.frames: list[LedFrame] = []

    def show(self, frame: LedFrame) -> None:
        self.frames.append(frame)


_FRAME_FILE = re.compile(r"^frame-(\d+)\.png$")


class PngDirOutput(LedOutput):
    """``--png DIR``: each new frame as DIR/frame-0001.png (1-bit, LED for pixel), and DIR/latest.png scaled.

    A frame equal to the last one is not written again, so the files are the sign's history. The
    numbers go on after those already in the directory: a restart never overwrites a frame.
    """

    def __init__(self, directory: Path, scale: int = 8) -> None:
        if not 1 <= scale <= MAX_SCALE:
            raise ValueError(f"Cannot write LED frames at scale {scale}: the scale must be from 1 to {MAX_SCALE}")
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.scale = scale
        numbers = [int(m[1]) for p in directory.iterdir() if (m := _FRAME_FILE.match(p.name))]
        self._count = max(numbers, default=0)
        self._last: tuple[MatrixSize, bytes] | None = None

    def show(self, frame: LedFrame) -> None:
        key = (frame.size, frame.to_bytes())
        if key == self._last:
            return
        self._count += 1
        (self.directory / f"frame-{self._count:04d}.png").write_bytes(frame.to_png())
        latest = self.directory / "latest.png"
        partial = latest.with_name(".latest.png.partial")
        partial.write_bytes(frame.to_png(self.scale))
        os.replace(partial, latest)  # a viewer never reads half a file
        self._last = key
