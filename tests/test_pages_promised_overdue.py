"""Overdue promised cases in Chromium: on the manager's page (which a supervisor watches too), in
the centre's report and on the supervisor's page of every centre; a case the business system
reported decided is overdue no more."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from playwright.async_api import expect

from queue_server.app.case_results import ResultReport, report_result
from queue_server.app.commands import CallNext, Finish, IssueTicket, StartServing
from queue_server.app.once import Once, Presenter
from queue_server.domain.case_results import ResultState
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, RunningClock, Site, log_in, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DAY = 24 * 3600


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    """Monday 30 November: A001 promised in 1 working day (due Tuesday) and A002 in 5; it is Thursday now."""
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        for n, days in enumerate((1, 5)):
            await running.act(IssueTicket(matter="pension"), "kiosk:k-1", f"issue-{n}")
            await running.act(CallNext(window=1), "staff:s1", f"call-{n}")
            await running.act(StartServing(window=1), "staff:s1", f"start-{n}")
            await running.act(Finish(window=1, outcome=Outcome.PROMISED, promised_days=days), "staff:s1", f"end-{n}")
        clock = running.service.clock
        assert isinstance(clock, RunningClock)
        clock.advance(3 * DAY)
        yield running


async def test_an_overdue_case_shows_to_the_manager_the_supervisor_and_in_the_reports(
    site: Site, tmp_path: Path
) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1366, "height": 900})
        for username in ("manager", "supervisor"):
            await page.context.clear_cookies()
            await log_in(page, site, username, then="/manager")
            await expect(page.locator("#overdue-cases tr")).to_have_count(1, timeout=WAIT_MS)
            row = page.locator("#overdue-cases tr").first
            await expect(row).to_contain_text("TEST-2026-000001")
            await expect(row).to_contain_text("养老保险待遇领取")
            await expect(row).to_contain_text("2 天")
            await expect(row).to_contain_text("王芳（s1）")
            await expect(page.locator("#overdue-count")).to_have_text("1 件")
            if username == "manager":
                await assert_accessible(page, "the manager's page with an overdue promised case")
                keep_screenshot(await page.screenshot(), "manager-overdue.png", tmp_path, docs=False)

        await page.goto(f"{site.url}/reports?period=week&date=2026-12-01")
        await expect(page.locator("#promised-due")).to_have_text("1", timeout=WAIT_MS)
        await expect(page.locator("#promised-kept")).to_have_text("0 (0.0%)")
        await expect(page.locator("#promised-overdue-now")).to_have_text("1")
        await expect(page.locator("#overdue-cases")).to_contain_text("TEST-2026-000001")
        await assert_accessible(page, "the report's promised cases")
        workbook = f"{site.url}/api/v1/centres/test/reports?period=week&date=2026-12-01&format=xlsx"
        answer = await page.request.get(workbook)
        assert answer.ok, await answer.text()
        book = load_workbook(io.BytesIO(await answer.body()), read_only=True)
        assert [list(row) for row in book["承诺件"].iter_rows(values_only=True)] == [
            ["期内到期承诺件", "按期办结", "按期率", "今日超期"],
            [1, 0, 0, 1],
        ]
        overdue = [list(row) for row in book["超期承诺件"].iter_rows(values_only=True)]
        assert overdue == [
            ["受理编号", "号码", "事项", "承诺日期", "超期天数"],
            ["TEST-2026-000001", "A001", "养老保险待遇领取", "2026-12-01", 2],
        ]
        book.close()
        await page.goto(f"{site.url}/reports/centres?period=week&date=2026-12-01")
        await expect(page.locator("#centres-promised [data-field=overdue_now]")).to_have_text("1", timeout=WAIT_MS)

    report = ResultReport(ResultState.READY)
    once = Once("test", "business:province", "ready-1")
    assert (await report_result(site.service, once, "TEST-2026-000001", report, Presenter(lambda seen: {}))).ok
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1366, "height": 900})
        await log_in(page, site, "manager", then="/manager")
        await expect(page.locator("#overdue-none")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#overdue-table")).to_be_hidden()
