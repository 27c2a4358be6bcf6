"""A cProfile of the server, its own time grouped by where the code lives: the tables of docs/performance.md.

``python -m bench --scenario issue --profile prof`` writes ``prof/issue.prof``; then::

    .venv/bin/python -m bench.shares prof/issue.prof            # shares of the loop's own time, by group
    .venv/bin/python -m bench.shares prof/issue.prof --top 25   # ... and the 25 functions with most own time

The idle wait (``epoll``), start-up (compiling, unmarshalling, importing) and the profiler's own
entries are left out, so the shares are of the time the server spent working. The groups are
the packages of the stack (SQLAlchemy, aiohttp, pydantic, ...) and OneWindow's own floors.
"""

from __future__ import annotations

import argparse
import pstats
from collections import Counter
from collections.abc import Sequence

IDLE = ("<method 'poll' of 'select.epoll' objects>", "<method 'select' of 'select.epoll' objects>")
START_UP = (
    "<built-in method builtins.compile>",
    "<built-in method marshal.loads>",
    "<built-in method builtins.exec>",
    "<built-in method builtins.__build_class__>",
    "<built-in method _imp.create_dynamic>",
    "<built-in method _imp.exec_dynamic>",
)
GROUPS: tuple[tuple[str, str], ...] = (
    ("/sqlalchemy/", "SQLAlchemy"),
    ("greenlet", "SQLAlchemy"),
    ("/aiosqlite/", "aiosqlite (handing calls to its thread)"),
    ("'_queue.SimpleQueue'", "aiosqlite (handing calls to its thread)"),
    ("sqlite3.", "sqlite3: statements (C)"),
    ("/asyncpg/", "asyncpg"),
    ("/aiohttp/", "aiohttp"),
    ("/multidict/", "aiohttp"),
    ("/yarl/", "aiohttp"),
    ("/pydantic", "pydantic"),
    ("/aiomqtt/", "MQTT client (aiomqtt, paho)"),
    ("/paho/", "MQTT client (aiomqtt, paho)"),
    ("/json/", "json"),
    ("'_json.", "json"),
    ("/asyncio/", "asyncio"),
    ("_asyncio.", "asyncio"),
    ("'_socket.socket'", "socket send and receive"),
    ("/queue_server/domain/", "OneWindow: domain"),
    ("/queue_server/store/", "OneWindow: store"),
    ("/queue_server/app/", "OneWindow: application"),
    ("/queue_server/web/", "OneWindow: web"),
    ("/queue_server/auth/", "OneWindow: auth"),
    ("/queue_server/bus/", "OneWindow: bus (relay, requests)"),
    ("/queue_server/protocol/", "OneWindow: protocol"),
    ("/queue_server/", "OneWindow: other"),
)


def group_of(where: str) -> str:
    """The group a profile entry (``file:line(function)`` or ``<built-in ...>``) belongs to."""
    for needle, group in GROUPS:
        if needle in where:
            return group
    return "other (the standard library, built-ins)"


def where_of(key: tuple[str, int, str]) -> str:
    path, line, name = key
    return name if path == "~" else f"{path}:{line}({name})"


def own_times(path: str) -> Counter[str]:
    """Each entry's own time in the profile at ``path``, idle and start-up left out."""
    stats = pstats.Stats(path).stats  # type: ignore[attr-defined]
    times: Counter[str] = Counter()
    for key, (_calls, _primitive, own, _cumulative, _callers) in stats.items():
        where = where_of(key)
        if where in IDLE or where in START_UP or "cProfile" in where or "_lsprof" in where:
            continue
        times[where] += own
    return times


def shares(times: Counter[str]) -> list[tuple[str, float, float]]:
    """(group, seconds, share of the total) per group, biggest first."""
    groups: Counter[str] = Counter()
    for where, seconds in times.items():
        groups[group_of(where)] += seconds
    total = sum(groups.values()) or 1.0
    return [(group, seconds, seconds / total) for group, seconds in groups.most_common()]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.shares", description=__doc__.splitlines()[0])
    parser.add_argument("profile", nargs="+", help="cProfile files (bench --profile DIR writes DIR/SCENARIO.prof)")
    parser.add_argument("--top", type=int, default=0, help="also list this many functions with the most own time")
    options = parser.parse_args(argv)
    for path in options.profile:
        times = own_times(path)
        print(f"{path}: {sum(times.values()):.2f} s of own time, idle and start-up left out")
        print("| where | share |\n|---|---|")
        for group, _seconds, share in shares(times):
            print(f"| {group} | {share * 100:.1f} % |")
        if options.top:
            total = sum(times.values()) or 1.0
            print()
            for where, seconds in times.most_common(options.top):
                print(f"{seconds / total * 100:5.1f} %  {seconds:7.3f} s  {where}")
        print()


if __name__ == "__main__":
    main()
