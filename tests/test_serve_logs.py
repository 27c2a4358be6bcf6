"""`onewindow serve --log-format json`: the running server writes its log as JSON lines, each
action's line with its request id, centre, window and actor, and no token in any line."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from tests.serverproc import ServerProcess, busy_centre, prepare_hall, retry_post


async def test_serve_writes_json_lines_with_each_actions_context(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    hall = await prepare_hall(url, busy_centre(1))  # one window, open around the clock
    server = ServerProcess(url, tmp_path, extra_args=["--log-format", "json", "--log-level", "info"])
    server.start()
    try:
        base = f"{server.base_url}/api/v1/centres/busy"
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
    assert (actions["call-1"]["centre"], actions["call-1"]["window"]) == ("busy", 1)
    assert actions["call-1"]["actor"] == "staff:s1"
    assert actions["issue-1"]["actor"] == "kiosk:kiosk1" and "window" not in actions["issue-1"]
    assert not [line for line in log.splitlines() if line.strip() and not line.startswith("{")][1:], (
        "only the ready line is not JSON"
    )
    assert hall.kiosk not in log and not any(token in log for token in hall.staff.values())
