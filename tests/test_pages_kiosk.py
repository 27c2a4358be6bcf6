"""The kiosk page in Debian's Chromium against a running site: choosing a matter, the green channel,
the ticket on screen with its QR code, how it printed, a matter that cannot be had, and a double tap."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from playwright.async_api import Page, expect
from pyzbar.pyzbar import decode
from sqlalchemy import select

from queue_server.app.commands import IssueTicket
from queue_server.domain.tickets import Category
from queue_server.protocol.payloads import PrinterStatus
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.printing import record_result
from tests.accessibility import assert_accessible, tab_to
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, Site, enrol_kiosk, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"), (2, "s2"))) as running:
        yield running


async def kiosk(site: Site, viewport: dict[str, int]) -> AsyncIterator[Page]:
    async with chromium() as browser:
        page = await browser.new_page(viewport=viewport)  # type: ignore[arg-type]
        await enrol_kiosk(page, site)
        await expect(page.locator("button.matter").first).to_be_visible(timeout=WAIT_MS)
        yield page


async def told_range(site: Site, serial: int) -> tuple[int, int]:
    """The range the ticket keeps as told at issue (what the slip printed)."""
    t = schema.tickets.c
    async with site.db.read() as conn:
        row = (await conn.execute(select(t.estimate_low, t.estimate_high).where(t.serial == serial))).one()
    assert row.estimate_low is not None and row.estimate_high is not None
    return row.estimate_low, row.estimate_high


async def print_jobs(site: Site, serial: int) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {site.kiosk_token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{site.url}/api/v1/centres/test/tickets/{serial}/prints", headers=headers) as answer,
    ):
        assert answer.status == 200
        jobs: list[dict[str, Any]] = (await answer.json())["jobs"]
        return jobs


async def qr_text(page: Page) -> str:
    picture = Image.open(io.BytesIO(await page.locator("#ticket-qr").screenshot()))
    (found,) = decode(picture)
    return str(found.data.decode())


async def test_a_citizen_searches_picks_a_matter_takes_a_green_channel_ticket_and_is_told_to_take_it(
    site: Site, tmp_path: Path
) -> None:
    async for page in kiosk(site, PORTRAIT):
        await expect(page.locator("#centre-name")).to_have_text("测试便民服务中心")
        await expect(page.locator("#clock")).to_contain_text("09:0", timeout=WAIT_MS)  # the hall's time, not ours
        await assert_accessible(page, "the kiosk's start screen")
        keep_screenshot(await page.screenshot(), "kiosk-start.png", tmp_path)

        await page.fill("#search", "养老")
        await expect(page.locator("button.matter")).to_have_count(1)
        await page.fill("#search", "id_CARD")
        await expect(page.locator("button.matter")).to_have_text(["居民身份证换领等候 0 人暂无窗口办理"])
        await page.fill("#search", "养老")
        await page.click("button.matter[data-matter=pension]")
        await expect(page.locator("#chosen-matter")).to_have_text("养老保险待遇领取")
        await assert_accessible(page, "the kiosk's green-channel question")
        await page.click("button[data-category=elderly]")

        await expect(page.locator("#ticket-number")).to_be_visible(timeout=WAIT_MS)
        hall = await site.service.hall(site.code)
        ticket = hall.ticket(1)
        assert ticket.category is Category.ELDERLY and ticket.matter == "pension"
        await expect(page.locator("#ticket-number")).to_have_text(ticket.number)
        await expect(page.locator("#ticket-matter")).to_have_text("养老保险待遇领取")
        await expect(page.locator("#ticket-green")).to_be_visible()
        await expect(page.locator("#ticket-ahead")).to_have_text("0 人")
        low, high = await told_range(site, ticket.serial)
        wait = f"约 {low}-{high} 分钟" if low != high else f"约 {low} 分钟"
        await expect(page.locator("#ticket-wait")).to_have_text(wait)
        await expect(page.locator("#ticket-time")).to_have_text("09:00")

        token = (await page.locator("#ticket-qr").get_attribute("src") or "").split("/")[2]
        await expect(page.locator("#ticket-qr")).to_have_js_property("complete", True)
        assert await qr_text(page) == f"{site.url}/ticket/{token}"

        (job,) = await print_jobs(site, ticket.serial)
        assert (job["printer"], job["kind"], job["status"]) == ("printer-1", "ticket", "queued")
        async with site.db.write() as conn:
            await record_result(conn, "test", "printer-1", job["job_id"], "done", "", site.service.clock.now())
        await expect(page.locator("#print-status")).to_have_text("请取走您的排队票", timeout=WAIT_MS)
        await expect(page.locator("#print-photo")).to_be_hidden()
        await assert_accessible(page, "the kiosk's ticket")
        keep_screenshot(await page.screenshot(), "kiosk-ticket.png", tmp_path)

        await page.click("#ticket-done")
        await expect(page.locator("#screen-start")).to_be_visible()
        await expect(page.locator("#search")).to_have_value("")


async def test_when_the_printer_is_out_of_paper_the_kiosk_says_so_and_asks_for_a_photo(site: Site) -> None:
    async for page in kiosk(site, LANDSCAPE):
        await page.click("button.matter[data-matter=medical]")
        await page.click("button[data-category='']")
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        (job,) = await print_jobs(site, 1)
        site.service.printer_state("test", "printer-1", PrinterStatus.PAPER_OUT)
        async with site.db.write() as conn:
            await record_result(
                conn, "test", "printer-1", job["job_id"], "failed", "paper out", site.service.clock.now()
            )
        await expect(page.locator("#print-status")).to_have_text("打印机暂时无法打印（缺纸）", timeout=WAIT_MS)
        await expect(page.locator("#print-photo")).to_contain_text("拍下本页")
        await expect(page.locator("#ticket-countdown")).to_contain_text("秒后返回首页")
        seconds = int((await page.locator("#ticket-countdown").inner_text()).split(" ")[0])
        assert seconds > 60, "a ticket to photograph stays up longer"
        await expect(page.locator("#ticket-green")).to_be_hidden()


async def test_a_matter_with_no_window_open_says_why_once_without_the_green_channel_question(db: Database) -> None:
    async with running_site(db) as site:  # nobody signed on: no window takes any matter
        async for page in kiosk(site, LANDSCAPE):
            await expect(page.locator("button.matter[data-matter=pension] .matter-reason")).to_have_text(
                "暂无窗口办理", timeout=WAIT_MS
            )
            await page.click("button.matter[data-matter=pension]")
            await expect(page.locator("#refused-message")).to_have_text(
                "目前没有办理「养老保险待遇领取」的窗口开放，请到咨询导办台咨询。"
            )
            await expect(page.locator("#screen-green")).to_be_hidden()
            await assert_accessible(page, "the kiosk's refusal")
            await page.click("#refused-done")
            await expect(page.locator("#screen-start")).to_be_visible()
            assert (await site.service.hall(site.code)).last_serial == 0


async def test_a_double_tap_issues_one_ticket(site: Site) -> None:
    async for page in kiosk(site, PORTRAIT):
        await page.dblclick("button.matter[data-matter=pension]")
        await expect(page.locator("#screen-green")).to_be_visible()
        await page.dblclick("button[data-category='']")
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        await page.wait_for_timeout(1000)
        hall = await site.service.hall(site.code)
        assert hall.last_serial == 1
        assert hall.ticket(1).category is None
        await expect(page.locator("#screen-ticket")).to_be_visible()


async def test_the_kiosk_page_needs_an_enrolled_kiosk(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(f"{site.url}/kiosk")
        await page.wait_for_url(f"{site.url}/kiosk/enrol", timeout=WAIT_MS)


async def test_a_ticket_is_taken_with_the_keyboard_alone(site: Site) -> None:
    async for page in kiosk(site, LANDSCAPE):
        await tab_to(page, "button.matter[data-matter=pension]")
        await page.keyboard.press("Enter")
        await expect(page.locator("#green-heading")).to_be_focused()
        await expect(page.locator("button[data-category='']")).to_be_enabled()
        await tab_to(page, "button[data-category='']")
        await page.keyboard.press("Enter")
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        await expect(page.locator("#ticket-number")).to_be_focused()
        await expect(page.locator("#ticket-done")).to_be_enabled()
        await tab_to(page, "#ticket-done")
        await page.keyboard.press("Enter")
        await expect(page.locator("#start-heading")).to_be_focused()
        assert (await site.service.hall(site.code)).last_serial == 1


async def name_size(page: Page) -> float:
    """The pension matter's name size, looked up and measured in one turn of the page's loop: a live
    refresh re-renders the matters, and an element measured after it left the page has no size."""
    size: float = await page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector("
        "'button.matter[data-matter=pension] .matter-name')).fontSize)"
    )
    return size


async def test_large_text_and_the_voice_are_one_tap_away_and_reset_for_the_next_citizen(
    site: Site, tmp_path: Path
) -> None:
    async for page in kiosk(site, PORTRAIT):
        normal = await name_size(page)
        async with page.expect_request(lambda r: "/kiosk/voice?" in r.url) as asked:
            await page.click("#large-mode")
        assert "say=choose" in (await asked.value).url
        await expect(page.locator("body")).to_have_class(re.compile(r"\blarge\b"))
        await expect(page.locator("#large-mode")).to_have_attribute("aria-pressed", "true")
        await expect(page.locator("#voice-guide")).to_have_attribute("aria-pressed", "true")
        large = await name_size(page)
        assert large >= normal * 1.4, (normal, large)
        await assert_accessible(page, "the kiosk in large text", enhanced_contrast=True)
        keep_screenshot(await page.screenshot(), "kiosk-large.png", tmp_path)

        await page.click("#lang-switch")  # the language switch reloads the page: the mode stays
        await expect(page.locator("#large-mode")).to_have_text("Large text")
        await expect(page.locator("body")).to_have_class(re.compile(r"\blarge\b"))
        await page.click("#lang-switch")
        await expect(page.locator("button.matter").first).to_be_visible(timeout=WAIT_MS)

        async with page.expect_request(lambda r: "say=matter" in r.url) as asked:
            await page.click("button.matter[data-matter=pension]")
        assert "matter=pension" in (await asked.value).url
        await assert_accessible(page, "the green-channel question in large text", enhanced_contrast=True)
        async with page.expect_request(lambda r: "say=ticket" in r.url) as asked:
            await page.click("button[data-category='']")
        request = await asked.value
        assert "number=A001" in request.url and "ahead=0" in request.url
        answer = await request.response()
        assert answer is not None and answer.status == 200 and answer.headers["content-type"] == "audio/wav"
        await assert_accessible(page, "the ticket in large text", enhanced_contrast=True)

        await page.click("#ticket-done")  # the citizen has gone: the next one starts normal and silent
        await expect(page.locator("#screen-start")).to_be_visible()
        await expect(page.locator("body")).not_to_have_class(re.compile(r"\blarge\b"))
        await expect(page.locator("#voice-guide")).to_have_attribute("aria-pressed", "false")
        assert await page.evaluate("sessionStorage.length") == 0


async def test_a_change_in_the_hall_updates_the_counts_without_redrawing_the_matters(site: Site) -> None:
    """Someone else takes a ticket: the count on the button changes, the button and the focus stay."""
    async for page in kiosk(site, PORTRAIT):
        button = page.locator("button.matter[data-matter=pension]")
        await page.wait_for_load_state("networkidle")
        await expect(button.locator(".matter-meta")).to_have_text("等候 0 人")
        await button.focus()
        await button.evaluate("b => { b.beforeTheChange = true; }")
        await site.act(IssueTicket(matter="pension"), "kiosk:k-2", "elsewhere")
        await expect(button.locator(".matter-meta")).to_have_text("等候 1 人", timeout=WAIT_MS)
        assert await button.evaluate("b => b.beforeTheChange === true"), "the button was redrawn"
        await expect(button).to_be_focused()
