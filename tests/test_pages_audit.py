"""The audit trail page in Debian's Chromium: the supervisor sees who did what, filters it, exports it
as a workbook with a reason, and finds the export itself on the page; a manager is kept out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from playwright.async_api import expect

from queue_server.app.audit import record
from queue_server.domain.audit import AuditAct, AuditKind
from queue_server.store import audit as stored_audit
from queue_server.store.audit import AuditFilter
from queue_server.store.contacts import keep_contact
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, Site, log_in, running_site
from tests.test_pages_rectification import bad_rating, open_as

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""The page reads the trail as the API does; tests/test_audit_acts.py covers PostgreSQL."""

VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        viewed = AuditAct(
            AuditKind.PERSONAL_VIEWED,
            "test",
            "admin:admin",
            "admin",
            "rectification:3",
            "回访核实",
            "req-1",
            {"data": "follow_up_phone", "shown": "138****5678"},
        )
        await record(running.db, running.service.clock, viewed)
        yield running


async def test_the_supervisor_reads_filters_and_exports_the_trail(site: Site, tmp_path: Path) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT, accept_downloads=True)
        await log_in(page, site, "supervisor", then="/audit")
        entries = page.locator("#entries tbody tr")
        await expect(page.locator("#entries tr[data-kind='account_changed']").first).to_be_visible(timeout=WAIT_MS)
        viewed = page.locator("#entries tr[data-kind='personal_viewed']")
        await expect(viewed).to_have_count(1)
        await expect(viewed).to_contain_text("回访核实")
        await expect(viewed).to_contain_text("rectification:3")
        await expect(viewed).to_contain_text("查看个人信息")
        await expect(page.locator("#kept-note")).to_contain_text("180")
        await assert_accessible(page, "the audit trail")
        keep_screenshot(await page.screenshot(full_page=True), "audit.png", tmp_path)

        await page.locator("#kind").select_option("personal_viewed")
        await page.locator("#audit-query button[type=submit]").click()
        await page.wait_for_url("**kind=personal_viewed**", timeout=WAIT_MS)
        await expect(entries).to_have_count(1, timeout=WAIT_MS)

        await page.locator("#export-reason").fill("季度检查")
        async with page.expect_download(timeout=WAIT_MS) as download_info:
            await page.locator("#export-button").click()
        download = await download_info.value
        assert download.suggested_filename.endswith(".xlsx")
        saved = tmp_path / "audit.xlsx"
        await download.save_as(saved)
        book = load_workbook(saved, read_only=True)
        rows = list(book["审计日志"].iter_rows(values_only=True))
        book.close()
        assert rows[0][:4] == ("序号", "时间(UTC)", "中心", "类别")
        assert [row[3] for row in rows[1:]] == ["personal_viewed"], "the filter shown is the filter exported"

        await page.goto(f"{site.url}/audit?kind=audit_exported")
        exported = page.locator("#entries tr[data-kind='audit_exported']")
        await expect(exported).to_have_count(1, timeout=WAIT_MS)
        await expect(exported).to_contain_text("季度检查")
        await expect(exported).to_contain_text("supervisor:supervisor")


async def test_a_manager_is_not_shown_the_trail(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await log_in(page, site, "manager", then="/manager")
        await expect(page.locator("nav.bar-nav a[href='/audit']")).to_have_count(0)
        answer = await page.goto(f"{site.url}/audit")
        assert answer is not None and answer.status == 403


async def test_the_manager_sees_the_follow_up_number_in_full_only_with_a_reason(site: Site) -> None:
    await bad_rating(site)
    async with site.db.write() as conn:
        await keep_contact(conn, site.code, 1, "138 1234 5678", "同意回访", site.service.clock.now(), 30)
    async with chromium() as browser:
        errors: list[str] = []
        page = await open_as(browser, site, "manager", errors)
        await page.locator("#cases tbody tr").first.click()
        await expect(page.locator("#detail-phone")).to_have_text("138****5678", timeout=WAIT_MS)
        form = page.locator("#reveal-form")
        await expect(form).to_be_visible()
        await page.locator("#reveal-button").click()
        await expect(form.locator(".field-error, [aria-invalid='true']").first).to_be_attached(timeout=WAIT_MS)
        await expect(page.locator("#detail-phone")).to_have_text("138****5678")
        await page.locator("#reveal-reason").fill("回访核实")
        await page.locator("#reveal-button").click()
        await expect(page.locator("#detail-phone")).to_have_text("138 1234 5678", timeout=WAIT_MS)
        await expect(form).to_be_hidden()
        await assert_accessible(page, "the case with its number shown")
        assert errors == []
    async with site.db.read() as conn:
        (entry,) = await stored_audit.entries(
            conn, AuditFilter(kind=AuditKind.PERSONAL_VIEWED, actor="manager:manager")
        )
    assert (entry.act.subject, entry.act.reason) == ("rectification:1", "回访核实")
