"""`onewindow demo --traffic N`: a simulated day replayed against the real demo server by device twins.

The installed command runs in an empty folder; the test waits until the twins' lines show tickets
issued, called and rated, stops the demo with Ctrl-C, and reads the demo's own database: the
tickets were issued by the kiosk device, called and finished at the keypads' windows and rated
on their pads, through the server.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.serverproc import free_port

pytestmark = pytest.mark.slow


def wait_for_lines(log: Path, process: subprocess.Popen[bytes], pattern: str, count: int, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        out = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if len(re.findall(pattern, out, re.MULTILINE)) >= count:
            return out
        if process.poll() is not None:
            raise AssertionError(f"the demo exited with {process.returncode}:\n{out}")
        time.sleep(0.2)
    raise AssertionError(f"the demo did not print {count} lines matching {pattern!r} within {timeout} s:\n{out}")


def test_traffic_issues_calls_finishes_and_rates_through_the_server(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "onewindow"
    log = tmp_path / "demo.log"
    command = [str(script), "demo", "--port", str(free_port()), "--mqtt-port", str(free_port()), "--traffic", "300"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=out, stderr=out)
    try:
        printed = wait_for_lines(log, process, r"^traffic: .* rated \d on pad-\d+$", 3)
        assert "traffic: a simulated day 300 times faster at windows 1, 2, 3" in printed
        issued = re.findall(r"^traffic \d\d:\d\d: ticket (\w+) for ", printed, re.MULTILINE)
        called = re.findall(r"^traffic: window [123] calls (\w+)$", printed, re.MULTILINE)
        assert issued and called
        assert set(called) <= set(issued)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGUSR1)  # where each task waits, and (SIGUSR2) each thread
            time.sleep(1)
            process.send_signal(signal.SIGUSR2)
            time.sleep(1)
            process.kill()
            process.wait()
    shown = log.read_text(encoding="utf-8", errors="replace")
    assert process.returncode == 0, shown
    assert "Traceback" not in shown
    with sqlite3.connect(tmp_path / "onewindow-data" / "onewindow.db") as db:
        by_channel = dict(db.execute("SELECT channel, count(*) FROM tickets GROUP BY channel").fetchall())
        finished = db.execute(
            "SELECT count(*) FROM tickets WHERE status = 'finished' AND window IN (1, 2, 3) AND rating IS NOT NULL"
        ).fetchone()[0]
        kinds = dict(db.execute("SELECT kind, count(*) FROM ticket_events GROUP BY kind").fetchall())
    assert by_channel.get("device", 0) >= len(issued)
    assert finished >= 3
    assert kinds["called"] >= len(called) and kinds["rated"] >= 3
    assert list((tmp_path / "onewindow-data" / "printed" / "printer-1").glob("*.png")), "the kiosk's tickets printed"
