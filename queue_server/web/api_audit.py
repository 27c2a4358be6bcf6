"""The audit trail over the API: ``GET /api/v1/audit``, for supervision and the administrator.

Filtered by centre (within the token's centres), period, kind and actor; as JSON, or as a CSV or
.xlsx file, whose export is recorded in the trail itself (with its reason) before it is sent.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from queue_server.app import audit
from queue_server.app.view_fields import Instant, documented
from queue_server.app.views import iso
from queue_server.auth.accounts import Action
from queue_server.domain.audit import AuditEntry, AuditKind
from queue_server.reports.spreadsheet import CONTENT_TYPE as XLSX_TYPE
from queue_server.reports.spreadsheet import Sheet, workbook
from queue_server.web.api import _service
from queue_server.web.audited import reader_of, request_id_for_audit
from queue_server.web.auth import principal_of
from queue_server.web.problems import forbidden, json_response, what_failed
from queue_server.web.routes import Access, Route

AUDIT = Access(Action.AUDIT)
DAYS_ZONE = ZoneInfo("Asia/Shanghai")
"""The zone the ``since`` and ``until`` days are read in: China Standard Time, as the centres keep it."""
LONGEST = 5000

COLUMNS = [
    ("id", "序号"), ("at", "时间(UTC)"), ("centre", "中心"), ("kind", "类别"), ("actor", "操作人"),
    ("role", "角色"), ("subject", "对象"), ("reason", "事由"), ("request_id", "请求号"), ("detail", "详情"),
    ("previous", "前一条哈希"), ("hash", "哈希"),
]  # fmt: skip


class AuditQuery(BaseModel):
    """Which entries to read, newest first."""

    centre: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$",
        description="One centre (default: every centre of the token)",
    )
    since: dt.date | None = Field(default=None, description="The first day, in China Standard Time")
    until: dt.date | None = Field(default=None, description="The last day, in China Standard Time")
    kind: AuditKind | None = Field(default=None, description="One kind of entry, e.g. personal_viewed")
    actor: str | None = Field(default=None, max_length=120, description="One actor, e.g. manager:li")
    limit: int = Field(default=500, ge=1, le=LONGEST, description="At most this many entries")
    format: Literal["json", "csv", "xlsx"] = Field(default="json", description="json, or csv or xlsx for a file")
    reason: str | None = Field(
        default=None, max_length=200, description="Why the trail is exported: required for csv and xlsx, recorded"
    )


@documented
class AuditEntryView(TypedDict):
    """One entry of the audit trail, with its place in its centre's hash chain"""

    id: int
    at: Instant
    centre: str
    kind: str
    actor: str
    role: str
    subject: str
    reason: str
    request_id: str
    detail: dict[str, Any]
    previous: str
    hash: str


@documented
class AuditList(TypedDict):
    """Audit entries, newest first"""

    entries: list[AuditEntryView]


def entry_view(entry: AuditEntry) -> AuditEntryView:
    act = entry.act
    return {
        "id": entry.id,
        "at": iso(entry.at) or "",
        "centre": act.centre,
        "kind": act.kind.value,
        "actor": act.actor,
        "role": act.role,
        "subject": act.subject,
        "reason": act.reason,
        "request_id": act.request_id,
        "detail": dict(act.detail),
        "previous": entry.previous,
        "hash": entry.hash,
    }


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), DAYS_ZONE).astimezone(dt.UTC)


async def get_audit(request: web.Request) -> web.StreamResponse:
    query = AuditQuery.model_validate(dict(request.query))
    principal = principal_of(request)
    if query.centre is not None and not principal.may_see(query.centre):
        raise forbidden(f"{what_failed(request)}: the token is not for centre {query.centre!r}")
    which = audit.AuditFilter(
        centres={query.centre} if query.centre is not None else set(principal.centres),
        since=_day_start(query.since) if query.since else None,
        until=_day_start(query.until + dt.timedelta(days=1)) if query.until else None,
        kind=query.kind,
        actor=query.actor,
        limit=query.limit,
    )
    service = _service(request)
    if query.format == "json":
        entries = await audit.read_trail(service.db, which)
        answer: AuditList = {"entries": [entry_view(entry) for entry in entries]}
        return json_response(answer)
    reason = audit.require_reason(query.reason)
    entries = await audit.export_trail(
        service.db,
        service.clock,
        which,
        reader_of(request),
        reason=reason,
        request_id=request_id_for_audit(request),
        form=query.format,
    )
    rows = [_row(entry) for entry in entries]
    name = f"audit-{service.clock.now().astimezone(DAYS_ZONE):%Y%m%d-%H%M%S}.{query.format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if query.format == "xlsx":
        book = workbook([Sheet("审计日志", [title for _, title in COLUMNS], rows)])
        return web.Response(body=book, content_type=XLSX_TYPE, headers=headers)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in COLUMNS])
    writer.writerows(rows)
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode(), content_type="text/csv", charset="utf-8", headers=headers
    )


def _row(entry: AuditEntry) -> list[str | int]:
    view = entry_view(entry)
    return [
        view["id"],
        view["at"],
        view["centre"],
        view["kind"],
        view["actor"],
        view["role"],
        view["subject"],
        view["reason"],
        view["request_id"],
        audit.detail_text(view["detail"]),
        view["previous"],
        view["hash"],
    ]


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/audit",
        operation_id="get_audit",
        summary="Read or export the audit trail",
        handler=get_audit,
        access=AUDIT,
        tag="reports",
        response=AuditList,
        query=AuditQuery,
        description=(
            "Who changed a centre's configuration, accounts, tokens or devices, and who saw or exported whose"
            " personal data, when and why, for the token's centres (supervision and the administrator)."
            " format=csv or format=xlsx gives a file; the export needs reason= and is itself recorded."
        ),
    ),
]
