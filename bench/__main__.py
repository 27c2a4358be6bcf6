"""``python -m bench``: run the benchmark's scenarios, print a table, write the figures as JSON.

    .venv/bin/python -m bench                                  # everything: Mosquitto, SQLite
    .venv/bin/python -m bench --scenario issue --database postgresql
    .venv/bin/python -m bench --small --broker hall            # a few seconds, as the test runs it
    .venv/bin/python -m bench --database postgresql --instances 1,2 --scenario issue --scenario latency
    .venv/bin/python -m bench --from-json bench-results.json --docs docs/performance.md  # its tables, anew
    .venv/bin/python -m bench --trend                         # the headline figures across the kept runs

The baseline (the broker alone) runs whenever a scenario with latencies does, so every latency
of a run can be compared to the broker of that same run.

``--instances 1,2`` runs every scenario once with each number of server instances (the baseline
once, with the first): the JSON keeps the first number's figures under ``scenarios``, as a
single run has them, and the others' under ``more_instances``; the tables show them side by side.

Every run but a ``--small`` one also keeps its JSON in ``bench/history/`` (bench.history), and
``--trend`` prints how the headline figures moved across the kept runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from bench.history import HISTORY, keep, kept, trend_table
from bench.measure import raise_open_files
from bench.report import Document, add_ratios, markdown_table, read_json, replace_figures, text_table, write_json
from bench.rig import BrokerKind, DatabaseKind, instances_problem
from bench.scenarios import SCENARIOS, Options

OPEN_FILES = 16384
"""Enough for 1,000 windows' devices and displays on both ends of their sockets."""
NEEDS_BASELINE = {"latency", "scale", "city", "print", "issue", "single", "calls"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run OneWindow's benchmarks against the real server, broker and database (docs/performance.md).",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        help="a scenario to run; repeat for several (default: all, in the order listed)",
    )
    parser.add_argument("--broker", choices=[b.value for b in BrokerKind], default=BrokerKind.MOSQUITTO.value)
    parser.add_argument("--database", choices=[d.value for d in DatabaseKind], default=DatabaseKind.SQLITE.value)
    parser.add_argument(
        "--windows",
        type=lambda text: tuple(int(n) for n in text.split(",")),
        default=(),
        metavar="N,N",
        help="the hall sizes of the scale scenario to run (default: 10, 100 and 1000;"
        " another size runs the phases of the next larger)",
    )
    parser.add_argument(
        "--instances",
        type=_counts,
        default=(1,),
        metavar="N,N",
        help="server instances on one database and broker (PostgreSQL and Mosquitto for more than one);"
        " several numbers run every scenario with each, side by side (default: 1)",
    )
    parser.add_argument(
        "--calls-per-s",
        type=float,
        metavar="N",
        help="the latency scenario's pace of calls, in all (default 50; 20 was its pace before), each phase"
        " as long as 2,300 calls take",
    )
    parser.add_argument("--small", action="store_true", help="a run of a few seconds with tiny counts (the test's)")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("bench-results.json"),
        help="where to write the figures (default: %(default)s)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run each server under cProfile and keep DIR/<scenario>.prof (read: python -m pstats FILE)",
    )
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables (for docs/performance.md)")
    parser.add_argument(
        "--docs",
        type=Path,
        metavar="FILE",
        help="also put the Markdown tables between the figure markers of FILE (docs/performance.md)",
    )
    parser.add_argument(
        "--from-json", type=Path, metavar="FILE", help="print the tables of an earlier run's JSON instead of running"
    )
    parser.add_argument(
        "--history",
        type=Path,
        metavar="DIR",
        help=f"where runs keep their JSON, one file each (default: {HISTORY}; a --small run keeps it only here)",
    )
    parser.add_argument("--no-history", action="store_true", help="do not keep this run's JSON in the history")
    parser.add_argument(
        "--trend", action="store_true", help="print how the headline figures moved across the kept runs, and stop"
    )
    args = parser.parse_args(argv)
    for count in args.instances:
        if problem := instances_problem(count, BrokerKind(args.broker), DatabaseKind(args.database)):
            parser.error(problem)
    return args


def _counts(text: str) -> tuple[int, ...]:
    """``1,2`` → (1, 2): distinct positive numbers, in the order given."""
    try:
        counts = tuple(int(n) for n in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers like 1,2: {text!r}") from None
    if any(n < 1 for n in counts) or len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError(f"not distinct numbers of at least 1: {text!r}")
    return counts


def chosen(asked: list[str] | None) -> list[str]:
    names = set(asked or SCENARIOS)
    if names & NEEDS_BASELINE:
        names.add("baseline")
    return [name for name in SCENARIOS if name in names]


def machine() -> str:
    """The host's name and processor, so that runs on different machines are not compared unawares."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{platform.node()}, {model or platform.machine()}"


def commit() -> str:
    try:
        found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, check=False
    )
    return found.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


async def run(names: list[str], options: Options, counts: tuple[int, ...] = (1,)) -> Document:
    """Every scenario of ``names`` with each number of server instances in ``counts``; the baseline once."""
    document: Document = {
        "meta": {
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "broker": options.broker.value,
            "database": options.database.value,
            "instances": list(counts),
            "mqtt_protocol": "5" if options.mqtt5 else "3.1.1",
            "small": options.small,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "machine": machine(),
            "commit": commit(),
            "load_before": os.getloadavg()[0],
        },
        "scenarios": {},
    }
    started = time.perf_counter()
    _cancel_on_sigterm()
    for count in counts:
        figures = document["scenarios"] if count == counts[0] else {}
        for name in names:
            if name == "baseline" and count != counts[0]:
                continue  # the broker alone: one measure serves every number of instances
            with_count = f" with {count} instance{'s' if count > 1 else ''}" if len(counts) > 1 else ""
            print(f"running {name}{with_count} ...", file=sys.stderr, flush=True)
            began = time.perf_counter()
            figures[name] = await SCENARIOS[name].run(replace(options, instances=count))
            print(f"  {name} took {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
        if count != counts[0]:
            document.setdefault("more_instances", {})[str(count)] = figures
    document["meta"]["load_after"] = os.getloadavg()[0]
    document["meta"]["seconds"] = time.perf_counter() - started
    add_ratios(document)
    return document


def _cancel_on_sigterm() -> None:
    """SIGTERM cancels the run as Ctrl-C does, so each rig stops its server, broker and database."""
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.trend:
        print(trend_table(kept(args.history or HISTORY)))
        return 0
    if args.from_json is not None:
        document = read_json(args.from_json)
    else:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        raise_open_files(OPEN_FILES)
        if args.profile is not None:
            args.profile.mkdir(parents=True, exist_ok=True)
        options = Options(
            BrokerKind(args.broker),
            DatabaseKind(args.database),
            args.small,
            args.windows,
            args.profile.resolve() if args.profile is not None else None,
            mqtt5=max(args.instances) > 1,  # one protocol for every count, so their figures compare
            calls_per_s=args.calls_per_s,
        )
        document = asyncio.run(run(chosen(args.scenario), options, args.instances))
        write_json(document, args.json)
        print(f"figures written to {args.json}", file=sys.stderr)
        history = None if args.no_history else args.history or (None if args.small else HISTORY)
        if history is not None:
            print(f"run kept as {keep(document, history)}", file=sys.stderr)
    print(markdown_table(document) if args.markdown else text_table(document))
    if args.docs is not None:
        replace_figures(document, args.docs)
        print(f"figures written into {args.docs}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
