"""`onewindow demo` in an empty folder: it answers on localhost, and the curl lines it prints work.

The test runs the installed command as a newcomer would, reads the tokens and curl commands from
what the demo printed, and runs those commands with the real curl.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from queue_server.domain.devices import DeviceKind
from queue_server.protocol.docs import TEXT_TOPICS, TOPIC_PAYLOADS
from queue_server.protocol.payloads import REQUESTS
from queue_server.protocol.topics import DEVICE_REQUEST, match_topic
from tests.serverproc import free_port
from ticket_printer.escpos_parser import parse, raster_image

pytestmark = pytest.mark.slow


def wait_for(path: Path, text: str, process: subprocess.Popen[bytes], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        if text in out:
            return out
        if process.poll() is not None:
            raise AssertionError(f"the demo exited with {process.returncode}:\n{out}")
        time.sleep(0.1)
    raise AssertionError(f"the demo did not print {text!r} within {timeout} s")


def run_printed(line: str, env: dict[str, str]) -> dict[str, object]:
    """Run one printed curl line in a shell, with the printed variables set."""
    result = subprocess.run(["bash", "-c", line], capture_output=True, text=True, env=env, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def check_the_bus_shows_what_the_protocol_says(printed: str) -> None:
    """`mosquitto_sub -v -t 'onewindow/#'` as the demo prints it: every message is in docs/protocol.md."""
    match = re.search(r"watch it: (mosquitto_sub .*)$", printed, re.MULTILINE)
    assert match, "the demo prints how to watch its bus"
    watch = match.group(1).replace("mosquitto_sub", "mosquitto_sub -W 2 -F '%t %p'", 1)
    result = subprocess.run(["bash", "-c", watch], capture_output=True, text=True, timeout=30, check=False)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, f"nothing on the bus: {result.stderr}"
    seen = set()
    for line in lines:
        topic, _, body = line.partition(" ")
        found = match_topic(topic)
        assert found is not None, f"{topic} is no topic of docs/protocol.md"
        pattern, parts = found
        seen.add(pattern.name)
        if pattern.name in TEXT_TOPICS:
            assert body in ("online", "offline"), line
        elif pattern is DEVICE_REQUEST:
            REQUESTS[DeviceKind(parts["kind"]), parts["what"]].model_validate_json(body)
        else:
            TOPIC_PAYLOADS[pattern.name].model_validate_json(body)
    assert {"server_availability", "window_state", "hall_summary", "hall_calls", "pad_state"} <= seen, seen


def check_the_kiosk_ticket_was_printed(folder: Path) -> None:
    """The demo's printer client printed the kiosk's ticket into onewindow-data/printed."""
    printed = folder / "onewindow-data" / "printed" / "printer-1"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list(printed.glob("*.png")):
        time.sleep(0.2)
    (escpos,) = sorted(printed.glob("*.escpos"))
    assert escpos.with_suffix(".png").exists(), "each printed ticket has a picture"
    image = raster_image(parse(escpos.read_bytes()))
    assert image is not None and image.width == 576, "an 80 mm ticket drawn as a raster"


def check_the_hall_board_shows_the_call(printed: str, number: str) -> None:
    """The demo's hall board client runs, at the address the demo printed, and shows the call."""
    match = re.search(r"Hall board: (http://\S+)", printed)
    assert match, "the demo prints its hall board's address"
    deadline = time.monotonic() + 30
    shown: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(match.group(1) + "state", timeout=5) as answer:
                shown = json.load(answer)
        except OSError:
            shown = {}
        if shown.get("calls") and shown["calls"][0]["number"] == number:
            break
        time.sleep(0.2)
    assert shown.get("calls"), f"the hall board shows no call: {shown}"
    assert shown["calls"][0]["number"] == number
    assert shown["link"] == "live" and len(shown["windows"]) == 13


def check_the_rating_pad_token(printed: str, port: int) -> None:
    """The PAD token the demo prints opens its rating pad (a tablet enrols with it)."""
    match = re.search(r"^\s+PAD=(\S+)\s+# the rating pad (\S+)", printed, re.MULTILINE)
    assert match, "the demo prints a rating pad's token"
    token, pad = match.groups()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/centres/demo/pads/{pad}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.load(answer)["state"] in ("idle", "open")


def children_running(parent: int, needle: str) -> list[int]:
    """The PIDs of ``parent``'s child processes whose command line holds ``needle``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and needle in command:
            found.append(int(proc.name))
    return found


def check_a_dead_printer_client_is_started_again(
    folder: Path, log: Path, demo: subprocess.Popen[bytes], env: dict[str, str], issue: str
) -> None:
    """A printer client killed under the demo is said aloud and started again, and prints the next ticket."""
    (printer,) = children_running(demo.pid, "printer run --id printer-1")
    os.kill(printer, signal.SIGKILL)
    wait_for(log, "The printer client printer-1 stopped (exit code -9); starting it again", demo)
    deadline = time.monotonic() + 30
    while not (again := children_running(demo.pid, "printer run --id printer-1")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert again and again != [printer], "a new printer client runs"
    run_printed(issue.replace("try-2", "try-after-restart"), env)
    printed = folder / "onewindow-data" / "printed" / "printer-1"
    while len(list(printed.glob("*.png"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(list(printed.glob("*.escpos"))) == 2, "the ticket after the restart was printed"


def check_the_pages_answer(printed: str) -> None:
    """The login page and the kiosk's enrolment the demo points to are there."""
    for name in ("Pages", "Kiosk"):
        match = re.search(rf"^\s+{name}:\s+(http://\S+)", printed, re.MULTILINE)
        assert match, f"the demo prints where its {name.lower()} are"
        with urllib.request.urlopen(match.group(1), timeout=10) as answer:
            assert answer.status == 200
            assert "一窗通" in answer.read().decode()


def test_the_demo_answers_and_its_printed_curl_lines_issue_and_call(tmp_path: Path) -> None:
    port = free_port()
    script = Path(sys.executable).parent / "onewindow"
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        command = [str(script), "demo", "--port", str(port), "--mqtt-port", str(free_port())]
        process = subprocess.Popen(command, cwd=tmp_path, stdout=out, stderr=out)
    try:
        printed = wait_for(log, "Ctrl-C stops the demo.", process)
        assert (tmp_path / "onewindow-data" / "onewindow.db").exists()
        assert oct((tmp_path / "onewindow-data" / "demo-accounts.json").stat().st_mode & 0o777) == "0o600"
        env = dict(os.environ)
        for name in ("KIOSK", "STAFF"):
            match = re.search(rf"^\s+{name}=(\S+)", printed, re.MULTILINE)
            assert match, f"the demo did not print {name}=..."
            env[name] = match.group(1)
        curls = [line.strip() for line in printed.splitlines() if line.strip().startswith("curl ")]
        sign_on, issue, call_next, queue = curls
        assert f"http://127.0.0.1:{port}/" in issue
        assert run_printed(sign_on, env)["window"]["status"] == "open"  # type: ignore[index]
        ticket = run_printed(issue, env)["ticket"]
        called = run_printed(call_next, env)["ticket"]
        assert called["serial"] == ticket["serial"]  # type: ignore[index]
        assert called["status"] == "called"  # type: ignore[index]
        assert run_printed(queue, env)["waiting"] == []
        check_the_bus_shows_what_the_protocol_says(printed)
        check_the_kiosk_ticket_was_printed(tmp_path)
        check_the_hall_board_shows_the_call(printed, str(called["number"]))  # type: ignore[index]
        check_the_pages_answer(printed)
        check_the_rating_pad_token(printed, port)
        check_a_dead_printer_client_is_started_again(tmp_path, log, process, env, issue)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
    assert process.returncode == 0, log.read_text(errors="replace")


@contextlib.contextmanager
def held_pair() -> Iterator[int]:
    """Listen on a free port and the one after it; yields the first."""
    while True:
        with socket.socket() as held, socket.socket() as next_one:
            taken = free_port()
            try:
                held.bind(("127.0.0.1", taken))
                next_one.bind(("127.0.0.1", taken + 1))
            except OSError:
                continue
            held.listen()
            next_one.listen()
            yield taken
            return


def test_the_demo_broker_takes_1883_or_the_next_free_port_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """Debian's mosquitto package starts a system broker on 1883: the demo then runs its own next to it."""
    from queue_server.cli import demo_hall

    said: list[str] = []
    with held_pair() as taken:  # that port and the next one are taken: the demo goes on looking
        monkeypatch.setattr(demo_hall, "DEFAULT_PORT", taken)
        port = demo_hall.demo_broker_port("127.0.0.1", said.append)
    assert taken + 1 < port < taken + 20
    assert said == [
        f"Port {taken} is taken (by this machine's own Mosquitto?): the demo's broker listens on port {port}"
        " instead (--mqtt-port to choose one)."
    ]
    monkeypatch.setattr(demo_hall, "DEFAULT_PORT", free_port())
    assert demo_hall.demo_broker_port("127.0.0.1", said.append) == demo_hall.DEFAULT_PORT
    assert len(said) == 1, "a free 1883 is taken without a word"


def test_the_demo_writes_json_log_lines_when_asked(tmp_path: Path) -> None:
    """`onewindow demo --log-format json --log-level info`, as `serve` takes them: the actions' lines
    on standard error as JSON with their context, what the demo prints for the newcomer on standard
    output as before."""
    port = free_port()
    script = Path(sys.executable).parent / "onewindow"
    printed_to, logged_to = tmp_path / "demo.out", tmp_path / "demo.err"
    command = [str(script), "demo", "--port", str(port), "--mqtt-port", str(free_port())]
    with printed_to.open("wb") as out, logged_to.open("wb") as err:
        process = subprocess.Popen(
            [*command, "--log-format", "json", "--log-level", "info"], cwd=tmp_path, stdout=out, stderr=err
        )
    try:
        printed = wait_for(printed_to, "Ctrl-C stops the demo.", process)
        env = dict(os.environ)
        for name in ("KIOSK", "STAFF"):
            match = re.search(rf"^\s+{name}=(\S+)", printed, re.MULTILINE)
            assert match, f"the demo did not print {name}=..."
            env[name] = match.group(1)
        sign_on, issue, *_ = [line.strip() for line in printed.splitlines() if line.strip().startswith("curl ")]
        run_printed(sign_on, env)
        assert run_printed(issue, env)["ticket"]
        wait_for(logged_to, '"issue done"', process)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
    assert process.returncode == 0, logged_to.read_text(errors="replace")
    log = logged_to.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines), log
    (issued,) = [line for line in lines if line["message"] == "issue done"]
    assert issued["centre"] == "demo" and issued["request_id"], issued
    assert env["KIOSK"] not in log and env["STAFF"] not in log, "no token in the log"
