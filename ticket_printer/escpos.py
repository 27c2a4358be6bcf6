"""The few ESC/POS commands OneWindow sends, as bytes.

Written here rather than taken from python-escpos: its text encoding picks GB18030 only when a
whole string is CJK ideographs (full-width punctuation came out as ``???``), none of its printer
profiles knows GB18030, and its native QR cannot centre itself. A dozen commands are easier to
get exactly right, and to test byte for byte, than a library to work around. The parser in
``escpos_parser`` reads back exactly these.
"""

from __future__ import annotations

ESC = 0x1B
GS = 0x1D
FS = 0x1C
LF = 0x0A

INIT = bytes([ESC, 0x40])
"""ESC @: reset the printer's modes."""
CHINESE_ON = bytes([FS, 0x26])
"""FS &: Chinese character mode; multi-byte text is read as GB18030 (GB2312 on older heads)."""
CHINESE_OFF = bytes([FS, 0x2E])
"""FS .: back to single-byte characters."""
CUT = bytes([GS, 0x56, 0x01])
"""GS V 1: partial cut (a full cut drops the slip on the floor)."""

QR_ERROR_M = 0x31


def align(value: int) -> bytes:
    """ESC a n: 0 left, 1 centre, 2 right."""
    return bytes([ESC, 0x61, value])


def size(width: int, height: int) -> bytes:
    """GS ! n: character magnification 1-8 across and down."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError(f"Cannot set character size {width}x{height}: each must be 1 to 8")
    return bytes([GS, 0x21, (width - 1) << 4 | (height - 1)])


def bold(on: bool) -> bytes:
    """ESC E n: emphasised (bold) text."""
    return bytes([ESC, 0x45, 1 if on else 0])


def feed(lines: int) -> bytes:
    """ESC d n: print and feed n lines."""
    return bytes([ESC, 0x64, lines])


def _qr_function(fn: int, parameters: bytes) -> bytes:
    length = len(parameters) + 2
    return bytes([GS, 0x28, 0x6B, length & 0xFF, length >> 8, 0x31, fn]) + parameters


def qr(data: str, module_dots: int) -> bytes:
    """GS ( k: model 2, module size, error correction M, store the data, print it."""
    payload = data.encode("utf-8")
    if len(payload) > 7089:
        raise ValueError(f"Cannot print a QR code of {len(payload)} bytes: at most 7089")
    return b"".join(
        (
            _qr_function(0x41, bytes([0x32, 0x00])),
            _qr_function(0x43, bytes([module_dots])),
            _qr_function(0x45, bytes([QR_ERROR_M])),
            _qr_function(0x50, b"\x30" + payload),
            _qr_function(0x51, b"\x30"),
        )
    )


def raster(packed: bytes, width_bytes: int, rows: int) -> bytes:
    """GS v 0: a raster band, ``width_bytes`` bytes a row, most significant bit leftmost, 1 is black."""
    if len(packed) != width_bytes * rows:
        raise ValueError(f"Cannot send a raster band of {len(packed)} bytes as {width_bytes} x {rows}")
    return bytes([GS, 0x76, 0x30, 0, width_bytes & 0xFF, width_bytes >> 8, rows & 0xFF, rows >> 8]) + packed
