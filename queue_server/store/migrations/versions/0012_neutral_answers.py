"""requests: answers kept in no transport's terms (a result or a refusal), no HTTP status

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

Until now a request id's answer was kept as the HTTP answer it was: a status and a JSON body, a
refusal as an RFC 9457 problem. The application now keeps a result or a refusal of its own
(``queue_server.app.answers.Answer.record``) and each adapter words it; this rewrites the rows
kept before, so a request repeated after the upgrade gets the same answer. The vocabulary below is
frozen here on purpose: a migration must read the rows as that release wrote them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None
change = "contract"

PROBLEM_BASE = "urn:onewindow:problem:"

# problem type -> (refusal kind, the problem's members kept as the refusal's extra)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "not-found": ("not_found", ()),
    "not-allowed": ("not_allowed", ()),
    "invalid-transition": ("conflict", ()),
    "refused": ("refused", ()),
    "issue-refused": ("issue_refused", ("reason", "message", "message_en")),
    "centre-change-refused": ("change_refused", ("differences",)),
    "invalid-request": ("invalid", ()),
    "request-id-reused": ("request_id_reused", ()),
}

# refusal kind -> (status, problem type, title), for the downgrade
PROBLEMS: dict[str, tuple[int, str, str]] = {
    "not_found": (404, "not-found", "Not found"),
    "not_allowed": (403, "not-allowed", "Not allowed"),
    "conflict": (409, "invalid-transition", "The action does not fit the current state"),
    "refused": (400, "refused", "Refused"),
    "issue_refused": (409, "issue-refused", "No ticket can be issued"),
    "change_refused": (409, "centre-change-refused", "The change does not fit the hall now"),
    "invalid": (422, "invalid-request", "The request is not valid"),
    "request_id_reused": (409, "request-id-reused", "Request id already used"),
}

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _requests(*extra: sa.ColumnClause[Any]) -> sa.TableClause:
    return sa.table(
        "requests",
        sa.column("centre", sa.String),
        sa.column("request_id", sa.String),
        sa.column("response", _JSON),
        *extra,
    )


def _rewrite(table: sa.TableClause, **values: Any) -> sa.Update:
    """An update of one row by its key (``b_centre``, ``b_request_id``), for many rows at once."""
    key = (table.c.centre == sa.bindparam("b_centre"), table.c.request_id == sa.bindparam("b_request_id"))
    return sa.update(table).where(*key).values(**values)


def neutral(status: int, response: Any) -> dict[str, Any]:
    """A kept HTTP answer as the application's answer record."""
    if status < 400:
        return {"result": response, "created": status == 201}
    slug = str(response.get("type", "")).removeprefix(PROBLEM_BASE)
    kind, members = KINDS.get(slug, ("refused", ()))
    refusal: dict[str, Any] = {"kind": kind, "detail": str(response.get("detail", ""))}
    if kind == "invalid":
        refusal["fields"] = [{"field": e["field"], "message": e["message"]} for e in response.get("errors", [])]
    extra = {name: response[name] for name in members if name in response}
    if extra:
        refusal["extra"] = extra
    return {"refusal": refusal}


def http(record: Any) -> tuple[int, Any]:
    """An answer record as the HTTP answer the release before kept."""
    if "refusal" not in record:
        return (201 if record.get("created") else 200), record["result"]
    refusal = record["refusal"]
    status, slug, title = PROBLEMS.get(refusal["kind"], PROBLEMS["refused"])
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": refusal["detail"]}
    body.update(refusal.get("extra", {}))
    if refusal.get("fields"):
        body["errors"] = refusal["fields"]
    return status, body


def upgrade() -> None:
    conn = op.get_bind()
    old = _requests(sa.column("status", sa.Integer))
    rows = conn.execute(sa.select(old.c.centre, old.c.request_id, old.c.status, old.c.response)).all()
    if rows:
        conn.execute(
            _rewrite(old, response=sa.bindparam("b_response")),
            [
                {"b_centre": r.centre, "b_request_id": r.request_id, "b_response": neutral(r.status, r.response)}
                for r in rows
            ],
        )
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("status")


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.Integer(), nullable=False, server_default="200"))
    conn = op.get_bind()
    old = _requests(sa.column("status", sa.Integer))
    rows = conn.execute(sa.select(old.c.centre, old.c.request_id, old.c.response)).all()
    if rows:
        converted = [(r, *http(r.response)) for r in rows]
        conn.execute(
            _rewrite(old, status=sa.bindparam("b_status"), response=sa.bindparam("b_response")),
            [
                {"b_centre": r.centre, "b_request_id": r.request_id, "b_status": status, "b_response": body}
                for r, status, body in converted
            ],
        )
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)
