"""The consultation desk in a real browser: a guide issues a green-channel ticket, looks tickets up,
and reprints one whose print ended unknown — against a running site on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, ViewportSize, expect
from sqlalchemy import select

from queue_server.app.commands import CallNext, IssueTicket, NoShow, SignOff
from queue_server.domain.tickets import Channel
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.printing import record_result
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, Site, log_in, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

VIEWPORT: ViewportSize = {"width": 1366, "height": 768}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"), (3, "s3"))) as running:
        yield running


@pytest.fixture
async def page(site: Site) -> AsyncIterator[Page]:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await log_in(page, site, "guide", then="/desk")
        await expect(page.locator("#glance tbody tr")).to_have_count(2, timeout=WAIT_MS)
        yield page
        assert not errors, errors


async def kiosk_ticket(site: Site, request_id: str) -> tuple[int, str]:
    answer = await site.act(IssueTicket(matter="pension", channel=Channel.KIOSK), "kiosk:k-1", request_id)
    return answer.body["ticket"]["serial"], answer.body["ticket"]["number"]


async def print_jobs(site: Site, serial: int) -> list[tuple[str, str, str | None]]:
    p = schema.print_jobs.c
    async with site.db.read() as conn:
        rows = await conn.execute(
            select(p.job_id, p.status, p.rerouted_from).where(p.serial == serial).order_by(p.job_id)
        )
        return [(row.job_id, row.status, row.rerouted_from) for row in rows]


async def test_a_guide_issues_a_green_channel_ticket_for_an_elderly_citizen(
    site: Site, page: Page, tmp_path: Path
) -> None:
    await kiosk_ticket(site, "before-1")
    await page.fill("#matter-search", "养老")
    await page.press("#matter-search", "Enter")
    await expect(page.locator("input[value=pension]")).to_be_checked(timeout=WAIT_MS)
    await page.check("#green")
    await page.select_option("#category", "elderly")
    await page.click("#issue-button")

    await expect(page.locator("#issued-number")).to_have_text("A002", timeout=WAIT_MS)
    await expect(page.locator("#issued-matter")).to_have_text("养老保险待遇领取")
    await expect(page.locator("#issued-green")).to_contain_text("老年人")
    await expect(page.locator("#copy-link")).to_have_text("复制")
    await expect(page.locator("#matter-search")).to_have_value("")
    link = await page.locator("#issued-link").inner_text()
    assert link.startswith(f"{site.url}/ticket/") and len(link) > len(f"{site.url}/ticket/") + 16
    await expect(page.locator("#glance tr[data-prefix=A] td.num")).to_have_text("2", timeout=WAIT_MS)
    hall = await site.service.hall("test")
    issued = hall.ticket_by_number("A002")
    assert (issued.category.value if issued.category else None, issued.channel.value) == ("elderly", "desk")
    t = schema.tickets.c
    async with site.db.read() as conn:
        told = (await conn.execute(select(t.estimate_low, t.estimate_high).where(t.serial == issued.serial))).one()
    wait = f"{told.estimate_low}-{told.estimate_high}" if told.estimate_low != told.estimate_high else told.estimate_low
    await expect(page.locator("#issued-wait")).to_contain_text(f"预计等候约 {wait} 分钟")
    await assert_accessible(page, "the desk with a ticket issued")
    keep_screenshot(await page.screenshot(), "desk.png", tmp_path)

    await page.fill("#matter-search", "no such matter")
    await expect(page.locator("#matters-none")).to_be_visible(timeout=WAIT_MS)
    await page.fill("#matter-search", "")
    await page.click("#issue-button")
    await expect(page.locator("#matters + .field-error")).to_have_text("请选择办理事项", timeout=WAIT_MS)


async def test_a_guide_looks_up_a_ticket_and_reprints_one_whose_print_ended_unknown(
    site: Site, page: Page, tmp_path: Path
) -> None:
    serial, number = await kiosk_ticket(site, "k-1")
    await page.fill("#lookup-number", "ZZZ")
    await page.press("#lookup-number", "Enter")
    error = page.locator("#lookup-form .field + .field-error")
    await expect(error).to_contain_text("A012", timeout=WAIT_MS)
    await page.fill("#lookup-number", "A099")
    await page.press("#lookup-number", "Enter")
    await expect(error).to_have_text("今天没有 A099 号", timeout=WAIT_MS)

    await page.fill("#lookup-number", number.lower())
    await page.click("#lookup-button")
    await expect(page.locator("#found-number")).to_have_text(number, timeout=WAIT_MS)
    await expect(error).to_have_count(0)
    await expect(page.locator("#found-state")).to_have_text("等候中")
    await expect(page.locator("#found-position")).to_contain_text("前面还有 0 人")
    await expect(page.locator("#prints tbody tr")).to_have_count(1)
    await expect(page.locator("#prints tbody tr").first).to_contain_text("打印中")
    await expect(page.locator("#reprint-form")).to_be_hidden()
    await expect(page.locator("#events tbody tr")).to_have_count(1)
    await expect(page.locator("#events tbody tr").first).to_contain_text("取号")

    async with site.db.write() as conn:
        job_id = f"{serial}-ticket-1"
        await record_result(conn, "test", "printer-1", job_id, "unknown", "client died", site.service.clock.now())
    await page.click("#lookup-button")
    await expect(page.locator("#prints tbody tr").first).to_contain_text("结果未知", timeout=WAIT_MS)
    await expect(page.locator("#reprint-form")).to_be_visible()
    await assert_accessible(page, "the desk's look-up")
    keep_screenshot(await page.screenshot(full_page=True), "desk-lookup.png", tmp_path)

    await page.dblclick("#reprint-button")
    await expect(page.locator("#prints tbody tr")).to_have_count(2, timeout=WAIT_MS)
    await expect(page.locator("#found-message")).to_contain_text(f"{serial}-ticket-2", timeout=WAIT_MS)
    await expect(page.locator("#prints tbody tr").nth(1)).to_contain_text("重打")
    await expect(page.locator("#reprint-form")).to_be_hidden()
    await page.wait_for_timeout(500)
    assert await print_jobs(site, serial) == [
        (f"{serial}-ticket-1", "unknown", None),
        (f"{serial}-ticket-2", "queued", f"{serial}-ticket-1"),
    ], "a double click reprints once"

    await page.fill("#lookup-number", str(serial))
    await page.keyboard.press("Enter")
    await expect(page.locator("#found-serial")).to_have_text(f"序号 {serial}", timeout=WAIT_MS)


async def test_a_guide_puts_a_no_show_back_and_cancels_with_a_reason(site: Site, page: Page) -> None:
    serial, number = await kiosk_ticket(site, "k-1")
    await site.act(CallNext(window=1), "staff:s1", "call-1")
    await site.act(NoShow(window=1), "staff:s1", "no-show-1")
    await page.fill("#lookup-number", number)
    await page.press("#lookup-number", "Enter")
    await expect(page.locator("#found-state")).to_have_text("过号", timeout=WAIT_MS)
    await page.click("#requeue-button")
    await expect(page.locator("#found-state")).to_have_text("等候中", timeout=WAIT_MS)
    await expect(page.locator("#requeue-button")).to_be_hidden()

    await page.select_option("#cancel-reason", "citizen")
    await page.fill("#cancel-note", "家中有事，改日再来")
    await page.focus("#cancel-button")
    await page.keyboard.press("Enter")
    await expect(page.locator("#found-state")).to_have_text("已取消", timeout=WAIT_MS)
    await expect(page.locator("#events tbody tr").last).to_contain_text("家中有事", timeout=WAIT_MS)
    hall = await site.service.hall("test")
    assert serial not in {t.serial for t in hall.waiting()}


async def test_the_desk_speaks_english_and_shows_a_refusal_plainly(site: Site, page: Page) -> None:
    await page.goto(f"{site.url}/desk?lang=en")
    await expect(page.locator("#issue-heading")).to_have_text("Issue a ticket for someone", timeout=WAIT_MS)
    await page.fill("#matter-search", "id_card")
    await page.press("#matter-search", "Enter")
    await site.act(SignOff(window=3, staff="s3"), "staff:s3", "off-3")
    await page.click("#issue-button")
    refusal = page.locator("#issue-form .form-error")
    await expect(refusal).to_contain_text("No window for", timeout=WAIT_MS)
    await expect(page.locator("#issued")).to_be_hidden()
