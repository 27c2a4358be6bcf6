"""`centre check` and `centre show`: a centre file validated, or printed as a person reads it.

:func:`load_or_report` is also how `devices simulate` and `simulate` read their centre file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from queue_server.cli.database import command_line_actor
from queue_server.cli.report import EXIT_BAD_INPUT, EXIT_OK, CommandError, report_errors
from queue_server.cli.settings import add_database_setting
from queue_server.cli.subcommands import SubCommands, command, sub_commands

if TYPE_CHECKING:
    from queue_server.domain.centre import Centre


def add_commands(commands: SubCommands) -> None:
    centre = command(
        commands,
        "centre",
        "check or show a centre file",
        "A centre file (TOML) says what a hall is made of: its hours, windows, matters and staff.",
    )
    centre_commands = sub_commands(centre)
    check = command(
        centre_commands,
        "check",
        "validate a centre file",
        "Prints a summary when the file is valid; otherwise every problem as FILE:LINE: FIELD: MESSAGE,\nand exits 1.",
        run_centre_check,
    )
    check.add_argument("file", type=Path, metavar="FILE", help="the centre file")
    show = command(
        centre_commands,
        "show",
        "print a centre: name, hours per weekday, windows and matters per ticket group",
        "Without FILE it shows the built-in demo centre.",
        run_centre_show,
    )
    show.add_argument("file", type=Path, nargs="?", metavar="FILE", help="the centre file (default: the demo)")
    holidays = command(
        centre_commands,
        "holidays",
        "load a year's public holidays and 调休 working days (the State Council's notice) into stored centres",
        "Replaces the year's holidays and adjusted working days of a centre in the database (of every\n"
        "centre without --centre-code), shows the difference, and applies it only with --apply. Type\n"
        "the notice's days off as ranges, e.g. for 2026:\n"
        "  onewindow centre holidays --year 2026 --holidays 2026-01-01..2026-01-03 2026-02-15..2026-02-23\n"
        "    2026-04-04..2026-04-06 2026-05-01..2026-05-05 2026-06-19..2026-06-21 2026-09-25..2026-09-27\n"
        "    2026-10-01..2026-10-07 --working-days 2026-01-04 2026-02-14 2026-02-28 2026-05-09\n"
        "    2026-09-20 2026-10-10 --apply",
        run_centre_holidays,
    )
    add_database_setting(holidays)
    holidays.add_argument("--centre-code", metavar="CODE", help="the centre (default: every centre in the database)")
    holidays.add_argument("--year", type=int, required=True, help="the year of the notice")
    holidays.add_argument(
        "--holidays", nargs="+", required=True, metavar="DAY[..DAY]", help="the days off, as days or FIRST..LAST ranges"
    )
    holidays.add_argument(
        "--working-days", nargs="*", default=[], metavar="DAY", help="the weekend days worked in exchange (调休上班)"
    )
    holidays.add_argument("--apply", action="store_true", help="apply the difference to the stored centres")


def run_centre_check(args: argparse.Namespace) -> int:
    """A one-line summary of a valid file; the file's problems come from :func:`load_or_report`."""
    centre = load_or_report(args.file)
    if centre is None:
        return EXIT_BAD_INPUT
    groups = len(centre.ticket_groups)
    print(
        f"{args.file}: OK: {centre.name} ({centre.code}), {len(centre.windows)} windows,"
        f" {len(centre.matters)} matters in {groups} ticket group{'s' if groups != 1 else ''},"
        f" {len(centre.staff)} staff"
    )
    return EXIT_OK


def run_centre_show(args: argparse.Namespace) -> int:
    centre = load_or_report(args.file)
    if centre is None:
        return EXIT_BAD_INPUT
    print(describe_centre(centre))
    return EXIT_OK


def load_or_report(path: Path | None) -> Centre | None:
    """The centre in ``path`` (the demo centre when None), or None after printing why not."""
    from queue_server.config.centre_file import CentreFileError, load_centre, load_demo_centre

    try:
        return load_demo_centre() if path is None else load_centre(path)
    except CentreFileError as error:
        print(error, file=sys.stderr)
        return None


def describe_centre(centre: Centre) -> str:
    """A centre as a person reads it: who, when it opens, its windows, its matters per group."""
    from queue_server.domain.centre import WEEKDAYS

    info = centre.centre
    kinds = {kind.code: kind for kind in centre.window_kinds}
    title = f"{info.name} / {info.name_en}" if info.name_en else info.name
    lines = [
        title,
        f"code {info.code} · time zone {info.time_zone} · {len(centre.windows)} windows,"
        f" {len(centre.matters)} matters, {len(centre.staff)} staff",
        "",
        "Hours",
    ]
    for weekday, name in enumerate(WEEKDAYS):
        periods = centre.hours.for_weekday(weekday)
        shown = ", ".join(f"{p.start:%H:%M}-{p.end:%H:%M}" for p in periods) or "closed"
        lines.append(f"  {name.capitalize():<10} {shown}")
    calendar = centre.calendar
    if calendar.holidays or calendar.working_days:
        lines.append(f"  {len(calendar.holidays)} holidays, {len(calendar.working_days)} adjusted working days (调休)")
    lines += ["", "Windows"]
    width = len(str(max(window.number for window in centre.windows)))
    for window in centre.windows:
        served = ", ".join(f"{kinds[code].name} ({code})" for code in window.kinds)
        green = " · green channel (绿色通道)" if window.green_channel else ""
        lines.append(f"  {window.number:>{width}}  {window.name}: {served}{green}")
    lines += ["", "Matters per ticket group"]
    for group in centre.ticket_groups:
        count = sum(1 for matter in centre.matters if matter.prefix == group.prefix)
        lines.append(f"  {group.prefix:<2} {group.name}: {count}")
    return "\n".join(lines)


def run_centre_holidays(args: argparse.Namespace) -> int:
    """A year's notice into the stored centres' calendars: the difference shown, applied with --apply."""
    import asyncio

    from queue_server.cli.initialise import load_centre_into
    from queue_server.config.holidays import HolidayInputError, with_year, year_calendar
    from queue_server.store.database import Database
    from queue_server.store.seed import CentreChangeRefused, centre_codes, stored_centre

    async def load() -> None:
        notice = year_calendar(args.year, args.holidays, args.working_days)
        async with Database(args.database_url) as db:
            async with db.read() as conn:
                codes = [args.centre_code] if args.centre_code else await centre_codes(conn)
            for code in codes:
                async with db.read() as conn:
                    stored = await stored_centre(conn, code)
                if stored is None:
                    raise CommandError(f"There is no centre {code!r} in the database")
                await load_centre_into(
                    db,
                    with_year(stored, notice),
                    apply=args.apply,
                    say=print,
                    source=f"the {args.year} notice",
                    by=command_line_actor(),
                )

    def work() -> None:
        try:
            asyncio.run(load())
        except (HolidayInputError, CentreChangeRefused) as error:
            raise CommandError(str(error)) from None

    return report_errors(args.database_url, work)
