"""The audit trail page (审计日志): who changed the centre and who saw or exported whose data, for
supervision and the administrator, with filters and the CSV and .xlsx exports.

Made on the server from the trail itself (queue_server.app.audit), as ``GET /api/v1/audit`` gives
it; an export goes to that route with the filters shown, and the reason the export form asks for.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from aiohttp import web

from queue_server.app.audit import AuditFilter, detail_text, read_trail
from queue_server.auth.accounts import Role
from queue_server.domain.audit import AuditKind
from queue_server.http_common.keys import SERVICE, SESSION
from queue_server.pages.audit_words import AUDIT_WORDS
from queue_server.pages.render import centre_code, language_of, render
from queue_server.pages.routes import PageRoute
from queue_server.pages.wording import words

AUDITORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
SHOWN = 500
"""The newest entries shown; the export takes up to 5,000."""
DAYS_ZONE = ZoneInfo("Asia/Shanghai")


def _day(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), DAYS_ZONE).astimezone(dt.UTC)


async def audit_page(request: web.Request) -> web.StreamResponse:
    principal = request[SESSION].principal
    code = centre_code(request, principal)
    said = words(language_of(request), AUDIT_WORDS)
    asked = {name: request.query.get(name, "").strip() for name in ("kind", "since", "until", "actor")}
    bad = False
    try:
        kind = AuditKind(asked["kind"]) if asked["kind"] else None
        since, until = _day(asked["since"]), _day(asked["until"])
    except ValueError:
        bad, kind, since, until = True, None, None, None
        asked = dict.fromkeys(asked, "")
    which = AuditFilter(
        centres={code},
        since=_start(since) if since else None,
        until=_start(until + dt.timedelta(days=1)) if until else None,
        kind=kind,
        actor=asked["actor"][:120] or None,
        limit=SHOWN,
    )
    service = request.app[SERVICE]
    entries = await read_trail(service.db, which)
    rows = [
        {
            "id": entry.id,
            "at": entry.at.astimezone(DAYS_ZONE).strftime("%Y-%m-%d %H:%M:%S"),
            "kind": entry.act.kind.value,
            "actor": entry.act.actor,
            "subject": entry.act.subject,
            "reason": entry.act.reason,
            "detail": detail_text(entry.act.detail),
        }
        for entry in entries
    ]
    hall = await service.hall(code)
    return render(
        request,
        "audit.html",
        title=said["audit_title"],
        page_words=AUDIT_WORDS,
        rows=rows,
        asked=asked,
        bad_query=bad,
        centre=code,
        centres=principal.centres,
        kinds=[kind.value for kind in AuditKind],
        audit_days=hall.centre.policy.audit_days,
        limit=SHOWN,
    )


ROUTES: list[PageRoute] = [
    PageRoute(method="GET", path="/audit", name="audit", handler=audit_page, roles=AUDITORS),
]
