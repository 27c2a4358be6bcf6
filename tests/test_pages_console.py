"""The counter console in Debian's Chromium against a running site: sign on, call (a double click
calls one ticket), recall, start, finish with the one-time notice, pause, resume, transfer, a
chosen call, the keys, a refusal at another's window, and live updates from elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, expect

from queue_server.app.commands import CallNext, IssueTicket
from queue_server.domain.tickets import Category, TicketStatus
from queue_server.domain.windows import WindowStatus
from queue_server.store.database import Database
from queue_server.store.printing import record_result
from tests.accessibility import assert_accessible, tab_to
from tests.browser import chromium, keep_screenshot
from tests.factories import make_centre
from tests.pages_support import DEVICES, WAIT_MS, Site, http_login, log_in, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""The console's SQL is the API's; the API and store tests cover PostgreSQL."""

VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    centre = make_centre(devices=DEVICES, centre={"phone": "0571-8888 1234", "address": "幸福路 1 号"})
    async with running_site(db, centre, signed_on=((2, "s2"),)) as running:
        yield running


async def issue(site: Site, matter: str = "pension", n: int = 1) -> list[int]:
    serials = []
    for _ in range(n):
        answer = await site.act(IssueTicket(matter=matter), "kiosk:k-1", f"issue-{site.service.clock.now()}")
        serials.append(answer.body["ticket"]["serial"])
    return serials


async def status_of(site: Site, serial: int) -> TicketStatus:
    return (await site.service.hall(site.code)).ticket(serial).status


async def signed_on_console(page: Page, site: Site, username: str = "staff1", window: int = 1) -> None:
    """Log in and sign on at ``window`` through the sign-on list, as a person would."""
    await log_in(page, site, username, then="/console")
    row = page.locator(f".sign-on-window[data-window='{window}']")
    await row.get_by_role("button").click()
    await expect(page.locator("#window-title")).to_contain_text(f"{window}号窗口", timeout=WAIT_MS)
    await expect(page.locator("#window-status")).to_have_text("服务中", timeout=WAIT_MS)


async def test_a_double_click_on_next_calls_one_ticket_then_recall_start_and_finish_with_the_notice(
    site: Site, tmp_path: Path
) -> None:
    first, second = await issue(site, n=2)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await log_in(page, site, "staff1", then="/console")
        await expect(page.locator("#sign-on")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator(".sign-on-window[data-window='2']")).to_contain_text("B岗", timeout=WAIT_MS)
        await assert_accessible(page, "the console's sign-on list")
        await page.locator(".sign-on-window[data-window='1']").get_by_role("button").click()
        await expect(page.locator("#window-status")).to_have_text("服务中", timeout=WAIT_MS)
        hall = await site.service.hall(site.code)
        assert hall.window(1).staff == "s1"
        await expect(page.locator("#waiting-total")).to_have_text("等候 2 人", timeout=WAIT_MS)

        await page.locator("#next-button").dblclick()
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        await expect(page.locator("#waiting-total")).to_have_text("等候 1 人", timeout=WAIT_MS)
        assert await status_of(site, first) is TicketStatus.CALLED
        assert await status_of(site, second) is TicketStatus.WAITING, "a double click called a second ticket"

        await page.locator("#recall-button").click()
        await expect(page.locator("#ticket-calls")).to_have_text("呼叫 2 次", timeout=WAIT_MS)
        await page.locator("#start-button").click()
        await expect(page.locator("#ticket-state")).to_have_text("办理中", timeout=WAIT_MS)
        assert await status_of(site, first) is TicketStatus.SERVING
        await expect(page.locator("#ticket-timer")).to_have_text(re.compile(r"^00:0[0-9]$"), timeout=WAIT_MS)
        await assert_accessible(page, "the console in service")
        keep_screenshot(await page.screenshot(), "console.png", tmp_path)

        await page.locator("#finish-button").click()
        dialog = page.locator("#finish-dialog")
        await expect(dialog).to_be_visible(timeout=WAIT_MS)
        await dialog.get_by_label("补正").check()
        await dialog.get_by_label("申请材料不齐全").check()
        await dialog.get_by_label("户口簿").check()
        await assert_accessible(page, "the console's finish dialog")
        keep_screenshot(await page.screenshot(), "console-finish.png", tmp_path)
        await dialog.locator("button[type=submit]").click()
        await expect(dialog).to_be_hidden(timeout=WAIT_MS)
        await expect(page.locator("#message")).to_have_text("A001 已办结（补正）", timeout=WAIT_MS)
        printing = page.locator("#notice-print")
        await expect(printing).to_have_text("正在打印补正材料通知书……", timeout=WAIT_MS)  # no printer took it yet
        site.service.printer_seen(site.code, "printer-w1", online=False)
        await expect(printing).to_have_text(
            "本窗口打印机离线，补正材料通知书未打印：请打开它用A4打印。", timeout=WAIT_MS
        )
        await expect(printing).to_have_attribute("role", "alert")
        site.service.printer_seen(site.code, "printer-w1", online=True)
        async with site.db.write() as conn:
            await record_result(conn, "test", "printer-w1", f"{first}-notice-1", "done", "", site.service.clock.now())
        await expect(printing).to_have_text("补正材料通知书已由本窗口打印机打印。", timeout=WAIT_MS)
        await expect(page.locator("#last-rating")).to_have_text("A001：请市民在评价器上评价", timeout=WAIT_MS)
        ticket = (await site.service.hall(site.code)).ticket(first)
        assert (ticket.status, ticket.reasons, ticket.missing_materials) == (
            TicketStatus.FINISHED,
            ("申请材料不齐全",),
            ("户口簿",),
        )

        await check_notice(page, site, first, tmp_path)


async def check_notice(page: Page, site: Site, serial: int, tmp_path: Path) -> None:
    """The notice went to the window's printer, and the console's link opens the case's paper: the
    notice to supplement, with its case number, every missing material and the date to bring them by."""
    prints = await page.request.get(f"{site.url}/api/v1/centres/{site.code}/tickets/{serial}/prints")
    jobs = [job for job in (await prints.json())["jobs"] if job["kind"] == "notice"]
    assert [job["printer"] for job in jobs] == ["printer-w1"]

    await expect(page.locator("#notice-link")).to_contain_text("补正材料通知书")
    async with page.context.expect_page() as opened:
        await page.locator("#notice-link").click()
    notice = await opened.value
    await expect(notice.locator("#paper-title")).to_have_text("补正材料通知书", timeout=WAIT_MS)
    await expect(notice.locator("#paper-case")).to_have_text(f"TEST-2026-{serial:06d}")
    await expect(notice.locator("#paper-ticket")).to_have_text("A001")
    await expect(notice.locator("#paper-matter")).to_have_text("养老保险待遇领取")
    await expect(notice.locator("#paper-outcome")).to_have_text("补正")
    await expect(notice.locator("#paper-reasons")).to_have_text("申请材料不齐全")
    await expect(notice.locator("#paper-missing")).to_have_text("户口簿")
    await expect(notice.locator("#paper-staff")).to_have_text("王芳（工号 s1）")
    await expect(notice.locator("#paper-deadline")).to_contain_text("2026年12月7日前补齐")  # 5 working days
    await expect(notice.locator("#paper-date")).to_have_text("2026年11月30日")
    await expect(notice.locator(".paper-contact")).to_have_text("地址：幸福路 1 号　咨询电话：0571-8888 1234")
    await expect(notice.locator("#paper")).not_to_contain_text("一次性告知书")
    await notice.set_viewport_size({"width": 1000, "height": 1100})
    await assert_accessible(notice, "the notice to supplement")
    keep_screenshot(await notice.screenshot(full_page=True), "console-notice.png", tmp_path)
    await notice.emulate_media(media="print")
    await expect(notice.locator(".bar")).to_be_hidden()
    await expect(notice.locator("#paper-print-button")).to_be_hidden()


async def test_finishing_a_return_without_a_reason_says_so_at_the_field_and_saves_nothing(site: Site) -> None:
    (serial,) = await issue(site)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await signed_on_console(page, site)
        await page.locator("#next-button").click()
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        await page.locator("#finish-button").click()
        dialog = page.locator("#finish-dialog")
        await dialog.get_by_label("退回件").check()
        await dialog.locator("button[type=submit]").click()
        error = page.locator("#reasons-field + .field-error")
        await expect(error).to_have_text("退回件须选择至少一项理由", timeout=WAIT_MS)
        await expect(dialog).to_be_visible()
        assert await status_of(site, serial) is TicketStatus.CALLED
        await page.keyboard.press("Escape")
        await expect(dialog).to_be_hidden(timeout=WAIT_MS)
        await expect(page.locator("#ticket-number")).to_have_text("A001")


async def test_pause_resume_transfer_and_a_chosen_call(site: Site) -> None:
    first, second, third = await issue(site, n=3)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await signed_on_console(page, site)

        await page.locator("#pause-button").click()
        dialog = page.locator("#pause-dialog")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog.locator(".field-error")).to_have_text("请选择暂停原因", timeout=WAIT_MS)
        await assert_accessible(page, "the console's pause dialog")
        assert (await site.service.hall(site.code)).window(1).status is WindowStatus.OPEN
        await dialog.get_by_label("开会").check()
        await dialog.get_by_label("预计时长").fill("5000")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog.locator(".field:has(#pause-minutes) + .field-error")).to_be_visible(timeout=WAIT_MS)
        assert (await site.service.hall(site.code)).window(1).status is WindowStatus.OPEN, "half-saved"
        await dialog.get_by_label("预计时长").fill("15")
        await dialog.locator("button[type=submit]").click()
        await expect(page.locator("#window-status")).to_contain_text("暂停：开会", timeout=WAIT_MS)
        window = (await site.service.hall(site.code)).window(1)
        assert (window.status, window.pause_reason, window.pause_minutes) == (WindowStatus.PAUSED, "meeting", 15)
        await page.locator("#resume-button").click()
        await expect(page.locator("#window-status")).to_have_text("服务中", timeout=WAIT_MS)

        await page.locator("#choose-button").click()
        dialog = page.locator("#choose-dialog")
        await dialog.get_by_label(re.compile("A003")).check()
        await dialog.locator("button[type=submit]").click()
        await expect(dialog.locator(".field-error")).to_have_text("请填写不按顺序叫号的原因", timeout=WAIT_MS)
        await assert_accessible(page, "the console's choose dialog")
        await dialog.get_by_label("选号原因").fill("老人行动不便")
        await dialog.locator("button[type=submit]").click()
        await expect(page.locator("#ticket-number")).to_have_text("A003", timeout=WAIT_MS)
        hall = await site.service.hall(site.code)
        assert hall.ticket(third).status is TicketStatus.CALLED
        assert hall.ticket(first).status is hall.ticket(second).status is TicketStatus.WAITING

        await page.locator("#transfer-button").click()
        dialog = page.locator("#transfer-dialog")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog.locator(".field-error")).to_have_text("请选择要转到的事项或窗口", timeout=WAIT_MS)
        await assert_accessible(page, "the console's transfer dialog")
        await dialog.get_by_label("转到窗口").select_option("3")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog.locator(".field:has(#to-window) + .field-error")).to_have_text(
            "操作未执行：3号窗口（公安）不办理「养老保险待遇领取」，不能办理A003号", timeout=WAIT_MS
        )
        await dialog.get_by_label("转到窗口").select_option("2")
        await dialog.locator("button[type=submit]").click()
        await expect(page.locator("#message")).to_have_text("A003 已转移", timeout=WAIT_MS)
        await expect(page.locator("#ticket-number")).to_have_text("—")
        moved = (await site.service.hall(site.code)).ticket(third)
        assert (moved.status, moved.target_window) == (TicketStatus.WAITING, 2)


async def test_the_keys_drive_every_counter_action(site: Site) -> None:
    first, second = await issue(site, n=2)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await signed_on_console(page, site)
        await page.keyboard.press("n")
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        await page.keyboard.press("r")
        await expect(page.locator("#ticket-calls")).to_have_text("呼叫 2 次", timeout=WAIT_MS)
        await page.keyboard.press("f")
        dialog = page.locator("#finish-dialog")
        await expect(dialog).to_be_visible(timeout=WAIT_MS)
        await page.keyboard.press("2")
        await expect(dialog.get_by_label("承诺办结时限")).to_have_value("5")
        await page.keyboard.press("Enter")
        await expect(dialog).to_be_hidden(timeout=WAIT_MS)
        await expect(page.locator("#message")).to_have_text("A001 已办结（承诺件）", timeout=WAIT_MS)
        ticket = (await site.service.hall(site.code)).ticket(first)
        assert ticket.outcome is not None and ticket.outcome.value == "promised" and ticket.due_date is not None
        await page.keyboard.press("n")
        await expect(page.locator("#ticket-number")).to_have_text("A002", timeout=WAIT_MS)
        await page.keyboard.press("q")
        await expect(page.locator("#problem")).to_have_text("A002 还在窗口：请先办结、过号或转移", timeout=WAIT_MS)
        await expect(page.locator("#confirm-dialog")).to_be_hidden()

        await page.keyboard.press("x")
        await expect(page.locator("#no-show-list li")).to_contain_text("A002", timeout=WAIT_MS)
        assert await status_of(site, second) is TicketStatus.NO_SHOW
        await page.keyboard.press("b")
        await expect(page.locator("#message")).to_have_text("A002 已重新排队", timeout=WAIT_MS)
        await expect(page.locator("#no-shows")).to_be_hidden()
        assert await status_of(site, second) is TicketStatus.WAITING


async def test_a_staff_member_cannot_act_at_another_window_and_the_page_says_so(site: Site) -> None:
    await issue(site)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await signed_on_console(page, site)
        await page.goto(f"{site.url}/console?window=2")
        await expect(page.locator("#not-yours")).to_have_text(
            "您未在2号窗口签到：在此窗口的操作会被拒绝。", timeout=WAIT_MS
        )
        await page.locator("#next-button").click()
        await expect(page.locator("#problem")).to_have_text(
            "无权在此操作：您未在2号窗口（综合受理）签到，不能在此操作", timeout=WAIT_MS
        )
        assert (await site.service.hall(site.code)).holding(2) is None

        other = await browser.new_page(viewport=VIEWPORT)
        await log_in(other, site, "staff3", then="/console")
        windows = other.locator(".sign-on-window")
        await expect(windows).to_have_count(1, timeout=WAIT_MS)
        await expect(windows).to_have_attribute("data-window", "3")


async def test_the_console_follows_changes_made_elsewhere(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await signed_on_console(page, site)
        await expect(page.locator("#waiting-total")).to_have_text("暂无等候", timeout=WAIT_MS)
        await issue(site)
        await expect(page.locator("#waiting-total")).to_have_text("等候 1 人", timeout=5_000)
        await site.act(CallNext(window=1), "device:keypad-1", "keypad-next-1")
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=5_000)


async def test_the_console_and_its_notice_are_for_counter_roles_and_notice_outcomes_only(site: Site) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{site.url}/console/notice/1", allow_redirects=False) as anonymous:
            assert anonymous.status == 303 and anonymous.headers["Location"].startswith("/login")
        await http_login(http, site, "guide")
        for path in ("/console", "/console/notice/1"):
            async with http.get(f"{site.url}{path}") as guide:
                assert guide.status == 403, path
    (serial,) = await issue(site)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await http_login(http, site, "manager")
        async with http.get(f"{site.url}/console/notice/{serial}") as waiting:
            assert waiting.status == 404
            assert "即办件没有文书" in await waiting.text()
        for unknown in ("999", "A001", "1" * 30):
            async with http.get(f"{site.url}/console/notice/{unknown}") as missing:
                assert missing.status == 404, unknown


async def test_a_manager_signs_a_staff_member_on_and_works_that_window(site: Site) -> None:
    (serial,) = await issue(site)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await log_in(page, site, "manager", then="/console")
        row = page.locator(".sign-on-window[data-window='1']")
        await row.get_by_label("工作人员").select_option("s9")
        await row.get_by_role("button").click()
        await expect(page.locator("#window-posts")).to_contain_text("刘洋", timeout=WAIT_MS)
        await expect(page.locator("#not-yours")).to_be_hidden()
        assert (await site.service.hall(site.code)).window(1).staff == "s9"
        await page.keyboard.press("n")
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        assert await status_of(site, serial) is TicketStatus.CALLED
        await page.keyboard.press("o")
        await expect(page.locator("#sign-on")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator(".sign-on-window[data-window='1'] button")).to_have_text("进入")


async def test_a_keyboard_alone_signs_on_calls_and_finishes_and_a_dialog_keeps_then_returns_the_focus(
    site: Site,
) -> None:
    await issue(site, n=1)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await log_in(page, site, "staff1", then="/console")
        await expect(page.locator("#sign-on")).to_be_visible(timeout=WAIT_MS)
        await tab_to(page, ".sign-on-window[data-window='1'] button")
        await page.keyboard.press("Enter")
        await expect(page.locator("#window-status")).to_have_text("服务中", timeout=WAIT_MS)
        await page.keyboard.press("n")
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)

        await tab_to(page, "#finish-button")
        await page.keyboard.press("Enter")
        dialog = page.locator("#finish-dialog")
        await expect(dialog).to_be_visible(timeout=WAIT_MS)
        inside = "() => document.getElementById('finish-dialog').contains(document.activeElement)"
        assert await page.evaluate(inside), "the dialog takes the focus"
        for _ in range(20):  # round the dialog and back: the page behind it never gets the focus
            await page.keyboard.press("Tab")
            assert await page.evaluate(f"() => document.activeElement === document.body || ({inside})()")
        await page.keyboard.press("Escape")
        await expect(dialog).to_be_hidden()
        await expect(page.locator("#finish-button")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(dialog).to_be_visible()
        await page.keyboard.press("1")
        await page.keyboard.press("Enter")
        await expect(page.locator("#message")).to_have_text("A001 已办结（即办件）", timeout=WAIT_MS)


async def test_the_waiting_list_is_the_calling_order_with_why_a_ticket_jumps_ahead(site: Site, tmp_path: Path) -> None:
    """An ordinary A001, then a green-channel A002: the list says A002 first (绿色通道优先), and N calls it."""
    await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "ordinary")
    await site.act(IssueTicket(matter="pension", category=Category.ELDERLY), "kiosk:k-1", "green")
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await signed_on_console(page, site)
        rows = page.locator("#waiting-list li")
        await expect(rows).to_have_count(2, timeout=WAIT_MS)
        await expect(rows.nth(0)).to_contain_text("A002")
        await expect(rows.nth(0).locator(".why")).to_have_text("绿色通道优先")
        await expect(rows.nth(1)).to_contain_text("A001")
        await expect(rows.nth(1).locator(".why")).to_have_count(0)
        keep_screenshot(await page.screenshot(), "console-call-order.png", tmp_path, docs=False)
        await page.keyboard.press("n")
        await expect(page.locator("#ticket-number")).to_have_text("A002", timeout=WAIT_MS)
        await expect(rows).to_have_count(1, timeout=WAIT_MS)
        await expect(rows.nth(0)).to_contain_text("A001")


async def test_the_call_order_api_refuses_a_bad_limit_and_an_unknown_window(site: Site) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await http_login(http, site, "staff1")  # the console's session reads as the page does
        base = f"{site.url}/api/v1/centres/{site.code}/windows"
        async with http.get(f"{base}/1/call-order?limit=0") as answer:
            assert answer.status == 422, await answer.text()
            assert (await answer.json())["errors"][0]["field"].endswith("limit")
        async with http.get(f"{base}/77/call-order") as answer:
            assert answer.status == 404, await answer.text()
        async with http.get(f"{base}/1/call-order?limit=3") as answer:
            body = await answer.json()
            assert answer.status == 200 and body["window"] == 1 and body["upcoming"] == [] and body["waiting"] == 0
