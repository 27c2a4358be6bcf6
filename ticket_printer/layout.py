"""Paper, printer profiles, slip templates, and the layout that joins them.

A template is data: a tuple of lines, each a ``str.format`` pattern over the slip's fields with an
alignment and a size, left out when a named field is empty or repeated over a named list. Adding a
line to a slip is adding a tuple entry, not code. The layout resolves a template against a slip
and a profile into blocks wrapped to the paper's columns; both renderers draw the same blocks, so
the text-mode and raster tickets say the same thing in the same places.

Columns follow the printers' built-in fonts (12 x 24 dots: 32 ASCII or 16 CJK columns on 58 mm
paper, 48 or 24 on 80 mm); a character of size n is n times as wide and tall.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Literal

from ticket_printer.slips import Slip, TicketSlip

MAX: Literal["max"] = "max"
"""A line's size: the largest the profile allows (every size shrinks to fit the line on the paper)."""


class Align(IntEnum):
    """Alignment, numbered as ``ESC a`` numbers it."""

    LEFT = 0
    CENTER = 1
    RIGHT = 2


class Mode(StrEnum):
    TEXT = "text"
    """The printer's own GB18030 Chinese font: small, fast, needs a printer with the font."""
    RASTER = "raster"
    """Everything drawn here and sent as an image: any printer, 30-90 kB a slip."""


@dataclass(frozen=True, slots=True)
class Paper:
    name: str
    dots: int
    """Printable width in dots (8 dots a millimetre)."""
    columns: int
    """ASCII columns at size 1 (a CJK character takes two)."""


PAPER_58 = Paper("58mm", 384, 32)
PAPER_80 = Paper("80mm", 576, 48)


@dataclass(frozen=True, slots=True)
class PrinterProfile:
    """What a printer can do; it chooses the layout's width and the renderer."""

    paper: Paper = PAPER_80
    mode: Mode = Mode.TEXT
    max_size: int = 8
    """The largest character magnification the printer has (``GS !`` allows up to 8)."""
    qr_module_dots: int = 0
    """Dots per QR module; 0 picks one for the paper (6 on 58 mm, 8 on 80 mm)."""

    def __post_init__(self) -> None:
        if not 1 <= self.max_size <= 8:
            raise ValueError(f"Cannot use a printer profile with max_size {self.max_size}: it must be 1 to 8")
        if not 0 <= self.qr_module_dots <= 16:
            raise ValueError(
                f"Cannot use a printer profile with qr_module_dots {self.qr_module_dots}: it must be 0 to 16"
            )

    @property
    def module_dots(self) -> int:
        return self.qr_module_dots or (6 if self.paper.dots < 500 else 8)


# --- Templates ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """A template line: ``text`` is formatted with the slip's fields (and ``{n}``, ``{item}`` under ``each``)."""

    text: str
    align: Align = Align.LEFT
    size: int | Literal["max"] = 1
    bold: bool = False
    when: str | None = None
    """A field name: the line is left out when that field is empty."""
    each: str | None = None
    """A list name: the line is printed once per item, numbered from 1."""


@dataclass(frozen=True, slots=True)
class Qr:
    """A QR code of the named field, centred."""

    field: str


@dataclass(frozen=True, slots=True)
class Rule:
    """A dashed rule across the paper."""


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int = 1


Element = Line | Qr | Rule | Feed

TICKET_TEMPLATE: tuple[Element, ...] = (
    Line("{centre_name}", Align.CENTER, 2, bold=True),
    Line("{centre_name_en}", Align.CENTER, when="centre_name_en"),
    Rule(),
    Line("您的号码", Align.CENTER),
    Line("{number}", Align.CENTER, MAX, bold=True),
    Line("{green_mark}", Align.CENTER, 2, bold=True, when="green_mark"),
    Line("{green_mark_en}", Align.CENTER, when="green_mark_en"),
    Feed(),
    Line("办理事项：{matter_name}", bold=True),
    Line("Matter: {matter_name_en}", when="matter_name_en"),
    Line("前面还有 {people_ahead} 人等候"),
    Line("{people_ahead_en}", when="people_ahead_en"),
    Line("预计等候约 {wait} 分钟", when="wait"),
    Line("{wait_en}", when="wait_en"),
    Line("取号时间：{issued_at}"),
    Feed(),
    Qr("status_url"),
    Line("扫码查看排队进度", Align.CENTER),
    Line("{scan_en}", Align.CENTER, when="scan_en"),
    Rule(),
    Line("{instruction}", Align.CENTER, bold=True),
    Line("{instruction_en}", Align.CENTER, when="instruction_en"),
)

NOTICE_TEMPLATE: tuple[Element, ...] = (
    Line("{centre_name}", Align.CENTER, 2, bold=True),
    Line("{title}", Align.CENTER, 2, bold=True),
    Line("受理编号：{case_number}", Align.CENTER, when="case_number"),
    Rule(),
    Line("号码：{number}"),
    Line("事项：{matter_name}"),
    Line("办理结果：{outcome_name}", bold=True),
    Line("经办人：{staff}", when="handled_by"),
    Line("送达人：{staff}", when="delivered_by"),
    Line("牵头部门：{lead_department}", when="lead_department"),
    Line("上报层级：{level}", when="level"),
    Feed(),
    Line("已收取的申请材料：", bold=True, when="has_received"),
    Line("{n}. {item}", each="received_materials"),
    Line("{due}", bold=True, when="due"),
    Line("结果领取：{delivery}", when="delivery"),
    Line("送达文书：{matter_name}办理结果", when="delivered_how"),
    Line("送达方式：{delivered_how}", when="delivered_how"),
    Line("原因：", bold=True, when="has_reasons"),
    Line("{n}. {item}", each="reasons"),
    Line("需补齐的材料：", bold=True, when="has_materials"),
    Line("{n}. {item}", each="missing_materials"),
    Line("承诺内容：", bold=True, when="commitment"),
    Line("{commitment}", when="commitment"),
    Line("说明：{note}", when="note"),
    Line("{deadline}", bold=True, when="deadline"),
    Line("{remedy}", when="remedy"),
    Rule(),
    Line("以上为本次一次性告知的全部内容。", when="told_once"),
    Line("申请人签名：____________", when="applicant_signs"),
    Line("受送达人签名：____________", when="delivered_how"),
    Line("咨询电话：{phone}", when="phone"),
    Line("地址：{address}", when="address"),
    Line("日期：{date}"),
)


def template_for(slip: Slip) -> tuple[Element, ...]:
    return TICKET_TEMPLATE if isinstance(slip, TicketSlip) else NOTICE_TEMPLATE


# --- Layout ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextBlock:
    """One printed line, already wrapped to fit the paper at its size."""

    text: str
    align: Align
    size: int
    bold: bool


@dataclass(frozen=True, slots=True)
class QrBlock:
    data: str


@dataclass(frozen=True, slots=True)
class RuleBlock:
    pass


@dataclass(frozen=True, slots=True)
class FeedBlock:
    lines: int


Block = TextBlock | QrBlock | RuleBlock | FeedBlock


def layout(slip: Slip, profile: PrinterProfile, template: tuple[Element, ...] | None = None) -> list[Block]:
    """Resolve a template against a slip for a profile's paper."""
    fields = slip.fields()
    lists = slip.lists()
    blocks: list[Block] = []
    for element in template if template is not None else template_for(slip):
        if isinstance(element, Rule):
            blocks.append(RuleBlock())
        elif isinstance(element, Feed):
            blocks.append(FeedBlock(element.lines))
        elif isinstance(element, Qr):
            if fields.get(element.field):
                blocks.append(QrBlock(fields[element.field]))
        else:
            if element.when is not None and not fields.get(element.when):
                continue
            try:
                if element.each is None:
                    texts = [element.text.format_map(fields)]
                else:
                    texts = [
                        element.text.format_map({**fields, "n": str(n), "item": item})
                        for n, item in enumerate(lists[element.each], start=1)
                    ]
            except KeyError as error:
                kind = type(slip).__name__
                raise ValueError(f"Cannot lay out the line {element.text!r}: a {kind} has no {error}") from None
            for text in texts:
                size = _size(element.size, text, profile)
                blocks.extend(
                    TextBlock(part, element.align, size, element.bold)
                    for part in wrap(text, profile.paper.columns // size)
                )
    return blocks


def _size(size: int | Literal["max"], text: str, profile: PrinterProfile) -> int:
    """The size asked for (at most the profile's), made smaller until the line fits on one line.

    A heading shrinks rather than breaks ("滨江区政务服务中" over "心" reads badly); a line too long
    even at size 1 is wrapped.
    """
    wanted = profile.max_size if size == MAX else min(size, profile.max_size)
    width = max(display_width(text), 1)
    return max(1, min(wanted, profile.paper.columns // width))


def char_width(char: str) -> int:
    """Columns a character takes: two for wide (CJK and full-width) characters, one otherwise."""
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def display_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def wrap(text: str, columns: int) -> list[str]:
    """Break text into lines of at most ``columns`` columns; ASCII words stay whole when they can."""
    lines: list[str] = []
    line = ""
    width = 0
    for char in text:
        w = char_width(char)
        if width + w > columns and line:
            cut = _word_break(line, char)
            lines.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
            width = display_width(line)
            if not line and char.isspace():
                continue
        line += char
        width += w
    lines.append(line.rstrip())
    return lines or [""]


def _word_break(line: str, following: str) -> int:
    """Where to break a full line: after its last space when an ASCII word runs on past its end."""
    if not (_in_word(line[-1]) and _in_word(following)):
        return len(line)
    space = line.rfind(" ")
    return space + 1 if space > 0 else len(line)


def _in_word(char: str) -> bool:
    return char.isascii() and not char.isspace()
