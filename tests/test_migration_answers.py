"""Answers kept before the application spoke no HTTP are replayed the same after the upgrade (0012)."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import JSON, Integer, String, column, insert, select, table

from queue_server.app.commands import CallNext, IssueTicket, Recall
from queue_server.app.service import HallService
from queue_server.store import schema
from queue_server.store.database import Database, utcnow
from queue_server.store.migrate import alembic_config, upgrade
from queue_server.store.seed import create_centre
from queue_server.web.problems import refusal_problem
from tests.factories import make_centre

PROBLEM = "urn:onewindow:problem:"

KEPT: dict[str, tuple[str, int, Any]] = {
    "r-issued": ("issue", 201, {"changed": True, "ticket": {"serial": 1, "number": "A001"}, "window": None}),
    "r-called": ("call_next", 200, {"changed": False, "ticket": None, "window": None}),
    "r-refused": (
        "recall",
        409,
        {
            "type": PROBLEM + "invalid-transition",
            "title": "The action does not fit the current state",
            "status": 409,
            "detail": "Cannot recall at window 1: no ticket is at the window",
        },
    ),
    "r-quota": (
        "issue",
        409,
        {
            "type": PROBLEM + "issue-refused",
            "title": "No ticket can be issued",
            "status": 409,
            "detail": "No tickets left today",
            "reason": "quota_used_up",
            "message": "今日号源已取完",
            "message_en": "No tickets left today",
        },
    ),
}
"""Rows as the release before kept them: an HTTP status and body per request id."""

OLD_REQUESTS = table(
    "requests",
    *(column(name, String) for name in ("centre", "request_id", "actor", "action")),
    column("status", Integer),
    column("response", JSON),
    column("created_at", schema.requests.c.created_at.type),
)


async def _rows(db: Database) -> dict[str, Any]:
    r = schema.requests.c
    async with db.read() as conn:
        return {row.request_id: row.response for row in await conn.execute(select(r.request_id, r.response))}


async def test_answers_kept_as_http_are_replayed_the_same_after_the_upgrade(database_url: str) -> None:
    async with Database(database_url) as db:
        async with db.write() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0011"))
        async with db.write() as conn:
            await create_centre(conn, make_centre(), utcnow())
            rows = [
                {"centre": "test", "request_id": request_id, "actor": "staff:s1", "action": action}
                | {"status": status, "response": body, "created_at": utcnow()}
                for request_id, (action, status, body) in KEPT.items()
            ]
            await conn.execute(insert(OLD_REQUESTS), rows)
        await upgrade(db)
        async with HallService(db) as service:
            commands = {
                "issue": IssueTicket(matter="pension"),
                "call_next": CallNext(window=1),
                "recall": Recall(window=1),
            }
            for request_id, (action, status, body) in KEPT.items():
                again = await service.act("test", commands[action], actor="staff:s1", request_id=request_id)
                assert again.replayed, request_id
                if again.refusal is not None:
                    problem = refusal_problem(again.refusal, "unused")
                    assert (problem.status, problem.body) == (status, body), request_id
                else:
                    assert (201 if again.created else 200, again.body) == (status, body), request_id
        upgraded = await _rows(db)
        async with db.write() as conn:
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0011"))
        assert await _rows(db) == {request_id: body for request_id, (_, _, body) in KEPT.items()}, "downgraded"
        assert upgraded["r-called"] == {"result": KEPT["r-called"][2], "created": False}
