"""The console's result desk in Chromium: a promised case found by its case number or by its
ticket's QR code scanned into the search box (a keyboard-wedge scanner types the address and
Enter), its result handed over once; and a postal address taken only with the citizen's consent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from queue_server.app.commands import CallNext, Finish, IssueTicket, StartServing
from queue_server.domain.tickets import Outcome
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.postal_addresses import address_of
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, Site, running_site
from tests.test_pages_console import VIEWPORT, signed_on_console

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""The search and the delivery are the API's; tests/test_case_results.py runs them on both databases."""


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((2, "s2"),)) as running:
        yield running


async def promised_at_window_2(site: Site) -> dict[str, str]:
    """A ticket finished as promised at window 2 this morning: A001, case TEST-2026-000001."""
    ticket = (await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue")).body["ticket"]
    for n, command in enumerate(
        [CallNext(window=2), StartServing(window=2), Finish(window=2, outcome=Outcome.PROMISED, promised_days=5)]
    ):
        await site.act(command, "staff:s2", f"step-{n}")
    return {"number": ticket["number"], "status_url": ticket["status_url"]}


async def scan(page: Page, text: str) -> None:
    """The clerk presses L for the search box, and a keyboard-wedge scanner types, then Enter."""
    await page.locator("#result-query").fill("")
    await page.locator("#result-query").evaluate("box => box.blur()")
    await page.keyboard.press("l")
    await expect(page.locator("#result-query")).to_be_focused()
    await page.keyboard.type(text)
    await page.keyboard.press("Enter")


async def test_a_case_found_by_its_number_is_handed_over_once(site: Site, tmp_path: Path) -> None:
    ticket = await promised_at_window_2(site)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await signed_on_console(page, site)
        await scan(page, "TEST-2026-000099")
        await expect(page.locator("#result-search")).to_contain_text(
            "没有编号为TEST-2026-000099的承诺件", timeout=WAIT_MS
        )
        await scan(page, "test-2026-000001")
        await expect(page.locator("#result-number")).to_have_text("TEST-2026-000001", timeout=WAIT_MS)
        await expect(page.locator("#result-ticket")).to_have_text(ticket["number"])
        await expect(page.locator("#result-due")).to_have_text("2026年12月7日")
        await expect(page.locator("#result-state")).to_have_text("办理中")
        await assert_accessible(page, "the console's result desk, a case found")
        keep_screenshot(await page.screenshot(), "console-result.png", tmp_path)

        await page.locator("#result-collect").dblclick()
        await expect(page.locator("#result-message")).to_have_text(
            "A001号（TEST-2026-000001）已领取。", timeout=WAIT_MS
        )
        await expect(page.locator("#result-state")).to_have_text("已送达")
        await expect(page.locator("#result-collect")).to_be_hidden()
        # The window's printer got the 送达回证 and has not said it printed it (no printer client runs
        # here): the console says it is printing, never that it printed.
        await expect(page.locator("#result-print")).to_have_text("正在打印送达回证……", timeout=WAIT_MS)
        await expect(page.locator("#result-print")).to_have_attribute("data-print-status", "queued")
    async with site.db.read() as conn:
        d = schema.promised_deliveries.c
        rows = (await conn.execute(select(d.actor, d.method).where(d.centre == "test"))).all()
    assert [tuple(row) for row in rows] == [("staff:s1", "window")], "one delivery, by the clerk, collected"
    async with site.db.read() as conn:
        p = schema.print_jobs.c
        papers = (await conn.execute(select(p.job_id).where(p.centre == "test", p.serial == 1))).scalars().all()
    assert "1-delivery-1" in papers, "one proof of delivery, at the clerk's window"


async def test_a_scanned_qr_finds_the_case_and_an_address_needs_consent(site: Site, tmp_path: Path) -> None:
    ticket = await promised_at_window_2(site)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await signed_on_console(page, site)
        await scan(page, ticket["status_url"])
        await expect(page.locator("#result-number")).to_have_text("TEST-2026-000001", timeout=WAIT_MS)

        await page.locator("#result-address-open").click()
        await page.locator("#address-recipient").fill("张三")
        await page.locator("#address-phone").fill("13800138000")
        await page.locator("#address-text").fill("广东省深圳市南山区科技园路1号")
        await page.locator("#result-address button[type=submit]").click()
        await expect(page.locator("#result-address")).to_contain_text("须经群众同意才能登记地址", timeout=WAIT_MS)
        async with site.db.read() as conn:
            assert await address_of(conn, "test", 1) is None

        await page.locator("#address-consent").check()
        await assert_accessible(page, "the console's postal address form")
        await page.locator("#result-address button[type=submit]").click()
        await expect(page.locator("#result-post-to")).to_have_text("张* 138****8000 广东省深圳市****", timeout=WAIT_MS)
        await expect(page.locator("#result-message")).to_contain_text("送达后即删除")
    async with site.db.read() as conn:
        kept = await address_of(conn, "test", 1)
    assert kept is not None and kept.taken_by == "staff:s1" and "同意" in kept.consent


async def test_a_case_finished_as_promised_at_the_console_shows_on_the_result_desk(site: Site) -> None:
    await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue")
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await signed_on_console(page, site)
        await page.locator("#next-button").click()
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        await page.locator("#finish-button").click()
        await page.locator("#finish-dialog input[value=promised]").check()
        await page.locator("#finish-dialog button[type=submit]").click()
        await expect(page.locator("#result-number")).to_have_text("TEST-2026-000001", timeout=WAIT_MS)
        await expect(page.locator("#result-address-open")).to_be_visible()
        # The 受理通知书 went to the window's printer with the finish; no printer has said it printed it.
        await expect(page.locator("#notice-print")).to_have_text("正在打印受理通知书……", timeout=WAIT_MS)
