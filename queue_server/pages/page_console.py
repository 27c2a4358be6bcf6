"""The counter console (窗口工作台); a case's papers are ``page_paper``'s.

The console is one page whose script does everything through the JSON API with the session: the
window actions, the queue and the live stream. The server gives it only what it needs to start:
the centre's configuration (windows, matters with their materials, staff, the rejection reasons)
and who is looking.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from queue_server.app.views import centre_view
from queue_server.auth.accounts import Principal
from queue_server.domain.papers import PAPER_TITLES_EN, PAPER_TITLES_ZH, PAPERS_OF_OUTCOME, PRINTED_AT_WINDOW
from queue_server.http_common.keys import SERVICE, SESSION
from queue_server.pages.console_words import CONSOLE_WORDS
from queue_server.pages.render import centre_code, language_of, render
from queue_server.pages.routes import COUNTER, PageRoute
from queue_server.pages.wording import Language, words
from queue_server.store.postal_addresses import CONSENT_EN as POSTAL_CONSENT_EN
from queue_server.store.postal_addresses import CONSENT_ZH as POSTAL_CONSENT_ZH
from queue_server.vocabulary import Outcome

CONSOLE_PAGE_WORDS: dict[Language, dict[str, str]] = {
    "zh": {**CONSOLE_WORDS["zh"], **{f"paper_title_{kind}": title for kind, title in PAPER_TITLES_ZH.items()}},
    "en": {**CONSOLE_WORDS["en"], **{f"paper_title_{kind}": title for kind, title in PAPER_TITLES_EN.items()}},
}
"""The console's words and the papers' titles (its link to the last case's paper names it)."""


def _principal(request: web.Request) -> Principal:
    """The session's principal; the page middleware let only a signed-in counter role through."""
    return request[SESSION].principal


def _window_asked(request: web.Request) -> int | None:
    raw = request.query.get("window", "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 9999 else None


async def console(request: web.Request) -> web.StreamResponse:
    principal = _principal(request)
    code = centre_code(request, principal)
    hall = await request.app[SERVICE].hall(code)
    data: dict[str, Any] = {
        "centre": centre_view(hall.centre),
        "role": principal.role.value,
        "staff_code": principal.staff_code,
        "window_asked": _window_asked(request),
        # Each outcome's first paper, and those the window's printer prints at the finish (domain.papers).
        "first_papers": {outcome.value: kinds[0].value for outcome, kinds in PAPERS_OF_OUTCOME.items() if kinds},
        "printed_at_window": sorted(outcome.value for outcome in PRINTED_AT_WINDOW),
        # The outcomes that ask for reasons and missing materials (Outcome.needs_notice).
        "notice_outcomes": sorted(outcome.value for outcome in Outcome if outcome.needs_notice),
    }
    said = words(language_of(request), CONSOLE_WORDS)
    consent = POSTAL_CONSENT_EN if language_of(request) == "en" else POSTAL_CONSENT_ZH
    return render(
        request,
        "console.html",
        title=said["console_title"],
        page_words=CONSOLE_PAGE_WORDS,
        data=data,
        address_consent=consent.format(days=hall.centre.policy.postal_days_after_due),
    )


ROUTES: list[PageRoute] = [
    PageRoute(method="GET", path="/console", name="console", handler=console, roles=COUNTER),
]
