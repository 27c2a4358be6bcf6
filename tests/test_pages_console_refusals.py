"""The console says a refusal in its own language, naming things as the clerk knows them, and marks
the field that is missing before anything is sent.

Two cases a day in the hall showed: a transfer to a closed window (a state of the window, not a
permission) and a promised case (承诺件) of a matter with no time limit finished without days
(which named the matter's code in English). Both in Chinese and in English, in Debian's Chromium.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, Request, ViewportSize, expect

from queue_server.app.commands import IssueTicket
from queue_server.domain.tickets import TicketStatus
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.browser import chromium
from tests.factories import make_centre
from tests.pages_support import DEVICES, WAIT_MS, Site, log_in, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
WORDS = {
    "zh": {
        "lang": "",
        "transfer": "转移",
        "closed": "操作未执行：9号窗口（绿色通道）已关闭，A001号不能转到该窗口",
        "promised": "承诺件",
        "days": "「医疗费用报销」没有规定承诺时限，请填写承诺天数",
        "transfer_need": "请选择要转到的事项或窗口",
    },
    "en": {
        "lang": "?lang=en",
        "transfer": "Transfer",
        "closed": "Not done: Window 9 is closed; ticket A001 cannot be transferred there",
        "promised": "Promised",
        "days": "Medical expenses has no promised time limit; give the number of working days",
        "transfer_need": "Choose a matter or a window to send the ticket to",
    },
}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    matters = make_centre().model_dump(mode="json")["matters"]
    for matter in matters:
        if matter["code"] == "medical":
            matter["name_en"] = "Medical expenses"
    async with running_site(db, make_centre(devices=DEVICES, matters=matters)) as running:
        yield running


async def at_window_one(page: Page, site: Site, lang: str, matter: str) -> None:
    """Staff 1 signed on at window 1 with the centre's first ticket, for ``matter``, called there."""
    await log_in(page, site, "staff1", then=f"/console{lang}")
    await page.locator(".sign-on-window[data-window='1']").get_by_role("button").click()
    await expect(page.locator("#next-button")).to_be_visible(timeout=WAIT_MS)
    await site.act(IssueTicket(matter=matter), "kiosk:k-1", f"issue-{matter}")
    await page.locator("#next-button").click()
    await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)


def counting(page: Page, segment: str) -> list[str]:
    """The window actions ``segment`` the page sends, as they go."""
    sent: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "POST" and request.url.endswith(f"/{segment}"):
            sent.append(request.url)

    page.on("request", seen)
    return sent


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_a_transfer_to_a_closed_window_is_said_at_the_window_field(site: Site, language: str) -> None:
    words = WORDS[language]
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await at_window_one(page, site, words["lang"], "pension")
        await page.locator("#transfer-button").click()
        dialog = page.locator("#transfer-dialog")
        sent = counting(page, "transfer")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog.locator(".field-error")).to_have_text(words["transfer_need"], timeout=WAIT_MS)
        assert sent == [], "a transfer without a target is not sent"

        await dialog.locator("#to-window").select_option("9")
        await dialog.locator("button[type=submit]").click()
        error = dialog.locator("#to-window + .field-error, .field:has(#to-window) + .field-error")
        await expect(error).to_have_text(words["closed"], timeout=WAIT_MS)
        assert len(sent) == 1
        await expect(dialog.locator("#to-window")).to_have_attribute("aria-invalid", "true")
        assert "无权" not in await error.inner_text()
        await assert_accessible(page, f"the console's transfer refused ({language})")
        assert (await site.service.hall(site.code)).ticket(1).status is TicketStatus.CALLED


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_a_promised_case_without_days_is_marked_before_it_is_sent(site: Site, language: str) -> None:
    words = WORDS[language]
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await at_window_one(page, site, words["lang"], "medical")
        await page.locator("#finish-button").click()
        dialog = page.locator("#finish-dialog")
        await dialog.locator("input[name=outcome][value=promised]").check()
        await expect(dialog.locator("label.choice:has(input[value=promised])")).to_contain_text(words["promised"])
        await expect(dialog.locator("#promised-days")).to_have_value("")
        sent = counting(page, "finish")
        await dialog.locator("button[type=submit]").click()
        error = dialog.locator(".field:has(#promised-days) + .field-error")
        await expect(error).to_have_text(words["days"], timeout=WAIT_MS)
        await expect(dialog.locator("#promised-days")).to_have_attribute("aria-invalid", "true")
        assert "medical" not in await dialog.inner_text()
        assert sent == [], "nothing is sent while a field is missing"
        await assert_accessible(page, f"the console's finish with the days missing ({language})")

        await dialog.locator("#promised-days").fill("3")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog).to_be_hidden(timeout=WAIT_MS)
        assert (await site.service.hall(site.code)).ticket(1).status is TicketStatus.FINISHED
