"""The rectification page in a real browser: a bad rating's case followed to its end, a complaint
taken, a promised case handed over, and a supervisor who only reads — against a running site on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from queue_server.app.commands import CallNext, Finish, IssueTicket, RateTicket, StartServing
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from queue_server.store.rectification import list_cases
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, Site, log_in, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

VIEWPORT: ViewportSize = {"width": 1440, "height": 900}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as running:
        yield running


async def open_as(browser: Browser, site: Site, username: str, errors: list[str]) -> Page:
    page = await browser.new_page(viewport=VIEWPORT)
    page.on("pageerror", lambda error: errors.append(str(error)))
    await log_in(page, site, username, then="/rectification")
    return page


async def serve(site: Site, name: str, finish: Finish) -> int:
    answer = await site.act(IssueTicket(matter="pension"), "kiosk:k-1", f"{name}-issue")
    await site.act(CallNext(window=1), "staff:s1", f"{name}-call")
    await site.act(StartServing(window=1), "staff:s1", f"{name}-start")
    await site.act(finish, "staff:s1", f"{name}-finish")
    return int(answer.body["ticket"]["serial"])


async def bad_rating(site: Site, name: str = "bad") -> None:
    serial = await serve(site, name, Finish(window=1, outcome=Outcome.ON_THE_SPOT))
    rating = RateTicket(serial=serial, level=1, window=1, source="pad:pad-1", reasons=("等候时间过长",))
    await site.act(rating, "device:pad-1", f"{name}-rate")


async def statuses(site: Site) -> list[str]:
    async with site.db.read() as conn:
        return [case.status.value for case in await list_cases(conn, site.code, None)]


async def test_a_manager_follows_a_bad_rating_to_its_end(site: Site, browser: Browser, tmp_path: Path) -> None:
    await bad_rating(site)
    errors: list[str] = []
    page = await open_as(browser, site, "manager", errors)
    row = page.locator("#cases tbody tr[data-case='1']")
    await expect(row).to_contain_text("评价", timeout=WAIT_MS)
    await expect(row).to_contain_text("非常不满意")
    await expect(row).to_contain_text("等候时间过长")
    await expect(row).to_contain_text("待核实")
    await row.click()
    await expect(page.locator("#detail-heading")).to_have_text("整改件 1", timeout=WAIT_MS)
    await expect(page.locator("#detail-comment")).to_have_text("")
    await expect(page.locator("#detail-serial")).to_have_text("A001")  # as people name it, not its serial

    await page.click("#advance-button")
    await expect(page.locator("#advance-form .field + .field-error")).to_have_text("请填写说明", timeout=WAIT_MS)
    assert await statuses(site) == ["new"], "an empty note changes nothing"

    await page.fill("#advance-note", "调取录像，情况属实")
    await page.click("#advance-button")
    await expect(page.locator("#detail-status")).to_have_text("已核实", timeout=WAIT_MS)
    await expect(page.locator("#advance-form .field-error")).to_have_count(0)
    await expect(page.locator("#close-unfounded")).to_be_visible()
    await expect(row).to_contain_text("已核实", timeout=WAIT_MS)

    await page.fill("#assignee", "s1")
    await page.fill("#assign-note", "窗口负责人跟进")
    await page.click("#assign-button")
    await expect(page.locator("#detail-assignee")).to_have_text("s1", timeout=WAIT_MS)
    await expect(page.locator("#steps tbody tr").last).to_contain_text("窗口负责人跟进")
    await assert_accessible(page, "the rectification case")
    keep_screenshot(await page.screenshot(full_page=True), "rectification.png", tmp_path)

    for note, status in (("增开窗口", "已整改"), ("电话回访，群众满意", "已回访"), ("办结", "已办结")):
        await page.fill("#advance-note", note)
        await page.click("#advance-button")
        await expect(page.locator("#detail-status")).to_have_text(status, timeout=WAIT_MS)
    await expect(page.locator("#advance-form")).to_be_hidden()
    await expect(page.locator("#steps tbody tr")).to_have_count(5)
    await expect(row).to_have_count(0, timeout=WAIT_MS)
    await page.select_option("#filter", "all")
    await expect(row).to_contain_text("已办结", timeout=WAIT_MS)
    assert await statuses(site) == ["closed"]
    assert not errors, errors


async def test_a_manager_takes_a_complaint(site: Site, browser: Browser) -> None:
    errors: list[str] = []
    page = await open_as(browser, site, "manager", errors)
    await expect(page.locator("#no-cases")).to_be_visible(timeout=WAIT_MS)
    await page.click("#complaint-button")
    await expect(page.locator("#complaint-form .field + .field-error")).to_have_text("请填写投诉内容", timeout=WAIT_MS)
    await page.fill("#complaint-comment", "窗口人员态度生硬")
    await page.select_option("#complaint-window", "1")
    await page.select_option("#complaint-staff", "s1")
    await page.select_option("#complaint-matter", "pension")
    await page.click("#complaint-button")
    await expect(page.locator("#complaint-message")).to_have_text("已登记整改件 1", timeout=WAIT_MS)
    row = page.locator("#cases tbody tr[data-case='1']")
    await expect(row).to_contain_text("投诉", timeout=WAIT_MS)
    await expect(page.locator("#detail-comment")).to_have_text("窗口人员态度生硬", timeout=WAIT_MS)
    await expect(page.locator("#detail-window")).to_have_text("1 号窗口")
    assert await statuses(site) == ["new"]
    assert not errors, errors


async def test_a_promised_case_is_handed_over(site: Site, browser: Browser) -> None:
    serial = await serve(site, "promised", Finish(window=1, outcome=Outcome.PROMISED, promised_days=3))
    errors: list[str] = []
    page = await open_as(browser, site, "manager", errors)
    await page.click("#tab-promised")
    row = page.locator(f"#promised tbody tr[data-serial='{serial}']")
    await expect(row).to_contain_text("未到期", timeout=WAIT_MS)
    await assert_accessible(page, "the promised cases")
    await row.locator(".deliver-note").fill("群众本人领取")
    await row.locator("button.deliver").dblclick()
    await expect(page.locator("#promised-message")).to_contain_text("已交付", timeout=WAIT_MS)
    await expect(row).to_have_count(0, timeout=WAIT_MS)
    await page.select_option("#promised-filter", "delivered")
    await expect(row).to_contain_text("已交付", timeout=WAIT_MS)
    await expect(row.locator("button.deliver")).to_have_count(0)
    async with page.context.expect_page() as opened:
        await row.locator("a.delivery-receipt").click()
    receipt = await opened.value
    await expect(receipt.locator("#paper-title")).to_have_text("送达回证", timeout=WAIT_MS)
    await expect(receipt.locator("#paper")).to_contain_text("受送达人签名")
    assert not errors, errors


async def test_a_supervisor_reads_without_forms(site: Site, browser: Browser) -> None:
    await bad_rating(site)
    errors: list[str] = []
    page = await open_as(browser, site, "supervisor", errors)
    row = page.locator("#cases tbody tr[data-case='1']")
    await expect(row).to_contain_text("待核实", timeout=WAIT_MS)
    await row.click()
    await expect(page.locator("#detail-heading")).to_have_text("整改件 1", timeout=WAIT_MS)
    await expect(page.locator("#read-only")).to_be_visible()
    for form in ("#advance-form", "#assign-form", "#complaint-form"):
        await expect(page.locator(form)).to_have_count(0)
    await page.click("#tab-promised")
    await expect(page.locator("#promised-none")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("button.deliver")).to_have_count(0)
    assert not errors, errors


async def test_a_due_date_beyond_the_known_holidays_is_marked_provisional(site: Site, browser: Browser) -> None:
    """Accepted on 30 November 2026 for 30 working days: due in January 2027, whose holidays are not loaded."""
    later = await serve(site, "later", Finish(window=1, outcome=Outcome.PROMISED, promised_days=30))
    soon = await serve(site, "soon", Finish(window=1, outcome=Outcome.PROMISED, promised_days=3))
    errors: list[str] = []
    page = await open_as(browser, site, "manager", errors)
    await page.click("#tab-promised")
    provisional = page.locator(f"#promised tbody tr[data-serial='{later}'] .provisional")
    await expect(provisional).to_have_text("（暂定）", timeout=WAIT_MS)
    await expect(page.locator(f"#promised tbody tr[data-serial='{soon}'] .provisional")).to_have_count(0)
    assert "国务院" in (await provisional.get_attribute("title") or "")
    assert not errors, errors
