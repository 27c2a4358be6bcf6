"""A case's papers, worded from the finished ticket: which outcome gives which paper, and what each
says (the case number, the materials received and the due date, the missing ones and the date to
bring them by, the reasons and the remedies); then the A4 pages at the counter over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from queue_server.app.commands import CallNext, Finish, IssueTicket
from queue_server.domain.hall import Hall
from queue_server.domain.papers import PaperKind, case_number, paper, papers_for
from queue_server.domain.tickets import Outcome, Ticket
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.factories import make_centre, make_hall
from tests.pages_support import WAIT_MS, Site, log_in, running_site, signed_in_reader

STAFF = [{"code": "s1", "name": "王芳", "number": "33010201"}, {"code": "s2", "name": "李娜"}]


def finished(outcome: Outcome, **how: object) -> tuple[Hall, Ticket]:
    centre = make_centre(staff=STAFF, centre={"code": "test", "name": "测试中心", "phone": "0571-1"})
    hall, _ = make_hall(centre, staffed=False)
    hall.sign_on(1, "s1")
    hall.issue("pension")
    hall.call_next(1, actor="staff:s1")
    hall.finish(1, outcome, actor="staff:s1", **how)  # type: ignore[arg-type]
    return hall, hall.ticket(1)


@pytest.mark.parametrize(
    ("outcome", "papers"),
    [
        (Outcome.ON_THE_SPOT, ()),
        (Outcome.PROMISED, (PaperKind.ACCEPTANCE, PaperKind.DELIVERY)),
        (Outcome.JOINT, (PaperKind.ACCEPTANCE, PaperKind.DELIVERY)),
        (Outcome.REPORTED, (PaperKind.ACCEPTANCE, PaperKind.DELIVERY)),
        (Outcome.SUPPLEMENT, (PaperKind.SUPPLEMENT,)),
        (Outcome.RETURNED, (PaperKind.REFUSAL,)),
    ],
)
def test_each_outcome_gives_its_papers(outcome: Outcome, papers: tuple[PaperKind, ...]) -> None:
    assert papers_for(outcome) == papers


def test_the_acceptance_notice_lists_what_was_received_and_when_it_is_due() -> None:
    hall, ticket = finished(Outcome.PROMISED, promised_days=5)
    notice = paper(hall.centre, hall.calendar, ticket, PaperKind.ACCEPTANCE)
    assert (notice.title, notice.case_number) == ("受理通知书", "TEST-2026-000001")
    assert notice.received == ("居民身份证", "户口簿", "银行卡")
    assert str(notice.due) == "2026-12-07", "five working days after Monday 30 November"
    assert notice.staff == "王芳（工号 33010201）" and notice.centre_phone == "0571-1"


def test_the_supplement_notice_names_every_missing_material_the_note_and_a_date() -> None:
    hall, ticket = finished(
        Outcome.SUPPLEMENT, reasons=["申请材料不齐全"], missing_materials=["户口簿"], note="户口簿须为原件"
    )
    notice = paper(hall.centre, hall.calendar, ticket, PaperKind.SUPPLEMENT)
    assert notice.missing == ("户口簿",) and notice.note == "户口簿须为原件"
    assert notice.received == ("居民身份证", "银行卡")
    assert str(notice.supplement_by) == "2026-12-07", "the policy's five working days"
    assert notice.due is None


def test_the_refusal_gives_reasons_and_no_date_to_bring_anything() -> None:
    hall, ticket = finished(Outcome.RETURNED, reasons=["不属于本中心受理范围"])
    notice = paper(hall.centre, hall.calendar, ticket, PaperKind.REFUSAL)
    assert notice.title == "不予受理通知书" and notice.reasons == ("不属于本中心受理范围",)
    assert notice.supplement_by is None and notice.due is None
    with pytest.raises(ValueError, match="no notice of acceptance"):
        paper(hall.centre, hall.calendar, ticket, PaperKind.ACCEPTANCE)


def test_case_numbers_are_the_centre_year_and_serial() -> None:
    hall, ticket = finished(Outcome.PROMISED, promised_days=5)
    assert case_number(hall.centre, hall.calendar, ticket) == "TEST-2026-000001"


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        yield running


async def finish(site: Site, n: int, command: Finish) -> int:
    issued = await site.act(IssueTicket(matter="pension"), "kiosk:k-1", f"issue-{n}")
    assert issued.ok, issued.body
    assert (await site.act(CallNext(window=1), "staff:s1", f"call-{n}")).ok
    assert (await site.act(command, "staff:s1", f"finish-{n}")).ok
    serial: int = issued.body["ticket"]["serial"]
    return serial


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_counter_prints_each_paper_of_its_cases_on_a4(site: Site) -> None:
    promised = await finish(site, 1, Finish(window=1, outcome=Outcome.PROMISED, promised_days=5))
    returned = await finish(site, 2, Finish(window=1, outcome=Outcome.RETURNED, reasons=("不属于本中心受理范围",)))
    on_the_spot = await finish(site, 3, Finish(window=1, outcome=Outcome.ON_THE_SPOT))
    async with signed_in_reader(site, "staff1") as page:
        status, text = await page(f"/console/paper/{promised}/acceptance")
        assert status == 200 and "受理通知书" in text and f"TEST-2026-{promised:06d}" in text
        assert "2026年12月7日前" in text and "银行卡" in text
        status, text = await page(f"/console/paper/{promised}/delivery")
        assert status == 200 and "送达回证" in text and "受送达人签名" in text
        status, text = await page(f"/console/paper/{returned}/refusal")
        assert status == 200 and "不予受理通知书" in text and "行政复议" in text and "行政诉讼" in text
        sheet = text[text.index("<article") : text.index("</article>")]
        assert "补齐" not in sheet and "备齐" not in sheet, "a refusal asks for no materials"
        assert (await page(f"/console/notice/{returned}"))[1] == text, "the console's key opens the same paper"
        for missing in (f"/console/paper/{on_the_spot}/acceptance", f"/console/paper/{returned}/acceptance"):
            assert (await page(missing))[0] == 404, missing
        assert (await page(f"/console/paper/{promised}/bogus"))[0] == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_papers_read_and_print_in_the_browser(site: Site, tmp_path: Path) -> None:
    promised = await finish(site, 1, Finish(window=1, outcome=Outcome.PROMISED, promised_days=5))
    returned = await finish(site, 2, Finish(window=1, outcome=Outcome.RETURNED, reasons=("不属于本中心受理范围",)))
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1000, "height": 1300})
        await log_in(page, site, "staff1", then=f"/console/paper/{promised}/acceptance")
        await expect(page.locator("#paper-title")).to_have_text("受理通知书", timeout=WAIT_MS)
        await expect(page.locator("#paper-due")).to_contain_text("2026年12月7日前")
        await assert_accessible(page, "the notice of acceptance")
        await page.emulate_media(media="print")
        keep_screenshot(await page.screenshot(full_page=True), "paper-acceptance.png", tmp_path)
        await page.goto(f"{site.url}/console/paper/{returned}/refusal")
        await expect(page.locator("#paper-remedy")).to_contain_text("行政复议")
        await assert_accessible(page, "the notice of non-acceptance")
        keep_screenshot(await page.screenshot(full_page=True), "paper-refusal.png", tmp_path)
        assert len(await page.pdf(format="A4")) > 1000


def test_a_due_date_past_the_known_holidays_is_marked_provisional_on_the_notice() -> None:
    hall, ticket = finished(Outcome.PROMISED, promised_days=30)  # into January 2027, holidays not yet known
    notice = paper(hall.centre, hall.calendar, ticket, PaperKind.ACCEPTANCE)
    assert notice.due is not None and notice.due.year == 2027 and notice.due_provisional
    hall, ticket = finished(Outcome.PROMISED, promised_days=5)
    assert not paper(hall.centre, hall.calendar, ticket, PaperKind.ACCEPTANCE).due_provisional
