"""A promised case (承诺件) handed to another centre from the rectification page, in a real browser.

The manager of centre ``test`` hands A001 to ``other`` with the page's form; ``test`` then lists it
as handed over, without a delivery button; the manager of ``other`` sees it with the centre that
accepted it and delivers it from the page, which names that centre as the delivery's origin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from queue_server.app.commands import CallNext, Finish, IssueTicket, StartServing
from queue_server.auth.accounts import Role, add_user
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from queue_server.store.promised import promised_case
from queue_server.store.seed import create_centre
from tests.browser import chromium, keep_screenshot
from tests.factories import make_centre
from tests.pages_support import PASSWORD, WAIT_MS, Site, log_in, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

OTHER = "城区便民服务中心"


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    """Centre ``test`` (the site) and centre ``other`` in the same database, each with its manager."""
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        other = make_centre(centre={"code": "other", "name": OTHER, "address": "城区人民路 1 号"})
        async with db.write() as conn:
            await create_centre(conn, other, running.service.clock.now())
            await add_user(
                conn, username="other-manager", password=PASSWORD, role=Role.MANAGER, centres=["other"], staff_code=None
            )
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as running:
        yield running


async def promised_tab(browser: Browser, site: Site, username: str, errors: list[str]) -> Page:
    page = await browser.new_page(viewport={"width": 1600, "height": 900})
    page.on("pageerror", lambda error: errors.append(str(error)))
    await log_in(page, site, username, then="/rectification")
    await page.click("#tab-promised")
    return page


async def test_a_promised_case_is_handed_to_another_centre_and_delivered_there(
    site: Site, browser: Browser, tmp_path: Path
) -> None:
    issued = await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue")
    serial = int(issued.body["ticket"]["serial"])
    await site.act(CallNext(window=1), "staff:s1", "call")
    await site.act(StartServing(window=1), "staff:s1", "start")
    await site.act(Finish(window=1, outcome=Outcome.PROMISED, promised_days=3), "staff:s1", "finish")
    errors: list[str] = []

    here = await promised_tab(browser, site, "manager", errors)
    row = here.locator(f"#promised tbody tr[data-serial='{serial}']")
    await expect(row).to_contain_text("未到期", timeout=WAIT_MS)
    choice = row.locator("select.handover-centre")
    await expect(choice.locator("option")).to_have_text(["选择负责的中心", OTHER])
    await row.locator("button.handover").click()
    await expect(here.locator("#promised-form .form-error")).to_have_text("请选择要移交的中心", timeout=WAIT_MS)
    await choice.select_option("other")
    await expect(here.locator("#promised-form .form-error")).to_be_hidden()
    await row.locator(".handover-note").fill("材料已寄送")
    keep_screenshot(await here.screenshot(full_page=True), "rectification-handover.png", tmp_path)
    await row.locator("button.handover").dblclick()
    await expect(here.locator("#promised-message")).to_have_text(f"A001 已移交 {OTHER}", timeout=WAIT_MS)
    await expect(row).to_have_count(0, timeout=WAIT_MS)
    await here.select_option("#promised-filter", "handed_over")
    await expect(row.locator(".pill")).to_have_text("已移交", timeout=WAIT_MS)
    await expect(row.locator(".handed-to")).to_contain_text(f"移交至 {OTHER}（manager:manager 于")
    await expect(row.locator("button")).to_have_count(0)
    async with site.db.read() as conn:
        case = await promised_case(conn, "test", serial)
    assert case is not None and (case.handed_to, case.handover_note) == ("other", "材料已寄送")

    there = await promised_tab(browser, site, "other-manager", errors)
    received = there.locator(f"#promised tbody tr[data-serial='{serial}'][data-origin='test']")
    await expect(received.locator(".origin")).to_have_text("测试便民服务中心 受理后移交本中心", timeout=WAIT_MS)
    await expect(received.locator("button.handover")).to_have_count(0)
    await received.locator(".deliver-note").fill("群众本人领取")
    await received.locator("button.deliver").click()
    await expect(there.locator("#promised-message")).to_have_text("A001 已交付", timeout=WAIT_MS)
    await expect(received).to_have_count(0, timeout=WAIT_MS)
    async with site.db.read() as conn:
        case = await promised_case(conn, "test", serial)
    assert case is not None and (case.delivered_by, case.note) == ("manager:other-manager", "群众本人领取")

    await here.select_option("#promised-filter", "delivered")
    await expect(row.locator(".pill")).to_have_text("已交付", timeout=WAIT_MS)
    await expect(row.locator(".delivered-by")).to_contain_text("manager:other-manager")
    assert not errors, errors


async def test_a_note_being_typed_survives_a_change_elsewhere_in_the_hall(site: Site, browser: Browser) -> None:
    """Another window's call refreshes the promised list; the half-typed note and its caret stay."""
    await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue")
    await site.act(CallNext(window=1), "staff:s1", "call")
    await site.act(StartServing(window=1), "staff:s1", "start")
    await site.act(Finish(window=1, outcome=Outcome.PROMISED, promised_days=3), "staff:s1", "finish")
    errors: list[str] = []
    page = await promised_tab(browser, site, "manager", errors)
    note = page.locator("#promised tbody tr .deliver-note")
    await expect(note).to_have_count(1, timeout=WAIT_MS)
    await page.wait_for_load_state("networkidle")
    await note.click()
    await page.keyboard.type("群众委托")
    await page.locator("#promised tbody tr").evaluate("row => { row.beforeTheChange = true; }")

    await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue-2")
    await page.wait_for_function("() => !document.querySelector('#promised tbody tr').beforeTheChange", timeout=WAIT_MS)
    await expect(note).to_have_value("群众委托")
    await expect(note).to_be_focused()
    await page.keyboard.type("人领取")
    await expect(note).to_have_value("群众委托人领取")
    assert not errors, errors
