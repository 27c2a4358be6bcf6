"""The notice of acceptance (受理通知书), the letter of commitment (告知承诺书) and the notice of
acceptance with materials to follow (容缺受理通知书) on the window's thermal printer: made from the
finished case as the server sends them, printed by the printer client's renderer, read back (text
mode, and tesseract on raster)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from queue_server.app.print_jobs import delivery_job, notice_job, print_jobs
from queue_server.app.printers import PrinterBoard
from queue_server.domain.case_terms import CaseTerms, Level
from queue_server.domain.hall import Hall
from queue_server.domain.tickets import Outcome
from queue_server.protocol.payloads import PrintJob
from tests.browser import keep_screenshot
from tests.factories import make_hall
from tests.ocr import ocr_line
from tests.terms_support import terms_centre, terms_hall
from ticket_printer.client.slips import slip_for
from ticket_printer.escpos_parser import parse, raster_image, text_lines
from ticket_printer.layout import PAPER_80, Mode, PrinterProfile, layout
from ticket_printer.preview import render_png
from ticket_printer.raster import draw
from ticket_printer.render import render
from ticket_printer.slips import NoticeSlip


def finished_slip(outcome: Outcome, terms: CaseTerms, *, delivered: bool = False) -> tuple[Hall, NoticeSlip]:
    """The case's first paper; with ``delivered``, its proof of delivery (送达回证) at collection."""
    hall = terms_hall()
    ticket = hall.issue("pension").ticket
    assert ticket is not None
    hall.call_ticket(1, ticket.serial, reason="测试")
    hall.finish(1, outcome, terms=terms, actor="staff:s1")
    finished = hall.ticket(ticket.serial)
    job = (
        delivery_job(hall, finished, "printer-w1", "窗口领取", "s2")
        if delivered
        else notice_job(hall, finished, "printer-w1")
    )
    slip = slip_for(PrintJob.model_validate({**job.message.payload, "seq": 1}))
    assert isinstance(slip, NoticeSlip)
    return hall, slip


def printed(slip: NoticeSlip) -> str:
    return "".join("".join(text_lines(parse(render(slip, PrinterProfile(paper=PAPER_80))))).split())


def test_the_letter_of_commitment_prints_the_commitment_its_check_and_a_signature_line() -> None:
    _, slip = finished_slip(
        Outcome.COMMITMENT, CaseTerms(commitment="本人已连续缴纳养老保险满十五年", by=dt.date(2026, 12, 10))
    )
    text = printed(slip)
    assert "告知承诺书" in text and "受理编号：TEST-2026-000001" in text
    assert "办理结果：告知承诺" in text
    assert "承诺内容：" in text and "本人已连续缴纳养老保险满十五年" in text
    assert "本中心将于2026年12月10日前对承诺内容进行核查。" in text
    assert "经核查承诺不实的" in text and "申请人签名" in text
    assert "一次性告知" not in text, "a letter of commitment is no one-time notice"


def test_the_notice_with_materials_to_follow_lists_them_and_the_date() -> None:
    _, slip = finished_slip(Outcome.DEFERRED, CaseTerms(to_follow=("户口簿", "银行卡"), by=dt.date(2026, 12, 4)))
    text = printed(slip)
    assert "容缺受理通知书" in text and "办理结果：容缺受理" in text
    assert "需补齐的材料：" in text and "1.户口簿" in text and "2.银行卡" in text
    assert "请于2026年12月4日前将上述材料补交到本中心" in text
    assert "逾期未补交的，本次受理终止" in text


def test_the_notice_of_acceptance_lists_what_was_received_and_says_when_and_how_the_result_comes() -> None:
    hall, slip = finished_slip(Outcome.PROMISED, CaseTerms())
    text = printed(slip)
    ticket = hall.ticket(1)
    assert ticket.due_date is not None
    assert "受理通知书" in text and "受理编号：TEST-2026-000001" in text and "办理结果：承诺件" in text
    assert "已收取的申请材料：" in text
    assert slip.received_materials and all(f"{n}.{m}" in text for n, m in enumerate(slip.received_materials, 1))
    day = ticket.due_date
    assert f"承诺办结时间：{day.year}年{day.month}月{day.day}日前" in text
    assert "一次性告知" not in text and "需补齐的材料" not in text, "an accepted case is told no missing material"


def test_a_joint_and_a_reported_case_name_their_lead_department_and_level_on_the_slip() -> None:
    _, joint = finished_slip(Outcome.JOINT, CaseTerms(lead_department="区市场监管局", days=15))
    text = printed(joint)
    assert "受理通知书" in text and "牵头部门：区市场监管局" in text and "15个工作日内" in text
    _, reported = finished_slip(Outcome.REPORTED, CaseTerms(level=Level.CITY, days=20))
    text = printed(reported)
    assert "上报层级：市" in text and "20个工作日内" in text


def test_a_case_accepted_to_be_decided_later_prints_its_notice_at_the_window_and_one_done_on_the_spot_none() -> None:
    centre = terms_centre(devices=[{"id": "printer-w1", "kind": "printer", "window": 1}])
    hall, _ = make_hall(centre, staffed=False)
    hall.sign_on(1, "s1")
    jobs = {}
    for outcome in (Outcome.ON_THE_SPOT, Outcome.PROMISED, Outcome.JOINT, Outcome.REPORTED):
        ticket = hall.issue("pension").ticket
        assert ticket is not None
        hall.call_ticket(1, ticket.serial, reason="测试")
        change = hall.finish(1, outcome)
        jobs[outcome] = print_jobs(hall, change, {}, "http://hall.example", PrinterBoard())
    assert jobs[Outcome.ON_THE_SPOT] == []
    for outcome in (Outcome.PROMISED, Outcome.JOINT, Outcome.REPORTED):
        (job,) = jobs[outcome]
        assert job.printer == "printer-w1" and job.message.payload["notice"]["title"] == "受理通知书", outcome


def test_the_supplement_slip_says_the_deadline_the_a4_page_says() -> None:
    hall = terms_hall()
    hall.issue("pension")
    hall.call_ticket(1, 1, reason="测试")
    hall.finish(1, Outcome.SUPPLEMENT, missing_materials=["户口簿"])
    payload = notice_job(hall, hall.ticket(1), "printer-w1").message.payload
    assert payload["notice"]["deadline"] == (
        "请于2026年12月7日前补齐上述材料并交到本中心，本次申请凭本通知书续办，无需重新排队取号。"
        "逾期未补正的，视为放弃本次申请，可另行申请。"
    )


def _ocr_line(image: Image.Image) -> str:
    return "".join(ocr_line(image).split())


@pytest.mark.parametrize(
    ("outcome", "terms", "title", "picture"),
    [
        (Outcome.PROMISED, CaseTerms(), "受理通知书", "slip-acceptance.png"),
        (Outcome.PROMISED, None, "送达回证", "slip-delivery.png"),
        (Outcome.COMMITMENT, CaseTerms(commitment="本人承诺所填信息真实有效"), "告知承诺书", "slip-commitment.png"),
        (Outcome.DEFERRED, CaseTerms(to_follow=("户口簿",)), "容缺受理通知书", "slip-deferred.png"),
    ],
)
def test_the_printed_slip_reads_back_its_title_and_case_number(
    outcome: Outcome, terms: CaseTerms | None, title: str, picture: str, tmp_path: Path
) -> None:
    if shutil.which("tesseract") is None and not os.environ.get("CI"):  # under CI, testing less must fail
        pytest.skip("tesseract is not installed (Debian tesseract-ocr, tesseract-ocr-chi-sim)")
    _, slip = finished_slip(outcome, terms or CaseTerms(), delivered=terms is None)
    profile = PrinterProfile(paper=PAPER_80, mode=Mode.RASTER)
    image = raster_image(parse(render(slip, profile)))
    assert image is not None
    placed = draw(layout(slip, profile), profile.paper, profile.module_dots).placed
    (heading,) = [p.box for p in placed if p.text == title]
    assert _ocr_line(image.crop(heading)) == title
    (case,) = [p.box for p in placed if slip.case_number in p.text]
    assert slip.case_number in _ocr_line(image.crop(case)), "the case number reads back"
    keep_screenshot(render_png(slip, profile), picture, tmp_path)
