"""axe-core's accessibility rules over a page as a test sees it (axe-playwright-python), and the keyboard.

The page tests call :func:`assert_accessible` at the moment each screen is shown (a dialog open, a
ticket up), so every screen is checked without tests of its own. Only serious and critical
violations fail: those keep someone using a screen reader, a keyboard or weak eyes from the page.
:func:`tab_to` moves as a keyboard user does, and checks the focus can be seen where it lands.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Page

FAILING = frozenset({"serious", "critical"})
"""axe-core's impacts (minor, moderate, serious, critical) that fail a test."""

_AXE = Axe()


async def assert_accessible(page: Page, what: str, *, enhanced_contrast: bool = False) -> None:
    """Fail listing each serious or critical violation on ``page``, its rule and the elements it found.

    ``what`` names the screen in the message ("the kiosk's start screen"); ``enhanced_contrast``
    also holds the text to WCAG AAA's 7:1 (axe's ``color-contrast-enhanced``, off by default).
    """
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if enhanced_contrast:
        options["rules"] = {"color-contrast-enhanced": {"enabled": True}}
    results = await _AXE.run(page, options=options)
    violations: list[dict[str, Any]] = results.response["violations"]
    failing = [violation for violation in violations if violation.get("impact") in FAILING]
    if failing:
        lines = [f"{what}: {len(failing)} serious or critical accessibility violation(s)"]
        for violation in failing:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"]:
                target = " ".join(str(part) for part in node["target"])
                lines.append(f"    {target}: {node.get('failureSummary', '').splitlines()[-1].strip()}")
        raise AssertionError("\n".join(lines))


async def focus_ring(page: Page) -> str:
    """The focused element's outline, as drawn: "solid 4px" when the focus is visible."""
    script = (
        "() => { const s = getComputedStyle(document.activeElement); return `${s.outlineStyle} ${s.outlineWidth}`; }"
    )
    return str(await page.evaluate(script))


async def tab_to(page: Page, selector: str, presses: int = 30) -> None:
    """Press Tab until ``selector`` has the focus, as someone without a touch screen or mouse does."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            assert (await focus_ring(page)).startswith("solid"), f"no visible focus on {selector}"
            return
    raise AssertionError(f"{selector} never took the focus in {presses} presses of Tab")
