"""The follow-up calls and appeals on the rectification page, in a real browser: a named bad rating
whose case cannot close before its follow-up call is recorded, and a window's appeal upheld by the
supervisor (and another rejected) — against a running site on SQLite."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, FilePayload, Page, expect

from queue_server.app import rectification as cases
from queue_server.app.once import Once, Presenter
from queue_server.app.service import HallService
from queue_server.domain.rectification import CaseStatus
from queue_server.pages.live import POLL_SECONDS
from queue_server.store.rectification import list_cases, mark_named
from tests import test_pages_rectification as rectification
from tests.accessibility import assert_accessible
from tests.browser import keep_screenshot
from tests.pages_support import WAIT_MS, Site
from tests.test_pages_rectification import bad_rating, open_as
from tests.test_staff_photos import camera_jpeg

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
site = rectification.site
browser = rectification.browser
"""The rectification page's fixtures: a running site on SQLite (s1 at window 1), and Chromium."""


def photo_file() -> FilePayload:
    return {"name": "大厅录像截图.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}


def pdf_file() -> FilePayload:
    return {"name": "情况说明.pdf", "mimeType": "application/pdf", "buffer": PDF}


def not_a_pdf() -> FilePayload:
    return {"name": "说明.pdf", "mimeType": "application/pdf", "buffer": b"a letter typed as text, named .pdf"}


async def pick(page: Page, case: int) -> None:
    await page.locator(f"#cases tbody tr[data-case='{case}']").click()
    await expect(page.locator("#detail-heading")).to_have_text(f"整改件 {case}", timeout=WAIT_MS)


async def step(page: Page, note: str) -> None:
    await page.fill("#advance-note", note)
    await page.click("#advance-button")


async def test_a_named_rating_closes_only_after_its_follow_up_call(site: Site, browser: Browser) -> None:
    await bad_rating(site)
    async with site.db.write() as conn:
        await mark_named(conn, site.code, 1)  # the citizen left a number with the rating
    errors: list[str] = []
    page = await open_as(browser, site, "manager", errors)
    await pick(page, 1)
    await expect(page.locator("#detail-named")).to_have_text("实名差评：须回访")
    await expect(page.locator("#follow-up-outcome")).to_contain_text("办结前须电话回访")
    await step(page, "调取录像，属实")
    await expect(page.locator("#detail-status")).to_have_text("已核实", timeout=WAIT_MS)
    await page.fill("#advance-note", "核实后不属实")
    await page.click("#close-unfounded")
    await expect(page.locator("#advance-form .form-error")).to_contain_text(
        "第1号整改件是实名差评，须先电话回访并记录结果", timeout=WAIT_MS
    )
    await expect(page.locator("#detail-status")).to_have_text("已核实")

    await page.select_option("#call-result", "not_reached")
    await page.fill("#call-note", "无人接听")
    await page.click("#call-button")
    await expect(page.locator("#detail-message")).to_have_text("已记录回访", timeout=WAIT_MS)
    await expect(page.locator("#calls tbody tr")).to_have_count(1)
    await page.select_option("#call-result", "satisfied")
    await page.click("#call-button")
    await expect(page.locator("#follow-up-outcome")).to_have_text("回访结果：整改后满意", timeout=WAIT_MS)
    await expect(page.locator("#calls tbody tr")).to_have_count(2)
    await expect(page.locator("#call-form")).to_be_hidden()
    await assert_accessible(page, "the follow-up record")

    await page.fill("#advance-note", "回访满意，办结")
    await page.click("#close-unfounded")
    await expect(page.locator("#detail-status")).to_have_text("已办结", timeout=WAIT_MS)
    async with site.db.read() as conn:
        (case,) = await list_cases(conn, site.code, None)
    assert (case.status.value, case.follow_up, len(case.calls)) == ("closed", "satisfied", 2)
    assert not errors, errors


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
"""A PDF as a scanner writes one: its header and its end marker."""


async def appeal(page: Page, reason: str, files: tuple[FilePayload, ...] = (), *, filed: bool = True) -> None:
    await page.fill("#appeal-reason-input", "")
    await page.click("#appeal-button")
    await expect(page.locator("#appeal-form .field-error")).to_have_text("请写明申诉理由", timeout=WAIT_MS)
    await page.fill("#appeal-reason-input", reason)
    await page.fill("#appeal-evidence-input", "大厅录像 09:12")
    await page.set_input_files("#appeal-files-input", files=list(files))
    await page.click("#appeal-button")
    if filed:
        await expect(page.locator("#detail-appeal")).to_have_text("申诉待复核", timeout=WAIT_MS)


async def opens_the_files(supervisor: Page, site: Site) -> None:
    """The supervisor deciding sees the appeal's files and opens each: the photo upright, without EXIF."""
    links = supervisor.locator("#appeal-files a")
    await expect(links).to_have_text(["大厅录像截图.jpg", "情况说明.pdf"])
    for link, media_type in zip(await links.all(), ("image/jpeg", "application/pdf"), strict=True):
        href = await link.get_attribute("href")
        assert href is not None
        opened = await supervisor.request.get(f"{site.url}{href}")
        assert (opened.status, opened.headers["content-type"]) == (200, media_type)
    photo = Image.open(
        io.BytesIO(await (await supervisor.request.get(f"{site.url}{await links.first.get_attribute('href')}")).body())
    )
    assert photo.size == (600, 800) and not photo.getexif(), "turned upright as taken, without EXIF or GPS"


async def test_an_appeal_upheld_by_the_supervisor_and_another_rejected(
    site: Site,
    browser: Browser,
    tmp_path: Path,
) -> None:
    await bad_rating(site)
    await bad_rating(site, "again")
    errors: list[str] = []
    manager = await open_as(browser, site, "manager", errors)
    await pick(manager, 1)
    await expect(manager.locator("#decision-form")).to_have_count(0)  # the window never decides
    await appeal(manager, "群众误点了非常不满意")
    staff = await open_as(browser, site, "staff1", errors)  # the staff member rated appeals their own
    await expect(staff.locator("#own-only")).to_be_visible()
    await pick(staff, 2)
    await expect(staff.locator("#detail-phone")).to_have_text("未留电话")
    for absent in ("#advance-form", "#assign-form", "#call-form", "#complaint-form", "#decision-form"):
        await expect(staff.locator(absent)).to_have_count(0)
    await appeal(staff, "群众误点了非常不满意", (not_a_pdf(),), filed=False)  # read for what it is, not its name
    await expect(staff.locator("#appeal-form .field-error")).to_have_text(
        "说明.pdf：这不是照片（JPEG、PNG、WebP）或PDF文件", timeout=WAIT_MS
    )  # the appeal is not filed
    await expect(staff.locator("#detail-appeal")).to_be_hidden()
    await appeal(staff, "群众误点了非常不满意", (photo_file(), pdf_file()))
    await assert_accessible(staff, "a staff member's own case, appealed")
    other = await open_as(browser, site, "staff2", errors)
    await expect(other.locator("#no-cases")).to_be_visible(timeout=WAIT_MS)  # not about s2: not shown

    supervisor = await open_as(browser, site, "supervisor", errors)
    await pick(supervisor, 2)
    await expect(supervisor.locator("#appeal-reason")).to_have_text("群众误点了非常不满意")
    await expect(supervisor.locator("#appeal-by")).to_contain_text("staff:s1")
    await expect(supervisor.locator("#appeal-evidence")).to_have_text("大厅录像 09:12")
    await opens_the_files(supervisor, site)
    await expect(supervisor.locator("#appeal-form")).to_have_count(0)
    await supervisor.click("#uphold-button")
    await expect(supervisor.locator("#decision-form .field-error")).to_have_text("请写明复核意见", timeout=WAIT_MS)
    await supervisor.fill("#decision-note", "录像证实误点")
    await supervisor.click("#uphold-button")
    await expect(supervisor.locator("#detail-message")).to_have_text("已复核：申诉成立：不计入考核", timeout=WAIT_MS)
    await expect(supervisor.locator("#decision-form")).to_be_hidden()
    await expect(supervisor.locator("#decision-note-shown")).to_have_text("录像证实误点")
    await assert_accessible(supervisor, "an appeal decided")
    keep_screenshot(await supervisor.screenshot(full_page=True), "rectification-appeal.png", tmp_path)

    await pick(supervisor, 1)
    await supervisor.fill("#decision-note", "录像显示态度生硬，评价属实")
    await supervisor.click("#reject-button")
    await expect(supervisor.locator("#detail-appeal")).to_have_text("申诉驳回", timeout=WAIT_MS)
    # the manager's page, open all along, follows the supervisor's decisions live
    await expect(manager.locator("#cases tbody tr[data-case='2']")).to_contain_text("申诉成立", timeout=WAIT_MS)
    await expect(manager.locator("#cases tbody tr[data-case='1']")).to_contain_text("申诉驳回", timeout=WAIT_MS)
    async with site.db.read() as conn:
        cases = {case.id: case for case in await list_cases(conn, site.code, None)}
    assert {n: c.appeal.status.value for n, c in cases.items() if c.appeal} == {1: "rejected", 2: "upheld"}
    assert [f.name for f in cases[2].appeal.files] == ["大厅录像截图.jpg", "情况说明.pdf"]  # type: ignore[union-attr]
    assert cases[1].appeal is not None and cases[1].appeal.files == ()
    assert cases[2].level == 1, "the rating stays in the record"
    assert not errors, errors


async def test_the_page_follows_a_case_changed_by_another_server_instance(site: Site, browser: Browser) -> None:
    await bad_rating(site)
    errors: list[str] = []
    page = await open_as(browser, site, "manager", errors)
    await pick(page, 1)
    await expect(page.locator("#detail-status")).to_have_text("待核实")
    async with HallService(site.db, site.service.clock) as other:  # another instance on the same database
        answer = await cases.advance_rectification(
            other, Once(site.code, "manager:other", "elsewhere"), 1, CaseStatus.VERIFIED, "调取录像，属实",
            Presenter(lambda seen: {"id": seen.case.id}),
        )  # fmt: skip
        assert answer.ok, answer.body
    # not told by this process: the page's stream reads the cases' version from the database
    await expect(page.locator("#detail-status")).to_have_text("已核实", timeout=POLL_SECONDS * 1000 + WAIT_MS)
    await expect(page.locator("#cases tbody tr[data-case='1']")).to_contain_text("已核实")
    assert not errors, errors
