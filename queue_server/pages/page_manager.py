"""The manager's page (中心管理): the live hall, and the centre's configuration edited, checked and applied.

The page's script does everything through the JSON API with the session (the hall's windows,
queue, devices and printers; the configuration read, checked and applied; the centre file
exported and imported). The server gives it only the centre to watch and whether this account
may edit: a supervisor watches the same page without edit controls, and the API refuses their
changes anyway.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from queue_server.app.service import HallService
from queue_server.auth.accounts import Role
from queue_server.http_common.keys import SERVICE, SESSION
from queue_server.pages.guide_words import FORM_WORDS
from queue_server.pages.manager_words import MANAGER_WORDS
from queue_server.pages.render import centre_code, language_of, render
from queue_server.pages.routes import MANAGEMENT, PageRoute
from queue_server.pages.wording import Language, words
from queue_server.store.sms import notice_records

SMS_SHOWN = 20
"""The latest SMS notices the page lists."""

EDITORS = frozenset({Role.MANAGER, Role.ADMIN})
"""Who may change the centre's configuration; the supervisor only watches."""

MANAGER_PAGE_WORDS: dict[Language, dict[str, str]] = {
    language: {**FORM_WORDS[language], **MANAGER_WORDS[language]} for language in MANAGER_WORDS
}
"""The manager's words and a material's forms (the guide editor's choices)."""


async def manager(request: web.Request) -> web.StreamResponse:
    principal = request[SESSION].principal
    code = centre_code(request, principal)
    service = request.app[SERVICE]
    hall = await service.hall(code)
    centre = hall.centre
    said = words(language_of(request), MANAGER_WORDS)
    today = hall.calendar.local_date(service.clock.now())
    return render(
        request,
        "manager.html",
        title=said["manager_title"],
        page_words=MANAGER_PAGE_WORDS,
        data={
            "centre": code,
            "centre_name": centre.name if language_of(request) == "zh" else centre.centre.name_en or centre.name,
            "can_edit": principal.role in EDITORS,
            "role": principal.role.value,
            "today": today.isoformat(),
        },
        can_edit=principal.role in EDITORS,
        # From November: next year's holidays and 调休 are to be loaded before promised cases reach them.
        sms=await sms_card(service, code, said),
        calendar_warning=said["calendar_missing"].format(year=today.year + 1)
        if hall.calendar.next_year_missing(today)
        else "",
    )


async def sms_card(service: HallService, code: str, said: dict[str, str]) -> dict[str, Any]:
    """SMS notices at this centre: the sign name and the latest notices (numbers masked), or how to
    configure a provider when the centre has none."""
    sms = service.notifier.centre(code)
    if sms is None:
        return {"configured": False, "text": said["sms_unconfigured"], "notices": []}
    async with service.db.read() as conn:
        notices = await notice_records(conn, code, limit=SMS_SHOWN)
    return {"configured": True, "text": said["sms_configured"].format(sign=sms.sign_name), "notices": notices}


ROUTES: list[PageRoute] = [PageRoute(method="GET", path="/manager", name="manager", handler=manager, roles=MANAGEMENT)]
