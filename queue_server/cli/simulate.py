"""`simulate`: the hall simulator's flags; the run itself is ``queue_server.simulate.command``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from queue_server.cli.centre import load_or_report
from queue_server.cli.report import EXIT_BAD_INPUT, EXIT_USAGE
from queue_server.cli.settings import add_centre_setting, whole_number
from queue_server.cli.subcommands import SubCommands, command


def add_commands(commands: SubCommands) -> None:
    simulate = command(
        commands,
        "simulate",
        "the hall simulator: a day of arrivals and service, faster than real time",
        "Plays a day of a centre on virtual time with the real routing, numbering, calendar and wait\n"
        "estimates: citizens arrive by hour per matter (a profile), windows are staffed and paused as\n"
        "the profile says. Prints waits per class (green channel, ordinary) and per matter, the queue,\n"
        "window use, how good the printed wait estimates were and the most passes over any ticket.\n"
        "--compare runs plans side by side on the same citizens (same seed). See docs/simulator.md.",
        run_simulate,
    )
    add_centre_setting(simulate, "centre file to simulate")
    simulate.add_argument(
        "--profile",
        metavar="FILE",
        help="arrivals, handling times, staffing and pauses (TOML), or a packaged profile's name"
        " (town-centre, busy-centre; default: town-centre)",
    )
    simulate.add_argument("--days", type=whole_number(1, 366), default=1, help="how many open days (default: 1)")
    simulate.add_argument("--day", metavar="YYYY-MM-DD", help="the first day (default: the profile's)")
    simulate.add_argument("--seed", type=int, default=0, help="random seed, for repeatable runs (default: 0)")
    simulate.add_argument(
        "--compare",
        nargs="+",
        type=Path,
        metavar="PLAN",
        help="plan files to run side by side; each replaces the tables it gives of --profile"
        " (one plan: compared with the profile itself)",
    )
    simulate.add_argument("--json", type=Path, metavar="FILE", help="write every figure as JSON to FILE")
    simulate.add_argument("--charts", type=Path, metavar="DIR", help="draw PNG charts into DIR")
    simulate.add_argument(
        "--ranking",
        action="store_true",
        help="print each simulated month's ranking of the windows (月度排名), with the bad ratings and"
        " follow-up calls to expect; --days 43 from the default day covers March and April",
    )
    simulate.add_argument(
        "--follow-advice",
        action="store_true",
        help="a manager follows the live staffing advice every few minutes (signs a B-post on, moves"
        " staff, ends a pause), set beside the plan as it is; with --compare every plan follows it",
    )
    simulate.add_argument(
        "--oracle",
        type=whole_number(1, 1000),
        nargs="?",
        const=1,
        metavar="EVERY",
        help="also compute the oracle's range (the narrowest 80%% range knowing the live state and the true"
        " handling times) for every EVERY-th ticket (default 1: every ticket), beside the printed ranges",
    )
    simulate.add_argument(
        "--spread-factor",
        type=positive_number,
        default=1.0,
        metavar="F",
        help="draw handling times with every spread of the profile times F (default: 1), to measure"
        " estimates on days that vary more or less than the profile says",
    )


def run_simulate(args: argparse.Namespace) -> int:
    """A simulated day (or a comparison of plans): a table on stdout, JSON and charts on request."""
    import datetime as dt

    from queue_server.simulate.command import Request, simulate
    from queue_server.simulate.profiles import ProfileError

    centre = load_or_report(args.centre)
    if centre is None:
        return EXIT_BAD_INPUT
    try:
        day = dt.date.fromisoformat(args.day) if args.day else None
    except ValueError:
        print(f"Cannot simulate: a day is written YYYY-MM-DD, got {args.day!r}", file=sys.stderr)
        return EXIT_USAGE
    request = Request(
        centre=centre,
        profile=args.profile,
        seed=args.seed,
        days=args.days,
        day=day,
        compare=tuple(str(p) for p in args.compare or ()),
        json_file=args.json,
        charts=args.charts,
        ranking=args.ranking,
        follow_advice=args.follow_advice,
        oracle_every=args.oracle or 0,
        spread_factor=args.spread_factor,
    )
    try:
        return simulate(request)
    except (ProfileError, ValueError, OSError) as error:
        print(f"Cannot simulate: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def positive_number(text: str) -> float:
    """A number above 0 (a factor)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number is needed, not {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"a number above 0 is needed, not {text!r}")
    return value
