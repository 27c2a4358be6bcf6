"""The ticket page's 「叫号时短信提醒我」 on a phone (Chromium): offered only where the centre sends SMS,
asking consent, refusing a number that cannot be texted, showing the number kept masked; the
notices then reach the fake provider."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from queue_server.app.commands import CallNext, IssueTicket
from queue_server.app.sms_sender import SmsSender
from queue_server.store.database import Database
from queue_server.store.sms import phone_of
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.fake_sms import FakeSms
from tests.pages_support import WAIT_MS, Site, kiosk_page, log_in, running_site, signed_in_reader
from tests.sms_support import PHONE, SIGN, fake_provider, give_phone, sms_settings
from tests.test_pages_status import phone

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        yield running


@pytest.fixture
async def fake() -> AsyncIterator[FakeSms]:
    async with fake_provider() as provider:
        yield provider


async def issue(site: Site, request_id: str) -> dict[str, Any]:
    ticket: dict[str, Any] = (await site.act(IssueTicket(matter="pension"), "kiosk:k-1", request_id)).body["ticket"]
    return ticket


async def test_the_page_offers_sms_only_where_the_centre_sends_it(site: Site, fake: FakeSms, tmp_path: Path) -> None:
    first = await issue(site, "i-1")
    async for page in phone(first["status_url"]):
        await expect(page.locator("#state")).to_have_text("等候中")
        assert await page.locator("#sms-form").count() == 0, "no provider: not offered"

    site.service.notifier.settings = sms_settings(fake)
    mine = await issue(site, "i-2")
    async for page in phone(mine["status_url"]):
        form = page.locator("#sms-form")
        await expect(form).to_be_visible(timeout=WAIT_MS)
        await expect(form).to_contain_text("叫号时短信提醒我")
        await expect(form).to_contain_text("本人同意用此号码接收本次办事的短信提醒")
        await assert_accessible(page, "the ticket status, SMS offered")
        keep_screenshot(await page.screenshot(), "status-sms.png", tmp_path)

        await page.fill("#sms_phone", "138 0013 8000")
        await page.click("#sms-submit")
        await expect(form.locator(".field-error")).to_have_text("须同意后才能短信提醒，请勾选此项")
        await page.check("#sms_consent")
        await page.fill("#sms_phone", "12345")
        await page.click("#sms-submit")
        await expect(form.locator("#sms_phone + .field-error")).to_have_text("请检查此项")
        await expect(page.locator("#sms-kept")).to_be_hidden()

        await page.fill("#sms_phone", "138 0013 8000")
        await page.click("#sms-submit")
        await expect(page.locator("#sms-kept")).to_have_text("将短信提醒 138****8000。", timeout=WAIT_MS)
        await expect(form).to_be_hidden()
        assert PHONE not in await page.content(), "the number is shown masked"

    sender = SmsSender(site.db, sms_settings(fake), site.service.clock)
    await site.act(CallNext(window=1), "staff:s1", "call-1")  # A002 is next: near
    await sender.send_due()
    assert fake.texts() == [f"【{SIGN}】您的号码{mine['number']}前面还有0人，请留意叫号。"]


def sms_state(html: str) -> str:
    found = re.search(r'<p class="help" id="sms-state">([^<]*)</p>', html)
    assert found is not None, "the manager page has its SMS card"
    return found.group(1)


async def test_the_manager_page_says_how_to_configure_sms_then_lists_the_notices(site: Site, fake: FakeSms) -> None:
    async with signed_in_reader(site, "manager") as read:
        status, html = await read("/manager")
        assert status == 200
        assert sms_state(html).startswith("本中心未配置短信服务商") and "--sms-config" in sms_state(html)

        settings = sms_settings(fake)
        site.service.notifier.settings = settings
        await issue(site, "i-1")
        mine = await issue(site, "i-2")
        assert (await give_phone(site.service, mine["serial"])).ok
        await site.act(CallNext(window=1), "staff:s1", "call-1")
        await SmsSender(site.db, settings, site.service.clock).send_due()
        status, html = await read("/manager")
    assert f"签名：{SIGN}" in sms_state(html)
    assert "临近叫号" in html and "138****8000" in html and "已发送" in html
    assert PHONE not in html, "numbers are masked"


async def test_the_desk_takes_a_number_for_the_ticket_it_issued(site: Site, fake: FakeSms) -> None:
    site.service.notifier.settings = sms_settings(fake)
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await log_in(page, site, "guide", then="/desk")
        await page.fill("#matter-search", "养老")
        await page.press("#matter-search", "Enter")
        await expect(page.locator("input[value=pension]")).to_be_checked(timeout=WAIT_MS)
        await page.click("#issue-button")
        await expect(page.locator("#issued-number")).to_have_text("A001", timeout=WAIT_MS)
        await expect(page.locator("#sms-form")).to_contain_text("本人同意用此号码接收本次办事的短信提醒")
        await page.fill("#sms_phone", "138-0013-8000")
        await page.click("#sms-submit")
        await expect(page.locator("#sms-form .field-error")).to_contain_text("须群众同意")
        await page.check("#sms_consent")
        await page.click("#sms-submit")
        await expect(page.locator("#sms-kept")).to_have_text("将短信提醒 138****8000。", timeout=WAIT_MS)
        await assert_accessible(page, "the desk, a number taken for SMS")
    async with site.db.read() as conn:
        assert await phone_of(conn, "test", 1) == PHONE


async def test_the_kiosk_takes_a_number_on_its_own_keypad(site: Site, fake: FakeSms, tmp_path: Path) -> None:
    site.service.notifier.settings = sms_settings(fake)
    async with kiosk_page(site, {"width": 1080, "height": 1920}) as page:
        await page.click("button.matter[data-matter=pension]")
        await page.click("button[data-category='']")
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        await page.click("#sms-open")
        await expect(page.locator("#sms-form")).to_contain_text("本人同意用此号码接收本次办事的短信提醒")
        for key in "138001380009":  # one digit too many is not taken
            await page.click(f"#sms-keypad button[data-key='{key}']")
        await page.click("#sms-keypad button[data-key=back]")
        await page.click("#sms-keypad button[data-key='0']")
        await expect(page.locator("#sms_phone")).to_have_value(PHONE)
        await page.check("#sms_consent")
        await assert_accessible(page, "the kiosk, a number typed for SMS")
        keep_screenshot(await page.screenshot(), "kiosk-sms.png", tmp_path)
        await page.click("#sms-submit")
        await expect(page.locator("#sms-kept")).to_have_text("将短信提醒 138****8000。", timeout=WAIT_MS)
    async with site.db.read() as conn:
        assert await phone_of(conn, "test", 1) == PHONE
