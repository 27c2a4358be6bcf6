"""The ticket printer's rendering core: slips to ESC/POS bytes, read back by meaning.

Text-mode jobs are parsed back with ``ticket_printer.escpos_parser`` and checked for what the
citizen reads; raster jobs are parsed back to an image that zbar (QR) and tesseract (the ticket
number) must read, as a scanner and a person would. zbar and tesseract come from
scripts/debian-packages-test.txt; without them these tests skip locally and fail under CI.
"""

from __future__ import annotations

import io
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from tests.ocr import ocr_line
from ticket_printer import escpos
from ticket_printer.demo import DEMO_NOTICE, DEMO_TICKET, write_demo_images
from ticket_printer.escpos_parser import (
    ChineseMode,
    Cut,
    Event,
    Init,
    ParseError,
    QrCode,
    Raster,
    Text,
    parse,
    raster_image,
    text_lines,
)
from ticket_printer.layout import (
    MAX,
    PAPER_58,
    PAPER_80,
    Align,
    Line,
    Mode,
    Paper,
    PrinterProfile,
    TextBlock,
    display_width,
    layout,
    wrap,
)
from ticket_printer.preview import render_png
from ticket_printer.raster import draw
from ticket_printer.render import RasterMode, TextMode, render
from ticket_printer.slips import INSTRUCTION_EN, INSTRUCTION_ZH, TicketSlip

PAPERS = pytest.mark.parametrize("paper", [PAPER_58, PAPER_80], ids=["58mm", "80mm"])


def _need(tool: str) -> None:
    """Skip without a checking tool, except under CI, where testing less must fail."""
    if os.environ.get("CI"):
        return
    if tool == "zbar":
        try:
            from pyzbar import pyzbar  # type: ignore[import-untyped]

            pyzbar.decode(Image.new("L", (8, 8), 255))
        except (ImportError, OSError) as error:
            pytest.skip(f"zbar is not available ({error}): Debian libzbar0, PyPI pyzbar")
    elif shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (Debian tesseract-ocr, tesseract-ocr-chi-sim)")


def _flat(text: str) -> str:
    return "".join(text.split())


def _printed(events: list[Event]) -> str:
    return "\n".join(text_lines(events))


# --- Text mode ---------------------------------------------------------------------------------


@PAPERS
def test_the_wait_told_as_a_range_is_printed_in_place_of_the_single_figure(paper: Paper) -> None:
    profile = PrinterProfile(paper=paper, mode=Mode.TEXT)
    printed = _flat(_printed(parse(render(replace(DEMO_TICKET, wait_range_minutes=(12, 25)), profile))))
    assert "预计等候约12-25分钟" in printed and "预计等候约18分钟" not in printed
    assert _flat("Estimated wait: about 12-25 min") in printed
    met = _flat(_printed(parse(render(replace(DEMO_TICKET, wait_range_minutes=(0, 0)), profile))))
    assert "预计等候约0分钟" in met, "ends that meet are one figure"


@PAPERS
def test_text_mode_ticket_reads_back(paper: Paper) -> None:
    profile = PrinterProfile(paper=paper, mode=Mode.TEXT)
    events = parse(render(DEMO_TICKET, profile))
    printed = _flat(_printed(events))

    for expected in ("示范镇便民服务中心", "A012", "居住证申领", "前面还有5人等候", "预计等候约18分钟", INSTRUCTION_ZH):
        assert expected in printed
    assert "【绿色通道·老年人】" in printed
    assert _flat(INSTRUCTION_EN) in printed
    assert events[:2] == [Init(), ChineseMode(on=True)]
    assert isinstance(events[-1], Cut)

    number = [e for e in events if isinstance(e, Text) and e.text == "A012"]
    assert len(number) == 1
    assert (number[0].width, number[0].height) == (8, 8)
    assert number[0].align == Align.CENTER
    assert max(e.width for e in events if isinstance(e, Text)) == 8

    codes = [e for e in events if isinstance(e, QrCode)]
    assert [c.data for c in codes] == [DEMO_TICKET.status_url]
    assert codes[0].align == Align.CENTER


@PAPERS
def test_text_mode_lines_fit_the_paper(paper: Paper) -> None:
    events = parse(render(DEMO_NOTICE, PrinterProfile(paper=paper)))
    for event in events:
        if isinstance(event, Text):
            assert display_width(event.text) * event.width <= paper.columns, event


def test_the_number_takes_the_profiles_largest_size() -> None:
    events = parse(render(DEMO_TICKET, PrinterProfile(paper=PAPER_80, max_size=4)))
    (number,) = [e for e in events if isinstance(e, Text) and e.text == "A012"]
    assert (number.width, number.height) == (4, 4)
    assert b"\x1d\x21\x33\x1bE\x01A012" in render(DEMO_TICKET, PrinterProfile(paper=PAPER_80, max_size=4))
    assert b"\x1d\x21\x77\x1bE\x01A012" in render(DEMO_TICKET, PrinterProfile(paper=PAPER_58))


def test_a_plain_chinese_ticket_has_no_green_mark_and_no_english() -> None:
    slip = replace(DEMO_TICKET, green_channel=False, category_name=None, english=False)
    printed = _printed(parse(render(slip, PrinterProfile())))
    assert "绿色通道" not in printed
    assert "Green" not in printed
    assert "Binjiang" not in printed
    assert "Residence" not in printed
    assert INSTRUCTION_ZH in printed


def test_green_without_a_category_still_shows_the_mark() -> None:
    slip = replace(DEMO_TICKET, category_name=None, english=False)
    assert "【绿色通道】" in _printed(parse(render(slip, PrinterProfile())))


def test_full_width_punctuation_is_sent_as_gb18030() -> None:
    data = render(DEMO_TICKET, PrinterProfile())
    assert "办理事项：居住证申领".encode("gb18030") in data
    assert b"?" not in data.replace(DEMO_TICKET.status_url.encode(), b"")


@PAPERS
def test_notice_lists_every_reason_and_material_and_the_phone(paper: Paper) -> None:
    printed = _flat(_printed(parse(render(DEMO_NOTICE, PrinterProfile(paper=paper)))))
    assert "补正材料通知书" in printed and "受理编号：DEMO-2026-000012" in printed
    assert "办理结果：补正" in printed and _flat(DEMO_NOTICE.deadline) in printed
    for n, reason in enumerate(DEMO_NOTICE.reasons, start=1):
        assert f"{n}.{_flat(reason)}" in printed
    for n, material in enumerate(DEMO_NOTICE.missing_materials, start=1):
        assert f"{n}.{_flat(material)}" in printed
    assert DEMO_NOTICE.phone in printed
    assert _flat(DEMO_NOTICE.address) in printed
    assert DEMO_NOTICE.date in printed


def test_a_returned_case_without_materials_leaves_out_the_heading() -> None:
    slip = replace(DEMO_NOTICE, outcome_name="退回件", missing_materials=())
    printed = _printed(parse(render(slip, PrinterProfile())))
    assert "退回件" in printed
    assert "需补齐的材料" not in printed


# --- Raster mode -------------------------------------------------------------------------------


@PAPERS
def test_raster_mode_ticket_reads_back(paper: Paper) -> None:
    _need("zbar")
    _need("tesseract")
    from pyzbar import pyzbar

    profile = PrinterProfile(paper=paper, mode=Mode.RASTER)
    events = parse(render(DEMO_TICKET, profile))
    assert not [e for e in events if isinstance(e, Text | QrCode)]
    assert isinstance(events[-1], Cut)
    image = raster_image(events)
    assert image is not None
    assert image.width == paper.dots

    codes = pyzbar.decode(image.convert("L"))
    assert [c.data.decode("utf-8") for c in codes] == [DEMO_TICKET.status_url]

    # The number's line, where the layout put it, cut from the image the printer received.
    placed = draw(layout(DEMO_TICKET, profile), paper, profile.module_dots).placed
    (box,) = [p.box for p in placed if p.text == "A012"]
    number = image.crop(box)
    assert ocr_line(number).replace(" ", "") == "A012"
    # Drawn within the paper: the number's line has white at both edges.
    edges = number.crop((0, 0, 2, number.height)), number.crop((number.width - 2, 0, number.width, number.height))
    assert all(edge.getextrema() == (255, 255) for edge in edges)


@PAPERS
def test_raster_mode_notice_reads_back(paper: Paper) -> None:
    _need("tesseract")
    profile = PrinterProfile(paper=paper, mode=Mode.RASTER)
    events = parse(render(DEMO_NOTICE, profile))
    image = raster_image(events)
    assert image is not None
    placed = draw(layout(DEMO_NOTICE, profile), paper, profile.module_dots).placed
    (phone,) = [p.box for p in placed if DEMO_NOTICE.phone in p.text]
    read = ocr_line(image.crop(phone))
    assert "咨询电话" in read
    assert DEMO_NOTICE.phone in read
    (heading,) = [p.box for p in placed if p.text == DEMO_NOTICE.title]
    assert ocr_line(image.crop(heading)).replace(" ", "") == "补正材料通知书"
    (case,) = [p.box for p in placed if DEMO_NOTICE.case_number in p.text]
    assert DEMO_NOTICE.case_number in ocr_line(image.crop(case)).replace(" ", ""), "the case number reads back"


def test_raster_bands_stay_within_printer_buffers() -> None:
    events = parse(render(DEMO_NOTICE, PrinterProfile(paper=PAPER_58, mode=Mode.RASTER)))
    bands = [e for e in events if isinstance(e, Raster)]
    assert len(bands) > 1
    assert all(band.image.height <= 256 and band.image.width == 384 for band in bands)


def test_both_renderers_share_one_interface() -> None:
    blocks = [TextBlock("号码 A001", Align.LEFT, 1, False)]
    profile = PrinterProfile(paper=PAPER_58)
    for renderer in (TextMode(), RasterMode()):
        data = renderer.render(blocks, profile)
        assert data.startswith(escpos.INIT)
        assert data.endswith(escpos.CUT)


def test_text_mode_bytes_are_exact() -> None:
    blocks = [TextBlock("号A", Align.CENTER, 2, True)]
    assert TextMode().render(blocks, PrinterProfile(paper=PAPER_58)) == (
        b"\x1b@\x1c&"
        + b"\x1ba\x01\x1d!\x11\x1bE\x01"
        + "号A".encode("gb18030")
        + b"\n"
        + b"\x1d!\x00\x1bE\x00\x1ba\x00\x1bd\x04\x1dV\x01"
    )


# --- Preview -----------------------------------------------------------------------------------


@PAPERS
def test_preview_is_a_png_of_the_paper_width(paper: Paper) -> None:
    for slip in (DEMO_TICKET, DEMO_NOTICE):
        data = render_png(slip, PrinterProfile(paper=paper, mode=Mode.TEXT))
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG"
            assert image.width == paper.dots
            assert image.height > 300


def test_demo_images_are_written(tmp_path: Path) -> None:
    paths = write_demo_images(tmp_path)
    assert [p.name for p in paths] == ["ticket-demo.png", "notice-demo.png"]
    for path in paths:
        with Image.open(path) as image:
            assert image.width == PAPER_80.dots


# --- Parser ------------------------------------------------------------------------------------


def test_parser_refuses_a_truncated_command_with_its_offset() -> None:
    data = render(DEMO_TICKET, PrinterProfile())
    qr_at = data.index(b"\x1d(k")
    with pytest.raises(ParseError, match=f"Truncated GS \\( k.* at offset {qr_at}$") as caught:
        parse(data[: qr_at + 5])
    assert caught.value.offset == qr_at

    raster = render(DEMO_TICKET, PrinterProfile(mode=Mode.RASTER))
    with pytest.raises(ParseError, match="Truncated GS v 0 image data") as caught:
        parse(raster[:100])
    assert caught.value.offset == raster.index(b"\x1dv0")

    with pytest.raises(ParseError, match=r"Truncated ESC a.* at offset 2$"):
        parse(b"\x1b@\x1ba")


def test_parser_refuses_an_unknown_command_with_its_offset() -> None:
    with pytest.raises(ParseError, match=r"Unknown command ESC 0x74 at offset 4$") as caught:
        parse(b"\x1b@AB\x1bt\x00")
    assert caught.value.offset == 4
    with pytest.raises(ParseError, match=r"Unknown control byte 0x07 at offset 1$"):
        parse(b"A\x07")
    with pytest.raises(ParseError, match=r"Unknown command GS 0x48 at offset 0$"):
        parse(b"\x1dH\x02")


def test_parser_refuses_chinese_outside_chinese_mode() -> None:
    with pytest.raises(ParseError, match=r"ASCII \(Chinese mode is off\) at offset 3$"):
        parse(b"\x1b@A" + "号".encode("gb18030"))
    (text,) = [e for e in parse(b"\x1c&" + "号码：".encode("gb18030")) if isinstance(e, Text)]
    assert text.text == "号码："


# --- Layout and slips --------------------------------------------------------------------------


def test_wrap_keeps_words_and_columns() -> None:
    assert wrap("Scan to follow your place in the queue", 32) == ["Scan to follow your place in the", "queue"]
    assert wrap("滨江区政务服务中心", 16) == ["滨江区政务服务中", "心"]
    assert wrap("", 16) == [""]


def test_headings_shrink_rather_than_break() -> None:
    blocks = layout(DEMO_TICKET, PrinterProfile(paper=PAPER_58))
    (centre,) = [b for b in blocks if isinstance(b, TextBlock) and "示范镇" in b.text]
    assert (centre.text, centre.size) == ("示范镇便民服务中心", 1)
    number_line = Line("{number}", Align.CENTER, MAX)
    (number,) = layout(replace(DEMO_TICKET, number="GC1234"), PrinterProfile(paper=PAPER_58), (number_line,))
    assert isinstance(number, TextBlock)
    assert number.size == 5


def test_a_template_naming_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Cannot lay out the line '\{fax\}': a NoticeSlip has no 'fax'"):
        layout(DEMO_NOTICE, PrinterProfile(), (Line("{fax}"),))
    with pytest.raises(ValueError, match="a TicketSlip has no 'reasons'"):
        layout(DEMO_TICKET, PrinterProfile(), (Line("{item}", each="reasons"),))


def test_profile_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="max_size 9"):
        PrinterProfile(max_size=9)


def test_slip_from_the_ticket_view() -> None:
    view = {
        "number": "B003",
        "matter_name": "社保卡补办",
        "matter_name_en": "Social security card replacement",
        "green_channel": True,
        "category_name": "残疾人",
        "position": {"people_ahead": 2, "estimated_wait_minutes": 7.6, "expected_call": "2026-11-29T01:20:00Z"},
        "status_url": "https://onewindow.example/t/b003",
    }
    slip = TicketSlip.from_view(view, centre_name="滨江区政务服务中心", issued_at="2026-11-29 09:12")
    assert slip.number == "B003"
    assert slip.people_ahead == 2
    assert slip.estimated_wait_minutes == 8
    assert slip.green_mark == "【绿色通道·残疾人】"
    assert not slip.english
    waiting_elsewhere = TicketSlip.from_view(
        {**view, "position": None}, centre_name="滨江区政务服务中心", issued_at="2026-11-29 09:12"
    )
    assert waiting_elsewhere.estimated_wait_minutes is None
