"""A device that goes offline is named at once on the manager's live hall and at the desk, and the
warning goes when it is back: a real Mosquitto carries the device's availability to the server's
bus, and the pages hear of it on the hall's live stream, in Chromium.
"""

from __future__ import annotations

from pathlib import Path

import aiomqtt
import pytest
from playwright.async_api import expect

from queue_server.bus.connection import BrokerAddress
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.brokers import Mosquitto
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, log_in, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

LIVE_MS = 5_000
"""Sooner than the manager page's own 10 s reading of the devices: the live stream told it."""
PAD = "onewindow/test/pad/pad-1/availability"


async def test_a_lost_device_is_named_on_the_managers_page_and_the_desk_until_it_is_back(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    broker = BrokerAddress.from_url(mosquitto.url)
    async with (
        running_site(db, broker=broker) as site,
        aiomqtt.Client(broker.host, broker.port, identifier="pad-1") as pad,
        chromium() as browser,
    ):
        await pad.publish(PAD, "online", qos=1, retain=True)
        manager = await browser.new_page(viewport={"width": 1440, "height": 900})
        desk = await browser.new_page(viewport={"width": 1366, "height": 768})
        await log_in(manager, site, "manager", then="/manager")
        await log_in(desk, site, "guide", then="/desk")
        await expect(manager.locator("tr[data-device='pad-1']")).to_contain_text("在线", timeout=WAIT_MS)
        for page in (manager, desk):
            await expect(page.locator("#devices-lost")).to_be_hidden()

        await pad.publish(PAD, "offline", qos=1, retain=True)  # what its last will says when it is gone
        for page in (manager, desk):
            alert = page.locator("#devices-lost")
            await expect(alert).to_have_text("设备离线，请检查电源和网络：评价器 pad-1（1号窗口）", timeout=LIVE_MS)
            await expect(alert).to_have_attribute("role", "alert")
        await assert_accessible(manager, "the manager's page warning of a lost device")
        await assert_accessible(desk, "the desk warning of a lost device")
        keep_screenshot(await desk.screenshot(), "desk-device-lost.png", tmp_path, docs=False)

        await pad.publish(PAD, "online", qos=1, retain=True)
        for page in (manager, desk):
            await expect(page.locator("#devices-lost")).to_be_hidden(timeout=LIVE_MS)
