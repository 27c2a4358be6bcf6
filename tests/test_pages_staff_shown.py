"""Who serves at a window (工作证): the window's display and its rating tablet show the signed-on
staff member's name and work number, or the number only, as the centre's policy says, and nothing
once the window is closed. The server, a real Mosquitto, the display client and the pad page, in
Chromium.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from queue_server.app.commands import Pause, Resume, SignOff, SignOn
from queue_server.app.staff_photos import staff_photo
from queue_server.auth.accounts import Role, add_token
from queue_server.bus.connection import BrokerAddress
from queue_server.domain.windows import PauseReason
from queue_server.store.database import Database
from queue_server.store.staff_photos import keep_photo
from tests.accessibility import assert_accessible
from tests.brokers import Mosquitto
from tests.browser import chromium, keep_screenshot
from tests.display_support import display
from tests.factories import make_centre
from tests.pages_support import DEVICES, WAIT_MS, Site, running_site
from tests.test_pages_pad import enrol_pad
from tests.test_staff_photos import camera_jpeg

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

STAFF = [
    {"code": "s1", "name": "王芳", "number": "33010201"},
    {"code": "s2", "name": "李娜"},
    {"code": "s3", "name": "张伟", "windows": [3]},
]
SHOWN_MS = 5_000


async def act(site: Site, command: object, request_id: str) -> None:
    answer = await site.act(command, "staff:s1", request_id)  # type: ignore[arg-type]
    assert answer.ok, answer.body


async def test_the_window_display_and_the_pad_show_who_serves_as_the_policy_says(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    centre = make_centre(devices=DEVICES, staff=STAFF)
    broker = BrokerAddress.from_url(mosquitto.url)
    async with (
        running_site(db, centre, broker=broker) as site,
        display(mosquitto, window=1) as display_url,
        chromium() as browser,
    ):
        async with db.write() as conn:
            token = await add_token(conn, label="pad tablet", role=Role.DEVICE, centres=["test"], subject="pad-1")
        screen = await browser.new_page(viewport={"width": 1280, "height": 720})
        pad = await browser.new_page(viewport={"width": 1024, "height": 768})
        await screen.goto(display_url)
        await enrol_pad(pad, site, token)
        await expect(screen.locator("#window-status")).to_have_text("已关闭", timeout=WAIT_MS)
        await expect(screen.locator("#window-staff")).to_be_hidden()
        await expect(pad.locator("#staff")).to_be_hidden()

        await act(site, SignOn(window=1, staff="s1"), "on")
        await expect(screen.locator("#staff-name")).to_have_text("王芳", timeout=SHOWN_MS)
        await expect(screen.locator("#staff-number")).to_have_text("工号 33010201")
        await expect(pad.locator("#staff")).to_have_text("为您服务：王芳 工号 33010201", timeout=SHOWN_MS)
        await assert_accessible(screen, "the window display with who serves")
        await assert_accessible(pad, "the rating pad with who serves")
        keep_screenshot(await screen.screenshot(), "window-display-staff.png", tmp_path)
        keep_screenshot(await pad.screenshot(), "pad-staff.png", tmp_path)

        number_only = make_centre(devices=DEVICES, staff=STAFF, policy={"show_staff": "number"})
        changed = await site.service.configure("test", number_only, actor="manager:m", request_id="cfg", dry_run=False)
        assert changed.ok, changed.body
        await expect(pad.locator("#staff")).to_have_text("为您服务：工号 33010201", timeout=SHOWN_MS)
        await expect(screen.locator("#staff-name")).to_have_text("", timeout=SHOWN_MS)  # told by the change itself
        await act(site, Pause(window=1, reason=PauseReason.BREAK), "pause")
        await expect(screen.locator("#window-status")).to_have_text("暂停服务", timeout=SHOWN_MS)
        await expect(screen.locator("#staff-number")).to_have_text("工号 33010201")
        await expect(screen.locator("#staff-name")).to_have_text("")

        await act(site, Resume(window=1), "resume")
        await act(site, SignOff(window=1, staff="s1"), "off")
        await expect(screen.locator("#window-status")).to_have_text("已关闭", timeout=SHOWN_MS)
        await expect(screen.locator("#window-staff")).to_be_hidden()
        await expect(pad.locator("#staff")).to_be_hidden(timeout=SHOWN_MS)


async def test_the_window_display_shows_the_photo_through_its_client(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    photo = staff_photo(camera_jpeg())
    staff = [{**STAFF[0], "photo": photo.sha256}, *STAFF[1:]]
    broker = BrokerAddress.from_url(mosquitto.url)
    async with running_site(db, make_centre(devices=DEVICES, staff=STAFF), broker=broker) as site:
        async with db.write() as conn:
            await keep_photo(conn, "test", photo.sha256, photo.image, "manager:m", site.service.clock.now())
        async with display(mosquitto, window=1, server_url=site.url) as display_url, chromium() as browser:
            screen = await browser.new_page(viewport={"width": 1280, "height": 720})
            await screen.goto(display_url)
            await act(site, SignOn(window=1, staff="s1"), "on")
            await expect(screen.locator("#staff-name")).to_have_text("王芳", timeout=SHOWN_MS)
            with_photo = make_centre(devices=DEVICES, staff=staff)
            changed = await site.service.configure(
                "test", with_photo, actor="manager:m", request_id="photo", dry_run=False
            )
            assert changed.ok, changed.body  # no window changes after it: the change itself tells the screen
            shown = screen.locator("#staff-photo")
            await expect(shown).to_be_visible(timeout=SHOWN_MS)
            await expect(shown).to_have_js_property("naturalWidth", 300)
            await expect(shown).to_have_attribute("alt", "王芳的照片")
            await assert_accessible(screen, "the window display with the staff photo")
            keep_screenshot(await screen.screenshot(), "window-display-staff-photo.png", tmp_path)
            await act(site, SignOff(window=1, staff="s1"), "off")
            await expect(screen.locator("#window-staff")).to_be_hidden(timeout=SHOWN_MS)
