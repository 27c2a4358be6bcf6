"""A small ESC/POS parser: what a printer would do with a byte stream.

There is none on PyPI. The tests use it to check rendered jobs by meaning rather than by bytes,
and the printer emulator will use it to show a job. It knows the commands OneWindow sends (see
``escpos``) and refuses anything else, with the byte offset, because a command it skipped might
swallow the bytes after it on a real printer too.

Text is decoded as GB18030 while Chinese mode (FS &) is on and as ASCII otherwise. GB18030 trail
bytes are all 0x30 or above, so a text run is simply the bytes from 0x20 up to the next control.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from ticket_printer.escpos import ESC, FS, GS, LF


class ParseError(ValueError):
    """The stream has a command this parser does not know, or one cut short."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at offset {offset}")
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Init:
    pass


@dataclass(frozen=True, slots=True)
class ChineseMode:
    on: bool


@dataclass(frozen=True, slots=True)
class SetAlign:
    align: int


@dataclass(frozen=True, slots=True)
class SetSize:
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class SetBold:
    on: bool


@dataclass(frozen=True, slots=True)
class Text:
    """A run of text, with the modes it is printed in."""

    text: str
    width: int
    height: int
    align: int
    bold: bool


@dataclass(frozen=True, slots=True)
class Newline:
    pass


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int


@dataclass(frozen=True, slots=True)
class QrCode:
    data: str
    module_dots: int
    align: int


@dataclass(frozen=True, slots=True)
class Raster:
    image: Image.Image
    """Mode "1": black where the printer burns a dot."""
    align: int


@dataclass(frozen=True, slots=True)
class Cut:
    partial: bool


Event = Init | ChineseMode | SetAlign | SetSize | SetBold | Text | Newline | Feed | QrCode | Raster | Cut


class _Parser:
    """Walks the stream once, keeping the printer's modes as it goes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.events: list[Event] = []
        self.chinese = False
        self.align = 0
        self.width = self.height = 1
        self.bold = False
        self.qr_data = b""
        self.qr_module = 3

    def take(self, count: int, what: str, start: int) -> bytes:
        if self.pos + count > len(self.data):
            left = len(self.data) - self.pos
            raise ParseError(f"Truncated {what}: needs {count} more bytes, {left} left", start)
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def byte(self, what: str, start: int) -> int:
        return self.take(1, what, start)[0]

    def run(self) -> list[Event]:
        while self.pos < len(self.data):
            start = self.pos
            byte = self.data[start]
            if byte == LF:
                self.pos += 1
                self.events.append(Newline())
            elif _is_text(byte):
                self.text(start)
            elif byte in (ESC, FS, GS):
                self.pos += 1
                command = self.byte(f"{_PREFIX[byte]} command", start)
                {ESC: self.esc, FS: self.fs, GS: self.gs}[byte](command, start)
            else:
                raise ParseError(f"Unknown control byte 0x{byte:02X}", start)
        return self.events

    def text(self, start: int) -> None:
        end = start
        while end < len(self.data) and _is_text(self.data[end]):
            end += 1
        try:
            text = self.data[start:end].decode("gb18030" if self.chinese else "ascii")
        except UnicodeDecodeError as error:
            mode = "GB18030" if self.chinese else "ASCII (Chinese mode is off)"
            raise ParseError(f"Cannot decode text as {mode}", start + error.start) from None
        self.pos = end
        self.events.append(Text(text, self.width, self.height, self.align, self.bold))

    def esc(self, command: int, start: int) -> None:
        if command == 0x40:
            self.chinese, self.align, self.width, self.height, self.bold = False, 0, 1, 1, False
            self.events.append(Init())
        elif command == 0x61:
            value = self.byte("ESC a", start)
            if value not in (0, 1, 2, 48, 49, 50):
                raise ParseError(f"Unknown alignment {value} in ESC a", start)
            self.align = value % 48
            self.events.append(SetAlign(self.align))
        elif command == 0x45:
            self.bold = bool(self.byte("ESC E", start) & 1)
            self.events.append(SetBold(self.bold))
        elif command == 0x64:
            self.events.append(Feed(self.byte("ESC d", start)))
        else:
            raise ParseError(f"Unknown command ESC 0x{command:02X}", start)

    def fs(self, command: int, start: int) -> None:
        if command not in (0x26, 0x2E):
            raise ParseError(f"Unknown command FS 0x{command:02X}", start)
        self.chinese = command == 0x26
        self.events.append(ChineseMode(self.chinese))

    def gs(self, command: int, start: int) -> None:
        if command == 0x21:
            value = self.byte("GS !", start)
            self.width, self.height = (value >> 4) + 1, (value & 0x0F) + 1
            if self.width > 8 or self.height > 8:
                raise ParseError(f"Impossible character size 0x{value:02X} in GS !", start)
            self.events.append(SetSize(self.width, self.height))
        elif command == 0x56:
            cut = self.byte("GS V", start)
            if cut in (65, 66):
                self.events.append(Feed(self.byte("GS V", start)))
                self.events.append(Cut(partial=cut == 66))
            elif cut in (0, 1, 48, 49):
                self.events.append(Cut(partial=cut % 48 == 1))
            else:
                raise ParseError(f"Unknown cut mode {cut} in GS V", start)
        elif command == 0x76:
            self.raster(start)
        elif command == 0x28:
            if self.byte("GS (", start) != 0x6B:
                raise ParseError("Unknown command GS ( (only GS ( k)", start)
            self.qr(start)
        else:
            raise ParseError(f"Unknown command GS 0x{command:02X}", start)

    def raster(self, start: int) -> None:
        header = self.take(6, "GS v 0 header", start)
        if header[0] != 0x30 or header[1] not in (0, 48):
            raise ParseError("Unsupported GS v form (only GS v 0 at normal scale)", start)
        width_bytes = header[2] | header[3] << 8
        rows = header[4] | header[5] << 8
        packed = self.take(width_bytes * rows, "GS v 0 image data", start)
        # ESC/POS has 1 for black; Pillow's mode "1" has 1 for white.
        image = Image.frombytes("1", (width_bytes * 8, rows), bytes(b ^ 0xFF for b in packed))
        self.events.append(Raster(image, self.align))

    def qr(self, start: int) -> None:
        length = self.take(2, "GS ( k length", start)
        body = self.take(length[0] | length[1] << 8, "GS ( k", start)
        if len(body) < 2 or body[0] != 0x31:
            raise ParseError("Unknown GS ( k symbol (only QR, cn 49)", start)
        function, parameters = body[1], body[2:]
        if function in (0x41, 0x45):
            return  # model, error correction: nothing to show
        if function == 0x43 and parameters:
            self.qr_module = parameters[0]
        elif function == 0x50:
            self.qr_data = parameters[1:]
        elif function == 0x51:
            try:
                self.events.append(QrCode(self.qr_data.decode("utf-8"), self.qr_module, self.align))
            except UnicodeDecodeError:
                raise ParseError("QR data is not UTF-8", start) from None
        else:
            raise ParseError(f"Unknown QR function {function} in GS ( k", start)


_PREFIX = {ESC: "ESC", FS: "FS", GS: "GS"}


def _is_text(byte: int) -> bool:
    return byte >= 0x20 and byte != 0x7F


def parse(data: bytes) -> list[Event]:
    """Walk the stream and return what the printer would do, in order."""
    return _Parser(data).run()


def text_lines(events: Sequence[Event]) -> list[str]:
    """The printed text, one string a printed line."""
    lines: list[str] = []
    line = ""
    for event in events:
        if isinstance(event, Text):
            line += event.text
        elif isinstance(event, Newline):
            lines.append(line)
            line = ""
    if line:
        lines.append(line)
    return lines


def raster_image(events: Sequence[Event]) -> Image.Image | None:
    """All raster bands stacked as the paper would show them; None when there are none."""
    bands = [event.image for event in events if isinstance(event, Raster)]
    if not bands:
        return None
    image = Image.new("1", (max(b.width for b in bands), sum(b.height for b in bands)), 1)
    top = 0
    for band in bands:
        image.paste(band, (0, top))
        top += band.height
    return image
