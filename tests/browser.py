"""Debian's Chromium driven by Playwright, for the page tests (never Playwright's own browser).

Under CI a missing Chromium fails the test; elsewhere it is skipped with the command that installs
it (scripts/bootstrap test does).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
"""Without the background-networking flags Chromium keeps knocking on this machine's closed network."""
DOCS_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
UPDATE_DOCS = "ONEWINDOW_UPDATE_DOCS"
"""Set to 1 to let the page tests write their screenshots into docs/images."""


def chromium_path() -> str:
    path = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        message = "Debian's chromium is not installed (scripts/bootstrap test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def keep_screenshot(picture: bytes, name: str, folder: Path, *, docs: bool = True) -> Path:
    """Save a screenshot under ``folder``, and into docs/images when UPDATE_DOCS asks (and ``docs``)."""
    path = folder / name
    path.write_bytes(picture)
    if docs and os.environ.get(UPDATE_DOCS) == "1":
        (DOCS_IMAGES / name).write_bytes(picture)
    return path
