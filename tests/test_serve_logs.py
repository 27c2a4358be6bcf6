"""`onewindow serve --log-format json`: the running server writes its log as JSON lines, each
action's line with its request id, centre, window and actor, and no token in any line."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from queue_server.domain.centre import Centre
from tests.serverproc import ServerProcess, prepare_hall, retry_post

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def open_every_day() -> Centre:
    """One window, open around the clock every day: the test runs on the real clock."""
    return Centre.model_validate(
        {
            "centre": {"code": "logs", "name": "日志测试中心"},
            "hours": {day: [["00:00", "24:00"]] for day in DAYS},
            "domains": [{"code": "general", "name": "综合"}],
            "window_kinds": [{"code": "general", "name": "综合受理"}],
            "ticket_groups": [{"prefix": "A", "name": "综合"}],
            "matters": [
                {
                    "code": "pension",
                    "name": "养老保险待遇领取",
                    "domain": "general",
                    "window_kinds": ["general"],
                    "expected_minutes": 5,
                    "prefix": "A",
                }
            ],
            "windows": [{"number": 1, "name": "1号窗口", "kinds": ["general"]}],
            "staff": [{"code": "s1", "name": "员工1", "windows": [1]}],
        }
    )


async def test_serve_writes_json_lines_with_each_actions_context(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    hall = await prepare_hall(url, open_every_day())
    server = ServerProcess(url, tmp_path, extra_args=["--log-format", "json", "--log-level", "info"])
    server.start()
    try:
        base = f"{server.base_url}/api/v1/centres/logs"
        async with aiohttp.ClientSession() as http:
            steps = [
                ("windows/1/sign-on", hall.staff[1], "on-1"),
                ("tickets", hall.kiosk, "issue-1"),
                ("windows/1/call-next", hall.staff[1], "call-1"),
            ]
            for path, token, request_id in steps:
                body = {"request_id": request_id} | ({"matter": "pension"} if path == "tickets" else {})
                status, answer = await retry_post(http, f"{base}/{path}", token, body)
                assert status in (200, 201), answer
    finally:
        server.stop()
    log = server.log()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert lines, log
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    actions = {line["request_id"]: line for line in lines if line["logger"] == "queue_server.app.group_commit"}
    assert actions["call-1"]["message"] == "call_next done"
    assert (actions["call-1"]["centre"], actions["call-1"]["window"]) == ("logs", 1)
    assert actions["call-1"]["actor"] == "staff:s1"
    assert actions["issue-1"]["actor"] == "kiosk:kiosk1" and "window" not in actions["issue-1"]
    assert not [line for line in log.splitlines() if line.strip() and not line.startswith("{")][1:], (
        "only the ready line is not JSON"
    )
    assert hall.kiosk not in log and not any(token in log for token in hall.staff.values())
