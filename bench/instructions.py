"""Instructions the server executes per action, counted by callgrind: a figure the machine's load cannot move.

Throughput and CPU time on a machine shared with other work move with the load; the number of
instructions a process executes does not (only the scheduling does). This runs the real server
(``python -m queue_server serve`` on SQLite and Mosquitto, the benchmark's rig) under ``valgrind
--tool=callgrind``, and counts what it executes while the benchmark's HTTP client acts:

- **lone actions**: ``issue``, ``call-next``, ``finish`` of one window, one request at a time, so
  every action has a transaction of its own (``single`` scenario's path); per cycle of the three;
- **issuing in bursts**: 32 concurrent issues at a time, which share transactions (the ``issue``
  scenario's path); per ticket;
- **calls at a queue depth** (``--waiting 100,3000``, instead of the two above): for each depth in
  turn, tickets are issued until the depth plus ``--calls`` wait, then half the depth is called and
  finished without counting (their rating requests stay open, as in the ``calls`` scenario, where
  nobody rates) with the queue filled again, then ``--calls`` lone calls (``call-next``, ``finish``)
  are counted; per call. Whether a call's cost grows with the queue and the hall reads off the
  depths side by side. Only the counted calls run instrumented (``--instr-atstart=no``), so the
  thousands of set-up requests take minutes, not hours.

Each phase is counted alone: after a warm-up the counters are zeroed (``callgrind_control -z``),
the phase runs, and its counts are dumped (``callgrind_control -d``), so start-up is left out and
the server's background work during the phase (the relay, its timers) is in. Under callgrind the
server runs about fifty times slower, so such timers fire more often per action than at full
speed: compare runs of this script with each other, not with the CPU times of ``python -m bench``.

    .venv/bin/python -m bench.instructions                  # 100 lone cycles, 10 bursts of 32
    .venv/bin/python -m bench.instructions --cycles 50 --bursts 5 --keep callgrind/   # keep the dumps
    .venv/bin/python -m bench.instructions --waiting 100,3000 --calls 50   # a call's cost at two depths

Open a kept dump with ``callgrind_annotate`` (or KCachegrind) to see where the instructions go.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bench.callers import HttpCaller
from bench.hall import MATTER
from bench.rig import BrokerKind, DatabaseKind, Rig, RigError, RigSettings
from bench.scenarios.base import issue_tickets, new_session

WINDOW = 1
BURST = 32
START_TIMEOUT_S = 900.0
"""A server under callgrind takes minutes to import and start."""
DUMP_TIMEOUT_S = 120.0
SUMMARY = re.compile(rb"^(?:summary|totals):\s*(\d+)", re.MULTILINE)


def callgrind(outputs: Path, *, instrumented: bool = True) -> tuple[str, ...]:
    """The wrapper the server runs under; its dumps go to ``outputs``. Not ``instrumented``: only
    between ``-i on`` and ``-i off`` (:func:`counted` with ``switch``)."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise RigError("Cannot count instructions: valgrind is not installed (apt-get install valgrind)")
    start = () if instrumented else ("--instr-atstart=no",)
    return ("valgrind", "--tool=callgrind", *start, f"--callgrind-out-file={outputs / 'callgrind.out.%p'}")


def control(pid: int, flag: str) -> None:
    """Send a command (``-z`` zero, ``-d`` dump) to the callgrind running as ``pid``."""
    subprocess.run(["callgrind_control", flag, str(pid)], check=True, capture_output=True, timeout=DUMP_TIMEOUT_S)


async def counted(pid: int, outputs: Path, phase: Callable[[], Awaitable[None]], *, switch: bool = False) -> int:
    """The instructions the server executed while ``phase`` ran (``switch``: instrumentation on for it)."""
    before = set(outputs.glob("callgrind.out.*.*"))
    if switch:
        await asyncio.to_thread(control, pid, "--instr=on")
    await asyncio.to_thread(control, pid, "-z")
    await phase()
    await asyncio.to_thread(control, pid, "-d")
    if switch:
        await asyncio.to_thread(control, pid, "--instr=off")
    for _ in range(int(DUMP_TIMEOUT_S * 10)):
        dumps = sorted(set(outputs.glob("callgrind.out.*.*")) - before)
        if dumps and (found := SUMMARY.search(dumps[-1].read_bytes())):
            return int(found.group(1))
        await asyncio.sleep(0.1)
    raise RigError(f"Callgrind wrote no dump in {outputs} within {DUMP_TIMEOUT_S:g} s")


async def measure(cycles: int, bursts: int, outputs: Path) -> dict[str, Any]:
    settings = RigSettings(
        BrokerKind.MOSQUITTO, DatabaseKind.SQLITE, 1, wrapper=callgrind(outputs), start_timeout=START_TIMEOUT_S
    )
    async with Rig(settings) as rig, new_session(BURST) as session:
        server = rig.server
        assert server is not None
        await rig.sign_on_all(session)
        console = HttpCaller(rig, session, WINDOW)

        async def issue() -> None:
            await rig.post(session, "tickets", rig.token.kiosk, {"matter": MATTER}, expect=201)

        async def lone(count: int) -> None:
            for _ in range(count):
                await issue()
                called, _took = await console.next()
                if not called:
                    raise RigError(f"Cannot count a lone call at window {WINDOW}: nobody was waiting")
                await console.finish()

        async def burst(count: int) -> None:
            for _ in range(count):
                await asyncio.gather(*(issue() for _ in range(BURST)))

        await lone(5)  # warm-up: every statement compiled, every code path run once
        await burst(1)
        lone_count = await counted(server.pid, outputs, lambda: lone(cycles))
        burst_count = await counted(server.pid, outputs, lambda: burst(bursts))
    return {
        "cycles": cycles,
        "bursts": bursts,
        "burst_size": BURST,
        "instructions_per_lone_cycle": lone_count / cycles,
        "instructions_per_ticket_in_bursts": burst_count / (bursts * BURST),
        "load_average": os.getloadavg(),
    }


async def measure_depths(depths: Sequence[int], calls: int, outputs: Path) -> dict[str, Any]:
    """Instructions per lone call (``call-next`` + ``finish``) at each queue depth, in turn."""
    settings = RigSettings(
        BrokerKind.MOSQUITTO,
        DatabaseKind.SQLITE,
        1,
        wrapper=callgrind(outputs, instrumented=False),
        start_timeout=START_TIMEOUT_S,
    )
    per_call: dict[str, float] = {}
    async with Rig(settings) as rig, new_session(BURST) as session:
        server = rig.server
        assert server is not None
        await rig.sign_on_all(session)
        console = HttpCaller(rig, session, WINDOW)

        async def call(count: int) -> None:
            for _ in range(count):
                called, _took = await console.next()
                if not called:
                    raise RigError(f"Cannot count a call at window {WINDOW}: nobody was waiting")
                await console.finish()

        waiting = 0
        for depth in depths:
            await issue_tickets(rig, session, depth + calls - waiting, BURST)
            done = 0
            while done < depth // 2:  # calls whose rating requests stay open, the queue filled again
                step = min(calls, depth // 2 - done)
                await call(step)
                await issue_tickets(rig, session, step, BURST)
                done += step
            count = await counted(server.pid, outputs, lambda: call(calls), switch=True)
            per_call[str(depth)] = count / calls
            waiting = depth
    return {"calls": calls, "instructions_per_call": per_call, "load_average": os.getloadavg()}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=100, help="lone issue, call-next, finish cycles (100)")
    parser.add_argument("--bursts", type=int, default=10, help=f"bursts of {BURST} concurrent issues (10)")
    parser.add_argument("--waiting", help="count lone calls at these queue depths instead, e.g. 100,3000")
    parser.add_argument("--calls", type=int, default=50, help="lone calls counted at each depth (50)")
    parser.add_argument("--keep", type=Path, help="keep callgrind's dumps in this folder")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON too")
    options = parser.parse_args(argv)
    outputs = options.keep or Path(tempfile.mkdtemp(prefix="onewindow-callgrind-"))
    outputs.mkdir(parents=True, exist_ok=True)
    depths = [int(d) for d in options.waiting.split(",")] if options.waiting else []
    try:
        if depths:
            figures = asyncio.run(measure_depths(depths, options.calls, outputs.resolve()))
        else:
            figures = asyncio.run(measure(options.cycles, options.bursts, outputs.resolve()))
    finally:
        if options.keep is None:
            shutil.rmtree(outputs, ignore_errors=True)
    if depths:
        for depth, count in figures["instructions_per_call"].items():
            print(f"call-next + finish at {depth} waiting: {count / 1e6:.2f} M instructions a call")
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*figures["load_average"]))
        if options.json is not None:
            options.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        return
    print(f"lone issue + call-next + finish: {figures['instructions_per_lone_cycle'] / 1e6:.2f} M instructions a cycle")
    print(f"issuing in bursts of {BURST}: {figures['instructions_per_ticket_in_bursts'] / 1e6:.2f} M a ticket")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*figures["load_average"]))
    if options.json is not None:
        options.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
